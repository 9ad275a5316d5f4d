"""The GCP platform: services, network, keys, storage, Vertex AI, identities, private GKE.

`build` composes the components under `MlPlatform`, all through one explicit
provider pinned to the spec's project and region, and returns the stack
outputs the training backends and users read.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.gcp.cluster import GkeCluster
from components.gcp.identity import Identity
from components.gcp.keys import Keys
from components.gcp.kubeconfig import kubeconfig
from components.gcp.mlops import VertexMlops
from components.gcp.network import Network
from components.gcp.services import ProjectServices, required_services
from components.gcp.storage import Storage
from components.gcp.tags import platform_labels, warn_label_changes
from components.gcp.validation import check_gcp_spec
from components.k8s import ClusterAddons, ClusterAddonsArgs
from components.spec import PlatformSpec

OUTPUT_KEYS = (
    "project",
    "region",
    "bucket_name",
    "bucket_url",
    "kms_key_id",
    "cluster_name",
    "cluster_endpoint",
    "kubeconfig",
    "training_service_account",
    "node_service_account",
    "artifact_registry_url",
    "metadata_store_id",
    "tensorboard_id",
    "node_pools",
    "network",
    "subnetwork",
)


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> dict[str, Any]:
    assert spec.project  # the spec edge requires a project on gcp
    check_gcp_spec(spec)  # every GCP-specific problem at once, before anything is declared
    warn_label_changes(spec)
    provider = gcp.Provider(
        f"{name}-gcp",
        project=spec.project,
        region=spec.region,
        default_labels=platform_labels(spec, "MlPlatform"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    opts = pulumi.ResourceOptions(parent=parent, providers={"gcp": provider})

    services = ProjectServices(
        f"{name}-services", spec.project, required_services(spec.mlops.enabled), opts=opts
    )
    apis = services.resources
    agents = ["storage", "artifactregistry", "container", "compute"]
    if spec.mlops.enabled:
        agents.append("aiplatform")
    keys = Keys(f"{name}-keys", spec, agents, depends_on=apis, opts=opts)
    key_id = keys.crypto_key.id
    network = Network(f"{name}-net", spec, depends_on=apis, opts=opts)
    cmek_bucket = spec.storage.customer_managed_key
    storage = Storage(
        f"{name}-storage",
        spec,
        key_id if cmek_bucket else None,
        depends_on=[*apis, keys.grants["storage"]],
        opts=opts,
    )
    vertex_deps = [*apis, keys.grants["aiplatform"]] if spec.mlops.enabled else apis
    mlops = VertexMlops(
        f"{name}-mlops",
        spec,
        key_id,
        repo_depends_on=[*apis, keys.grants["artifactregistry"]],
        vertex_depends_on=vertex_deps,
        opts=opts,
    )
    identity = Identity(
        f"{name}-iam",
        spec,
        bucket_name=storage.bucket_name,
        repository=mlops.repository,
        depends_on=apis,
        opts=opts,
    )
    cluster = GkeCluster(
        f"{name}-gke",
        spec,
        network=network,
        node_service_account=identity.node_service_account,
        training_service_account_name=identity.training_sa.name,
        kms_key_id=key_id,
        depends_on=[*apis, keys.grants["container"], keys.grants["compute"]],
        opts=opts,
    )
    kube = kubeconfig(
        f"gke_{spec.project}_{spec.region}_{name}",
        cluster.endpoint,
        cluster.cluster.master_auth.cluster_ca_certificate,
    )
    # GKE installs GPU drivers and the device plugin itself; the trainer service account is
    # bound to the training account by the cluster's workload-identity binding.
    ClusterAddons(
        f"{name}-addons",
        ClusterAddonsArgs(
            kubeconfig=kube,
            device_plugin=False,
            service_account_annotations={
                "iam.gke.io/gcp-service-account": identity.training_service_account
            },
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[cluster]),
    )
    return {
        "project": spec.project,
        "region": spec.region,
        "bucket_name": storage.bucket_name,
        "bucket_url": storage.bucket_url,
        "kms_key_id": key_id,
        "cluster_name": cluster.name,
        "cluster_endpoint": cluster.endpoint,
        "kubeconfig": kube,
        "training_service_account": identity.training_service_account,
        "node_service_account": identity.node_service_account,
        "artifact_registry_url": mlops.repository_url,
        "metadata_store_id": mlops.metadata_store_id,
        "tensorboard_id": mlops.tensorboard_id,
        "node_pools": cluster.pool_outputs,
        "network": network.vpc.self_link,
        "subnetwork": network.subnet.self_link,
    }
