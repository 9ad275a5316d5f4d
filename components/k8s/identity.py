"""Workload identity for the `training/trainer` service account, one way per cloud.

Pods get short-lived credentials for exactly the platform's storage — never a
static key: EKS Pod Identity on AWS, Entra workload identity (a federated
credential on a user-assigned identity) on AKS. On GKE the cluster component
binds the service account itself (Workload Identity Federation). Each function
returns the service-account annotations that complete the binding.
"""

from __future__ import annotations

import json

import pulumi

from components.k8s.addons import NAMESPACE, SERVICE_ACCOUNT

SUBJECT = f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"
# Built-in Azure role: Storage Blob Data Contributor.
AZURE_BLOB_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"


class WorkloadIdentity(pulumi.ComponentResource):
    """Holds one cloud's binding; `annotations` go on the Kubernetes service account."""

    annotations: dict[str, pulumi.Input[str]]
    # Set by the cloud-specific constructor that applies: AWS (IAM role) or Azure (managed identity).
    role_arn: pulumi.Output[str] | None = None
    client_id: pulumi.Output[str] | None = None

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:k8s:WorkloadIdentity", name, None, opts)
        self.annotations = {}

    def _child(self, provider: pulumi.ProviderResource | None = None) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, provider=provider)


def s3_trainer_policy(bucket_arn: str, kms_key_arn: str) -> str:
    """Read/write the platform bucket and use its key; nothing else."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "ListBucket",
                    "Effect": "Allow",
                    "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                    "Resource": bucket_arn,
                },
                {
                    "Sid": "Objects",
                    "Effect": "Allow",
                    "Action": [
                        "s3:GetObject",
                        "s3:PutObject",
                        "s3:DeleteObject",
                        "s3:AbortMultipartUpload",
                    ],
                    "Resource": f"{bucket_arn}/*",
                },
                {
                    "Sid": "Key",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": kms_key_arn,
                },
            ],
        }
    )


def aws_pod_identity(
    name: str,
    *,
    cluster_name: pulumi.Input[str],
    bucket_arn: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    provider: pulumi.ProviderResource,
    opts: pulumi.ResourceOptions,
) -> WorkloadIdentity:
    import pulumi_aws as aws

    wi = WorkloadIdentity(name, opts)
    child = wi._child(provider)
    tags = {"pioneer:component": "WorkloadIdentity"}  # the provider's default tags add the rest
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "pods.eks.amazonaws.com"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                }
            ],
        }
    )
    role = aws.iam.Role(
        f"{name}-trainer",
        assume_role_policy=trust,
        description="pioneer training pods: the platform bucket and key only",
        tags=tags,
        opts=child,
    )
    aws.iam.RolePolicy(
        f"{name}-trainer-storage",
        role=role.id,
        policy=pulumi.Output.all(bucket_arn, kms_key_arn).apply(
            lambda a: s3_trainer_policy(a[0], a[1])
        ),
        opts=child,
    )
    agent = aws.eks.Addon(
        f"{name}-pod-identity-agent",
        cluster_name=cluster_name,
        addon_name="eks-pod-identity-agent",
        tags=tags,
        opts=child,
    )
    aws.eks.PodIdentityAssociation(
        f"{name}-trainer",
        cluster_name=cluster_name,
        namespace=NAMESPACE,
        service_account=SERVICE_ACCOUNT,
        role_arn=role.arn,
        tags=tags,
        opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[agent])),
    )
    wi.role_arn = role.arn
    wi.register_outputs({"role_arn": role.arn})
    return wi


def azure_workload_identity(
    name: str,
    *,
    resource_group: pulumi.Input[str],
    location: str,
    oidc_issuer: pulumi.Input[str],
    container_id: pulumi.Input[str],
    provider: pulumi.ProviderResource,
    opts: pulumi.ResourceOptions,
) -> WorkloadIdentity:
    import pulumi_azure_native as azure

    wi = WorkloadIdentity(name, opts)
    child = wi._child(provider)
    identity = azure.managedidentity.UserAssignedIdentity(
        f"{name}-trainer", resource_group_name=resource_group, location=location, opts=child
    )
    azure.managedidentity.FederatedIdentityCredential(
        f"{name}-trainer-federation",
        resource_group_name=resource_group,
        resource_name_=identity.name,
        issuer=oidc_issuer,
        subject=SUBJECT,
        audiences=["api://AzureADTokenExchange"],
        opts=child,
    )
    subscription = azure.authorization.get_client_config_output(
        opts=pulumi.InvokeOutputOptions(parent=wi, provider=provider)
    ).subscription_id
    azure.authorization.RoleAssignment(
        f"{name}-trainer-blob",
        scope=container_id,
        principal_id=identity.principal_id,
        principal_type="ServicePrincipal",
        role_definition_id=subscription.apply(
            lambda s: (
                f"/subscriptions/{s}/providers/Microsoft.Authorization/roleDefinitions/"
                f"{AZURE_BLOB_CONTRIBUTOR}"
            )
        ),
        opts=child,
    )
    wi.annotations = {"azure.workload.identity/client-id": identity.client_id}
    wi.client_id = identity.client_id
    wi.register_outputs({"client_id": identity.client_id})
    return wi
