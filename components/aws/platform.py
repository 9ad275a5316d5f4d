"""The AWS platform: network, keys, storage, EKS cluster, SageMaker — secure by default.

`build` is what `MlPlatform` calls for ``cloud: aws`` (through `components.aws`).
Each part is its own ``pioneer:aws:<Type>`` component with a typed Args
dataclass (see the sibling modules), a direct child of `MlPlatform`; all use
one explicit `aws.Provider` for the spec's region whose ``default_tags``
(`components.aws.tags`) carry the spec's tags plus ``pioneer:stack`` and
``pioneer:component``.
"""

from __future__ import annotations

import warnings

import pulumi
import pulumi_aws as aws

from components.aws.addons import addons_args
from components.aws.addons import cluster_name as eks_cluster_name
from components.aws.autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from components.aws.cluster import EksCluster, EksClusterArgs
from components.aws.keys import PlatformKey, PlatformKeyArgs
from components.aws.mlops import SageMakerPlatform, SageMakerPlatformArgs
from components.aws.naming import physical_name
from components.aws.network import Network, NetworkArgs
from components.aws.network_policy import PodNetworkPolicy, PodNetworkPolicyArgs
from components.aws.node_pools import describe, plan_node_group
from components.aws.registry import ImageRepository, ImageRepositoryArgs
from components.aws.storage import DataBucket, DataBucketArgs
from components.aws.tags import component_tags, default_tags
from components.k8s.identity import aws_pod_identity
from components.k8s.image import TrainingImage, TrainingImageArgs
from components.k8s.stage import install_or_export
from components.outputs import AwsOutputs
from components.spec import PlatformSpec
from components.tags import platform_tags
from cost.kubernetes_versions import in_extended_support

warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"pulumi_aws(\..*)?")


