"""The monthly cost of a plan: Infracost for Pulumi.

`estimate_preview(doc)` prices a document shaped like ``pulumi preview --json``
(a real one, or `stacks.plan.preview_document(run_plan(stack))`): one line per
resource with its charges, a subtotal per component, the monthly total and the
dates of the prices used. `estimate_spec(spec)` prices the node pools straight
from a `PlatformSpec` (what `pulumi up` can export, where resource inputs are
not known during preview). Everything returned is plain JSON.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.spec import PlatformSpec
from cost.catalog import Catalog, CatalogError, get_catalog
from cost.energy_lines import energy_totals, is_compute, line_energy
from cost.input_file import read_input
from cost.pricing_rules import (
    RULES,
    Context,
    Free,
    NotPriced,
    Priced,
    Resource,
    free_reason,
    gcp_region,
)
from cost.usage import Usage, as_usage, load_usage

# The CPU type each cloud module uses for a pool with neither accelerator nor instance_type.
DEFAULT_CPU_TYPES = {"aws": "m6i.xlarge", "gcp": "e2-standard-4", "azure": "Standard_D4s_v5"}
STACK_TYPE = "pulumi:pulumi:Stack"


class PreviewFormatError(ValueError):
    """The document is not shaped like `pulumi preview --json`; the message says where."""


def _cloud_of(type_: str) -> str | None:
    pkg = type_.split(":", 1)[0]
    return {"aws": "aws", "gcp": "gcp", "azure-native": "azure"}.get(pkg)


def _states(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The resulting state of each resource a preview shows (deleted ones are left out)."""
    if not isinstance(doc, Mapping) or not isinstance(doc.get("steps"), list):
        raise PreviewFormatError("not a `pulumi preview --json` document: expected a 'steps' list")
    out = []
    for i, step in enumerate(doc["steps"]):
        if not isinstance(step, Mapping):
            raise PreviewFormatError(f"steps[{i}]: expected an object")
        if step.get("op") in ("delete", "discard", "delete-replaced", "read-discard"):
            continue
        state = step.get("newState") or step.get("oldState")
        if not isinstance(state, Mapping) or "type" not in state:
            raise PreviewFormatError(f"steps[{i}]: no newState with a 'type'")
        out.append({**state, "urn": state.get("urn") or step.get("urn", "")})
    return out


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1] if "::" in urn else urn


def _provider_regions(states: list[dict[str, Any]]) -> dict[str, str]:
    """Provider URN -> region, from provider resources' inputs (aws region, gcp region, ...)."""
    out = {}
    for s in states:
        if s["type"].startswith("pulumi:providers:"):
            ins = s.get("inputs") or {}
            region = ins.get("region") or ins.get("location")
            if region:
                out[s["urn"]] = str(region)
    return out


def _default_region(
    states: list[dict[str, Any]],
    providers: Mapping[str, str],
    cloud: str | None,
    fallback: str | None = None,
) -> str | None:
    package = {"azure": "azure-native"}.get(cloud or "", cloud)
    for urn, region in providers.items():
        if cloud and f"pulumi:providers:{package}::" in urn:
            return region
    if fallback:  # the stack's provider config, when the preview omits an unchanged provider
        return fallback
    seen: Counter[str] = Counter()
    for s in states:
        ins = s.get("inputs") or {}
        for key in ("region", "location"):
            if isinstance(ins.get(key), str):
                seen[ins[key]] += 1
    return seen.most_common(1)[0][0] if seen else None


def _region_for(
    state: Mapping[str, Any], providers: Mapping[str, str], default: str | None
) -> str | None:
    ins = state.get("inputs") or {}
    own = ins.get("region") or ins.get("location")
    if isinstance(own, str) and own:
        return gcp_region(own) if state["type"].startswith("gcp:") else own
    # A provider reference is "<provider urn>::<provider id>".
    provider = str(state.get("provider") or "")
    for purn, region in providers.items():
        if provider == purn or provider.startswith(purn + "::"):
            return gcp_region(region) if state["type"].startswith("gcp:") else region
    if default and state["type"].startswith("gcp:"):
        return gcp_region(default)
    return default


