"""Cost rules: bounded spot pools, an explicit opt-in for large on-demand GPU pools, and the
plan's estimated monthly cost within the stack's budget."""

from __future__ import annotations

import re
from collections.abc import Iterator

from components.policy.compute import (
    AKS_AGENT_POOL,
    AKS_CLUSTER,
    AML_COMPUTE,
    EKS_NODE_GROUP,
    GKE_NODE_POOL,
    is_gpu_pool,
)
from components.policy.model import (
    Finding,
    Resource,
    Rule,
    RuleSkipped,
    Stack,
    as_bool,
    as_list,
    as_map,
    as_number,
    each,
    get,
    short,
)

# More accelerators than this in one on-demand pool (max_nodes x accelerators per node) is a
# five-figure monthly bill at full scale: it needs `on_demand_opt_in: true` on the pool.
ON_DEMAND_ACCELERATOR_THRESHOLD = 8
# Without a spec (CrossGuard on someone else's program) a GPU node whose accelerator count the
# inputs do not say is counted as 8, the size of every training instance the catalog offers.
ASSUMED_ACCELERATORS_PER_NODE = 8
# The tag/label a node pool carries when the spec opted in (read when there is no spec).
OPT_IN_KEYS = {
    "pioneer:on-demand-opt-in",
    "pioneer-on-demand-opt-in",
    "pioneer.dev/on-demand-opt-in",
}
NODE_POOL_TYPES = (EKS_NODE_GROUP, GKE_NODE_POOL, AKS_AGENT_POOL, AML_COMPUTE)


# ---- cost-spot-max-size ---------------------------------------------------------------------


def _positive(value: object) -> bool:
    n = as_number(value)
    return n is not None and n > 0


def _spot_pool_bounded(pool: dict, name: str) -> Iterator[str]:
    """AKS agent pool (top-level or a cluster's agentPoolProfiles entry)."""
    if pool.get("scaleSetPriority") != "Spot":
        return
    if as_bool(pool.get("enableAutoScaling")) is True and not _positive(pool.get("maxCount")):
        yield f"{name} is a spot pool that autoscales without maxCount"
    if as_bool(pool.get("enableAutoScaling")) is not True and as_number(pool.get("count")) is None:
        yield f"{name} is a spot pool with neither autoscaling maxCount nor a fixed count"


def _spot_max_size(r: Resource) -> Iterator[str]:
    if r.type == EKS_NODE_GROUP and r.get("capacityType") == "SPOT":
        if not _positive(get(r.inputs, "scalingConfig.maxSize")):
            yield f"{short(r)} is a spot node group without scalingConfig.maxSize"
    elif r.type == GKE_NODE_POOL:
        spot = as_bool(get(r.inputs, "nodeConfig.spot")) or as_bool(
            get(r.inputs, "nodeConfig.preemptible")
        )
        auto = as_map(r.get("autoscaling"))
        if (
            spot
            and auto
            and not (
                _positive(auto.get("maxNodeCount")) or _positive(auto.get("totalMaxNodeCount"))
            )
        ):
            yield f"{short(r)} is a spot pool that autoscales without maxNodeCount"
    elif r.type == AKS_AGENT_POOL:
        yield from _spot_pool_bounded(dict(r.inputs), short(r))
    elif r.type == AKS_CLUSTER:
        for pool in each(as_list(r.get("agentPoolProfiles"))):
            yield from _spot_pool_bounded(dict(pool), f"{short(r)} agent pool {pool.get('name')!r}")
    elif (
        r.type == AML_COMPUTE
        and get(r.inputs, "properties.properties.vmPriority") == "LowPriority"
        and not _positive(get(r.inputs, "properties.properties.scaleSettings.maxNodeCount"))
    ):
        yield f"{short(r)} is a low-priority cluster without scaleSettings.maxNodeCount"


SPOT_MAX_SIZE = Rule(
    id="cost-spot-max-size",
    severity="mandatory",
    area="cost",
    description="Every spot / low-priority pool has a maximum size, so a price dip cannot scale "
    "it without bound.",
    fix="Set max_nodes on the pool in the spec (EKS scaling_config.max_size, GKE autoscaling."
    "max_node_count, AKS max_count, AmlCompute scale_settings.max_node_count).",
    types=frozenset((*NODE_POOL_TYPES, AKS_CLUSTER)),
    check_resource=_spot_max_size,
)


