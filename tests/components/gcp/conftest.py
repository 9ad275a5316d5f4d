"""GCP component fixtures: the gcp-dev stack run once per session, and a runner for variants."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components import MlPlatform, PlatformSpec
from stacks.mocks import MockRun, Recorded, run_program
from stacks.plan import mock_context, run_plan
from tests.conftest import stack_config


@pytest.fixture(scope="session")
def dev_config() -> dict[str, Any]:
    return stack_config("gcp-dev")


@pytest.fixture(scope="session")
def dev_run() -> MockRun:
    """The shipped gcp-dev stack, through the same program `pulumi up` runs."""
    return run_plan("gcp-dev").run


def run_config(config: dict[str, Any], stack: str = "test") -> MockRun:
    spec = PlatformSpec.parse(config, stack=stack)

    def program() -> None:
        platform = MlPlatform(spec.name, spec)
        for key, value in platform.outputs.items():
            pulumi.export(key, value)

    return run_program(program, stack=stack, region=mock_context(spec))


@pytest.fixture
def variant(dev_config) -> Callable[..., MockRun]:
    """`variant(lambda cfg: ...)`: run gcp-dev's config after an in-place change."""

    def run(change: Callable[[dict[str, Any]], None], stack: str = "test") -> MockRun:
        cfg = copy.deepcopy(dev_config)
        change(cfg)
        return run_config(cfg, stack)

    return run


def gcp_resources(run: MockRun) -> list[Recorded]:
    return [r for r in run.resources if r.custom and r.type.startswith("gcp:")]


def pool(run: MockRun, spec_name: str) -> Recorded:
    found = [
        r
        for r in run.of_type("gcp:container/nodePool:NodePool")
        if r.inputs["nodeConfig"]["labels"]["pioneer.dev/pool"] == spec_name
    ]
    assert len(found) == 1, [r.name for r in run.of_type("gcp:container/nodePool:NodePool")]
    return found[0]
