"""How each resource type in a plan is priced: one rule per Pulumi type token.

A rule reads the resource's inputs (camelCase, as in ``pulumi preview --json``),
the usage assumptions and the catalog, and returns the charges (quantity x unit
price, each with its source and date), or says it is free, or raises
`NotPriced` with the reason. Types without a rule are "not priced", never zero.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cost.catalog import Catalog, CatalogError, Offer, ServicePrice
from cost.energy import EnergyEstimate
from cost.energy import estimate as estimate_energy
from cost.usage import Usage


class NotPriced(Exception):
    """The resource cannot be priced; the message is the reason shown to the user."""


@dataclass
class Charge:
    """One priced part of a resource (Infracost's "cost component")."""

    name: str
    quantity: float
    unit: str
    unit_usd: float
    monthly_usd: float
    source: str
    date: str
    hourly_usd: float | None = None
    """The rate while running (for time-based parts), else None."""
    usage_based: bool = False
    """True when the quantity comes from the usage file or its defaults."""
    energy: EnergyEstimate | None = None
    """kWh and kgCO2e of the node-hours priced (compute charges only)."""

    def as_dict(self) -> dict[str, Any]:
        d = {
            "name": self.name,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_usd": self.unit_usd,
            "hourly_usd": _r(self.hourly_usd),
            "monthly_usd": _r(self.monthly_usd),
            "usage_based": self.usage_based,
            "price_source": self.source,
            "price_date": self.date,
        }
        if self.energy is not None:
            d["energy"] = self.energy.as_dict()
        return d


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


@dataclass
class Resource:
    type: str
    name: str
    urn: str
    inputs: Mapping[str, Any]
    region: str | None


@dataclass
class Priced:
    charges: list[Charge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unpriced_parts: list[str] = field(default_factory=list)
    """Parts of the resource that cost money but could not be priced (listed, not zeroed)."""


@dataclass
class Free:
    reason: str


@dataclass
class Context:
    catalog: Catalog
    usage: Usage
    cloud: str | None
    by_id: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Inputs of the plan's resources by their id (e.g. a node group's launch template)."""

    @property
    def hours(self) -> float:
        return self.usage.hours_per_month

    def price(self, cloud: str, key: str, region: str | None = None) -> ServicePrice:
        try:
            return self.catalog.service_price(cloud, key, region)
        except CatalogError as e:
            raise NotPriced(str(e)) from None


Rule = Callable[[Resource, Context], "Priced | Free"]
RULES: dict[str, Rule] = {}


def rule(*types: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for t in types:
            RULES[t] = fn
        return fn

    return register


# Types that cost nothing themselves (configuration, identity, networking objects),
# matched by prefix, with the reason shown on the line.
FREE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("pulumi:providers:", "provider configuration"),
    ("kubernetes:", "Kubernetes object: runs on the priced nodes"),
    ("random:", "generated value"),
    ("tls:", "generated key material"),
    ("aws:iam/", "IAM is free"),
    ("aws:ec2/vpc:Vpc", "VPCs are free"),
    ("aws:ec2/subnet:", "subnets are free"),
    ("aws:ec2/routeTable", "route tables are free"),
    ("aws:ec2/route:", "routes are free"),
    ("aws:ec2/mainRouteTableAssociation:", "route tables are free"),
    ("aws:ec2/internetGateway:", "internet gateways are free (egress is priced on data)"),
    ("aws:ec2/securityGroup", "security groups are free"),
    ("aws:ec2/defaultSecurityGroup:", "security groups are free"),
    ("aws:vpc/securityGroup", "security group rules are free"),
    (
        "aws:ec2/launchTemplate:",
        "launch templates are free (instances are priced on the node group)",
    ),
    ("aws:ec2/flowLog:", "flow log delivery is priced on its log group"),
    ("aws:kms/alias:", "aliases are free"),
    ("aws:ecr/lifecyclePolicy:", "registry policy"),
    ("aws:ecr/repositoryPolicy:", "registry policy"),
    ("aws:eks/addon:", "EKS add-ons are free (they run on the priced nodes)"),
    ("aws:eks/access", "EKS access entries are free"),
    ("aws:eks/podIdentityAssociation:", "EKS Pod Identity is free"),
    ("aws:eks/identityProviderConfig:", "free"),
    ("aws:sagemaker/modelPackageGroup:", "SageMaker Model Registry groups are free"),
    ("aws:sagemaker/domain:", "a Studio domain is free; its apps bill per instance-hour when used"),
    ("aws:sagemaker/userProfile:", "user profiles are free; apps bill per instance-hour when used"),
    ("aws:budgets/", "AWS Budgets: the first two action-enabled budgets are free"),
    ("gcp:compute/network:", "VPC networks are free"),
    ("gcp:compute/subnetwork:", "subnets are free"),
    ("gcp:compute/router:", "Cloud Routers are free (NAT is priced on RouterNat)"),
    ("gcp:compute/firewall", "firewall rules are free"),
    ("gcp:compute/globalAddress:", "internal address ranges for private service access are free"),
    ("gcp:servicenetworking/", "private service access connections are free"),
    ("gcp:serviceaccount/", "service accounts are free"),
    ("gcp:projects/", "project settings and IAM are free"),
    ("gcp:organizations/", "IAM and policies are free"),
    ("gcp:kms/keyRing", "key rings are free (key versions are priced)"),
    ("gcp:kms/cryptoKeyIAM", "IAM is free"),
    ("gcp:storage/bucketIAM", "IAM is free"),
    ("gcp:storage/bucketAccessControl", "IAM is free"),
    ("gcp:artifactregistry/repositoryIam", "IAM is free"),
    ("gcp:vertex/aiFeatureStoreIam", "IAM is free"),
    ("gcp:billing/budget:", "budgets are free"),
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


def free_reason(type_: str) -> str | None:
    for prefix, reason in FREE_PREFIXES:
        if type_.startswith(prefix):
            return reason
    # S3 bucket sub-resources (versioning, encryption, public access block, lifecycle, policy)
    if type_.startswith("aws:s3/bucket") and type_.split(":")[-1] not in ("Bucket", "BucketV2"):
        return "bucket configuration (storage is priced on the bucket)"
    return None


# --- helpers -------------------------------------------------------------------------------


def _get(d: Mapping[str, Any] | None, *path: str, default: Any = None) -> Any:
    cur: Any = d
    for p in path:
        if not isinstance(cur, Mapping) or p not in cur:
            return default
        cur = cur[p]
    return cur


def _int(v: Any) -> int | None:
    try:
        return int(float(v))
    except (TypeError, ValueError):
        return None


def _need_region(res: Resource) -> str:
    if not res.region:
        raise NotPriced(
            "region unknown: the resource has no region/location input and the plan "
            "has no provider with one"
        )
    return res.region


def _usage_charge(
    ctx: Context,
    res: Resource,
    cloud: str,
    price_key: str,
    usage_key: str,
    label: str,
    *,
    region: str | None = None,
    scale: float = 1.0,
) -> Charge:
    """quantity (from usage, in the price's unit after `scale`) x unit price."""
    p = ctx.price(cloud, price_key, region)
    qty, _ = ctx.usage.value(res.name, usage_key)
    qty = qty * scale
    return Charge(label, qty, p.unit, p.usd, qty * p.usd, p.source, p.date, usage_based=True)


def _hourly_charge(
    ctx: Context, cloud: str, key: str, label: str, region: str | None = None, count: float = 1.0
) -> Charge:
    p = ctx.price(cloud, key, region)
    hours = ctx.hours
    return Charge(
        label,
        hours * count,
        "hours" if count == 1 else f"hours x {count:g}",
        p.usd,
        p.usd * hours * count,
        p.source,
        p.date,
        hourly_usd=p.usd * count,
    )


def _offer(ctx: Context, cloud: str, region: str, instance_type: str) -> Offer:
    try:
        return ctx.catalog.offer(cloud, region, instance_type)
    except CatalogError as e:
        raise NotPriced(str(e)) from None


def node_charges(
    ctx: Context,
    res: Resource,
    out: Priced,
    *,
    cloud: str,
    region: str,
    instance_type: str,
    spot: bool,
    default_nodes: float,
    label: str = "compute",
    usage_name: str | None = None,
) -> float:
    """nodes x hours x price of the instance type; returns the hours priced (for disks)."""
    offer = _offer(ctx, cloud, region, instance_type)
    entry = ctx.usage.for_resource(usage_name or res.name)
    nodes = entry.get("nodes", default_nodes)
    hours = entry.get("hours", ctx.hours)
    price = offer.price(spot)
    capacity = "spot" if spot else "on-demand"
    if price is None:
        if not spot or offer.on_demand_usd_per_hour is None:
            raise NotPriced(f"catalog has no {capacity} price for {instance_type} in {region}")
        price = offer.on_demand_usd_per_hour
        capacity = "spot, priced at on-demand"
        out.notes.append(
            f"catalog has no spot price for {instance_type} in {region}; "
            "priced at on-demand (an upper bound)"
        )
    if entry:
        out.notes.append(f"usage file: {nodes:g} node(s) x {hours:g} h")
    if nodes == 0:
        out.notes.append(
            "scaled to zero: costs nothing idle; set `nodes` and `hours` for this "
            "pool in the usage file to price its use"
        )
    elif "nodes" not in entry:
        out.notes.append(f"{nodes:g} node(s) from the plan's desired size")
    out.charges.append(
        Charge(
            f"{label} ({instance_type}, {capacity})",
            nodes * hours,
            "node-hours",
            price,
            nodes * hours * price,
            offer.source,
            offer.date,
            hourly_usd=nodes * price,
            usage_based=bool(entry),
            # the same node-hours the dollars use, at training load (cost.energy)
            energy=estimate_energy(offer, hours, nodes),
        )
    )
    return hours


def disk_charge(
    ctx: Context,
    out: Priced,
    *,
    cloud: str,
    key: str,
    region: str,
    gb: float,
    nodes: float,
    hours: float,
) -> None:
    if gb <= 0 or nodes <= 0:
        return
    try:
        p = ctx.catalog.service_price(cloud, key, region)
    except CatalogError as e:
        out.unpriced_parts.append(f"node disks: {e}")
        return
    gb_months = gb * nodes * hours / ctx.catalog.hours_per_month
    out.charges.append(
        Charge(
            f"node disks ({gb:g} GB x {nodes:g})",
            gb_months,
            p.unit,
            p.usd,
            gb_months * p.usd,
            p.source,
            p.date,
        )
    )


def _nodes_for_usage(ctx: Context, name: str, default: float) -> float:
    entry = ctx.usage.for_resource(name)
    return entry.get("nodes", default)


def _hours_for_usage(ctx: Context, name: str) -> float:
    return ctx.usage.for_resource(name).get("hours", ctx.hours)


# --- AWS -----------------------------------------------------------------------------------


@rule("aws:eks/cluster:Cluster")
def _eks_cluster(res: Resource, ctx: Context) -> Priced:
    out = Priced()
    out.charges.append(_hourly_charge(ctx, "aws", "eks_control_plane", "EKS control plane"))
    out.notes.append("standard support; versions in extended support cost $0.60/h")
    return out


@rule("aws:eks/nodeGroup:NodeGroup")
def _eks_nodegroup(res: Resource, ctx: Context) -> Priced:
    region = _need_region(res)
    types = res.inputs.get("instanceTypes") or []
    if not types:
        raise NotPriced("no instanceTypes input (launch-template instance types are not read)")
    out = Priced()
    if len(types) > 1:
        out.notes.append(f"{len(types)} instance types; priced with the first, {types[0]}")
    scaling = res.inputs.get("scalingConfig") or {}
    desired = _int(scaling.get("desiredSize"))
    default_nodes = desired if desired is not None else (_int(scaling.get("minSize")) or 0)
    spot = str(res.inputs.get("capacityType", "ON_DEMAND")).upper() == "SPOT"
    hours = node_charges(
        ctx,
        res,
        out,
        cloud="aws",
        region=region,
        instance_type=types[0],
        spot=spot,
        default_nodes=default_nodes,
    )
    nodes = _nodes_for_usage(ctx, res.name, default_nodes)
    disk, volume_type = _int(res.inputs.get("diskSize")), "gp3"
    template_id = _get(res.inputs, "launchTemplate", "id")
    if template_id:
        template = ctx.by_id.get(str(template_id))
        ebs = (
            _get(template, "blockDeviceMappings", default=[{}])[0].get("ebs", {})
            if template
            else {}
        )
        disk, volume_type = _int(ebs.get("volumeSize")), str(ebs.get("volumeType") or "gp2")
        if template is None and nodes:
            out.unpriced_parts.append("node disks: defined in a launch template not in the plan")
    if disk and volume_type == "gp3":
        disk_charge(
            ctx,
            out,
            cloud="aws",
            key="ebs_gp3_gb_month",
            region=region,
            gb=disk,
            nodes=nodes,
            hours=hours,
        )
    elif disk and nodes:
        out.unpriced_parts.append(f"node disks of type {volume_type}: not in the catalog")
    return out


@rule("aws:ec2/instance:Instance")
def _ec2_instance(res: Resource, ctx: Context) -> Priced:
    region = _need_region(res)
    itype = res.inputs.get("instanceType")
    if not itype:
        raise NotPriced("no instanceType input")
    out = Priced()
    node_charges(
        ctx,
        res,
        out,
        cloud="aws",
        region=region,
        instance_type=itype,
        spot=bool(res.inputs.get("instanceMarketOptions")),
        default_nodes=1,
        label="instance",
    )
    return out


@rule("aws:ec2/natGateway:NatGateway")
def _aws_nat(res: Resource, ctx: Context) -> Priced:
    region = _need_region(res)
    return Priced(
        [
            _hourly_charge(ctx, "aws", "nat_gateway_hour", "NAT gateway", region),
            _usage_charge(
                ctx, res, "aws", "nat_gateway_gb", "nat_data_gb", "data processed", region=region
            ),
        ]
    )


@rule("aws:ec2/eip:Eip")
def _aws_eip(res: Resource, ctx: Context) -> Priced:
    return Priced([_hourly_charge(ctx, "aws", "public_ipv4_hour", "public IPv4 address")])


@rule("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(res: Resource, ctx: Context) -> Priced | Free:
    kind = str(res.inputs.get("vpcEndpointType") or "Gateway")
    if kind == "Gateway":
        return Free("gateway endpoints (S3, DynamoDB) are free")
    if kind != "Interface":
        raise NotPriced(f"{kind} endpoints are not in the catalog")
    region = _need_region(res)
    azs = len(res.inputs.get("subnetIds") or []) or 1
    return Priced(
        [
            _hourly_charge(
                ctx,
                "aws",
                "vpc_interface_endpoint_az_hour",
                f"interface endpoint ({azs} AZ)",
                region,
                count=azs,
            ),
            _usage_charge(
                ctx, res, "aws", "vpc_interface_endpoint_gb", "endpoint_data_gb", "data processed"
            ),
        ]
    )


@rule("aws:route53/zone:Zone")
def _route53_zone(res: Resource, ctx: Context) -> Priced:
    p = ctx.price("aws", "route53_hosted_zone_month")
    out = Priced([Charge("hosted zone", 1, p.unit, p.usd, p.usd, p.source, p.date)])
    out.unpriced_parts.append("DNS queries (per million) depend on traffic")
    return out


@rule("gcp:dns/managedZone:ManagedZone")
def _cloud_dns_zone(res: Resource, ctx: Context) -> Priced:
    p = ctx.price("gcp", "cloud_dns_zone_month")
    out = Priced([Charge("managed zone", 1, p.unit, p.usd, p.usd, p.source, p.date)])
    out.unpriced_parts.append("DNS queries (per million) depend on traffic")
    return out


@rule("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
def _aws_lb(res: Resource, ctx: Context) -> Priced:
    out = Priced(
        [_hourly_charge(ctx, "aws", "load_balancer_hour", "load balancer", _need_region(res))]
    )
    out.unpriced_parts.append("load balancer capacity units (LCU) depend on traffic")
    return out


@rule("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _s3_bucket(res: Resource, ctx: Context) -> Priced:
    region = _need_region(res)
    return Priced(
        [
            _usage_charge(
                ctx,
                res,
                "aws",
                "s3_standard_gb_month",
                "storage_gb",
                "storage (Standard)",
                region=region,
            ),
            _usage_charge(
                ctx,
                res,
                "aws",
                "s3_put_per_1k",
                "write_requests_k",
                "PUT/LIST requests",
                region=region,
            ),
            _usage_charge(
                ctx, res, "aws", "s3_get_per_1k", "read_requests_k", "GET requests", region=region
            ),
            _usage_charge(ctx, res, "aws", "egress_internet_gb", "egress_gb", "internet egress"),
        ]
    )


@rule("aws:kms/key:Key")
def _aws_kms(res: Resource, ctx: Context) -> Priced:
    p = ctx.price("aws", "kms_key_month")
    return Priced(
        [
            Charge("customer managed key", 1, p.unit, p.usd, p.usd, p.source, p.date),
            _usage_charge(ctx, res, "aws", "kms_requests_per_10k", "kms_requests_10k", "requests"),
        ]
    )


@rule("aws:ecr/repository:Repository")
def _ecr(res: Resource, ctx: Context) -> Priced:
    return Priced(
        [
            _usage_charge(
                ctx, res, "aws", "ecr_storage_gb_month", "registry_storage_gb", "image storage"
            )
        ]
    )


@rule("aws:cloudwatch/logGroup:LogGroup")
def _log_group(res: Resource, ctx: Context) -> Priced:
    region = _need_region(res)
    return Priced(
        [
            _usage_charge(
                ctx,
                res,
                "aws",
                "cloudwatch_logs_ingest_gb",
                "log_ingest_gb",
                "ingestion",
                region=region,
            ),
            _usage_charge(
                ctx,
                res,
                "aws",
                "cloudwatch_logs_storage_gb_month",
                "log_storage_gb",
                "storage",
                region=region,
            ),
        ]
    )


@rule("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
def _mlflow_server(res: Resource, ctx: Context) -> Priced:
    raise NotPriced(
        "SageMaker managed MLflow server: no sourced hourly price in the catalog "
        "(see aws.amazon.com/sagemaker/pricing)"
    )


# --- GCP -----------------------------------------------------------------------------------

ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")


def gcp_region(location: str | None) -> str | None:
    if not location:
        return None
    loc = str(location).lower()
    return loc.rsplit("-", 1)[0] if ZONE.match(loc) else loc


@rule("gcp:container/cluster:Cluster")
def _gke_cluster(res: Resource, ctx: Context) -> Priced:
    out = Priced(
        [_hourly_charge(ctx, "gcp", "gke_cluster_management", "GKE cluster management fee")]
    )
    location = str(res.inputs.get("location") or "")
    if ZONE.match(location.lower()) or res.inputs.get("enableAutopilot"):
        credit = ctx.price("gcp", "gke_free_tier_credit_month")
        amount = min(credit.usd, out.charges[0].monthly_usd)
        out.charges.append(
            Charge(
                "free tier credit (one zonal/Autopilot cluster per billing account)",
                1,
                credit.unit,
                -amount,
                -amount,
                credit.source,
                credit.date,
            )
        )
    else:
        out.notes.append("regional cluster: the GKE free-tier credit does not apply")
    return out


def _gke_zones(res: Resource) -> int:
    locs = res.inputs.get("nodeLocations")
    if locs:
        return len(locs)
    return 1 if ZONE.match(str(res.inputs.get("location") or "").lower()) else 3


@rule("gcp:container/nodePool:NodePool")
def _gke_nodepool(res: Resource, ctx: Context) -> Priced:
    region = _need_region(res)
    cfg = res.inputs.get("nodeConfig") or {}
    machine = cfg.get("machineType")
    if not machine:
        raise NotPriced("no nodeConfig.machineType input")
    out = Priced()
    zones = _gke_zones(res)
    auto = res.inputs.get("autoscaling") or {}
    if res.inputs.get("nodeCount") is not None:
        per_zone = _int(res.inputs["nodeCount"]) or 0
    elif res.inputs.get("initialNodeCount") is not None:
        per_zone = _int(res.inputs["initialNodeCount"]) or 0
    else:
        per_zone = _int(auto.get("minNodeCount")) or 0
    if auto.get("totalMinNodeCount") is not None and res.inputs.get("nodeCount") is None:
        default_nodes = float(_int(auto["totalMinNodeCount"]) or 0)
        out.notes.append(
            "autoscaling pool: priced at its total minimum "
            f"({default_nodes:g} of {auto.get('totalMaxNodeCount', '?')})"
        )
    else:
        default_nodes = float(per_zone * zones)
        if per_zone and zones > 1:
            out.notes.append(f"{per_zone} node(s) per zone x {zones} zones")
    spot = bool(cfg.get("spot") or cfg.get("preemptible"))
    hours = node_charges(
        ctx,
        res,
        out,
        cloud="gcp",
        region=region,
        instance_type=machine,
        spot=spot,
        default_nodes=default_nodes,
    )
    offer = ctx.catalog.offer("gcp", region, machine)
    if cfg.get("guestAccelerators") and not offer.accelerator:
        out.unpriced_parts.append(
            "attached guestAccelerators: the catalog carries GPU-bundled "
            "machine types (a2/a3/g2) only"
        )
    topology = _get(res.inputs, "placementPolicy", "tpuTopology")
    if topology:
        out.notes.append(f"TPU slice topology {topology}")
    disk_gb = _int(cfg.get("diskSizeGb")) or 100
    disk_type = cfg.get("diskType") or "pd-balanced"
    key = {"pd-balanced": "pd_balanced_gb_month", "pd-ssd": "pd_ssd_gb_month"}.get(disk_type)
    nodes = _nodes_for_usage(ctx, res.name, default_nodes)
    if key:
        disk_charge(
            ctx, out, cloud="gcp", key=key, region=region, gb=disk_gb, nodes=nodes, hours=hours
        )
    elif nodes:
        out.unpriced_parts.append(f"node disks of type {disk_type}: not in the catalog")
    return out


@rule("gcp:compute/instance:Instance")
def _gce_instance(res: Resource, ctx: Context) -> Priced:
    machine = res.inputs.get("machineType")
    if not machine:
        raise NotPriced("no machineType input")
    out = Priced()
    spot = _get(res.inputs, "scheduling", "provisioningModel") == "SPOT"
    node_charges(
        ctx,
        res,
        out,
        cloud="gcp",
        region=_need_region(res),
        instance_type=machine,
        spot=spot,
        default_nodes=1,
        label="instance",
    )
    return out


@rule("gcp:compute/routerNat:RouterNat")
def _cloud_nat(res: Resource, ctx: Context) -> Priced:
    out = Priced(
        [
            _hourly_charge(ctx, "gcp", "cloud_nat_gateway_hour", "Cloud NAT gateway"),
            _usage_charge(ctx, res, "gcp", "cloud_nat_gb", "nat_data_gb", "data processed"),
        ]
    )
    out.notes.append("gateway priced at the 32+ VM rate ($0.0014 per VM-hour below that)")
    return out


@rule("gcp:storage/bucket:Bucket")
def _gcs_bucket(res: Resource, ctx: Context) -> Priced:
    location = str(res.inputs.get("location") or res.region or "")
    loc = location.upper() if location.upper() in ("US", "EU") else location.lower()
    cls = str(res.inputs.get("storageClass") or "STANDARD").upper()
    if cls != "STANDARD":
        raise NotPriced(f"storage class {cls}: the catalog carries STANDARD only")
    if not loc:
        raise NotPriced("bucket has no location")
    return Priced(
        [
            _usage_charge(
                ctx,
                res,
                "gcp",
                "gcs_standard_gb_month",
                "storage_gb",
                "storage (Standard)",
                region=loc,
            ),
            _usage_charge(
                ctx, res, "gcp", "gcs_class_a_per_1k", "write_requests_k", "class A operations"
            ),
            _usage_charge(
                ctx, res, "gcp", "gcs_class_b_per_1k", "read_requests_k", "class B operations"
            ),
            _usage_charge(ctx, res, "gcp", "egress_internet_gb", "egress_gb", "internet egress"),
        ]
    )


@rule("gcp:kms/cryptoKey:CryptoKey")
def _gcp_kms(res: Resource, ctx: Context) -> Priced:
    level = str(_get(res.inputs, "versionTemplate", "protectionLevel") or "SOFTWARE").upper()
    if level != "SOFTWARE":
        raise NotPriced(f"protection level {level}: the catalog carries SOFTWARE keys only")
    p = ctx.price("gcp", "kms_key_version_month")
    out = Priced(
        [
            Charge("active key version", 1, p.unit, p.usd, p.usd, p.source, p.date),
            _usage_charge(
                ctx, res, "gcp", "kms_requests_per_10k", "kms_requests_10k", "operations"
            ),
        ]
    )
    if res.inputs.get("rotationPeriod"):
        out.notes.append(
            "rotation adds a billed version per period while old versions stay "
            "enabled; one version priced"
        )
    return out


@rule("gcp:artifactregistry/repository:Repository")
def _artifact_registry(res: Resource, ctx: Context) -> Priced:
    out = Priced(
        [
            _usage_charge(
                ctx,
                res,
                "gcp",
                "artifact_registry_gb_month",
                "registry_storage_gb",
                "image storage",
            )
        ]
    )
    out.notes.append("the first 0.5 GB per billing account is free (not deducted)")
    return out


@rule("gcp:vertex/aiTensorboard:AiTensorboard")
def _tensorboard(res: Resource, ctx: Context) -> Priced:
    return Priced(
        [
            _usage_charge(
                ctx,
                res,
                "gcp",
                "vertex_tensorboard_gb_month",
                "vertex_storage_gb",
                "TensorBoard storage",
            )
        ]
    )


@rule("gcp:vertex/aiMetadataStore:AiMetadataStore")
def _metadata_store(res: Resource, ctx: Context) -> Priced:
    return Priced(
        [
            _usage_charge(
                ctx,
                res,
                "gcp",
                "vertex_metadata_gb_month",
                "vertex_storage_gb",
                "ML Metadata storage",
            )
        ]
    )


# --- Azure ---------------------------------------------------------------------------------

AKS_TIERS = {
    "free": "aks_free_tier_hour",
    "base": "aks_free_tier_hour",
    "standard": "aks_standard_tier_hour",
    "premium": "aks_premium_tier_hour",
}


def _aks_pool(
    ctx: Context, res: Resource, out: Priced, pool: Mapping[str, Any], region: str, usage_name: str
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
            default_nodes=float(_int(count) or 0),
            label=f"pool {pool.get('name', usage_name)}",
            usage_name=usage_name,
        )
    except NotPriced as e:
        out.unpriced_parts.append(f"agent pool {pool.get('name', '?')}: {e}")


@rule("azure-native:containerservice:ManagedCluster")
def _aks_cluster(res: Resource, ctx: Context) -> Priced:
    region = _need_region(res)
    tier = str(_get(res.inputs, "sku", "tier") or "Free").lower()
    if tier not in AKS_TIERS:
        raise NotPriced(f"AKS tier {tier!r}: known tiers are Free, Standard, Premium")
    out = Priced([_hourly_charge(ctx, "azure", AKS_TIERS[tier], f"AKS control plane ({tier})")])
    for pool in res.inputs.get("agentPoolProfiles") or []:
        _aks_pool(ctx, res, out, pool, region, usage_name=str(pool.get("name", res.name)))
    return out


@rule("azure-native:containerservice:AgentPool")
def _aks_agent_pool(res: Resource, ctx: Context) -> Priced:
    out = Priced()
    pool = dict(res.inputs)
    pool.setdefault("name", res.inputs.get("agentPoolName", res.name))
    if not pool.get("vmSize"):
        raise NotPriced("no vmSize input")
    _aks_pool(ctx, res, out, pool, _need_region(res), usage_name=res.name)
    if out.unpriced_parts and not out.charges:
        raise NotPriced(out.unpriced_parts[0])
    return out


@rule("azure-native:machinelearningservices:Compute")
def _aml_compute(res: Resource, ctx: Context) -> Priced:
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
    default_nodes = float(_int(scale.get("minNodeCount")) or 0) if scale else 1.0
    node_charges(
        ctx,
        res,
        out,
        cloud="azure",
        region=_need_region(res),
        instance_type=vm,
        spot=spot,
        default_nodes=default_nodes,
        label="Azure ML compute (VM rate)",
    )
    return out


@rule("azure-native:compute:VirtualMachine")
def _azure_vm(res: Resource, ctx: Context) -> Priced:
    vm = _get(res.inputs, "hardwareProfile", "vmSize")
    if not vm:
        raise NotPriced("no hardwareProfile.vmSize input")
    out = Priced()
    node_charges(
        ctx,
        res,
        out,
        cloud="azure",
        region=_need_region(res),
        instance_type=vm,
        spot=str(res.inputs.get("priority", "")).lower() == "spot",
        default_nodes=1,
        label="VM",
    )
    return out


@rule("azure-native:storage:StorageAccount")
def _azure_storage(res: Resource, ctx: Context) -> Priced:
    sku = str(_get(res.inputs, "sku", "name") or "Standard_LRS")
    tier = str(res.inputs.get("accessTier") or "Hot")
    if sku != "Standard_LRS" or tier != "Hot":
        raise NotPriced(f"{sku} {tier}: the catalog carries Standard_LRS Hot blob storage only")
    region = _need_region(res)
    return Priced(
        [
            _usage_charge(
                ctx,
                res,
                "azure",
                "blob_hot_lrs_gb_month",
                "storage_gb",
                "blob storage (Hot LRS)",
                region=region,
            ),
            _usage_charge(
                ctx,
                res,
                "azure",
                "blob_write_per_10k",
                "write_requests_k",
                "write operations",
                scale=0.1,
            ),
            _usage_charge(
                ctx,
                res,
                "azure",
                "blob_read_per_10k",
                "read_requests_k",
                "read operations",
                scale=0.1,
            ),
            _usage_charge(ctx, res, "azure", "egress_internet_gb", "egress_gb", "internet egress"),
        ]
    )


@rule("azure-native:keyvault:Vault")
def _key_vault(res: Resource, ctx: Context) -> Priced:
    sku = str(_get(res.inputs, "properties", "sku", "name") or "standard").lower()
    out = Priced(
        [
            _usage_charge(
                ctx, res, "azure", "key_vault_ops_per_10k", "vault_operations_10k", "operations"
            )
        ]
    )
    if sku == "premium":
        out.unpriced_parts.append("Premium HSM-protected keys ($/key-month) are not in the catalog")
    return out


@rule("azure-native:containerregistry:Registry")
def _acr(res: Resource, ctx: Context) -> Priced:
    sku = str(_get(res.inputs, "sku", "name") or "").lower()
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
def _log_analytics(res: Resource, ctx: Context) -> Priced:
    out = Priced(
        [
            _usage_charge(
                ctx, res, "azure", "log_analytics_ingest_gb", "log_ingest_gb", "log ingestion"
            )
        ]
    )
    out.notes.append("5 GB/month free per billing account is not deducted")
    return out


@rule("azure-native:applicationinsights:Component", "azure-native:insights:Component")
def _app_insights(res: Resource, ctx: Context) -> Free:
    if res.inputs.get("workspaceResourceId"):
        return Free(
            "workspace-based Application Insights bills as ingestion on its Log "
            "Analytics workspace (priced there)"
        )
    raise NotPriced("classic Application Insights (no workspaceResourceId) is not in the catalog")


@rule("azure-native:network:NatGateway")
def _azure_nat(res: Resource, ctx: Context) -> Priced:
    return Priced(
        [
            _hourly_charge(ctx, "azure", "nat_gateway_hour", "NAT gateway"),
            _usage_charge(ctx, res, "azure", "nat_gateway_gb", "nat_data_gb", "data processed"),
        ]
    )


@rule("azure-native:network:PrivateEndpoint")
def _private_endpoint(res: Resource, ctx: Context) -> Priced:
    return Priced(
        [
            _hourly_charge(ctx, "azure", "private_endpoint_hour", "private endpoint"),
            _usage_charge(
                ctx, res, "azure", "private_endpoint_gb", "endpoint_data_gb", "data processed"
            ),
        ]
    )


@rule("azure-native:privatedns:PrivateZone", "azure-native:network:PrivateZone")
def _private_dns_zone(res: Resource, ctx: Context) -> Priced:
    p = ctx.price("azure", "private_dns_zone_month")
    out = Priced([Charge("private DNS zone", 1, p.unit, p.usd, p.usd, p.source, p.date)])
    out.notes.append("DNS queries ($0.40 per million) not included")
    return out


@rule("azure-native:network:PublicIPAddress")
def _azure_pip(res: Resource, ctx: Context) -> Priced:
    return Priced([_hourly_charge(ctx, "azure", "public_ip_hour", "public IPv4 address")])


@rule("azure-native:network:LoadBalancer")
def _azure_lb(res: Resource, ctx: Context) -> Priced:
    out = Priced([_hourly_charge(ctx, "azure", "load_balancer_hour", "load balancer")])
    out.unpriced_parts.append("data processed depends on traffic")
    return out
