"""The GCP platform: services, network, keys, storage, Vertex AI, identities, private GKE.

`build` composes the components under `MlPlatform`, all through one explicit
provider pinned to the spec's project and region, and returns the stack
outputs the training backends and users read.
"""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.gcp.addons import addons_args
from components.gcp.cluster import GkeCluster, GkeClusterArgs
from components.gcp.identity import Identity, IdentityArgs
from components.gcp.keys import Keys, KeysArgs
from components.gcp.kubeconfig import kubeconfig
from components.gcp.mlops import VertexMlops, VertexMlopsArgs
from components.gcp.network import Network, NetworkArgs
from components.gcp.node_pools import plan_pool
from components.gcp.services import ProjectServices, ProjectServicesArgs, required_services
from components.gcp.storage import Storage, StorageArgs
from components.gcp.tags import platform_labels, warn_label_changes
from components.k8s.image import IMAGE_NAME, TrainingImage, TrainingImageArgs
from components.k8s.stage import install_or_export
from components.outputs import GcpOutputs
from components.spec import PlatformSpec
from cost.kubernetes_versions import in_extended_support


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> GcpOutputs:
    assert spec.project  # the spec edge requires a project on gcp
    warn_label_changes(spec)
    provider = gcp.Provider(
        f"{name}-gcp",
        project=spec.project,
        region=spec.region,
        default_labels=platform_labels(spec, "MlPlatform"),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    opts = pulumi.ResourceOptions(parent=parent, providers={"gcp": provider})

    project, region = spec.project, spec.region
    services = ProjectServices(
        f"{name}-services",
        ProjectServicesArgs(project=project, services=required_services(spec.mlops.enabled)),
        opts=opts,
    )
    apis = services.resources
    agents = ["storage", "artifactregistry", "container", "compute"]
    if spec.mlops.enabled:
        agents.append("aiplatform")
    keys = Keys(
        f"{name}-keys",
        KeysArgs(
            project=project,
            region=region,
            agents=agents,
            labels=platform_labels(spec, "Keys"),
            depends_on=apis,
        ),
        opts=opts,
    )
    key_id = keys.crypto_key.id
    network = Network(
        f"{name}-net",
        NetworkArgs(
            platform=spec.name,
            project=project,
            region=region,
            cidr=spec.network.cidr,
            depends_on=apis,
        ),
        opts=opts,
    )
    storage = Storage(
        f"{name}-storage",
        StorageArgs(
            project=project,
            region=region,
            kms_key_id=key_id if spec.storage.customer_managed_key else None,
            versioning=spec.storage.versioning,
            public_access=spec.storage.public_access,
            checkpoint_retention_days=spec.storage.checkpoint_retention_days,
            soft_delete_days=spec.storage.soft_delete_days,
            force_destroy=spec.storage.force_destroy,
            labels=platform_labels(spec, "Storage"),
            depends_on=[*apis, keys.grants["storage"], keys.propagated],
        ),
        opts=opts,
    )
    mlops = VertexMlops(
        f"{name}-mlops",
        VertexMlopsArgs(
            platform=spec.name,
            project=project,
            region=region,
            kms_key_id=key_id,
            vertex=spec.mlops.enabled,
            tensorboard=spec.mlops.tensorboard,
            labels=platform_labels(spec, "VertexMlops"),
            repo_depends_on=[*apis, keys.grants["artifactregistry"], keys.propagated],
            vertex_depends_on=(
                [*apis, keys.grants["aiplatform"], keys.propagated] if spec.mlops.enabled else apis
            ),
        ),
        opts=opts,
    )
    image: TrainingImage | None = None
    if spec.image.build:
        # The deployer's own OAuth access token (about an hour), as `gcloud auth
        # configure-docker` would use: Artifact Registry takes it as user `oauth2accesstoken`.
        client = gcp.organizations.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(parent=parent, provider=provider)
        )
        image = TrainingImage(
            f"{name}-training-image",
            TrainingImageArgs(
                repository=pulumi.Output.concat(mlops.repository_url, "/", IMAGE_NAME),
                registry=f"{region}-docker.pkg.dev",
                username="oauth2accesstoken",
                password=client.access_token,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    identity = Identity(
        f"{name}-iam",
        IdentityArgs(
            platform=spec.name,
            project=project,
            region=region,
            bucket_name=storage.bucket_name,
            repository_name=mlops.repository.name,
            vertex=spec.mlops.enabled,
            depends_on=apis,
        ),
        opts=opts,
    )
    cluster = GkeCluster(
        f"{name}-gke",
        GkeClusterArgs(
            project=project,
            region=region,
            vpc_id=network.vpc.id,
            subnet_id=network.subnet.id,
            pods_range_name=network.pods_range_name,
            services_range_name=network.services_range_name,
            nodes_cidr=network.ranges.nodes,
            master_cidr=network.ranges.master,
            node_service_account=identity.node_service_account,
            training_service_account_name=identity.training_sa.name,
            kms_key_id=key_id,
            pools=[plan_pool(p, i, spec) for i, p in enumerate(spec.node_pools)],
            private_endpoint=spec.cluster.private_endpoint,
            authorized_cidrs=list(spec.cluster.authorized_cidrs),
            release_channel=spec.cluster.release_channel,
            kubernetes_version=spec.cluster.kubernetes_version,
            extended_support=in_extended_support("gcp", spec.cluster.kubernetes_version),
            deletion_protection=spec.cluster.deletion_protection,
            labels=platform_labels(spec, "GkeCluster"),
            depends_on=[*apis, keys.grants["container"], keys.grants["compute"], keys.propagated],
        ),
        opts=opts,
    )
    kube = kubeconfig(
        f"gke_{project}_{region}_{name}",
        cluster.endpoint,
        cluster.cluster.master_auth.cluster_ca_certificate,
    )
    # GKE installs GPU drivers and the device plugin itself; the trainer service account is
    # bound to the training account by the cluster's workload-identity binding.
    addons_inputs = install_or_export(
        name,
        spec,
        {
            "kubeconfig": kube,
            "trainer_annotations": {
                "iam.gke.io/gcp-service-account": identity.training_service_account
            },
        },
        addons_args,
        pulumi.ResourceOptions(parent=parent, depends_on=[cluster]),
    )
    outputs: GcpOutputs = {
        "addons_inputs": addons_inputs,
        "cloud": "gcp",
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
        "registry_url": mlops.repository_url,
        "training_image": image.ref if image else None,
        "metadata_store_id": mlops.metadata_store_id,
        "tensorboard_id": mlops.tensorboard_id,
        "node_pools": cluster.pool_outputs,
        "network": network.vpc.self_link,
        "subnetwork": network.subnet.self_link,
    }
    return outputs
