"""GCP pricing rules, one per Pulumi type token (registered on `cost.pricing.common.RULES`)."""

from __future__ import annotations

import re

from cost.kubernetes_versions import in_extended_support
from cost.pricing.common import (
    Charge,
    Context,
    NotPriced,
    PlannedResource,
    Priced,
    as_int,
    dig,
    disk_charge,
    hourly_charge,
    need_region,
    node_charges,
    nodes_for_usage,
    rule,
    usage_charge,
)

# GCP types that cost nothing themselves, matched by prefix, with the reason shown.
FREE_PREFIXES: tuple[tuple[str, str], ...] = (
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
)


ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")


def gcp_region(location: str | None) -> str | None:
    if not location:
        return None
    loc = str(location).lower()
    return loc.rsplit("-", 1)[0] if ZONE.match(loc) else loc


@rule("gcp:container/cluster:Cluster")
def _gke_cluster(res: PlannedResource, ctx: Context) -> Priced:
    out = Priced(
        [hourly_charge(ctx, "gcp", "gke_cluster_management", "GKE cluster management fee")]
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
    version = str(res.inputs.get("minMasterVersion") or "")
    channel = dig(res.inputs, "releaseChannel", "channel")
    if channel == "EXTENDED" and in_extended_support("gcp", version, ctx.today):
        out.charges.append(
            hourly_charge(
                ctx, "gcp", "gke_extended_support_hour", f"GKE extended support ({version})"
            )
        )
    elif channel == "EXTENDED":
        out.notes.append("Extended channel: an extra fee once the version leaves standard support")
    return out


def _gke_zones(res: PlannedResource) -> int:
    locs = res.inputs.get("nodeLocations")
    if locs:
        return len(locs)
    return 1 if ZONE.match(str(res.inputs.get("location") or "").lower()) else 3


@rule("gcp:container/nodePool:NodePool")
def _gke_nodepool(res: PlannedResource, ctx: Context) -> Priced:
    region = need_region(ctx)
    cfg = res.inputs.get("nodeConfig") or {}
    machine = cfg.get("machineType")
    if not machine:
        raise NotPriced("no nodeConfig.machineType input")
    out = Priced()
    zones = _gke_zones(res)
    auto = res.inputs.get("autoscaling") or {}
    if res.inputs.get("nodeCount") is not None:
        per_zone = as_int(res.inputs["nodeCount"]) or 0
    elif res.inputs.get("initialNodeCount") is not None:
        per_zone = as_int(res.inputs["initialNodeCount"]) or 0
    else:
        per_zone = as_int(auto.get("minNodeCount")) or 0
    if auto.get("totalMinNodeCount") is not None and res.inputs.get("nodeCount") is None:
        default_nodes = float(as_int(auto["totalMinNodeCount"]) or 0)
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
    topology = dig(res.inputs, "placementPolicy", "tpuTopology")
    if topology:
        out.notes.append(f"TPU slice topology {topology}")
    disk_gb = as_int(cfg.get("diskSizeGb")) or 100
    disk_type = cfg.get("diskType") or "pd-balanced"
    key = {"pd-balanced": "pd_balanced_gb_month", "pd-ssd": "pd_ssd_gb_month"}.get(disk_type)
    nodes = nodes_for_usage(ctx, res.name, default_nodes)
    if key:
        disk_charge(
            ctx, out, cloud="gcp", key=key, region=region, gb=disk_gb, nodes=nodes, hours=hours
        )
    elif nodes:
        out.unpriced_parts.append(f"node disks of type {disk_type}: not in the catalog")
    return out


@rule("gcp:compute/instance:Instance")
def _gce_instance(res: PlannedResource, ctx: Context) -> Priced:
    machine = res.inputs.get("machineType")
    if not machine:
        raise NotPriced("no machineType input")
    out = Priced()
    spot = dig(res.inputs, "scheduling", "provisioningModel") == "SPOT"
    node_charges(
        ctx,
        res,
        out,
        cloud="gcp",
        region=need_region(ctx),
        instance_type=machine,
        spot=spot,
        default_nodes=1,
        label="instance",
    )
    return out


@rule("gcp:compute/routerNat:RouterNat")
def _cloud_nat(res: PlannedResource, ctx: Context) -> Priced:
    out = Priced(
        [
            hourly_charge(ctx, "gcp", "cloud_nat_gateway_hour", "Cloud NAT gateway"),
            usage_charge(ctx, res, "gcp", "cloud_nat_gb", "nat_data_gb", "data processed"),
        ]
    )
    out.notes.append("gateway priced at the 32+ VM rate ($0.0014 per VM-hour below that)")
    return out


@rule("gcp:storage/bucket:Bucket")
def _gcs_bucket(res: PlannedResource, ctx: Context) -> Priced:
    location = str(res.inputs.get("location") or ctx.region or "")
    loc = location.upper() if location.upper() in ("US", "EU") else location.lower()
    cls = str(res.inputs.get("storageClass") or "STANDARD").upper()
    if cls != "STANDARD":
        raise NotPriced(f"storage class {cls}: the catalog carries STANDARD only")
    if not loc:
        raise NotPriced("bucket has no location")
    return Priced(
        [
            usage_charge(
                ctx,
                res,
                "gcp",
                "gcs_standard_gb_month",
                "storage_gb",
                "storage (Standard)",
                region=loc,
            ),
            usage_charge(
                ctx, res, "gcp", "gcs_class_a_per_1k", "write_requests_k", "class A operations"
            ),
            usage_charge(
                ctx, res, "gcp", "gcs_class_b_per_1k", "read_requests_k", "class B operations"
            ),
            usage_charge(ctx, res, "gcp", "egress_internet_gb", "egress_gb", "internet egress"),
        ]
    )


@rule("gcp:kms/cryptoKey:CryptoKey")
def _gcp_kms(res: PlannedResource, ctx: Context) -> Priced:
    level = str(dig(res.inputs, "versionTemplate", "protectionLevel") or "SOFTWARE").upper()
    if level != "SOFTWARE":
        raise NotPriced(f"protection level {level}: the catalog carries SOFTWARE keys only")
    p = ctx.price("gcp", "kms_key_version_month")
    out = Priced(
        [
            Charge("active key version", 1, p.unit, p.usd, p.usd, p.source, p.date),
            usage_charge(ctx, res, "gcp", "kms_requests_per_10k", "kms_requests_10k", "operations"),
        ]
    )
    if res.inputs.get("rotationPeriod"):
        out.notes.append(
            "rotation adds a billed version per period while old versions stay "
            "enabled; one version priced"
        )
    return out


@rule("gcp:artifactregistry/repository:Repository")
def _artifact_registry(res: PlannedResource, ctx: Context) -> Priced:
    out = Priced(
        [
            usage_charge(
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
def _tensorboard(res: PlannedResource, ctx: Context) -> Priced:
    return Priced(
        [
            usage_charge(
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
def _metadata_store(res: PlannedResource, ctx: Context) -> Priced:
    return Priced(
        [
            usage_charge(
                ctx,
                res,
                "gcp",
                "vertex_metadata_gb_month",
                "vertex_storage_gb",
                "ML Metadata storage",
            )
        ]
    )


@rule("gcp:dns/managedZone:ManagedZone")
def _cloud_dns_zone(res: PlannedResource, ctx: Context) -> Priced:
    p = ctx.price("gcp", "cloud_dns_zone_month")
    out = Priced([Charge("managed zone", 1, p.unit, p.usd, p.usd, p.source, p.date)])
    out.unpriced_parts.append("DNS queries (per million) depend on traffic")
    return out