# ---- cost-on-demand-gpu-opt-in --------------------------------------------------------------


def _norm(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def _labels(r: Resource) -> dict[str, object]:
    """A pool's tags and Kubernetes labels together, wherever its resource type keeps them."""
    return {
        **as_map(r.get("tags")),
        **as_map(r.get("labels")),
        **as_map(r.get("nodeLabels")),
        **as_map(get(r.inputs, "nodeConfig.resourceLabels")),
        **as_map(get(r.inputs, "nodeConfig.labels")),
    }


def _pool_resource(stack: Stack, pool_name: str) -> Resource | None:
    """The node group / node pool / agent pool / compute cluster the components made for a pool:
    the one labelled with the pool's name, else the one whose name has it as a `-`-separated part."""
    pools = stack.of_type(*NODE_POOL_TYPES)
    for r in pools:
        if any(
            _norm(k) in ("pioneerpool", "pioneerdevpool") and v == pool_name
            for k, v in _labels(r).items()
        ):
            return r
    part = re.compile(rf"(^|-){re.escape(pool_name)}(-|$)")
    for r in pools:
        names = {
            r.name,
            *(
                str(r.get(k))
                for k in ("nodeGroupName", "name", "agentPoolName", "computeName")
                if r.get(k)
            ),
        }
        if any(part.search(n) or n == pool_name.replace("-", "") for n in names):
            return r
    return None


def _platform_urn(stack: Stack) -> str:
    platform = next((r for r in stack.resources if r.type == "pioneer:index:MlPlatform"), None)
    return platform.urn if platform else stack.root_urn()


def _on_demand_pool_max(r: Resource) -> tuple[bool, float | None]:
    """(is an on-demand GPU pool, max accelerators) from a node-pool resource's own inputs."""
    if r.type == EKS_NODE_GROUP:
        on_demand = r.get("capacityType", "ON_DEMAND") == "ON_DEMAND"
        nodes = as_number(get(r.inputs, "scalingConfig.maxSize"))
        per_node: float = ASSUMED_ACCELERATORS_PER_NODE
    elif r.type == GKE_NODE_POOL:
        on_demand = not (
            as_bool(get(r.inputs, "nodeConfig.spot"))
            or as_bool(get(r.inputs, "nodeConfig.preemptible"))
        )
        # totalMaxNodeCount is for the whole pool; maxNodeCount is per zone (a lower bound)
        nodes = (
            as_number(get(r.inputs, "autoscaling.totalMaxNodeCount"))
            or as_number(get(r.inputs, "autoscaling.maxNodeCount"))
            or as_number(r.get("nodeCount"))
        )
        counts = [
            as_number(a.get("count")) or 0
            for a in each(as_list(get(r.inputs, "nodeConfig.guestAccelerators")))
        ]
        per_node = sum(counts) or ASSUMED_ACCELERATORS_PER_NODE
    elif r.type == AKS_AGENT_POOL:
        on_demand = r.get("scaleSetPriority", "Regular") != "Spot"
        nodes = as_number(r.get("maxCount")) or as_number(r.get("count"))
        per_node = ASSUMED_ACCELERATORS_PER_NODE
    else:
        return False, None
    return on_demand and is_gpu_pool(r), None if nodes is None else nodes * per_node


def _opted_in(r: Resource) -> bool:
    wanted = {_norm(k) for k in OPT_IN_KEYS}
    return any(_norm(k) in wanted and str(v).lower() == "true" for k, v in _labels(r).items())


def _pool_label(r: Resource) -> str | None:
    return next(
        (str(v) for k, v in _labels(r).items() if _norm(k) in ("pioneerpool", "pioneerdevpool")),
        None,
    )


def _on_demand_opt_in(stack: Stack) -> Iterator[Finding]:
    settings = stack.settings("cost-on-demand-gpu-opt-in")
    opted_pools = {str(p) for p in as_list(settings.get("optedInPools"))}
    limit = as_number(settings.get("maxAccelerators"))
    limit = ON_DEMAND_ACCELERATOR_THRESHOLD if limit is None else limit
    if stack.spec is not None:
        for pool in stack.spec.node_pools:
            total = pool.max_nodes * pool.accelerators_per_node
            if pool.accelerator and not pool.spot and total > limit and not pool.on_demand_opt_in:
                r = _pool_resource(stack, pool.name)
                yield Finding(
                    r.urn if r else _platform_urn(stack),
                    f"on-demand pool {pool.name!r} can grow to {total} x {pool.accelerator} "
                    f"(more than {limit:g}) without on_demand_opt_in: true",
                )
        return
    for r in stack.of_type(*NODE_POOL_TYPES):
        on_demand, most = _on_demand_pool_max(r)
        opted = _opted_in(r) or _pool_label(r) in opted_pools
        if on_demand and most is not None and most > limit and not opted:
            yield Finding(
                r.urn,
                f"{short(r)} is an on-demand GPU pool of up to {most:g} accelerators "
                f"(more than {limit:g}) without the pioneer:on-demand-opt-in tag",
            )


ON_DEMAND_GPU_OPT_IN = Rule(
    id="cost-on-demand-gpu-opt-in",
    severity="mandatory",
    area="cost",
    description=f"An on-demand accelerator pool that can grow beyond {ON_DEMAND_ACCELERATOR_THRESHOLD} "
    "accelerators is an explicit decision, not a default.",
    fix="Use capacity: spot, lower max_nodes, or set on_demand_opt_in: true on the pool in the "
    "stack config.",
    check_stack=_on_demand_opt_in,
)


# ---- cost-within-budget ---------------------------------------------------------------------


def _budget(stack: Stack) -> float | None:
    if stack.spec is not None:
        return stack.spec.budget.monthly_usd if stack.spec.budget else None
    return as_number(stack.settings("cost-within-budget").get("monthlyUsd"))


def _within_budget(stack: Stack) -> Iterator[Finding]:
    budget = _budget(stack)
    if budget is None:
        raise RuleSkipped("the stack sets no budget (budget.monthly_usd)")
    estimate = as_number(get(stack.doc, "cost.monthly_usd"))
    if estimate is None:
        raise RuleSkipped("the plan carries no cost estimate (doc['cost']['monthly_usd'])")
    missing = as_list(get(stack.doc, "cost.unpriced_compute"))
    if missing and estimate <= budget:
        # a partial total under budget proves nothing: fail rather than pass it
        names = ", ".join(str(as_map(m).get("name")) for m in missing)
        yield Finding(
            stack.root_urn(),
            f"cannot check the budget ${budget:,.2f}/month: the estimate is incomplete, "
            f"{len(missing)} compute resource(s) not priced ({names}); the priced part is "
            f"${estimate:,.2f}/month",
        )
    elif estimate > budget:
        yield Finding(
            stack.root_urn(),
            f"estimated ${estimate:,.2f}/month exceeds the budget "
            f"${budget:,.2f}/month by ${estimate - budget:,.2f}",
        )


WITHIN_BUDGET = Rule(
    id="cost-within-budget",
    severity="mandatory",
    area="cost",
    description="The plan's estimated monthly cost (`pioneer cost`) stays within budget.monthly_usd.",
    fix="Lower min/desired nodes, move pools to spot, or raise budget.monthly_usd deliberately; "
    "`pioneer cost STACK` shows where the money goes.",
    check_stack=_within_budget,
)


def _budget_defined(stack: Stack) -> Iterator[Finding]:
    if stack.spec is not None and stack.spec.budget is None:
        yield Finding(stack.root_urn(), "the stack has no budget, so cost-within-budget cannot run")


BUDGET_DEFINED = Rule(
    id="cost-budget-defined",
    severity="advisory",
    area="cost",
    description="Every stack states a monthly budget.",
    fix="Add budget: {monthly_usd: N, alert_emails: [...]} to the stack config.",
    check_stack=_budget_defined,
)

RULES: tuple[Rule, ...] = (SPOT_MAX_SIZE, ON_DEMAND_GPU_OPT_IN, WITHIN_BUDGET, BUDGET_DEFINED)
