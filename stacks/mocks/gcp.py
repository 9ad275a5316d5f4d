"""GCP answers for the mock monitor: self-links, ids under projects/…, SA emails."""

from __future__ import annotations

from typing import Any

from stacks.mocks.ids import hex_id, split_token

NUMBER = "123456789012"


def _ctx(mocks: Any) -> tuple[str, str]:
    return mocks.region.get("gcp_project", "pioneer-dev"), mocks.region.get("gcp", "us-central1")


def new_resource(args: Any, mocks: Any) -> tuple[str, dict]:
    project, region = _ctx(mocks)
    project = args.inputs.get("project") or project
    _, module, kind = split_token(args.typ)
    state: dict[str, Any] = dict(args.inputs)
    name = args.inputs.get("name") or f"{args.name}-{hex_id(args.typ, args.name, n=7)}"
    state.setdefault("project", project)
    rid = f"projects/{project}/{kind[0].lower() + kind[1:]}s/{name}"
    base = "https://www.googleapis.com/compute/v1"
    if module == "compute":
        scope = (
            f"regions/{args.inputs.get('region', region)}/"
            if kind in ("Subnetwork", "Router", "RouterNat", "Address")
            else "global/"
        )
        rid = f"projects/{project}/{scope}{kind[0].lower() + kind[1:]}s/{name}"
        state.update(selfLink=f"{base}/{rid}", name=name)
    elif args.typ == "gcp:serviceaccount/account:Account":
        email = f"{args.inputs['accountId']}@{project}.iam.gserviceaccount.com"
        rid = f"projects/{project}/serviceAccounts/{email}"
        state.update(
            email=email,
            member=f"serviceAccount:{email}",
            name=rid,
            uniqueId=str(int(hex_id(email, n=12), 16)),
        )
    elif args.typ == "gcp:storage/bucket:Bucket":
        rid = name
        state.update(
            name=name,
            url=f"gs://{name}",
            selfLink=f"https://www.googleapis.com/storage/v1/b/{name}",
        )
    elif args.typ == "gcp:kms/keyRing:KeyRing":
        rid = f"projects/{project}/locations/{args.inputs.get('location', region)}/keyRings/{name}"
    elif args.typ == "gcp:kms/cryptoKey:CryptoKey":
        rid = f"{args.inputs.get('keyRing')}/cryptoKeys/{name}"
    elif args.typ == "gcp:container/cluster:Cluster":
        loc = args.inputs.get("location", region)
        rid = f"projects/{project}/locations/{loc}/clusters/{name}"
        state.update(
            name=name,
            endpoint="172.16.0.2",
            selfLink=f"https://container.googleapis.com/v1/{rid}",
            masterAuth={"clusterCaCertificate": "bW9jay1jYQ=="},
        )
    elif args.typ == "gcp:container/nodePool:NodePool":
        rid = (
            f"projects/{project}/locations/{args.inputs.get('location', region)}/clusters/"
            f"{args.inputs.get('cluster', 'cluster')}/nodePools/{name}"
        )
        state.update(name=name)
    elif args.typ == "gcp:artifactregistry/repository:Repository":
        loc = args.inputs.get("location", region)
        rid = f"projects/{project}/locations/{loc}/repositories/{args.inputs.get('repositoryId', name)}"
        state.update(name=args.inputs.get("repositoryId", name))
    elif args.typ == "gcp:projects/service:Service":
        rid = f"{project}/{args.inputs.get('service')}"
    elif args.typ == "gcp:projects/serviceIdentity:ServiceIdentity":
        agent = args.inputs.get("service", "").split(".")[0]
        email = f"service-{NUMBER}@gcp-sa-{agent}.iam.gserviceaccount.com"
        rid = f"projects/{project}/services/{args.inputs.get('service')}"
        state.update(email=email, member=f"serviceAccount:{email}")
    elif args.typ == "gcp:vertex/aiMetadataStore:AiMetadataStore":
        rid = f"projects/{project}/locations/{args.inputs.get('region', region)}/metadataStores/{name}"
        state.update(name=name)
    elif args.typ == "gcp:vertex/aiTensorboard:AiTensorboard":
        # Vertex names TensorBoards by a numeric id under the project *number*.
        rid = (
            f"projects/{NUMBER}/locations/{args.inputs.get('region', region)}/tensorboards/"
            f"{int(hex_id(args.typ, args.name, n=15), 16)}"
        )
        state.update(name=rid)
    elif module == "vertex":
        loc = args.inputs.get("region", region)
        rid = (
            f"projects/{NUMBER}/locations/{loc}/{kind[2].lower() + kind[3:]}s/{hex_id(name, n=19)}"
        )
        state.update(name=rid)
    state.setdefault("id", rid)
    return rid, state


def call(args: Any, mocks: Any) -> dict:
    project, region = _ctx(mocks)
    if args.token in ("gcp:organizations/getProject:getProject",):
        return {
            "projectId": project,
            "number": NUMBER,
            "name": project,
            "id": f"projects/{project}",
        }
    if args.token == "gcp:organizations/getClientConfig:getClientConfig":
        return {"project": project, "region": region, "accessToken": "mock", "id": project}
    if args.token == "gcp:storage/getProjectServiceAccount:getProjectServiceAccount":
        # Asking for the Cloud Storage service agent is what creates it on a fresh project.
        return {
            "emailAddress": f"service-{NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
            "member": f"serviceAccount:service-{NUMBER}@gs-project-accounts.iam.gserviceaccount.com",
            "id": project,
            "project": project,
        }
    if args.token == "gcp:projects/getProject:getProject":
        return {"projects": [{"projectId": project, "number": NUMBER}]}
    return {}