def _component_of(urn: str, parents: Mapping[str, str], types: Mapping[str, str]) -> str:
    """The component a resource's cost is rolled up into: the child of the outermost component.

    `MlPlatform mlp-aws` > `pioneer:aws:Cluster mlp-aws-cluster` > node group: the subtotal is
    `mlp-aws-cluster`. A resource directly under the stack is its own group ("stack").
    """
    chain = []
    cur = parents.get(urn)
    while cur and types.get(cur) and types[cur] != STACK_TYPE:
        chain.append(cur)
        cur = parents.get(cur)
    if not chain:
        return "stack"
    pick = chain[-2] if len(chain) >= 2 else chain[-1]
    return f"{types[pick]} {_name_of(pick)}"


def price_resource(res: Resource, ctx: Context) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": res.type,
        "name": res.name,
        "urn": res.urn,
        "region": res.region,
    }
    fn = RULES.get(res.type)
    reason = free_reason(res.type) if fn is None else None
    try:
        if fn is None and reason is None:
            raise NotPriced(f"no pricing rule for resource type {res.type}")
        result: Priced | Free = Free(reason) if fn is None else fn(res, ctx)  # type: ignore[arg-type]
    except NotPriced as e:
        return {
            **line,
            "status": "not_priced",
            "reason": str(e),
            "hourly_usd": None,
            "monthly_usd": None,
            "quantity": None,
            "unit": None,
            "price_source": None,
            "price_date": None,
            "charges": [],
            "notes": [],
            "unpriced_parts": [],
        }
    if isinstance(result, Free):
        return {
            **line,
            "status": "free",
            "reason": result.reason,
            "hourly_usd": 0.0,
            "monthly_usd": 0.0,
            "quantity": None,
            "unit": None,
            "price_source": None,
            "price_date": None,
            "charges": [],
            "notes": [],
            "unpriced_parts": [],
        }
    charges = result.charges
    first = charges[0] if charges else None
    hourly = [c.hourly_usd for c in charges if c.hourly_usd is not None]
    return {
        **line,
        "status": "priced" if not result.unpriced_parts else "partly_priced",
        "reason": "; ".join(result.unpriced_parts) or None,
        "hourly_usd": round(sum(hourly), 4) if hourly else None,
        "monthly_usd": round(sum(c.monthly_usd for c in charges), 4),
        "quantity": round(first.quantity, 6) if first else None,
        "unit": first.unit if first else None,
        "price_source": first.source if first else None,
        "price_date": first.date if first else None,
        "charges": [c.as_dict() for c in charges],
        "notes": result.notes,
        "unpriced_parts": result.unpriced_parts,
    }


