"""Shared fixtures: a fresh Pulumi mock run per test, and valid base configs per cloud.

Component tests build a spec, call ``run_spec(spec)`` and assert on the returned
``MockRun`` (every registered resource with its camelCase inputs, and the
resolved stack outputs) after the program has finished — never inside
``apply``, where an assert on an unknown value silently never runs.
"""

from __future__ import annotations

import copy
import functools
import os
import warnings
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from components import MlPlatform, PlatformSpec
from stacks.config import platform_config, spec_from_stack
from stacks.mocks import MockRun, run_program
from stacks.plan import Plan, mock_context, run_plan

warnings.filterwarnings("ignore", category=DeprecationWarning)

# Kubernetes support is judged on this day in every test (CLI subprocesses inherit it), so
# the shipped stacks' plans and prices do not change as the support calendar moves on.
TEST_TODAY = "2026-12-01"
os.environ.setdefault("PIONEER_TODAY", TEST_TODAY)


def stack_config(name: str) -> dict[str, Any]:
    """The `pioneer:` config of a shipped stack, without the namespace (a fresh copy)."""
    from stacks.config import load_stack_config, resolve_stack

    _, path = resolve_stack(name)
    return copy.deepcopy(platform_config(load_stack_config(path)))


@functools.cache
def shipped_plan(name: str) -> Plan:
    """The offline plan of a shipped stack, once per test process (read it, never change it)."""
    return run_plan(name)


@pytest.fixture
def base_config() -> Callable[[str], dict[str, Any]]:
    """`base_config("aws")` -> the aws-dev stack's config as a dict to modify."""
    return lambda cloud: stack_config(f"{cloud}-dev")


@pytest.fixture
def run_spec() -> Callable[..., MockRun]:
    """Run `MlPlatform` for a spec (or a config dict) under fresh mocks and record it."""

    def run(spec: PlatformSpec | dict[str, Any], stack: str = "test") -> MockRun:
        if not isinstance(spec, PlatformSpec):
            spec = PlatformSpec.parse(spec, stack=stack)

        def program() -> None:
            platform = MlPlatform(spec.name, spec)
            for key, value in platform.outputs.items():
                pulumi.export(key, value)

        return run_program(program, stack=stack, region=mock_context(spec))

    return run


@pytest.fixture
def shipped_spec() -> Callable[[str], PlatformSpec]:
    return lambda name: spec_from_stack(name)[2]
