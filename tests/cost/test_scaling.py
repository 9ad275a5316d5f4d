"""Eq. 1 (data-parallel step time and efficiency) and the workload file's validation."""

from __future__ import annotations

import math

import pytest

from cost.scaling import (
    DEFAULT_INTER_NODE_GBPS,
    ScalingInputs,
    inter_node_gbps,
    link_gbps,
    step_seconds,
    training_hours,
)
from cost.workload import Workload, WorkloadError

# t_c = 1e15 / (100e12 * 0.5) = 20 s on one device.
INP = ScalingInputs(flops_per_step=1e15, gradient_bytes=1e9, steps=100, mfu=0.5, overlap=0.1)


def test_one_device_has_no_communication():
    step, eta = step_seconds(INP, 100, 1, 1.0)
    assert float(step) == pytest.approx(20.0)
    assert float(eta) == pytest.approx(1.0)


def test_ring_allreduce_hand_computed():
    # N=4 on 1 GB/s: compute 5 s, all-reduce 2*3/4*1e9/1e9 = 1.5 s, hidden min(1.5, 0.1*5)=0.5
    step, eta = step_seconds(INP, 100, 4, 1.0)
    assert float(step) == pytest.approx(6.0)
    assert float(eta) == pytest.approx(5 / 6)


def test_communication_fully_hidden_when_overlap_allows():
    inp = ScalingInputs(1e15, 1e9, 100, mfu=0.5, overlap=0.5)
    step, eta = step_seconds(inp, 100, 4, 10.0)  # all-reduce 0.15 s < 0.5 * 5 s
    assert float(step) == pytest.approx(5.0)
    assert float(eta) == pytest.approx(1.0)


def test_efficiency_never_rises_with_more_devices_on_the_same_link():
    etas = [float(step_seconds(INP, 100, n, 2.0)[1]) for n in (1, 2, 4, 8, 16, 64)]
    assert all(a >= b for a, b in zip(etas, etas[1:], strict=False))
    assert etas[-1] < 1


def test_training_hours_uses_steps_and_inter_node_link():
    one, _ = training_hours(INP, "A100", "a2-highgpu-8g", 8, 1)
    two, eta2 = training_hours(INP, "A100", "a2-highgpu-8g", 8, 2)
    # 16 devices over 12.5 GB/s Ethernet: faster than 8, but not twice as fast.
    assert one / 2 < two < one
    assert eta2 < 1
    with pytest.raises(ValueError, match="accelerator: 'K80'"):
        training_hours(INP, "K80", "p2.xlarge", 1, 1)


def test_links_intra_vs_inter_node():
    assert link_gbps("H100", "p5.48xlarge", 1) == 400
    assert link_gbps("A100", "p4d.24xlarge", 2) == 50  # EFA 400 Gbit/s
    assert inter_node_gbps("p5en.48xlarge") == 400
    assert inter_node_gbps("x9.unknown") == DEFAULT_INTER_NODE_GBPS


def _workload(**over):
    d = {
        "name": "w",
        "model": {"parameters": 1e9, "tokens": 2e10},
        "checkpoint": {"size_gib": 16},
        "deadline_hours": 24,
    }
    d.update(over)
    return d


def test_tokens_give_six_p_d_flops():
    w = Workload.parse(_workload())
    assert w.total_flops == pytest.approx(6 * 1e9 * 2e10)
    assert w.memory_needed_gib == pytest.approx(1e9 * 16 * 1.25 / 2**30)
    assert w.checkpoint_hours == pytest.approx(16 / 3600)


def test_measured_throughput_reproduces_reference_rate():
    w = Workload.parse(
        _workload(
            model={
                "parameters": 1e9,
                "samples": 1e6,
                "samples_per_second": 50,
                "reference_accelerator": "A100",
                "global_batch_samples": 100,
            }
        )
    )
    h, _ = training_hours(w.scaling_inputs(), "A100", "a2-highgpu-1g", 1, 1)
    assert h == pytest.approx(1e6 / 50 / 3600)  # the reference device runs at its measured rate


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"deadline_hours": -1}, "deadline_hours: Input should be greater than 0"),
        ({"clouds": ["aws", "oracle"]}, "clouds.1: 'oracle' is not one of aws, gcp, azure"),
        ({"colour": "red"}, "colour: unknown field"),
        ({"accelerators": ["H1000"]}, "accelerators H1000 not among"),
        ({"model": {"parameters": 1e9}}, "model: give tokens, or samples"),
        ({"quotas": {"aws": {"H100": -1}}}, "quotas.aws"),
    ],
)
def test_bad_workload_names_the_field(change, expected):
    with pytest.raises(WorkloadError) as e:
        Workload.parse(_workload(**change))
    assert any(expected in err for err in e.value.errors), e.value.errors


def test_not_a_mapping():
    with pytest.raises(WorkloadError, match="expected a mapping"):
        Workload.parse(["x"])
    assert math.isfinite(Workload.parse(_workload()).deadline_hours)
