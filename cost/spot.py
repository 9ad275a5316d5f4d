"""Eq. 2: expected hours and cost of a run on spot, with interruptions and checkpoints.

Symbols: W work hours (Eq. 1's T(N)), lambda interruptions per node-hour, n nodes,
Lambda = n*lambda (any node lost stops a data-parallel job), R restart overhead (hours),
delta checkpoint write time (hours), tau checkpoint interval (hours), p $/h for the plan.

    tau*    = sqrt(2 delta / Lambda)                           (Young; Daly refines it)
    T0      = W (1 + delta/tau)                                 time with checkpoints, no loss
    L       = R + tau/2                                         expected loss per interruption
    K       ~ Poisson(Lambda T0)                                interruptions during the run
    E[T]    = T0 + Lambda T0 L                                  expected spot hours
    E[cost] = p E[T] + storage + egress (+ managed premium on p)

Deadline probability for spot: P(T <= D) = P(K <= floor((D - T0)/L)).
Interruption rates: AWS Spot Advisor buckets give the share of instances interrupted in
a month (<5%, 5-10%, 10-15%, 15-20%, >20%). Taking the bucket's middle q (25% for >20%)
as the chance of at least one interruption in 730 h, lambda = -ln(1 - q) / 730 per hour.
GCP and Azure publish no such figure: they default to bucket 3 (15-20%) and 2 (10-15%).
"""

from __future__ import annotations

import math

import numpy as np

HOURS_PER_MONTH = 730.0
BUCKET_MONTHLY_SHARE = {0: 0.025, 1: 0.075, 2: 0.125, 3: 0.175, 4: 0.25}
# Clouds without a published interruption figure: a documented assumption, not a measure.
DEFAULT_BUCKET = {"aws": 4, "gcp": 3, "azure": 2}


def bucket_rate(bucket: int) -> float:
    """Interruptions per instance-hour for a Spot Advisor bucket 0..4."""
    if bucket not in BUCKET_MONTHLY_SHARE:
        raise ValueError(f"interruption_bucket: {bucket!r} is not one of 0, 1, 2, 3, 4")
    return -math.log(1 - BUCKET_MONTHLY_SHARE[bucket]) / HOURS_PER_MONTH


def offer_rate(offer) -> tuple[float, str]:
    """lambda for an offer and where it came from: the median measured in the shipped spot
    traces for its cloud and accelerator (`cost.interruption_rates`), else its Spot Advisor
    bucket, else the cloud's assumed bucket (stated as an assumption, with no data)."""
    from cost.interruption_rates import measured_rate

    accel = getattr(offer, "accelerator", None)
    measured = measured_rate(offer.cloud, accel) if accel else None
    if measured is not None:
        return measured.median, measured.source()
    bucket = getattr(offer, "interruption_bucket", None)
    if bucket is not None:
        return bucket_rate(bucket), f"spot advisor bucket {bucket}" + (
            f" (no spot trace for {accel})" if accel else ""
        )
    b = DEFAULT_BUCKET.get(offer.cloud, 4)
    return bucket_rate(b), (
        f"{offer.cloud} default (bucket {b}): assumed, no published rate or spot trace"
        + (f" for {offer.cloud} {accel}" if accel else "")
    )


def trace_rate(available, gap_seconds: float) -> float:
    """Interruptions per available hour seen in an availability trace (1 -> 0 drops)."""
    a = np.asarray(available, dtype=bool)
    drops = int(np.count_nonzero(a[:-1] & ~a[1:]))
    up_hours = np.count_nonzero(a) * gap_seconds / 3600
    return drops / up_hours if up_hours else math.inf


def young_interval(delta_hours: float, rate: float) -> float:
    """Young's optimal checkpoint interval tau* = sqrt(2 delta / lambda)."""
    if rate <= 0:
        return math.inf
    return math.sqrt(2 * delta_hours / rate)


def daly_interval(delta_hours: float, rate: float) -> float:
    """Daly's higher-order optimum (2006): for delta < 2M (M = 1/lambda),
    tau = sqrt(2 delta M) [1 + sqrt(delta/(2M))/3 + delta/(18 M)] - delta, else M."""
    if rate <= 0:
        return math.inf
    m = 1 / rate
    if delta_hours >= 2 * m:
        return m
    x = delta_hours / (2 * m)
    return math.sqrt(2 * delta_hours * m) * (1 + math.sqrt(x) / 3 + x / 9) - delta_hours


