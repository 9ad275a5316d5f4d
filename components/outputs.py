"""The stack-outputs contract: what each cloud's `build` returns and the training backends read.

One TypedDict per cloud on one common base, so the same thing has the same key
everywhere (``region``, ``cluster_name``, ``bucket_name``, ``registry_url`` …)
and a cloud adds only what exists there alone. Plain data, no Pulumi import:
the backends read the resolved values from `pulumi stack output --json`.
Outputs that a spec can switch off (SageMaker, Azure ML) are ``None`` then.
"""

from __future__ import annotations

from typing import Any, TypedDict


class PlatformOutputs(TypedDict):
    """The keys every cloud's stack exports."""

    cloud: str
    """``aws``, ``gcp`` or ``azure``."""
    region: str
    """The region (Azure: location) everything is deployed in."""
    cluster_name: Any
    """The Kubernetes cluster (EKS, GKE, AKS)."""
    cluster_endpoint: Any
    """The cluster API server's address."""
    kubeconfig: Any
    """A kubeconfig for the cluster that signs in with the cloud's own credentials (secret)."""
    bucket_name: Any
    """The platform's object storage for data, checkpoints and models (Azure: the container)."""
    bucket_url: Any
    """The same as a URL (``s3://…``, ``gs://…``, ``https://<account>.blob…/<container>``)."""
    registry_url: Any
    """The training image repository (ECR repository, Artifact Registry, ACR login server)."""
    training_image: Any
    """The platform's training image by digest (``<repository>:<content tag>@sha256:…``), what
    the kubernetes backend runs by default; ``None`` with ``image.build: false``."""
    node_pools: list[dict[str, Any]]
    """One entry per spec pool: pool, accelerator, capacity, instance type, cloud name."""
    addons_inputs: Any
    """What the add-ons stack installs the cluster add-ons from (kubeconfig, identities;
    a secret); None when the platform stack installs them (`components.k8s.stage`)."""


class AwsOutputs(PlatformOutputs):
    bucket_arn: Any
    kms_key_arn: Any
    sagemaker_role_arn: Any
    model_package_group_name: Any
    log_group_name: Any
    vpc_id: Any
    private_subnet_ids: Any
    security_group_id: Any
    sagemaker_domain_id: Any
    mlflow_tracking_server_arn: Any
    training_role_arn: Any
    """The role the cluster's trainer service account assumes (EKS Pod Identity)."""


class GcpOutputs(PlatformOutputs):
    project: str
    kms_key_id: Any
    training_service_account: Any
    node_service_account: Any
    metadata_store_id: Any
    tensorboard_id: Any
    network: Any
    subnetwork: Any


class AzureOutputs(PlatformOutputs):
    resource_group: Any
    subscription_id: Any
    tenant_id: Any
    vnet_name: Any
    storage_account: Any
    key_vault_uri: Any
    oidc_issuer_url: Any
    workload_identity_client_id: Any
    workspace_name: Any
    compute_clusters: Any
    compute_identity_id: Any
    compute_identity_principal_id: Any
    compute_identity_client_id: Any
    application_insights_id: Any


OUTPUTS: dict[str, type[PlatformOutputs]] = {
    "aws": AwsOutputs,
    "gcp": GcpOutputs,
    "azure": AzureOutputs,
}


def output_keys(cloud: str) -> tuple[str, ...]:
    """Every key `cloud`'s stack exports (besides the cost figures the program adds)."""
    return tuple(OUTPUTS[cloud].__annotations__)
