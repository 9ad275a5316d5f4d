"""AWS answers for the mock monitor: ARNs in the stack's region and a fixed account."""

from __future__ import annotations

import base64
from typing import Any

from stacks.mocks.ids import hex_id, split_token, uuid_id

ACCOUNT = "123456789012"


# Id prefixes EC2 gives its resources (vpc-0a1b…), and the ARN resource kinds that differ.
_EC2_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc",
    "aws:ec2/subnet:Subnet": "subnet",
    "aws:ec2/securityGroup:SecurityGroup": "sg",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg",
    "aws:ec2/natGateway:NatGateway": "nat",
    "aws:ec2/internetGateway:InternetGateway": "igw",
    "aws:ec2/routeTable:RouteTable": "rtb",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt",
    "aws:ec2/placementGroup:PlacementGroup": "pg",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr",
}
_EC2_ARN_KIND = {
    "aws:ec2/placementGroup:PlacementGroup": "placement-group",
    "aws:ec2/securityGroup:SecurityGroup": "security-group",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security-group",
    "aws:ec2/natGateway:NatGateway": "natgateway",
    "aws:ec2/internetGateway:InternetGateway": "internet-gateway",
    "aws:ec2/routeTable:RouteTable": "route-table",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpc-endpoint",
    "aws:ec2/launchTemplate:LaunchTemplate": "launch-template",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security-group-rule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security-group-rule",
}


def _region(mocks: Any) -> str:
    return mocks.region.get("aws", "us-east-1")


