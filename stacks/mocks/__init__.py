"""Run a Pulumi program in-process under mocks and record every resource.

This is pioneer's offline ``pulumi preview`` (``pioneer plan``) and the
harness of the component tests. The mocks answer like the clouds do: ARNs with
an account id, GCP self-links and service-account emails, Azure resource ids
under ``/subscriptions/…/resourceGroups/…`` — so code that reads stack outputs
sees realistic values.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import mocks as _pm
from pulumi.runtime import rpc
from pulumi.runtime.stack import run_pulumi_func

from plan_document import PlannedResource
from stacks.mocks import aws, azure, docker_build, gcp, kubernetes

PROJECT = "pioneer"
ORGANIZATION = "organization"  # what a self-managed (DIY) backend names every org
_BY_PREFIX = {
    "aws": aws,
    "gcp": gcp,
    "azure-native": azure,
    "kubernetes": kubernetes,
    "docker-build": docker_build,
}


@dataclass
class MockRun:
    """Everything one program run registered, plus its resolved stack outputs."""

    stack: str
    resources: list[PlannedResource]
    outputs: dict[str, Any]
    secret_outputs: set[str]
    invokes: list[str] = field(default_factory=list)
    """The data-source (invoke) tokens the program called, in order."""

    def of_type(self, type_: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.type == type_]

    def one(self, type_: str) -> PlannedResource:
        found = self.of_type(type_)
        if len(found) != 1:
            raise AssertionError(
                f"expected one {type_}, found {len(found)}: {[r.name for r in found]}"
            )
        return found[0]

    def by_name(self, name: str) -> PlannedResource:
        for r in self.resources:
            if r.name == name:
                return r
        raise KeyError(name)

    def children(self, urn: str) -> list[PlannedResource]:
        return [r for r in self.resources if r.parent == urn]


class PioneerMocks(pulumi.runtime.Mocks):
    """Dispatches to the per-cloud answers by the type token's package."""

    def __init__(
        self,
        stack: str,
        region: Mapping[str, str] | None = None,
        stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
    ):
        self.stack = stack
        self.region = dict(region or {})
        self.stack_outputs = dict(stack_outputs or {})
        """Outputs of other stacks by name, for `pulumi.StackReference` (the add-ons stack)."""
        self.invokes: list[str] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        package = args.typ.split(":", 1)[0]
        if args.typ.startswith("pulumi:providers:"):
            return f"{args.name}-provider-id", dict(args.inputs)
        if args.typ == "pulumi:pulumi:StackReference":
            # read by its fully qualified name, org/project/stack; outputs as the engine returns
            stack = str(args.inputs.get("name", args.name)).rsplit("/", 1)[-1]
            if stack not in self.stack_outputs:
                raise KeyError(f"no outputs mocked for referenced stack {stack!r}")
            outputs = dict(self.stack_outputs[stack])
            return args.name, {"name": args.name, "outputs": outputs, "secretOutputNames": []}
        module = _BY_PREFIX.get(package)
        if module is None:
            return f"{args.name}-id", dict(args.inputs)
        return module.new_resource(args, self)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]] | None]:
        self.invokes.append(args.token)
        package = args.token.split(":", 1)[0]
        module = _BY_PREFIX.get(package)
        return (module.call(args, self) if module else {}), []  # [] not None: the SDK iterates it


class RecordingMonitor(_pm.MockMonitor):
    """A MockMonitor that also keeps what `pulumi preview` shows: parent, inputs, deps."""

    def __init__(self, mocks: pulumi.runtime.Mocks):
        super().__init__(mocks)
        self.recorded: list[PlannedResource] = []

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        inputs = rpc.deserialize_properties(request.object)
        reg = self.resources[response.urn]
        self.recorded.append(
            # inputs with the engine's camelCase keys (unknowns absent); state is what the
            # mock answered (inputs plus computed outputs such as ids and ARNs)
            PlannedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                inputs=_plain(inputs),
                state=_plain(reg.state),
                id=reg.id or "",
                dependencies=tuple(sorted(set(request.dependencies))),
                provider=request.provider,
            )
        )
        return response


def _plain(value: Any) -> Any:
    """Drop the SDK's unknown/secret sentinels so the values are plain JSON data."""
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return _plain(value.get("value"))
        return {k: _plain(v) for k, v in value.items() if v is not rpc.UNKNOWN}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _ordered(recorded: list[PlannedResource]) -> list[PlannedResource]:
    """Parents before children, siblings by URN: registration order varies run to run."""
    children: dict[str, list[PlannedResource]] = {}
    urns = {r.urn for r in recorded}
    for r in recorded:
        children.setdefault(r.parent if r.parent in urns else "", []).append(r)
    out: list[PlannedResource] = []
    stack = sorted(children.get("", []), key=lambda r: r.urn, reverse=True)
    while stack:
        r = stack.pop()
        out.append(r)
        stack.extend(sorted(children.get(r.urn, []), key=lambda c: c.urn, reverse=True))
    return out


def run_program(
    program: Callable[[], None],
    *,
    stack: str,
    config: Mapping[str, Any] | None = None,
    secret_keys: list[str] | None = None,
    region: Mapping[str, str] | None = None,
    stack_outputs: Mapping[str, Mapping[str, Any]] | None = None,
) -> MockRun:
    """Run `program` under mocks, in a fresh context and event loop, and record it.

    ``config`` keys are full Pulumi keys (``pioneer:cloud``, ``aws:region``);
    values that are not strings are passed as JSON, as the CLI would.
    """
    return contextvars.Context().run(
        _run, program, stack, dict(config or {}), secret_keys or [], region, stack_outputs
    )


def _run(program, stack, config, secret_keys, region, stack_outputs) -> MockRun:
    import json

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        mocks = PioneerMocks(stack, region, stack_outputs)
        monitor = RecordingMonitor(mocks)
        pulumi.runtime.settings.ROOT.set(None)
        pulumi.runtime.set_mocks(
            monitor.mocks,
            project=PROJECT,
            stack=stack,
            preview=False,
            monitor=monitor,
            organization=ORGANIZATION,
        )
        pulumi.runtime.set_all_config(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, secret_keys
        )
        loop.run_until_complete(run_pulumi_func(program))
        root = pulumi.runtime.settings.get_root_resource()
        outputs, secrets = loop.run_until_complete(_resolve_outputs(root))
        return MockRun(
            stack=stack,
            resources=_ordered(monitor.recorded),
            outputs=outputs,
            secret_outputs=secrets,
            invokes=list(mocks.invokes),
        )
    finally:
        loop.close()
        asyncio.set_event_loop(None)


async def _resolve_outputs(root: Any) -> tuple[dict[str, Any], set[str]]:
    raw = getattr(root, "outputs", None) or {}
    out: dict[str, Any] = {}
    secrets: set[str] = set()
    for key, value in raw.items():
        out[key], is_secret = await _resolve(value)
        if is_secret:
            secrets.add(key)
    return out, secrets


async def _resolve(value: Any) -> tuple[Any, bool]:
    if isinstance(value, pulumi.Output):
        return _plain(await value.future()), bool(await value.is_secret())
    if isinstance(value, dict):
        items = {k: await _resolve(v) for k, v in value.items()}
        return {k: v for k, (v, _) in items.items()}, any(s for _, s in items.values())
    if isinstance(value, (list, tuple)):
        items2 = [await _resolve(v) for v in value]
        return [v for v, _ in items2], any(s for _, s in items2)
    return _plain(value), False
