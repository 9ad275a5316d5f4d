"""The Pulumi program behind every stack: stack config -> PlatformSpec -> MlPlatform."""

from __future__ import annotations

import pulumi

from components import MlPlatform, PlatformSpec
from components.spec import SpecError, cloud_warnings
from cost.estimate import estimate_spec
from stacks.config import ADDONS_FOR, NAMESPACE, StackNotFound, decode_value, spec_from_stack


def addons_program(spec: PlatformSpec, platform_stack: str) -> None:
    """The add-ons stack: the cluster add-ons of ``platform_stack``, run from inside its network."""
    from components.k8s.stage import addons_stack

    addons_stack(spec, platform_stack)
    pulumi.export("addons_for", platform_stack)


def read_spec() -> PlatformSpec:
    """Read every `pioneer:` key the spec knows from the stack config and validate it."""
    config = pulumi.Config(NAMESPACE)
    raw = {}
    for key in PlatformSpec.model_fields:
        value = config.get(key)
        if value is not None:
            raw[key] = decode_value(value)
    return PlatformSpec.parse(raw, stack=pulumi.get_stack())


def program() -> None:
    target = pulumi.Config(NAMESPACE).get(ADDONS_FOR)
    if target is not None:
        # An add-ons stack: its spec is the platform stack's, read from that stack's file.
        try:
            _, _, spec = spec_from_stack(pulumi.get_stack())
        except (SpecError, StackNotFound) as e:
            raise pulumi.RunError(str(e)) from None
        addons_program(spec, target)
        return
    try:
        spec = read_spec()
    except SpecError as e:
        # `pulumi up` shows this message as the program's error, without a Python traceback.
        raise pulumi.RunError(str(e)) from None
    for warning in cloud_warnings(spec):  # `pulumi up` shows them; `pioneer plan` too
        pulumi.log.warn(warning)
    platform = MlPlatform(spec.name, spec)
    for key, value in platform.outputs.items():
        pulumi.export(key, value)
    # The compute estimate from the spec and the catalog (resource inputs are unknown
    # during a real preview, so the full per-resource estimate is `pioneer cost`'s job).
    compute = estimate_spec(spec)
    pulumi.export("monthly_compute_usd", compute["monthly_usd"])
    pulumi.export("max_monthly_compute_usd", compute["max_monthly_usd"])
