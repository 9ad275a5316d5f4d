"""Azure pricing rules, one per Pulumi type token (registered on `cost.pricing.common.RULES`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cost.pricing.common import (
    Charge,
    Context,
    Free,
    NotPriced,
    PlannedResource,
    Priced,
    as_int,
    dig,
    hourly_charge,
    need_region,
    node_charges,
    rule,
    usage_charge,
)

# Azure types that cost nothing themselves, matched by prefix, with the reason shown.
FREE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("azure-native:resources:", "resource groups are free"),
    ("azure-native:authorization:", "role assignments are free"),
    ("azure-native:managedidentity:", "managed identities are free"),
    ("azure-native:network:VirtualNetwork", "virtual networks are free"),
    ("azure-native:network:Subnet", "subnets are free"),
    ("azure-native:network:NetworkSecurityGroup", "NSGs are free"),
    ("azure-native:network:SecurityRule", "NSG rules are free"),
    ("azure-native:network:RouteTable", "route tables are free"),
    ("azure-native:network:PrivateDnsZoneGroup", "DNS record configuration for an endpoint"),
    (
        "azure-native:privatedns:VirtualNetworkLink",
        "virtual network links are free (the zone is priced)",
    ),
    (
        "azure-native:network:VirtualNetworkLink",
        "virtual network links are free (the zone is priced)",
    ),
    (
        "azure-native:machinelearningservices:Workspace",
        "an Azure ML workspace is free; its compute, storage, registry and key vault are priced",
    ),
    ("azure-native:machinelearningservices:Datastore", "datastores are references, free"),
    ("azure-native:keyvault:Key", "keys are billed as vault operations (priced on the Vault)"),
    (
        "azure-native:keyvault:Secret",
        "secrets are billed as vault operations (priced on the Vault)",
    ),
    ("azure-native:storage:BlobContainer", "containers are free (storage priced on the account)"),
    ("azure-native:storage:BlobServiceProperties", "account settings"),
    ("azure-native:storage:ManagementPolicy", "lifecycle rules are free"),
    ("azure-native:consumption:", "budgets are free"),
    (
        "azure-native:monitor:DataCollectionRule",
        "collection rules are free; the data is billed "
        "as ingestion on the destination Log Analytics workspace (priced there)",
    ),
    (
        "azure-native:insights:DiagnosticSetting",
        "diagnostic settings are free; the data is billed at the destination (priced there)",
    ),
    (
        "azure-native:monitor:DiagnosticSetting",
        "diagnostic settings are free; the data is billed at the destination (priced there)",
    ),
)


AKS_TIERS = {
    "free": "aks_free_tier_hour",
    "base": "aks_free_tier_hour",
    "standard": "aks_standard_tier_hour",
    "premium": "aks_premium_tier_hour",
}


def _aks_pool(
    ctx: Context,
    res: PlannedResource,
    out: Priced,
    pool: Mapping[str, Any],
    region: str,
    usage_name: str,
) -> None:
    vm = pool.get("vmSize")
    if not vm:
        out.unpriced_parts.append(f"agent pool {pool.get('name', '?')}: no vmSize")
        return
    count = pool.get("count")
    if count is None:
        count = pool.get("minCount", 0)
    spot = str(pool.get("scaleSetPriority", "Regular")).lower() == "spot"
    try:
        node_charges(
            ctx,
            res,
            out,
            cloud="azure",
            region=region,
            instance_type=vm,
            spot=spot,
            default_nodes=float(as_int(count) or 0),
            label=f"pool {pool.get('name', usage_name)}",
            usage_name=usage_name,
        )
    except NotPriced as e:
        out.unpriced_parts.append(f"agent pool {pool.get('name', '?')}: {e}")


@rule("azure-native:containerservice:ManagedCluster")
def _aks_cluster(res: PlannedResource, ctx: Context) -> Priced:
    region = need_region(ctx)
    tier = str(dig(res.inputs, "sku", "tier") or "Free").lower()
    if tier not in AKS_TIERS:
        raise NotPriced(f"AKS tier {tier!r}: known tiers are Free, Standard, Premium")
    out = Priced([hourly_charge(ctx, "azure", AKS_TIERS[tier], f"AKS control plane ({tier})")])
    if res.inputs.get("supportPlan") == "AKSLongTermSupport":
        out.notes.append("long-term support (AKSLongTermSupport): needs the Premium tier")
    for pool in res.inputs.get("agentPoolProfiles") or []:
        _aks_pool(ctx, res, out, pool, region, usage_name=str(pool.get("name", res.name)))
    return out


@rule("azure-native:containerservice:AgentPool")
def _aks_agent_pool(res: PlannedResource, ctx: Context) -> Priced:
    out = Priced()
    pool = dict(res.inputs)
    pool.setdefault("name", res.inputs.get("agentPoolName", res.name))
    if not pool.get("vmSize"):
        raise NotPriced("no vmSize input")
    _aks_pool(ctx, res, out, pool, need_region(ctx), usage_name=res.name)
    if out.unpriced_parts and not out.charges:
        raise NotPriced(out.unpriced_parts[0])
    return out


@rule("azure-native:machinelearningservices:Compute")
def _aml_compute(res: PlannedResource, ctx: Context) -> Priced:
    props = res.inputs.get("properties") or {}
    inner = props.get("properties") or {}
    vm = inner.get("vmSize")
    if not vm:
        raise NotPriced(
            f"{props.get('computeType', 'compute')} without properties.properties.vmSize"
        )
    out = Priced()
    spot = str(inner.get("vmPriority", "Dedicated")).lower() == "lowpriority"
    scale = inner.get("scaleSettings") or {}
    default_nodes = float(as_int(scale.get("minNodeCount")) or 0) if scale else 1.0
    node_charges(
        ctx,
        res,
        out,
        cloud="azure",
        region=need_region(ctx),
        instance_type=vm,
        spot=spot,
        default_nodes=default_nodes,
        label="Azure ML compute (VM rate)",
    )
    return out


@rule("azure-native:compute:VirtualMachine")
def _azure_vm(res: PlannedResource, ctx: Context) -> Priced:
    vm = dig(res.inputs, "hardwareProfile", "vmSize")
    if not vm:
        raise NotPriced("no hardwareProfile.vmSize input")
    out = Priced()
    node_charges(
        ctx,
        res,
        out,
        cloud="azure",
        region=need_region(ctx),
        instance_type=vm,
        spot=str(res.inputs.get("priority", "")).lower() == "spot",
        default_nodes=1,
        label="VM",
    )
    return out


@rule("azure-native:storage:StorageAccount")
def _azure_storage(res: PlannedResource, ctx: Context) -> Priced:
    sku = str(dig(res.inputs, "sku", "name") or "Standard_LRS")
    tier = str(res.inputs.get("accessTier") or "Hot")
    if sku != "Standard_LRS" or tier != "Hot":
        raise NotPriced(f"{sku} {tier}: the catalog carries Standard_LRS Hot blob storage only")
    region = need_region(ctx)
    return Priced(
        [
            usage_charge(
                ctx,
                res,
                "azure",
                "blob_hot_lrs_gb_month",
                "storage_gb",
                "blob storage (Hot LRS)",
                region=region,
            ),
            usage_charge(
                ctx,
                res,
                "azure",
                "blob_write_per_10k",
                "write_requests_k",
                "write operations",
                scale=0.1,
            ),
            usage_charge(
                ctx,
                res,
                "azure",
                "blob_read_per_10k",
                "read_requests_k",
                "read operations",
                scale=0.1,
            ),
            usage_charge(ctx, res, "azure", "egress_internet_gb", "egress_gb", "internet egress"),
        ]
    )


@rule("azure-native:keyvault:Vault")
def _key_vault(res: PlannedResource, ctx: Context) -> Priced:
    sku = str(dig(res.inputs, "properties", "sku", "name") or "standard").lower()
    out = Priced(
        [
            usage_charge(
                ctx, res, "azure", "key_vault_ops_per_10k", "vault_operations_10k", "operations"
            )
        ]
    )
    if sku == "premium":
        out.unpriced_parts.append("Premium HSM-protected keys ($/key-month) are not in the catalog")
    return out


@rule("azure-native:containerregistry:Registry")
def _acr(res: PlannedResource, ctx: Context) -> Priced:
    sku = str(dig(res.inputs, "sku", "name") or "").lower()
    if sku not in ("basic", "standard", "premium"):
        raise NotPriced(f"registry sku {sku or 'missing'!r}: known are Basic, Standard, Premium")
    p = ctx.price("azure", f"acr_{sku}_day")
    days = ctx.hours / 24
    return Priced(
        [
            Charge(
                f"registry ({sku})",
                days,
                "days",
                p.usd,
                p.usd * days,
                p.source,
                p.date,
                hourly_usd=p.usd / 24,
            )
        ]
    )


@rule("azure-native:operationalinsights:Workspace")
def _log_analytics(res: PlannedResource, ctx: Context) -> Priced:
    out = Priced(
        [
            usage_charge(
                ctx, res, "azure", "log_analytics_ingest_gb", "log_ingest_gb", "log ingestion"
            )
        ]
    )
    out.notes.append("5 GB/month free per billing account is not deducted")
    return out


@rule("azure-native:applicationinsights:Component", "azure-native:insights:Component")
def _app_insights(res: PlannedResource, ctx: Context) -> Free:
    if res.inputs.get("workspaceResourceId"):
        return Free(
            "workspace-based Application Insights bills as ingestion on its Log "
            "Analytics workspace (priced there)"
        )
    raise NotPriced("classic Application Insights (no workspaceResourceId) is not in the catalog")


@rule("azure-native:network:NatGateway")
def _azure_nat(res: PlannedResource, ctx: Context) -> Priced:
    return Priced(
        [
            hourly_charge(ctx, "azure", "nat_gateway_hour", "NAT gateway"),
            usage_charge(ctx, res, "azure", "nat_gateway_gb", "nat_data_gb", "data processed"),
        ]
    )


@rule("azure-native:network:PrivateEndpoint")
def _private_endpoint(res: PlannedResource, ctx: Context) -> Priced:
    return Priced(
        [
            hourly_charge(ctx, "azure", "private_endpoint_hour", "private endpoint"),
            usage_charge(
                ctx, res, "azure", "private_endpoint_gb", "endpoint_data_gb", "data processed"
            ),
        ]
    )


@rule("azure-native:privatedns:PrivateZone", "azure-native:network:PrivateZone")
def _private_dns_zone(res: PlannedResource, ctx: Context) -> Priced:
    p = ctx.price("azure", "private_dns_zone_month")
    out = Priced([Charge("private DNS zone", 1, p.unit, p.usd, p.usd, p.source, p.date)])
    out.notes.append("DNS queries ($0.40 per million) not included")
    return out


@rule("azure-native:network:PublicIPAddress")
def _azure_pip(res: PlannedResource, ctx: Context) -> Priced:
    return Priced([hourly_charge(ctx, "azure", "public_ip_hour", "public IPv4 address")])


@rule("azure-native:network:LoadBalancer")
def _azure_lb(res: PlannedResource, ctx: Context) -> Priced:
    out = Priced([hourly_charge(ctx, "azure", "load_balancer_hour", "load balancer")])
    out.unpriced_parts.append("data processed depends on traffic")
    return out
