"""One accelerator record: the scaling model and the optimizer read peak throughput and
intra-node bandwidth from `cost.accelerators`; one default CPU type per cloud, in the catalog."""

from __future__ import annotations

import dataclasses

import pytest

from components.aws import node_pools as nodegroups
from components.azure import node_pools as azure_pools
from components.gcp import node_pools as gcp_pools
from cost import accelerators, scaling
from cost.catalog import DEFAULT_CPU_INSTANCE_TYPES

INPUTS = scaling.ScalingInputs(flops_per_step=6e9 * 1e6, gradient_bytes=2e9, steps=1000)


def test_every_accelerator_has_its_figures():
    for a in accelerators.ACCELERATORS.values():
        assert a.peak_tflops["bf16"] > 0 and a.intra_node_gbps > 0, a.name
    assert accelerators.peak_tflops("H100") == 989 and accelerators.peak_tflops("H1000") is None


def test_the_scaling_model_asks_the_record(monkeypatch: pytest.MonkeyPatch):
    before, _ = scaling.training_hours(INPUTS, "H100", "p5.48xlarge", 8, 1)
    h100 = accelerators.ACCELERATORS["H100"]
    faster = dataclasses.replace(h100, peak_tflops={"bf16": 2 * 989}, intra_node_gbps=800)
    monkeypatch.setitem(accelerators.ACCELERATORS, "H100", faster)
    after, _ = scaling.training_hours(INPUTS, "H100", "p5.48xlarge", 8, 1)
    assert after == pytest.approx(before / 2, rel=0.05)
    assert scaling.link_gbps("H100", "p5.48xlarge", 1) == 800


def test_one_default_cpu_type_per_cloud():
    assert DEFAULT_CPU_INSTANCE_TYPES["aws"] == nodegroups.DEFAULT_CPU_INSTANCE_TYPE
    assert DEFAULT_CPU_INSTANCE_TYPES["gcp"] == gcp_pools.DEFAULT_CPU_MACHINE
    assert DEFAULT_CPU_INSTANCE_TYPES["azure"] == azure_pools.DEFAULT_SYSTEM_VM