def partition_of(region: str) -> str:
    return "aws-us-gov" if region.startswith("us-gov-") else "aws"


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> AwsOutputs:
    provider = aws.Provider(
        f"{name}-aws",
        region=spec.region,
        default_tags=default_tags(spec),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    partition = partition_of(spec.region)
    account_id = aws.get_caller_identity_output(
        opts=pulumi.InvokeOutputOptions(parent=parent, provider=provider)
    ).account_id
    base = physical_name(spec.name)
    cluster_name = eks_cluster_name(spec)

    network = Network(
        f"{name}-network",
        NetworkArgs(
            cidr=spec.network.cidr,
            availability_zones=spec.network.availability_zones,
            nat=spec.network.nat,
            cluster_name=cluster_name,
            region=spec.region,
            tags=component_tags("Network"),
        ),
        opts=opts,
    )
    key = PlatformKey(
        f"{name}-key",
        PlatformKeyArgs(
            alias=f"pioneer/{base}",
            partition=partition,
            account_id=account_id,
            region=spec.region,
            tags=component_tags("PlatformKey"),
        ),
        opts=opts,
    )
    bucket = DataBucket(
        f"{name}-data",
        DataBucketArgs(
            kms_key_arn=key.arn if spec.storage.customer_managed_key else None,
            versioning=spec.storage.versioning,
            public_access=spec.storage.public_access,
            checkpoint_retention_days=spec.storage.checkpoint_retention_days,
            force_destroy=spec.storage.force_destroy,
            account_id=account_id,
            tags=component_tags("DataBucket"),
        ),
        opts=opts,
    )
    images = ImageRepository(
        f"{name}-images",
        ImageRepositoryArgs(
            repository_name=f"{base}/training",
            kms_key_arn=key.arn,
            force_delete=spec.storage.force_destroy,
            tags=component_tags("ImageRepository"),
        ),
        opts=opts,
    )
    image: TrainingImage | None = None
    if spec.image.build:
        # A 12-hour ECR token of the deployer's own identity: nothing long-lived is stored.
        token = aws.ecr.get_authorization_token_output(
            registry_id=images.repository.registry_id,
            opts=pulumi.InvokeOutputOptions(parent=parent, provider=provider),
        )
        image = TrainingImage(
            f"{name}-training-image",
            TrainingImageArgs(
                repository=images.url,  # an ECR repository is one image's repository already
                registry=images.url.apply(lambda url: url.split("/", 1)[0]),
                username=token.user_name,
                password=token.password,
            ),
            opts=pulumi.ResourceOptions(parent=parent),
        )
    cluster = EksCluster(
        f"{name}-cluster",
        EksClusterArgs(
            cluster_name=cluster_name,
            region=spec.region,
            partition=partition,
            kms_key_arn=key.arn,
            subnet_ids=network.private_subnet_ids,
            node_pools=spec.node_pools,
            kubernetes_version=spec.cluster.kubernetes_version,
            extended_support=in_extended_support("aws", spec.cluster.kubernetes_version),
            private_endpoint=spec.cluster.private_endpoint,
            authorized_cidrs=spec.cluster.authorized_cidrs,
            vpc_cidr=spec.network.cidr,
            deletion_protection=spec.cluster.deletion_protection,
            workload_security_group_id=network.security_group_id,
            tags=component_tags("EksCluster"),
            instance_tags=platform_tags(spec, "EksCluster"),
        ),
        opts=opts,
    )

    # Training on the cluster: JobSet, the NVIDIA device plugin (the EKS NVIDIA AMI has the
    # driver only) and a `training/trainer` service account bound by EKS Pod Identity to a
    # role that can use the platform bucket and key only.
    pod_identity = aws_pod_identity(
        f"{name}-workload-identity",
        cluster_name=cluster.cluster_name,
        bucket_arn=bucket.arn,
        kms_key_arn=key.arn,
        provider=provider,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[cluster]),
    )
    # EKS has no autoscaler of its own: without one the 0..N GPU groups never get a node.
    autoscaler = ClusterAutoscaler(
        f"{name}-autoscaler",
        ClusterAutoscalerArgs(
            cluster_name=cluster.cluster_name,
            cluster_name_literal=cluster_name,
            tags=component_tags("ClusterAutoscaler"),
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cluster])),
    )
    addons_inputs = install_or_export(
        name,
        spec,
        {
            "kubeconfig": cluster.kubeconfig,
            "kubernetes_version": cluster.cluster.version,
            "trainer_annotations": pod_identity.annotations,
        },
        addons_args,
        pulumi.ResourceOptions(parent=parent, depends_on=[cluster, autoscaler.association]),
    )
    # Without the CNI's policy agent EKS enforces none of the training namespace's policies.
    PodNetworkPolicy(
        f"{name}-network-policy",
        PodNetworkPolicyArgs(
            cluster_name=cluster.cluster_name, tags=component_tags("PodNetworkPolicy")
        ),
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[cluster])),
    )

    outputs: AwsOutputs = {
        "cloud": "aws",
        "region": spec.region,
        "bucket_name": bucket.bucket_name,
        "bucket_url": pulumi.Output.concat("s3://", bucket.bucket_name),
        "bucket_arn": bucket.arn,
        "kms_key_arn": key.arn,
        "cluster_name": cluster.cluster_name,
        "cluster_endpoint": cluster.endpoint,
        "kubeconfig": cluster.kubeconfig,
        "sagemaker_role_arn": None,
        "model_package_group_name": None,
        "registry_url": images.url,
        "training_image": image.ref if image else None,
        "log_group_name": None,
        "node_pools": [
            describe(plan_node_group(p, spec.region), p, spec.region) for p in spec.node_pools
        ],
        "vpc_id": network.vpc_id,
        "private_subnet_ids": network.private_subnet_ids,
        "security_group_id": network.security_group_id,
        "sagemaker_domain_id": None,
        "mlflow_tracking_server_arn": None,
        "training_role_arn": pod_identity.role_arn,
        "addons_inputs": addons_inputs,
    }
    if spec.mlops.enabled:
        sagemaker = SageMakerPlatform(
            f"{name}-sagemaker",
            SageMakerPlatformArgs(
                base_name=base,
                partition=partition,
                account_id=account_id,
                region=spec.region,
                bucket_name=bucket.bucket_name,
                bucket_arn=bucket.arn,
                kms_key_arn=key.arn,
                repository_arn=images.arn,
                vpc_id=network.vpc_id,
                subnet_ids=network.private_subnet_ids,
                security_group_id=network.security_group_id,
                domain=spec.mlops.sagemaker_domain,
                mlflow_server=spec.mlops.mlflow_server,
                tags=component_tags("SageMakerPlatform"),
            ),
            opts=opts,
        )
        outputs["sagemaker_role_arn"] = sagemaker.role_arn
        outputs["model_package_group_name"] = sagemaker.model_package_group_name
        outputs["log_group_name"] = sagemaker.log_group_name
        outputs["sagemaker_domain_id"] = sagemaker.domain_id
        outputs["mlflow_tracking_server_arn"] = sagemaker.mlflow_tracking_server_arn
    return outputs