def new_resource(args: Any, mocks: Any) -> tuple[str, dict]:
    region = _region(mocks)
    _, service, kind = split_token(args.typ)
    state: dict[str, Any] = dict(args.inputs)
    name = args.inputs.get("name") or f"{args.name}-{hex_id(args.typ, args.name, n=7)}"
    arn = f"arn:aws:{service}:{region}:{ACCOUNT}:{kind[0].lower() + kind[1:]}/{name}"
    rid = name
    if args.typ == "aws:s3/bucket:Bucket":
        rid = args.inputs.get("bucket") or f"{args.name}-{hex_id(args.name, n=12)}"
        arn = f"arn:aws:s3:::{rid}"
        state.update(
            bucket=rid,
            bucketDomainName=f"{rid}.s3.amazonaws.com",
            bucketRegionalDomainName=f"{rid}.s3.{region}.amazonaws.com",
            region=region,
        )
    elif args.typ == "aws:kms/key:Key":
        rid = uuid_id(args.name)
        arn = f"arn:aws:kms:{region}:{ACCOUNT}:key/{rid}"
        state.update(keyId=rid)
    elif service == "iam" and kind in ("Role", "Policy", "InstanceProfile", "User"):
        arn = f"arn:aws:iam::{ACCOUNT}:{kind[0].lower() + kind[1:]}/{name}"
        state.update(name=name, uniqueId="AROA" + hex_id(args.name, n=16).upper())
    elif args.typ == "aws:eks/cluster:Cluster":
        host = hex_id(args.name, n=32).upper()
        state.update(
            name=name,
            endpoint=f"https://{host}.gr7.{region}.eks.amazonaws.com",
            certificateAuthority={"data": base64.b64encode(b"mock-ca-" + host.encode()).decode()},
            identities=[
                {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{host}"}]}
            ],
            version=args.inputs.get("version") or "1.31",
            status="ACTIVE",
            # EKS creates the cluster security group and reports it here.
            vpcConfig={
                **(args.inputs.get("vpcConfig") or {}),
                "clusterSecurityGroupId": f"sg-{hex_id(args.name + '-cluster', n=17)}",
            },
        )
        arn = f"arn:aws:eks:{region}:{ACCOUNT}:cluster/{name}"
    elif args.typ == "aws:ecr/repository:Repository":
        state.update(
            repositoryUrl=f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}", registryId=ACCOUNT
        )
        arn = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}"
    elif args.typ in _EC2_ID_PREFIX:
        rid = f"{_EC2_ID_PREFIX[args.typ]}-{hex_id(args.name, n=17)}"
        arn = f"arn:aws:ec2:{region}:{ACCOUNT}:{_EC2_ARN_KIND.get(args.typ, kind.lower())}/{rid}"
        if args.typ == "aws:ec2/placementGroup:PlacementGroup":
            state.update(name=args.inputs.get("name") or name)
        if args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            state.update(latestVersion=1, defaultVersion=1)
        elif args.typ == "aws:ec2/securityGroup:SecurityGroup":
            state.update(name=args.inputs.get("name") or name)
    elif args.typ == "aws:eks/nodeGroup:NodeGroup":
        cluster = args.inputs.get("clusterName", "cluster")
        ng = args.inputs.get("nodeGroupName") or f"{args.name}-{hex_id(args.name, n=7)}"
        rid = f"{cluster}:{ng}"
        arn = f"arn:aws:eks:{region}:{ACCOUNT}:nodegroup/{cluster}/{ng}/{uuid_id(args.name)}"
        state.update(
            nodeGroupName=ng,
            status="ACTIVE",
            resources=[{"autoscalingGroups": [{"name": f"eks-{ng}-{hex_id(ng, n=8)}"}]}],
        )
    elif args.typ == "aws:kms/alias:Alias":
        arn = f"arn:aws:kms:{region}:{ACCOUNT}:{name}"
    elif args.typ == "aws:iam/rolePolicy:RolePolicy":
        rid = f"{args.inputs.get('role', 'role')}:{name}"
    elif args.typ == "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        rid = f"{args.inputs.get('role', 'role')}-{hex_id(args.name, n=8)}"
    elif args.typ == "aws:sagemaker/domain:Domain":
        rid = f"d-{hex_id(args.name, n=12)}"
        arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:domain/{rid}"
        state.update(
            url=f"https://{rid}.studio.{region}.sagemaker.aws",
            homeEfsFileSystemId=f"fs-{hex_id(args.name, n=17)}",
            securityGroupIdForDomainBoundary=f"sg-{hex_id(args.name, 'domain', n=17)}",
        )
    elif args.typ == "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer":
        rid = args.inputs.get("trackingServerName", name)
        arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:mlflow-tracking-server/{rid}"
        state.update(
            trackingServerUrl=f"https://t-{hex_id(rid, n=12)}.{region}.experiments.sagemaker.aws"
        )
    elif args.typ == "aws:ec2/eip:Eip":
        rid = f"eipalloc-{hex_id(args.name, n=17)}"
        state.update(publicIp="203.0.113." + str(int(hex_id(args.name, n=2), 16) % 250 + 1))
    elif args.typ == "aws:cloudwatch/logGroup:LogGroup":
        arn = f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"
    elif args.typ == "aws:sagemaker/modelPackageGroup:ModelPackageGroup":
        name = args.inputs.get("modelPackageGroupName", name)
        arn = f"arn:aws:sagemaker:{region}:{ACCOUNT}:model-package-group/{name}"
    state.setdefault("arn", arn)
    state.setdefault("id", rid)
    if "tags" in args.inputs or "tagsAll" not in state:
        state["tagsAll"] = {**(args.inputs.get("tags") or {})}
    return rid, state


def call(args: Any, mocks: Any) -> dict:
    region = _region(mocks)
    tok = args.token
    if tok == "aws:index/getAvailabilityZones:getAvailabilityZones":
        names = [f"{region}{z}" for z in "abcd"]
        return {"names": names, "zoneIds": [f"use1-az{i}" for i in range(1, 5)], "id": region}
    if tok == "aws:index/getCallerIdentity:getCallerIdentity":
        return {
            "accountId": ACCOUNT,
            "arn": f"arn:aws:iam::{ACCOUNT}:user/pioneer",
            "userId": "AIDAMOCK",
            "id": ACCOUNT,
        }
    if tok in ("aws:index/getRegion:getRegion", "aws:index/region:getRegion"):
        return {
            "name": region,
            "region": region,
            "id": region,
            "endpoint": f"ec2.{region}.amazonaws.com",
            "description": region,
        }
    if tok == "aws:ecr/getAuthorizationToken:getAuthorizationToken":
        registry = args.args.get("registryId") or ACCOUNT
        return {
            "userName": "AWS",
            "password": "mock-ecr-token",
            "authorizationToken": "QVdTOm1vY2stZWNyLXRva2Vu",
            "proxyEndpoint": f"https://{registry}.dkr.ecr.{region}.amazonaws.com",
            "expiresAt": "2030-01-01T12:00:00Z",
            "id": region,
        }
    if tok == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
    return {}
