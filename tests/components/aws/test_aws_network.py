"""The AWS network: zones, private/public subnets, NAT, EKS subnet tags, S3 endpoint, workload SG."""

from __future__ import annotations

import ipaddress

import pytest

from components.aws.network import pick_zones, subnet_layout

SUBNET = "aws:ec2/subnet:Subnet"


def _subnets(run, tier):
    return [s for s in run.of_type(SUBNET) if s.inputs["tags"]["pioneer.dev/tier"] == tier]


def test_vpc_spans_two_zones_with_private_and_public_subnets(run_spec, base_config):
    run = run_spec(base_config("aws"))
    vpc = run.one("aws:ec2/vpc:Vpc")
    assert vpc.inputs["cidrBlock"] == "10.20.0.0/16"
    assert vpc.inputs["enableDnsHostnames"] is True
    private, public = _subnets(run, "private"), _subnets(run, "public")
    assert len(private) == len(public) == 2
    assert {s.inputs["availabilityZone"] for s in private} == {"us-east-1a", "us-east-1b"}
    for s in private + public:
        assert s.inputs["vpcId"] == vpc.id
        assert s.inputs["mapPublicIpOnLaunch"] is False  # nodes never get public addresses
        assert ipaddress.ip_network(s.inputs["cidrBlock"]).subnet_of(
            ipaddress.ip_network("10.20.0.0/16")
        )


def test_subnets_carry_the_tags_eks_load_balancers_look_for(run_spec, base_config):
    run = run_spec(base_config("aws"))
    cluster = run.one("aws:eks/cluster:Cluster").inputs["name"]
    for s in _subnets(run, "private"):
        assert s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        assert "kubernetes.io/role/elb" not in s.inputs["tags"]
        assert s.inputs["tags"][f"kubernetes.io/cluster/{cluster}"] == "shared"
    for s in _subnets(run, "public"):
        assert s.inputs["tags"]["kubernetes.io/role/elb"] == "1"


@pytest.mark.parametrize(
    ("nat", "zones", "expected"),
    [("single", 2, 1), ("per_az", 2, 2), ("per_az", 3, 3), ("single", 3, 1)],
)
def test_nat_gateways_single_or_one_per_zone(run_spec, base_config, nat, zones, expected):
    cfg = base_config("aws")
    cfg["network"].update(nat=nat, availability_zones=zones)
    run = run_spec(cfg)
    nats = run.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == expected
    assert len(run.of_type("aws:ec2/eip:Eip")) == expected
    public_ids = {s.id for s in _subnets(run, "public")}
    assert all(n.inputs["subnetId"] in public_ids for n in nats)
    # Every private subnet's default route goes out through one of those NAT gateways.
    nat_ids = {n.id for n in nats}
    private_routes = [r for r in run.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(private_routes) == zones
    assert {r.inputs["natGatewayId"] for r in private_routes} == nat_ids
    assert all(r.inputs["destinationCidrBlock"] == "0.0.0.0/0" for r in private_routes)


def test_private_route_tables_are_associated_with_private_subnets_only(run_spec, base_config):
    run = run_spec(base_config("aws"))
    igw = run.one("aws:ec2/internetGateway:InternetGateway")
    igw_routes = [
        r for r in run.of_type("aws:ec2/route:Route") if r.inputs.get("gatewayId") == igw.id
    ]
    assert len(igw_routes) == 1
    public_rt = igw_routes[0].inputs["routeTableId"]
    assoc = {
        a.inputs["subnetId"]: a.inputs["routeTableId"]
        for a in run.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    }
    for s in _subnets(run, "public"):
        assert assoc[s.id] == public_rt
    for s in _subnets(run, "private"):
        assert assoc[s.id] != public_rt


def test_s3_gateway_endpoint_serves_private_route_tables(run_spec, base_config):
    run = run_spec(base_config("aws"))
    ep = run.one("aws:ec2/vpcEndpoint:VpcEndpoint")
    assert ep.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert ep.inputs["vpcEndpointType"] == "Gateway"
    nat_route_tables = {
        r.inputs["routeTableId"]
        for r in run.of_type("aws:ec2/route:Route")
        if "natGatewayId" in r.inputs
    }
    assert set(ep.inputs["routeTableIds"]) == nat_route_tables


def test_workload_security_group_is_closed_to_the_internet(run_spec, base_config):
    run = run_spec(base_config("aws"))
    sg = run.by_name("mlp-aws-network-workloads")
    ingress = run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    assert len(ingress) == 1
    assert ingress[0].inputs["referencedSecurityGroupId"] == sg.id
    assert "cidrIpv4" not in ingress[0].inputs
    egress_cidr = [
        e
        for e in run.of_type("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
        if "cidrIpv4" in e.inputs
    ]
    assert [(e.inputs["fromPort"], e.inputs["toPort"]) for e in egress_cidr] == [(443, 443)]
    # The VPC's default group is taken over with no rules at all.
    default = run.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default.inputs.get("ingress") and not default.inputs.get("egress")


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.20.0.0/20", "172.16.0.0/12", "10.0.0.0/8"])
@pytest.mark.parametrize("zones", [2, 3, 6])
def test_subnet_layout_is_disjoint_and_inside_the_vpc(cidr, zones):
    private, public = subnet_layout(cidr, zones)
    assert len(private) == len(public) == zones
    nets = [ipaddress.ip_network(c) for c in private + public]
    vpc = ipaddress.ip_network(cidr)
    assert all(n.subnet_of(vpc) for n in nets)
    for i, a in enumerate(nets):
        for b in nets[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    # Private subnets hold the pods' VPC-CNI addresses: 8x the public ones.
    assert nets[0].num_addresses == 8 * nets[zones].num_addresses


def test_subnet_layout_for_a_slash_16():
    private, public = subnet_layout("10.20.0.0/16", 2)
    assert private == ["10.20.0.0/19", "10.20.32.0/19"]
    assert public == ["10.20.224.0/22", "10.20.228.0/22"]


def test_more_zones_than_the_region_has_fails_naming_the_field():
    assert pick_zones(["us-west-1a", "us-west-1c"], 2, "us-west-1") == ["us-west-1a", "us-west-1c"]
    with pytest.raises(
        ValueError,
        match=r"network.availability_zones: 3 requested but "
        r"us-west-1 has 2 available \(us-west-1a, us-west-1c\)",
    ):
        pick_zones(["us-west-1a", "us-west-1c"], 3, "us-west-1")


def test_vpc_flow_logs_go_to_an_audit_log_group_kept_a_year(run_spec, base_config):
    run = run_spec(base_config("aws"))
    vpc = run.one("aws:ec2/vpc:Vpc")
    log = run.one("aws:ec2/flowLog:FlowLog").inputs
    (group,) = [
        g
        for g in run.of_type("aws:cloudwatch/logGroup:LogGroup")
        if g.name == "mlp-aws-network-flow-logs"
    ]
    assert log["vpcId"] == vpc.id and log["trafficType"] == "ALL"
    assert log["logDestination"] == group.state["arn"]
    assert group.inputs["retentionInDays"] == 365
    role = next(r for r in run.of_type("aws:iam/role:Role") if r.state["arn"] == log["iamRoleArn"])
    assert "vpc-flow-logs.amazonaws.com" in role.inputs["assumeRolePolicy"]
