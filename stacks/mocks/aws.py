"""AWS answers for the mock monitor: ARNs in the stack's region and a fixed account."""

from __future__ import annotations

import base64
from typing import Any

from stacks.mocks.ids import hex_id, split_token, uuid_id

ACCOUNT = "123456789012"


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
        state.update(bucket=rid, bucketDomainName=f"{rid}.s3.amazonaws.com",
                     bucketRegionalDomainName=f"{rid}.s3.{region}.amazonaws.com", region=region)
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
            identities=[{"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{host}"}]}],
            version=args.inputs.get("version") or "1.31",
            status="ACTIVE",
        )
        arn = f"arn:aws:eks:{region}:{ACCOUNT}:cluster/{name}"
    elif args.typ == "aws:ecr/repository:Repository":
        state.update(repositoryUrl=f"{ACCOUNT}.dkr.ecr.{region}.amazonaws.com/{name}",
                     registryId=ACCOUNT)
        arn = f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}"
    elif args.typ == "aws:ec2/vpc:Vpc":
        rid = f"vpc-{hex_id(args.name, n=17)}"
    elif args.typ == "aws:ec2/subnet:Subnet":
        rid = f"subnet-{hex_id(args.name, n=17)}"
    elif args.typ == "aws:ec2/securityGroup:SecurityGroup":
        rid = f"sg-{hex_id(args.name, n=17)}"
    elif args.typ == "aws:ec2/natGateway:NatGateway":
        rid = f"nat-{hex_id(args.name, n=17)}"
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
        return {"accountId": ACCOUNT, "arn": f"arn:aws:iam::{ACCOUNT}:user/pioneer",
                "userId": "AIDAMOCK", "id": ACCOUNT}
    if tok in ("aws:index/getRegion:getRegion", "aws:index/region:getRegion"):
        return {"name": region, "region": region, "id": region,
                "endpoint": f"ec2.{region}.amazonaws.com", "description": region}
    if tok == "aws:index/getPartition:getPartition":
        return {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"}
    return {}
