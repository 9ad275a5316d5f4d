"""`Network`: a custom-mode VPC, one subnet with pod/service ranges, Cloud Router + NAT.

Private GKE nodes have no public IPs; Cloud NAT gives them egress (image pulls
from outside Google, pip, Hugging Face) and Private Google Access keeps traffic
to Google APIs (GCS, Artifact Registry, Vertex AI) on Google's network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.spec import PlatformSpec, SpecError

MAX_PODS_PER_NODE = 64
"""GKE reserves a /25 of the pod range per node at 64 pods (a /24 at the default 110)."""
_MASTER_CANDIDATES = ("172.16.0.0/28", "192.168.255.240/28", "10.255.255.240/28")


@dataclass(frozen=True)
class SubnetRanges:
    """How the spec's CIDR is split: nodes and services a quarter each, pods half."""

    nodes: str
    services: str
    pods: str
    master: str
    """The /28 of the GKE control plane's private endpoint (outside the VPC range)."""

    @property
    def max_nodes(self) -> int:
        """Nodes the pod range can hold at `MAX_PODS_PER_NODE`."""
        per_node_prefix = 32 - (2 * MAX_PODS_PER_NODE - 1).bit_length()
        return 2 ** (per_node_prefix - ipaddress.ip_network(self.pods).prefixlen)


def plan_ranges(cidr: str) -> SubnetRanges:
    net = ipaddress.ip_network(cidr)
    quarters = list(net.subnets(prefixlen_diff=2))
    halves = list(net.subnets(prefixlen_diff=1))
    master = next(c for c in _MASTER_CANDIDATES if not ipaddress.ip_network(c).overlaps(net))
    return SubnetRanges(
        nodes=str(quarters[0]), services=str(quarters[1]), pods=str(halves[1]), master=master
    )


def check_capacity(spec: PlatformSpec, ranges: SubnetRanges) -> None:
    total = sum(p.max_nodes for p in spec.node_pools)
    if total > ranges.max_nodes:
        raise SpecError(
            [
                f"network.cidr: {spec.network.cidr} leaves a pod range {ranges.pods} for "
                f"{ranges.max_nodes} nodes at {MAX_PODS_PER_NODE} pods each, but the node pools "
                f"allow {total}; use a larger network (smaller prefix) or fewer max_nodes"
            ]
        )


@dataclass
class NetworkArgs:
    platform: str
    """The spec's name (in descriptions)."""
    project: str
    """The GCP project id."""
    region: str
    """The subnet's, router's and NAT's region."""
    cidr: str
    """The VNet range, split by `plan_ranges` into nodes, pods, services and the control plane."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The project's APIs, which must be on first."""


class Network(pulumi.ComponentResource):
    """Custom-mode VPC (no auto subnets, no default network), subnet, router and NAT."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:gcp:Network", name, {}, opts)
        # The spec edge has checked that the ranges hold every pool's pods (`check_capacity`).
        self.ranges = plan_ranges(args.cidr)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.vpc = gcp.compute.Network(
            f"{name}-vpc",
            project=args.project,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            description=f"pioneer {args.platform}",
            opts=child,
        )
        self.pods_range_name = "pods"
        self.services_range_name = "services"
        self.subnet = gcp.compute.Subnetwork(
            f"{name}-subnet",
            project=args.project,
            region=args.region,
            network=self.vpc.id,
            ip_cidr_range=self.ranges.nodes,
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=self.pods_range_name, ip_cidr_range=self.ranges.pods
                ),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=self.services_range_name, ip_cidr_range=self.ranges.services
                ),
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_10_MIN",
                flow_sampling=0.5,
                metadata="INCLUDE_ALL_METADATA",
            ),
            opts=child,
        )
        self.router = gcp.compute.Router(
            f"{name}-router",
            project=args.project,
            region=args.region,
            network=self.vpc.id,
            opts=child,
        )
        self.nat = gcp.compute.RouterNat(
            f"{name}-nat",
            project=args.project,
            region=args.region,
            router=self.router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[
                gcp.compute.RouterNatSubnetworkArgs(
                    name=self.subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"]
                )
            ],
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child,
        )
        self.register_outputs({"network": self.vpc.self_link, "subnetwork": self.subnet.self_link})