def daly_expected_hours(
    work: float, tau: float, delta: float, restart: float, rate: float
) -> float:
    """Exact expected wall time with exponential failures (Daly 2006, Eq. 12):
    E[T] = M e^{R/M} (e^{(tau+delta)/M} - 1) W / tau, with M = 1/lambda."""
    if rate <= 0:
        return work * (1 + delta / tau)
    m = 1 / rate
    return m * math.exp(restart / m) * math.expm1((tau + delta) / m) * work / tau


def spot_hours(work, rate, restart, delta):
    """T0, L, E[T], tau for spot runs; numpy-vectorised (arrays broadcast)."""
    work = np.asarray(work, dtype=float)
    rate = np.asarray(rate, dtype=float)
    with np.errstate(divide="ignore"):
        tau = np.where(rate > 0, np.sqrt(2 * delta / np.maximum(rate, 1e-300)), np.inf)
    tau = np.minimum(tau, work)  # never checkpoint less often than once a run
    t0 = work * (1 + delta / tau)
    loss = restart + tau / 2
    expected = t0 + rate * t0 * loss
    return t0, loss, expected, tau


def poisson_cdf(k, mean):
    """P(Poisson(mean) <= k), vectorised over arrays; k < 0 gives 0."""
    k = np.asarray(k, dtype=float)
    mean = np.asarray(mean, dtype=float)
    kmax = int(np.nanmax(np.where(np.isfinite(k), k, 0), initial=0))
    kmax = min(kmax, 200)
    term = np.exp(-mean)
    total = np.where(k >= 0, term, 0.0)
    for i in range(1, kmax + 1):
        term = term * mean / i
        total = total + np.where(k >= i, term, 0.0)
    return np.where(k > 200, 1.0, np.minimum(total, 1.0))


def fallback_cost(work, rate, restart, delta, deadline, spot_price, od_price, max_k=40):
    """Spot with on-demand fallback: spot until the (m+1)-th interruption, then on-demand.

    m is the most interruptions the deadline can absorb, m_max = floor((D - T0)/L) - 1;
    every m in 0..m_max is priced and the cheapest kept (so more slack never costs more).
    With W_j the run time at the j-th interruption (Gamma(j, Lambda)):
        E[W_j 1{W_j <= T0}] = (j/Lambda) P(K >= j+1),  P(W_j <= T0) = P(K >= j).
    Returns (expected cost, expected hours, m); m = -1 where the deadline allows no spot.
    """
    t0, loss, _, _ = spot_hours(work, rate, restart, delta)
    rate = np.asarray(rate, dtype=float)
    mean = rate * t0
    with np.errstate(divide="ignore", invalid="ignore"):
        m_max = np.floor((np.asarray(deadline, dtype=float) - t0) / loss) - 1
    m_max = np.minimum(m_max, max_k)
    pk = [np.exp(-mean)]
    for i in range(1, max_k + 2):
        pk.append(pk[-1] * mean / i)
    pk_arr = np.stack(pk)  # (max_k+2, n)
    cdf = np.cumsum(pk_arr, axis=0)
    best_cost = np.full(np.shape(t0), np.inf)
    best_hours = np.full(np.shape(t0), np.inf)
    best_m = np.full(np.shape(t0), -1)
    spot_part = np.zeros(np.shape(t0))  # sum_{k<=m} pk (T0 + kL)
    for m in range(0, max_k + 1):
        spot_part = spot_part + pk_arr[m] * (t0 + m * loss)
        j = m + 1
        p_ge_j = np.clip(1 - cdf[m], 0, 1)
        p_ge_j1 = np.clip(1 - cdf[m + 1], 0, 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(rate > 0, j / rate * p_ge_j1, 0.0)
        cost = spot_price * (spot_part + w + p_ge_j * m * loss) + od_price * (
            p_ge_j * (t0 + loss) - w
        )
        hours = spot_part + p_ge_j * (t0 + j * loss)
        better = (m <= m_max) & (cost < best_cost)
        best_cost = np.where(better, cost, best_cost)
        best_hours = np.where(better, hours, best_hours)
        best_m = np.where(better, m, best_m)
    return best_cost, best_hours, best_m
