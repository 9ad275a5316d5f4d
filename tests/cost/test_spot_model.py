"""Eq. 2 and the interruption model: buckets, Young/Daly, Poisson deadline risk, fallback."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize as sopt
from scipy import stats

from cost.spot import (
    bucket_rate,
    daly_expected_hours,
    daly_interval,
    fallback_cost,
    offer_rate,
    poisson_cdf,
    spot_hours,
    trace_rate,
    young_interval,
)


def test_bucket_to_hourly_rate():
    assert bucket_rate(2) == pytest.approx(-math.log(1 - 0.125) / 730)
    assert bucket_rate(0) < bucket_rate(1) < bucket_rate(4)
    with pytest.raises(ValueError, match="interruption_bucket: 7"):
        bucket_rate(7)


def test_offer_rate_uses_bucket_or_cloud_default():
    class FakeOffer:
        cloud = "gcp"
        interruption_bucket = None

    rate, src = offer_rate(FakeOffer())
    assert rate == bucket_rate(3) and "gcp default" in src
    FakeOffer.interruption_bucket = 0
    assert offer_rate(FakeOffer()) == (bucket_rate(0), "spot advisor bucket 0")


def test_offer_rate_prefers_the_rate_measured_in_spot_traces():
    # #18.16: Spot Advisor buckets say ~0.0004/h; the traces show preemptions every few hours.
    from cost.interruption_rates import measured_rate

    class V100:
        cloud, accelerator, interruption_bucket = "aws", "V100", 0

    m = measured_rate("aws", "V100")
    assert m is not None and len(m.rates) == 8 and m.dates == ("2022-10-26", "2023-04-22")
    assert 0.1 < m.low <= m.median <= m.high < 2
    rate, src = offer_rate(V100())
    assert rate == m.median and rate > 100 * bucket_rate(0)
    assert src.startswith("measured: median of 8 aws V100 spot traces, range ")

    class AzureA100:
        cloud, accelerator, interruption_bucket = "azure", "A100", None

    rate, src = offer_rate(AzureA100())
    assert rate == bucket_rate(2) and "assumed, no published rate or spot trace" in src


def test_trace_rate_counts_drops_per_available_hour():
    assert trace_rate([1, 1, 0, 1, 0, 0], 3600) == pytest.approx(2 / 3)


def test_young_closed_form():
    assert young_interval(0.01, 0.02) == pytest.approx(1.0)
    assert young_interval(0.5, 0.0) == math.inf


@pytest.mark.parametrize("delta, rate", [(0.01, 0.01), (0.05, 0.1), (0.002, 0.5)])
def test_daly_interval_minimises_the_exact_expected_time(delta, rate):
    f = lambda tau: daly_expected_hours(100, tau, delta, 0.1, rate)  # noqa: E731
    best = sopt.minimize_scalar(f, bounds=(1e-4, 50), method="bounded").x
    assert daly_interval(delta, rate) == pytest.approx(best, rel=0.02)
    # Young's first-order form is close when delta << 1/lambda.
    assert young_interval(delta, rate) == pytest.approx(best, rel=0.15)


def test_daly_expected_hours_without_failures_is_checkpoint_overhead():
    assert daly_expected_hours(10, 1.0, 0.1, 0.5, 0.0) == pytest.approx(11.0)
    assert daly_expected_hours(10, 1.0, 0.1, 0.5, 1e-9) == pytest.approx(11.0, rel=1e-6)


def test_spot_hours_hand_computed():
    t0, loss, expected, tau = spot_hours(10.0, 0.02, 0.1, 0.01)
    assert float(tau) == pytest.approx(1.0)
    assert float(t0) == pytest.approx(10.1)
    assert float(loss) == pytest.approx(0.6)
    assert float(expected) == pytest.approx(10.1 + 0.02 * 10.1 * 0.6)


def test_poisson_cdf_matches_scipy():
    k = np.array([-1, 0, 1, 3, 10])
    mean = np.array([0.5, 0.5, 2.0, 2.0, 4.0])
    assert poisson_cdf(k, mean) == pytest.approx(
        np.where(k < 0, 0, stats.poisson.cdf(k, mean)), abs=1e-12
    )


def _monte_carlo_fallback(work, rate, restart, delta, m, s, o, n=40_000, seed=1):
    """Simulate the rule the formula prices: spot until the (m+1)-th interruption."""
    t0, loss, _, _ = (float(x) for x in spot_hours(work, rate, restart, delta))
    rng = np.random.default_rng(seed)
    gaps = rng.exponential(1 / rate, size=(n, m + 1))
    times = np.cumsum(gaps, axis=1)  # run time at each interruption
    k = (times <= t0).sum(axis=1)
    w = times[:, m]
    switched = k > m
    cost = np.where(
        switched, s * (w + m * loss) + o * (t0 - w + loss), s * (t0 + np.minimum(k, m) * loss)
    )
    return cost.mean()


def test_fallback_formula_matches_monte_carlo():
    work, rate, restart, delta, s, o = 20.0, 0.15, 0.1, 0.01, 1.0, 3.0
    t0, loss, _, _ = (float(x) for x in spot_hours(work, rate, restart, delta))
    for m in (0, 2):
        deadline = t0 + (m + 1) * loss + 1e-6  # allows exactly m absorbed interruptions
        cost, hours, chosen = fallback_cost(work, rate, restart, delta, deadline, s, o)
        assert int(chosen) == m
        assert float(cost) == pytest.approx(
            _monte_carlo_fallback(work, rate, restart, delta, m, s, o), rel=0.02
        )
        assert float(hours) <= deadline


def test_fallback_needs_slack_and_more_slack_never_costs_more():
    work, rate = 20.0, 0.1
    t0, loss, _, _ = (float(x) for x in spot_hours(work, rate, 0.1, 0.01))
    cost, _, m = fallback_cost(work, rate, 0.1, 0.01, t0 + 0.5 * loss, 1.0, 3.0)
    assert int(m) == -1 and math.isinf(float(cost))
    deadlines = np.linspace(t0 + loss, t0 + 30, 25)
    costs, _, _ = fallback_cost(
        np.full(25, work), np.full(25, rate), 0.1, 0.01, deadlines, 1.0, 3.0
    )
    assert np.all(np.diff(costs) <= 1e-9)
    assert costs[-1] < 3.0 * t0 and costs[-1] >= 1.0 * t0