def estimate_preview(
    doc: Mapping[str, Any],
    usage: Usage | Mapping[str, Any] | None = None,
    *,
    catalog: Catalog | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Price every resource of a `pulumi preview --json` document; see the module doc.

    `region` is used where the document names none: a real preview of an existing stack
    omits the provider step when the provider is unchanged (Infracost reads the provider
    block the same way). A provider's own region in the document wins.

    Returns ``{"monthly_usd", "hourly_usd", "lines", "components", "counts",
    "catalog_dates", "catalog_date", "usage", "cloud", "currency", "energy"}``; each line
    carries ``energy: {kwh, kg_co2e, not_estimated, factors}`` (monthly, `cost.energy_lines`).
    """
    catalog = catalog or get_catalog()
    use = as_usage(usage)
    states = _states(doc)
    types = {s["urn"]: s["type"] for s in states}
    parents = {s["urn"]: s.get("parent") or "" for s in states}
    clouds = Counter(c for s in states if s.get("custom", True) and (c := _cloud_of(s["type"])))
    cloud = clouds.most_common(1)[0][0] if clouds else None
    providers = _provider_regions(states)
    default_region = _default_region(states, providers, cloud, region)
    by_id = {str(s["id"]): s.get("inputs") or {} for s in states if s.get("id")}
    ctx = Context(catalog, use, cloud, by_id)
    use.check_names(
        _name_of(s["urn"]) for s in states if s.get("custom", True) and s["type"] != STACK_TYPE
    )

    lines: list[dict[str, Any]] = []
    for s in states:
        if not s.get("custom", True) or s["type"] == STACK_TYPE:
            continue  # component resources hold no cost of their own
        res = Resource(
            s["type"],
            _name_of(s["urn"]),
            s["urn"],
            s.get("inputs") or {},
            _region_for(s, providers, default_region),
        )
        line = price_resource(res, ctx)
        line["component"] = _component_of(s["urn"], parents, types)
        line["energy"] = line_energy(line)
        lines.append(line)

    components: dict[str, dict[str, Any]] = {}
    for line in lines:
        comp: dict[str, Any] = components.setdefault(
            line["component"],
            {"component": line["component"], "monthly_usd": 0.0, "resources": 0, "not_priced": 0},
        )
        comp["resources"] += 1
        comp["monthly_usd"] = round(comp["monthly_usd"] + (line["monthly_usd"] or 0.0), 4)
        comp["not_priced"] += line["status"] == "not_priced"
    dates = sorted({ch["price_date"] for ln in lines for ch in ln["charges"]})
    counts = Counter(ln["status"] for ln in lines)
    # Machines are most of the bill: a total without them is not an estimate of the plan.
    unpriced_compute = [
        {"name": ln["name"], "type": ln["type"], "reason": ln["reason"]}
        for ln in lines
        if ln["status"] == "not_priced" and is_compute(ln["type"])
    ]
    return {
        "currency": "USD",
        "cloud": cloud,
        "region": default_region,
        "monthly_usd": round(sum(ln["monthly_usd"] or 0.0 for ln in lines), 2),
        "hourly_usd": round(sum(ln["hourly_usd"] or 0.0 for ln in lines), 4),
        "lines": lines,
        "components": sorted(components.values(), key=lambda c: -c["monthly_usd"]),
        "counts": {k: counts.get(k, 0) for k in ("priced", "partly_priced", "free", "not_priced")},
        "complete": not unpriced_compute,
        "unpriced_compute": unpriced_compute,
        "catalog_dates": dates,
        "catalog_date": f"{dates[0]} .. {dates[-1]}"
        if len(dates) > 1
        else (dates[0] if dates else None),
        "usage": {"source": use.source, "hours_per_month": use.hours_per_month},
        "energy": energy_totals(lines),
    }


def preview_stack(doc: Mapping[str, Any]) -> str | None:
    """The stack a preview belongs to, from its URNs (`urn:pulumi:<stack>::<project>::...`)."""
    for state in _states(doc):
        head = str(state.get("urn", "")).split("::", 1)[0]
        if head.startswith("urn:pulumi:") and head != "urn:pulumi:":
            return head.removeprefix("urn:pulumi:")
    return None


def load_preview(path: str | Path) -> dict[str, Any]:
    """Read a `pulumi preview --json` (or `pioneer plan --json`) file."""
    import json

    p = Path(path)
    text = read_input(p, "preview file", kind="json")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise PreviewFormatError(f"{p}: not JSON ({e})") from None
    _states(doc)  # fail early, naming the step, if it is not a preview document
    return doc


def estimate_stack(stack: str | Path, usage_file: str | Path | None = None) -> dict[str, Any]:
    """Plan a stack offline (`pioneer plan`) and price it, with its usage file if it has one."""
    from stacks.plan import preview_document, run_plan

    given = load_usage(usage_file) if usage_file else None  # a bad file fails before the plan
    plan = run_plan(stack)
    usage = given or load_usage(stack=plan.stack, directory=plan.path.parent)
    est = estimate_preview(preview_document(plan), usage)
    est["stack"] = plan.stack
    # the pools again from the spec: adds the cost if every pool ran at its maximum
    est["node_pools"] = estimate_spec(plan.spec, usage)
    return est


def estimate_stacks(stacks: list[str]) -> dict[str, dict[str, Any]]:
    """Estimates of several stacks (each with its usage file), for a side-by-side table:
    ``cost.report.side_by_side_table(estimate_stacks(["aws-dev", "gcp-dev", "azure-dev"]))``."""
    return {e["stack"]: e for e in (estimate_stack(s) for s in stacks)}


def estimate_spec(
    spec: PlatformSpec,
    usage: Usage | Mapping[str, Any] | None = None,
    *,
    catalog: Catalog | None = None,
) -> dict[str, Any]:
    """Monthly compute cost of the spec's node pools (what `pulumi up` exports).

    Each pool: nodes (usage, else desired, else min) x hours (usage, else hours per
    month) x the catalog price of its instance type for its capacity. Snake-case keys.
    """
    catalog = catalog or get_catalog()
    use = as_usage(usage)
    use.check_pools(spec)
    pools: dict[str, dict[str, Any]] = {}
    for pool in spec.node_pools:
        entry = use.for_resource(pool.name)
        nodes = entry.get("nodes", float(pool.initial_nodes))
        hours = entry.get("hours", use.hours_per_month)
        try:
            if pool.instance_type:
                itype = pool.instance_type
            elif pool.accelerator:
                itype = catalog.instance_types(
                    spec.cloud, spec.region, pool.accelerator, pool.accelerators_per_node
                )[0]
            else:
                itype = DEFAULT_CPU_TYPES[spec.cloud]
            offer = catalog.offer(spec.cloud, spec.region, itype)
        except CatalogError as e:
            pools[pool.name] = {"status": "not_priced", "reason": str(e), "monthly_usd": None}
            continue
        price = offer.price(pool.spot)
        note = None
        if price is None:
            price, note = offer.on_demand_usd_per_hour, "no spot price; priced at on-demand"
        if price is None:
            pools[pool.name] = {
                "status": "not_priced",
                "monthly_usd": None,
                "reason": f"no price for {itype} in {spec.region}",
            }
            continue
        pools[pool.name] = {
            "status": "priced",
            "instance_type": itype,
            "capacity": "spot" if pool.spot else "on_demand",
            "nodes": nodes,
            "hours": hours,
            "usd_per_node_hour": price,
            "monthly_usd": round(nodes * hours * price, 2),
            "max_monthly_usd": round(pool.max_nodes * use.hours_per_month * price, 2),
            "price_source": offer.source,
            "price_date": offer.date,
            **({"note": note} if note else {}),
        }
    priced = [p for p in pools.values() if p["monthly_usd"] is not None]
    return {
        "currency": "USD",
        "monthly_usd": round(sum(p["monthly_usd"] for p in priced), 2),
        "max_monthly_usd": round(sum(p["max_monthly_usd"] for p in priced), 2),
        "pools": pools,
        "catalog_dates": sorted({p["price_date"] for p in priced}),
    }


def compare_estimates(
    a: Mapping[str, Any], b: Mapping[str, Any], *, label_a: str = "A", label_b: str = "B"
) -> dict[str, Any]:
    """Difference between two estimates, per resource type and in total (b minus a)."""

    def by_type(est: Mapping[str, Any]) -> dict[str, float]:
        out: dict[str, float] = {}
        for ln in est["lines"]:
            out[ln["type"]] = round(out.get(ln["type"], 0.0) + (ln["monthly_usd"] or 0.0), 4)
        return out

    ta, tb = by_type(a), by_type(b)
    rows: list[dict[str, Any]] = [
        {
            "type": t,
            label_a: ta.get(t, 0.0),
            label_b: tb.get(t, 0.0),
            "diff_usd": round(tb.get(t, 0.0) - ta.get(t, 0.0), 2),
        }
        for t in sorted(set(ta) | set(tb))
    ]
    rows.sort(key=lambda r: -abs(r["diff_usd"]))
    total_a, total_b = a["monthly_usd"], b["monthly_usd"]
    return {
        "a": label_a,
        "b": label_b,
        "monthly_usd": {label_a: total_a, label_b: total_b},
        "diff_usd": round(total_b - total_a, 2),
        "diff_pct": round(100 * (total_b - total_a) / total_a, 1) if total_a else None,
        "by_type": rows,
        "not_priced": {label_a: a["counts"]["not_priced"], label_b: b["counts"]["not_priced"]},
        **_energy_change(a, b, label_a, label_b),
    }


def _energy_change(
    a: Mapping[str, Any], b: Mapping[str, Any], label_a: str, label_b: str
) -> dict[str, Any]:
    """Monthly kgCO2e of both sides and the change (compute lines only, `cost.energy_lines`)."""
    if not (a.get("energy") and b.get("energy")):
        return {}
    ka, kb = a["energy"]["kg_co2e"], b["energy"]["kg_co2e"]
    return {"kg_co2e": {label_a: ka, label_b: kb}, "diff_kg_co2e": round(kb - ka, 3)}
