"""The gate: metric thresholds, no regression against production, training cost and carbon.

Every check is kept as evidence (value, limit, passed) and goes into the
lineage record and the audit log whichever way the decision falls.
"""

from __future__ import annotations

from typing import Any

from lifecycle.pipeline.spec import HIGHER_IS_BETTER, PipelineSpec


def training_estimate(spec: PipelineSpec) -> dict[str, Any] | None:
    """What this training job would cost and emit on the gate's cloud (cost.training_cost)."""
    from cost.training_cost import estimate_training

    t, g = spec.training, spec.gates
    if t.accelerator is None:
        return None
    doc: dict[str, Any] = {
        "accelerator": t.accelerator,
        "accelerators_per_node": t.accelerators_per_node,
        "nodes": t.nodes,
        "hours": t.max_run_hours,
        "capacity": t.capacity,
        "backend": "managed",
        "clouds": [g.estimate_cloud],
    }
    if g.estimate_region:
        doc["regions"] = {g.estimate_cloud: g.estimate_region}
    row = estimate_training(doc)["clouds"][0]
    if row["status"] != "priced":
        return {"cloud": g.estimate_cloud, "usd": None, "kg_co2e": None, "reason": row["reason"]}
    return {
        "cloud": row["cloud"],
        "region": row["region"],
        "instance_type": row["instance_type"],
        "usd": row["total_usd"],
        "kwh": row["energy"]["kwh"],
        "kg_co2e": row["energy"]["kg_co2e"],
        "price_date": row["price_date"],
    }


def decide(
    spec: PipelineSpec,
    metrics: dict[str, Any],
    production: dict[str, Any] | None,
    estimate: dict[str, Any] | None,
) -> dict[str, Any]:
    """`production`: {"version", "metrics"} of the current production model, or None."""
    g = spec.gates
    checks: list[dict[str, Any]] = []

    def check(name: str, value: float | None, limit: float, ok: bool) -> None:
        checks.append({"check": name, "value": value, "limit": limit, "passed": ok})

    for m, lo in g.min.items():
        check(f"{m} >= {lo}", metrics[m], lo, metrics[m] >= lo)
    for m, hi in g.max.items():
        check(f"{m} <= {hi}", metrics[m], hi, metrics[m] <= hi)
    for m, slack in g.no_worse_than_production.items():
        if production is None:
            continue  # the first model has nothing to regress against
        ref = production["metrics"][m]
        limit = ref - slack if HIGHER_IS_BETTER.get(m, False) else ref + slack
        ok = metrics[m] >= limit if HIGHER_IS_BETTER.get(m, False) else metrics[m] <= limit
        check(
            f"{m} no worse than production v{production['version']} by > {slack}",
            metrics[m],
            limit,
            ok,
        )
    for key, field, limit in (
        ("usd", "training cost (USD, estimate)", g.max_training_cost_usd),
        ("kg_co2e", "training carbon (kg CO2e, estimate)", g.max_training_carbon_kg),
    ):
        if limit is None:
            continue
        value = (estimate or {}).get(key)
        check(f"{field} <= {limit}", value, limit, value is not None and value <= limit)
    return {
        "passed": all(c["passed"] for c in checks),
        "checks": checks,
        "production": production and {"version": production["version"]},
        "estimate": estimate,
    }
