"""Property: whatever config is thrown at the edge, only `SpecError` ever escapes."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.spec import PlatformSpec, SpecError
from tests.conftest import stack_config

BASES = [stack_config(f"{c}-dev") for c in ("aws", "gcp", "azure")]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        [
            "H100",
            "TPU-v5e",
            "A100",
            "spot",
            "on_demand",
            "aws",
            "gcp",
            "azure",
            "us-east-1",
            "2x2",
            "10.0.0.0/16",
        ]
    ),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def mutated_configs(draw):
    """A shipped config with a few keys replaced, removed or added at any depth."""
    cfg = copy.deepcopy(draw(st.sampled_from(BASES)))
    for _ in range(draw(st.integers(1, 4))):
        node = cfg
        path = []
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            key = draw(
                st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node)))
            )
            path.append((node, key))
            node = node[key]
        if not path:
            continue
        parent, key = path[-1]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace" or (action == "delete" and isinstance(parent, list)):
            parent[key] = draw(values)
        elif action == "delete":
            del parent[key]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(values)
    return cfg


@settings(max_examples=1500, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated_configs())
def test_mutated_configs_raise_only_spec_error(cfg):
    try:
        spec = PlatformSpec.parse(cfg)
    except SpecError as e:
        assert e.errors and all(isinstance(m, str) and ": " in m for m in e.errors)
    else:
        assert isinstance(spec, PlatformSpec)


@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(values)
def test_arbitrary_values_raise_only_spec_error(cfg):
    try:
        PlatformSpec.parse(cfg)
    except SpecError as e:
        assert e.errors
