"""`AzurePlatform`: the whole Azure ML platform under one component and one provider.

Order of construction follows the references: resource group -> network ->
Key Vault, storage, observability, registry -> AKS cluster -> its training add-ons and
pod workload identity (`components.k8s`) -> compute identity
and its grants -> Azure ML workspace and compute -> the workspace's private endpoint
(the Azure ML part only with `mlops.enabled`).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from components.azure import naming
from components.azure.base import AzureComponent
from components.azure.cluster import Cluster
from components.azure.identity import ComputeIdentity
from components.azure.keys import KeyVault
from components.azure.mlops import MachineLearning
from components.azure.network import Network
from components.azure.observability import Observability
from components.azure.private_link import PrivateLink
from components.azure.registry import Registry
from components.azure.storage import Storage
from components.azure.tags import tag_transformation
from components.k8s import ClusterAddons, ClusterAddonsArgs
from components.k8s.identity import azure_workload_identity
from components.spec import PlatformSpec


class AzurePlatform(AzureComponent):
    """Every Azure resource of one platform; `outputs` holds the stack outputs (snake_case)."""

    KIND = "Platform"

    def __init__(self, name: str, spec: PlatformSpec, opts: pulumi.ResourceOptions | None = None):
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(transformations=[tag_transformation(spec)])
        )
        super().__init__(name, opts)
        provider = azure_native.Provider(
            f"{name}-azure-native", location=spec.region, opts=self.child()
        )
        part = self.child(providers=[provider])
        client = azure_native.authorization.get_client_config_output(
            opts=pulumi.InvokeOutputOptions(provider=provider, parent=self)
        )
        subscription_id, tenant_id = client.subscription_id, client.tenant_id
        suffix = subscription_id.apply(lambda s: naming.unique_suffix(name, s))

        self.resource_group = azure_native.resources.ResourceGroup(
            f"{name}-rg", location=spec.region, opts=part
        )
        rg = self.resource_group.name
        network = Network(f"{name}-network", spec, rg, opts=part)
        vault = KeyVault(
            f"{name}-keys",
            spec,
            resource_group_name=rg,
            vault_name=suffix.apply(lambda s: naming.key_vault_name(name, s)),
            tenant_id=tenant_id,
            nodes_subnet_id=network.nodes_subnet.id,
            opts=part,
        )
        storage = Storage(
            f"{name}-storage",
            spec,
            resource_group_name=rg,
            account_name=suffix.apply(lambda s: naming.storage_account_name(name, s)),
            subscription_id=subscription_id,
            key=vault.storage_key,
            key_vault_uri=vault.vault_uri,
            opts=part,
        )
        observability = Observability(
            f"{name}-observability", spec, resource_group_name=rg, opts=part
        )
        registry = Registry(
            f"{name}-registry",
            spec,
            resource_group_name=rg,
            registry_name=suffix.apply(lambda s: naming.registry_name(name, s)),
            opts=part,
        )
        cluster = Cluster(
            f"{name}-cluster",
            spec,
            resource_group_name=rg,
            tenant_id=tenant_id,
            subscription_id=subscription_id,
            nodes_subnet_id=network.nodes_subnet.id,
            registry_id=registry.registry.id,
            log_analytics_id=observability.log_analytics.id,
            deployer_object_id=client.object_id,
            opts=part,
        )
        # Training on the cluster: JobSet, the NVIDIA device plugin (AKS GPU nodes carry the
        # driver only) and a `training/trainer` service account federated (Entra workload
        # identity) with an identity that may use the platform container only.
        after_cluster = pulumi.ResourceOptions(
            parent=self,
            depends_on=[cluster.cluster, *cluster.agent_pools.values(), cluster.deployer_admin],
        )
        workload = azure_workload_identity(
            f"{name}-workload-identity",
            resource_group=rg,
            location=spec.region,
            oidc_issuer=cluster.oidc_issuer_url,
            container_id=storage.container.id,
            provider=provider,
            opts=after_cluster,
        )
        ClusterAddons(
            f"{name}-addons",
            ClusterAddonsArgs(
                kubeconfig=cluster.kubeconfig,
                device_plugin=True,
                service_account_annotations=workload.annotations,
            ),
            opts=after_cluster,
        )
        identity: ComputeIdentity | None = None
        ml: MachineLearning | None = None
        self.workspace_link: PrivateLink | None = None
        if spec.mlops.enabled:
            identity = ComputeIdentity(
                f"{name}-identity",
                spec,
                resource_group_name=rg,
                subscription_id=subscription_id,
                container_id=storage.container.id,
                registry_id=registry.registry.id,
                opts=part,
            )
            ml = MachineLearning(
                f"{name}-ml",
                spec,
                resource_group_name=rg,
                storage_account_id=storage.account.id,
                key_vault_id=vault.vault.id,
                app_insights_id=observability.app_insights.id,
                registry_id=registry.registry.id,
                compute_identity_id=identity.identity.id,
                compute_depends_on=list(identity.assignments.values()),
                opts=part,
            )
            if not spec.mlops.public_network_access:
                # Without public access the workspace is reached from inside the VNet only.
                self.workspace_link = PrivateLink(
                    f"{name}-ml-link",
                    spec,
                    resource_group_name=rg,
                    target_id=ml.workspace.id,
                    group_id="amlworkspace",
                    subnet_id=network.endpoints_subnet.id,
                    vnet_id=network.vnet.id,
                    opts=part,
                )
        self.network, self.key_vault, self.storage = network, vault, storage
        self.observability, self.registry, self.cluster = observability, registry, cluster
        self.identity, self.ml = identity, ml
        self.outputs: dict[str, Any] = {
            "resource_group": rg,
            "location": self.resource_group.location,
            "subscription_id": subscription_id,
            "tenant_id": tenant_id,
            "vnet_name": network.vnet.name,
            "storage_account": storage.account.name,
            "storage_container": storage.container.name,
            "storage_container_url": pulumi.Output.concat(
                storage.account.primary_endpoints.apply(lambda e: e.blob), storage.container.name
            ),
            "key_vault_uri": vault.vault_uri,
            "acr_login_server": registry.registry.login_server,
            "aks_cluster_name": cluster.cluster.name,
            "kubeconfig": cluster.kubeconfig,
            "oidc_issuer_url": cluster.oidc_issuer_url,
            "node_pools": cluster.pool_outputs,
            "workload_identity_client_id": workload.client_id,
            # Azure ML (None / empty with `mlops.enabled: false`).
            "workspace_name": ml.workspace.name if ml else None,
            "compute_clusters": ml.computes if ml else [],
            "compute_identity_id": identity.identity.id if identity else None,
            "compute_identity_principal_id": identity.identity.principal_id if identity else None,
            "compute_identity_client_id": identity.identity.client_id if identity else None,
            "application_insights_id": observability.app_insights.id,
        }
        self.register_outputs(self.outputs)
