"""AWS pricing rules, one per Pulumi type token (registered on `cost.pricing.common.RULES`)."""

from __future__ import annotations

from cost.kubernetes_versions import in_extended_support
from cost.pricing.common import (
    Charge,
    Context,
    Free,
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

# AWS types that cost nothing themselves, matched by prefix, with the reason shown.
FREE_PREFIXES: tuple[tuple[str, str], ...] = (
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
    ("aws:ec2/placementGroup:", "placement groups are free"),
    ("aws:autoscaling/tag:", "tags are free (the autoscaler's scale-from-zero templates)"),
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
)


@rule("aws:eks/cluster:Cluster")
def _eks_cluster(res: PlannedResource, ctx: Context) -> Priced:
    version = str(res.inputs.get("version") or "")
    extended = in_extended_support("aws", version, ctx.today)
    if extended or dig(res.inputs, "upgradePolicy", "supportType") == "EXTENDED":
        # EKS bills by the version's phase; EXTENDED only lets a cluster stay past standard.
        note = f"Kubernetes {version} is in extended support on {ctx.today.isoformat()}"
        if not extended:
            note = "upgrade policy EXTENDED: $0.60/h once the version leaves standard support"
        out = Priced(notes=[note])
    else:
        out = Priced(notes=["standard support; versions in extended support cost $0.60/h"])
    key = "eks_control_plane_extended" if extended else "eks_control_plane"
    label = "EKS control plane" + (" (extended support)" if extended else "")
    out.charges.append(hourly_charge(ctx, "aws", key, label))
    return out


@rule("aws:eks/nodeGroup:NodeGroup")
def _eks_nodegroup(res: PlannedResource, ctx: Context) -> Priced:
    region = need_region(ctx)
    types = res.inputs.get("instanceTypes") or []
    if not types:
        raise NotPriced("no instanceTypes input (launch-template instance types are not read)")
    out = Priced()
    if len(types) > 1:
        out.notes.append(f"{len(types)} instance types; priced with the first, {types[0]}")
    scaling = res.inputs.get("scalingConfig") or {}
    desired = as_int(scaling.get("desiredSize"))
    default_nodes = desired if desired is not None else (as_int(scaling.get("minSize")) or 0)
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
    nodes = nodes_for_usage(ctx, res.name, default_nodes)
    disk, volume_type = as_int(res.inputs.get("diskSize")), "gp3"
    template_id = dig(res.inputs, "launchTemplate", "id")
    if template_id:
        template = ctx.by_id.get(str(template_id))
        ebs = (
            dig(template, "blockDeviceMappings", default=[{}])[0].get("ebs", {}) if template else {}
        )
        disk, volume_type = as_int(ebs.get("volumeSize")), str(ebs.get("volumeType") or "gp2")
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
def _ec2_instance(res: PlannedResource, ctx: Context) -> Priced:
    region = need_region(ctx)
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
def _aws_nat(res: PlannedResource, ctx: Context) -> Priced:
    region = need_region(ctx)
    return Priced(
        [
            hourly_charge(ctx, "aws", "nat_gateway_hour", "NAT gateway", region),
            usage_charge(
                ctx, res, "aws", "nat_gateway_gb", "nat_data_gb", "data processed", region=region
            ),
        ]
    )


@rule("aws:ec2/eip:Eip")
def _aws_eip(res: PlannedResource, ctx: Context) -> Priced:
    return Priced([hourly_charge(ctx, "aws", "public_ipv4_hour", "public IPv4 address")])


@rule("aws:ec2/vpcEndpoint:VpcEndpoint")
def _vpc_endpoint(res: PlannedResource, ctx: Context) -> Priced | Free:
    kind = str(res.inputs.get("vpcEndpointType") or "Gateway")
    if kind == "Gateway":
        return Free("gateway endpoints (S3, DynamoDB) are free")
    if kind != "Interface":
        raise NotPriced(f"{kind} endpoints are not in the catalog")
    region = need_region(ctx)
    azs = len(res.inputs.get("subnetIds") or []) or 1
    return Priced(
        [
            hourly_charge(
                ctx,
                "aws",
                "vpc_interface_endpoint_az_hour",
                f"interface endpoint ({azs} AZ)",
                region,
                count=azs,
            ),
            usage_charge(
                ctx, res, "aws", "vpc_interface_endpoint_gb", "endpoint_data_gb", "data processed"
            ),
        ]
    )


@rule("aws:route53/zone:Zone")
def _route53_zone(res: PlannedResource, ctx: Context) -> Priced:
    p = ctx.price("aws", "route53_hosted_zone_month")
    out = Priced([Charge("hosted zone", 1, p.unit, p.usd, p.usd, p.source, p.date)])
    out.unpriced_parts.append("DNS queries (per million) depend on traffic")
    return out


@rule("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
def _aws_lb(res: PlannedResource, ctx: Context) -> Priced:
    out = Priced(
        [hourly_charge(ctx, "aws", "load_balancer_hour", "load balancer", need_region(ctx))]
    )
    out.unpriced_parts.append("load balancer capacity units (LCU) depend on traffic")
    return out


@rule("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
def _s3_bucket(res: PlannedResource, ctx: Context) -> Priced:
    region = need_region(ctx)
    return Priced(
        [
            usage_charge(
                ctx,
                res,
                "aws",
                "s3_standard_gb_month",
                "storage_gb",
                "storage (Standard)",
                region=region,
            ),
            usage_charge(
                ctx,
                res,
                "aws",
                "s3_put_per_1k",
                "write_requests_k",
                "PUT/LIST requests",
                region=region,
            ),
            usage_charge(
                ctx, res, "aws", "s3_get_per_1k", "read_requests_k", "GET requests", region=region
            ),
            usage_charge(ctx, res, "aws", "egress_internet_gb", "egress_gb", "internet egress"),
        ]
    )


@rule("aws:kms/key:Key")
def _aws_kms(res: PlannedResource, ctx: Context) -> Priced:
    p = ctx.price("aws", "kms_key_month")
    return Priced(
        [
            Charge("customer managed key", 1, p.unit, p.usd, p.usd, p.source, p.date),
            usage_charge(ctx, res, "aws", "kms_requests_per_10k", "kms_requests_10k", "requests"),
        ]
    )


@rule("aws:ecr/repository:Repository")
def _ecr(res: PlannedResource, ctx: Context) -> Priced:
    return Priced(
        [
            usage_charge(
                ctx, res, "aws", "ecr_storage_gb_month", "registry_storage_gb", "image storage"
            )
        ]
    )


@rule("aws:cloudwatch/logGroup:LogGroup")
def _log_group(res: PlannedResource, ctx: Context) -> Priced:
    region = need_region(ctx)
    return Priced(
        [
            usage_charge(
                ctx,
                res,
                "aws",
                "cloudwatch_logs_ingest_gb",
                "log_ingest_gb",
                "ingestion",
                region=region,
            ),
            usage_charge(
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
def _mlflow_server(res: PlannedResource, ctx: Context) -> Priced:
    raise NotPriced(
        "SageMaker managed MLflow server: no sourced hourly price in the catalog "
        "(see aws.amazon.com/sagemaker/pricing)"
    )
