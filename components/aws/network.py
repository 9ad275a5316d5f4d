"""The platform VPC: private subnets for nodes and jobs, public ones only for NAT and load balancers."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.aws.iam_documents import flow_log_delivery_policy
from components.aws.identity import ServiceRole, ServiceRoleArgs


def subnet_layout(cidr: str, zones: int) -> tuple[list[str], list[str]]:
    """Split the VPC range into `zones` private and `zones` public subnets.

    The range is cut into eighths: one eighth per zone for private subnets (pods
    take VPC addresses with the VPC CNI, so these must be large), and the last
    eighth cut again into eighths for the small public subnets. A /16 gives
    private /19s (8,187 usable addresses) and public /22s; a /20 gives /23s and /26s.
    """
    net = ipaddress.IPv4Network(cidr)  # the spec accepts IPv4 /8../20 only
    if not 1 <= zones <= 6:
        raise ValueError(f"availability_zones: {zones} is not between 1 and 6")
    eighths = list(net.subnets(prefixlen_diff=3))
    public = list(eighths[7].subnets(prefixlen_diff=3))
    return [str(s) for s in eighths[:zones]], [str(s) for s in public[:zones]]


def pick_zones(available: list[str], wanted: int, region: str) -> list[str]:
    """The first `wanted` available zones, or an error naming the spec field."""
    if len(available) < wanted:
        raise ValueError(
            f"network.availability_zones: {wanted} requested but {region} has "
            f"{len(available)} available ({', '.join(available)})"
        )
    return list(available[:wanted])


FLOW_LOG_RETENTION_DAYS = 365
"""Audit logs are kept a year by default (operational logs: 30 days)."""


@dataclass
class NetworkArgs:
    cidr: str
    availability_zones: int
    nat: Literal["single", "per_az"]
    """One NAT gateway for all zones (cheaper) or one per zone (survives a zone outage)."""
    cluster_name: str
    """EKS cluster that uses the subnets (for the `kubernetes.io/cluster/<name>` tags)."""
    region: str
    tags: dict[str, str] = field(default_factory=dict)
    flow_log_retention_days: int = FLOW_LOG_RETENTION_DAYS
    """How long VPC flow logs (an audit record of every connection) are kept."""


class Network(pulumi.ComponentResource):
    """VPC across several zones with NAT egress, an S3 gateway endpoint and a workload security group."""

    vpc: aws.ec2.Vpc
    vpc_id: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    security_group_id: pulumi.Output[str]
    """Security group for training jobs in the VPC (SageMaker): members talk to each other."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:aws:Network", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = args.tags
        private_cidrs, public_cidrs = subnet_layout(args.cidr, args.availability_zones)
        zones = aws.get_availability_zones_output(
            state="available", opts=pulumi.InvokeOutputOptions(parent=self)
        )
        wanted = args.availability_zones

        def zone(i: int) -> pulumi.Output[str]:
            return zones.names.apply(lambda names: pick_zones(names, wanted, args.region)[i])

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={**tags, "Name": name},
            opts=child,
        )
        self._flow_logs(name, args)
        # The default security group of a new VPC allows all traffic between members; empty it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=self.vpc.id, tags=tags, opts=child
        )
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tags, opts=child)
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"}

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt",
            vpc_id=self.vpc.id,
            tags={**tags, "Name": f"{name}-public"},
            opts=child,
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child,
        )
        public = []
        for i, cidr in enumerate(public_cidrs):
            subnet = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone(i),
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    **cluster_tag,
                    "Name": f"{name}-public-{i}",
                    "kubernetes.io/role/elb": "1",
                    "pioneer.dev/tier": "public",
                },
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child
            )
            public.append(subnet)

        nat_count = 1 if args.nat == "single" else len(public)
        nats = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{i}",
                domain="vpc",
                tags={**tags, "Name": f"{name}-nat-{i}"},
                opts=child,
            )
            nats.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public[i].id,
                    connectivity_type="public",
                    tags={**tags, "Name": f"{name}-nat-{i}"},
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
                )
            )

        private, private_rts = [], []
        for i, cidr in enumerate(private_cidrs):
            subnet = aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=self.vpc.id,
                cidr_block=cidr,
                availability_zone=zone(i),
                map_public_ip_on_launch=False,
                tags={
                    **tags,
                    **cluster_tag,
                    "Name": f"{name}-private-{i}",
                    "kubernetes.io/role/internal-elb": "1",
                    "pioneer.dev/tier": "private",
                },
                opts=child,
            )
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=self.vpc.id,
                tags={**tags, "Name": f"{name}-private-{i}"},
                opts=child,
            )
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nats[i % nat_count].id,
                opts=child,
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child
            )
            private.append(subnet)
            private_rts.append(rt)

        # Datasets and checkpoints go to S3 through a free gateway endpoint, not paid NAT traffic.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts],
            tags=tags,
            opts=child,
        )

        sg = aws.ec2.SecurityGroup(
            f"{name}-workloads",
            vpc_id=self.vpc.id,
            description="pioneer training jobs: traffic between members, HTTPS out",
            tags={**tags, "Name": f"{name}-workloads"},
            opts=child,
        )
        # Distributed training (NCCL, gloo) needs every port between the job's instances.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-workloads-self-in",
            security_group_id=sg.id,
            ip_protocol="-1",
            referenced_security_group_id=sg.id,
            description="between training instances",
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-workloads-self-out",
            security_group_id=sg.id,
            ip_protocol="-1",
            referenced_security_group_id=sg.id,
            description="between training instances",
            tags=tags,
            opts=child,
        )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-workloads-https-out",
            security_group_id=sg.id,
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            cidr_ipv4="0.0.0.0/0",
            description="AWS APIs, S3, ECR and package mirrors over TLS",
            tags=tags,
            opts=child,
        )

        self.vpc_id = self.vpc.id
        self.private_subnet_ids = [s.id for s in private]
        self.public_subnet_ids = [s.id for s in public]
        self.security_group_id = sg.id
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
                "security_group_id": self.security_group_id,
            }
        )

    def _flow_logs(self, name: str, args: NetworkArgs) -> None:
        """Every accepted and rejected connection of the VPC, in a CloudWatch log group."""
        child = pulumi.ResourceOptions(parent=self)
        self.flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            retention_in_days=args.flow_log_retention_days,
            tags=args.tags,
            opts=child,
        )
        role = ServiceRole(
            f"{name}-flow-logs",
            ServiceRoleArgs(
                service="vpc-flow-logs.amazonaws.com",
                description=f"VPC flow log delivery of {args.cluster_name}",
                inline_policy=self.flow_log_group.arn.apply(flow_log_delivery_policy),
                tags=args.tags,
            ),
            opts=child,
        )
        self.flow_log = aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.arn,
            iam_role_arn=role.arn,
            max_aggregation_interval=600,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
        )
