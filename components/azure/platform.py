"""The Azure platform: `build` composes the parts under `MlPlatform` with one provider.

Every part is a direct child of `MlPlatform`, as on the other clouds.
`pulumi_azure_native` has no provider-level default tags, so every part gets
the one tag transformation (`components.azure.tags`) its children inherit.
Order of construction follows the references: resource group -> network ->
Key Vault, storage, observability, registry -> AKS cluster -> its training add-ons and
pod workload identity (`components.k8s`) -> compute identity
and its grants -> Azure ML workspace and compute -> the workspace's private endpoint
(the Azure ML part only with `mlops.enabled`).
"""

from __future__ import annotations

import pulumi
import pulumi_azure_native as azure_native

from components.azure import naming
from components.azure.addons import addons_args
from components.azure.cluster import Cluster, ClusterArgs
from components.azure.identity import ComputeIdentity, ComputeIdentityArgs
from components.azure.keys import KeyVault, KeyVaultArgs
from components.azure.mlops import MachineLearning, MachineLearningArgs
from components.azure.network import Network, NetworkArgs
from components.azure.observability import Observability, ObservabilityArgs
from components.azure.private_link import PrivateLink, PrivateLinkArgs
from components.azure.registry import Registry, RegistryArgs
from components.azure.roles import principal_type
from components.azure.storage import Storage, StorageArgs
from components.azure.tags import tag_transformation
from components.k8s.identity import azure_workload_identity
from components.k8s.image import IMAGE_NAME, TrainingImage, TrainingImageArgs
from components.k8s.stage import install_or_export
from components.outputs import AzureOutputs
from components.spec import PlatformSpec
from cost.kubernetes_versions import in_extended_support


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> AzureOutputs:
    tagged = pulumi.ResourceOptions(parent=parent, transformations=[tag_transformation(spec)])
    provider = azure_native.Provider(f"{name}-azure-native", location=spec.region, opts=tagged)
    part = pulumi.ResourceOptions.merge(tagged, pulumi.ResourceOptions(providers=[provider]))
    client = azure_native.authorization.get_client_config_output(
        opts=pulumi.InvokeOutputOptions(provider=provider, parent=parent)
    )
    subscription_id, tenant_id = client.subscription_id, client.tenant_id
    suffix = subscription_id.apply(lambda s: naming.unique_suffix(name, s))
    generation = spec.storage.key_vault_generation

    resource_group = azure_native.resources.ResourceGroup(
        f"{name}-rg", location=spec.region, opts=part
    )
    rg, location = resource_group.name, spec.region
    network = Network(
        f"{name}-network",
        NetworkArgs(resource_group_name=rg, location=location, cidr=spec.network.cidr),
        opts=part,
    )
    vault = KeyVault(
        f"{name}-keys",
        KeyVaultArgs(
            resource_group_name=rg,
            location=location,
            vault_name=subscription_id.apply(
                lambda s: naming.key_vault_name(name, naming.vault_suffix(name, s, generation))
            ),
            tenant_id=tenant_id,
            nodes_subnet_id=network.nodes_subnet.id,
            soft_delete_days=spec.storage.soft_delete_days,
            storage_key=spec.storage.customer_managed_key,
        ),
        opts=part,
    )
    storage = Storage(
        f"{name}-storage",
        StorageArgs(
            platform=spec.name,
            resource_group_name=rg,
            location=location,
            account_name=suffix.apply(lambda s: naming.storage_account_name(name, s)),
            subscription_id=subscription_id,
            versioning=spec.storage.versioning,
            public_access=spec.storage.public_access,
            soft_delete_days=spec.storage.soft_delete_days,
            checkpoint_retention_days=spec.storage.checkpoint_retention_days,
            key=vault.storage_key,
            key_vault_uri=vault.vault_uri,
            deployer_object_id=client.object_id,
            deployer_client_id=client.client_id,
        ),
        opts=part,
    )
    observability = Observability(
        f"{name}-observability",
        ObservabilityArgs(resource_group_name=rg, location=location),
        opts=part,
    )
    registry = Registry(
        f"{name}-registry",
        RegistryArgs(
            resource_group_name=rg,
            location=location,
            registry_name=suffix.apply(lambda s: naming.registry_name(name, s)),
            subscription_id=subscription_id if spec.image.build else None,
            pusher_object_id=client.object_id if spec.image.build else None,
            pusher_client_id=client.client_id if spec.image.build else None,
        ),
        opts=part,
    )
    image: TrainingImage | None = None
    if spec.image.build:
        # The admin user stays off, so there is no registry password to hand the provider: it
        # uses the Docker credentials `az acr login --name <registry>` leaves on the deployer's
        # machine (an Entra token exchanged for an ACR refresh token, about 3 hours).
        image = TrainingImage(
            f"{name}-training-image",
            TrainingImageArgs(
                repository=pulumi.Output.concat(registry.registry.login_server, "/", IMAGE_NAME),
                registry=registry.registry.login_server,
            ),
            opts=pulumi.ResourceOptions(
                parent=parent, depends_on=[g for g in (registry.push_grant,) if g is not None]
            ),
        )
    cluster = Cluster(
        f"{name}-cluster",
        ClusterArgs(
            platform=spec.name,
            resource_group_name=rg,
            location=location,
            tenant_id=tenant_id,
            subscription_id=subscription_id,
            nodes_subnet_id=network.nodes_subnet.id,
            registry_id=registry.registry.id,
            log_analytics_id=observability.log_analytics.id,
            deployer_object_id=client.object_id,
            deployer_client_id=client.client_id,
            vnet_cidr=spec.network.cidr,
            node_pools=spec.node_pools,
            kubernetes_version=spec.cluster.kubernetes_version,
            extended_support=in_extended_support("azure", spec.cluster.kubernetes_version),
            private_endpoint=spec.cluster.private_endpoint,
            authorized_cidrs=list(spec.cluster.authorized_cidrs),
            release_channel=spec.cluster.release_channel,
            deletion_protection=spec.cluster.deletion_protection,
        ),
        opts=part,
    )
    # Training on the cluster: JobSet, the NVIDIA device plugin (AKS GPU nodes carry the
    # driver only) and a `training/trainer` service account federated (Entra workload
    # identity) with an identity that may use the platform container only.
    after_cluster = pulumi.ResourceOptions.merge(
        tagged,
        pulumi.ResourceOptions(
            depends_on=[cluster.cluster, *cluster.agent_pools.values(), cluster.deployer_admin]
        ),
    )
    workload = azure_workload_identity(
        f"{name}-workload-identity",
        resource_group=rg,
        location=location,
        oidc_issuer=cluster.oidc_issuer_url,
        container_id=storage.container.id,
        provider=provider,
        opts=after_cluster,
    )
    addons_inputs = install_or_export(
        name,
        spec,
        {"kubeconfig": cluster.kubeconfig, "trainer_annotations": workload.annotations},
        addons_args,
        after_cluster,
    )
    identity: ComputeIdentity | None = None
    ml: MachineLearning | None = None
    if spec.mlops.enabled:
        identity = ComputeIdentity(
            f"{name}-identity",
            ComputeIdentityArgs(
                platform=spec.name,
                resource_group_name=rg,
                location=location,
                subscription_id=subscription_id,
                container_id=storage.container.id,
                registry_id=registry.registry.id,
            ),
            opts=part,
        )
        ml = MachineLearning(
            f"{name}-ml",
            MachineLearningArgs(
                platform=spec.name,
                resource_group_name=rg,
                location=location,
                storage_account_id=storage.account.id,
                key_vault_id=vault.vault.id,
                app_insights_id=observability.app_insights.id,
                registry_id=registry.registry.id,
                compute_identity_id=identity.identity.id,
                gpu_pools=spec.gpu_pools,
                public_network_access=spec.mlops.public_network_access,
                compute_idle_minutes=spec.mlops.compute_idle_minutes,
                compute_depends_on=list(identity.assignments.values()),
                data_principals={
                    "deployer": (
                        client.object_id,
                        pulumi.Output.from_input(client.client_id).apply(principal_type),
                    ),
                    "compute": (identity.identity.principal_id, "ServicePrincipal"),
                },
                subscription_id=subscription_id,
            ),
            opts=part,
        )
        if not spec.mlops.public_network_access:
            # Without public access the workspace is reached from inside the VNet only.
            PrivateLink(
                f"{name}-ml-link",
                PrivateLinkArgs(
                    resource_group_name=rg,
                    location=location,
                    target_id=ml.workspace.id,
                    group_id="amlworkspace",
                    subnet_id=network.endpoints_subnet.id,
                    vnet_id=network.vnet.id,
                ),
                opts=part,
            )
    return {
        "cloud": "azure",
        "region": spec.region,
        "cluster_name": cluster.cluster.name,
        "cluster_endpoint": cluster.endpoint,
        "kubeconfig": cluster.kubeconfig,
        "bucket_name": storage.container.name,
        "bucket_url": pulumi.Output.concat(
            storage.account.primary_endpoints.apply(lambda e: e.blob), storage.container.name
        ),
        "registry_url": registry.registry.login_server,
        "training_image": image.ref if image else None,
        "node_pools": cluster.pool_outputs,
        "addons_inputs": addons_inputs,
        "resource_group": rg,
        "subscription_id": subscription_id,
        "tenant_id": tenant_id,
        "vnet_name": network.vnet.name,
        "storage_account": storage.account.name,
        "key_vault_uri": vault.vault_uri,
        "oidc_issuer_url": cluster.oidc_issuer_url,
        "workload_identity_client_id": workload.client_id,
        # Azure ML (None / empty with `mlops.enabled: false`).
        "workspace_name": ml.workspace.name if ml else None,
        "compute_clusters": ml.computes if ml else [],
        "compute_identity_id": identity.identity.id if identity else None,
        "compute_identity_principal_id": identity.identity.principal_id if identity else None,
        "compute_identity_client_id": identity.identity.client_id if identity else None,
        "application_insights_id": observability.app_insights.id,
    }
