"""`Identity`: the GKE node service account and the training service account.

Nodes never run as the default compute account (which has Editor on the
project): they get a dedicated account with log/metric writing and image
reading only. Training (Vertex AI custom jobs, or pods through workload
identity) gets object access on the platform bucket alone, not project-wide
storage roles, plus ``roles/aiplatform.user`` to run jobs and write metadata.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components.gcp import roles

NODE_PROJECT_ROLES = (roles.LOG_WRITER, roles.METRIC_WRITER, roles.MONITORING_VIEWER)


@dataclass
class IdentityArgs:
    platform: str
    """The spec's name (in display names)."""
    project: str
    """The GCP project id."""
    region: str
    """The repository's region."""
    bucket_name: pulumi.Input[str]
    """The platform bucket: the training account's only data scope."""
    repository_name: pulumi.Input[str]
    """The platform Artifact Registry repository both accounts read images from."""
    vertex: bool = True
    """Let the training account run Vertex AI jobs (the spec's ``mlops.enabled``)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The project's APIs, which must be on first."""


class Identity(pulumi.ComponentResource):
    def __init__(self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:gcp:Identity", name, {}, opts)
        project = args.project
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        self.node_sa = gcp.serviceaccount.Account(
            f"{name}-nodes",
            account_id=f"{name}-nodes",
            project=project,
            display_name=f"pioneer {args.platform} GKE nodes",
            opts=child,
        )
        self.training_sa = gcp.serviceaccount.Account(
            f"{name}-train",
            account_id=f"{name}-train",
            project=project,
            display_name=f"pioneer {args.platform} training",
            opts=child,
        )
        node_member = self.node_sa.email.apply(lambda e: f"serviceAccount:{e}")
        train_member = self.training_sa.email.apply(lambda e: f"serviceAccount:{e}")

        for role in NODE_PROJECT_ROLES:
            gcp.projects.IAMMember(
                f"{name}-nodes-{role.split('/')[1].replace('.', '-').lower()}",
                project=project,
                role=roles.check_grant(role, "project"),
                member=node_member,
                opts=child,
            )
        for who, member in (("nodes", node_member), ("train", train_member)):
            gcp.artifactregistry.RepositoryIamMember(
                f"{name}-{who}-images-reader",
                project=project,
                location=args.region,
                repository=args.repository_name,
                role=roles.check_grant(roles.AR_READER, "repository"),
                member=member,
                opts=child,
            )
        gcp.storage.BucketIAMMember(
            f"{name}-train-bucket",
            bucket=args.bucket_name,
            role=roles.check_grant(roles.STORAGE_OBJECT_ADMIN, "bucket"),
            member=train_member,
            opts=child,
        )
        if args.vertex:
            gcp.projects.IAMMember(
                f"{name}-train-vertex",
                project=project,
                role=roles.check_grant(roles.VERTEX_USER, "project"),
                member=train_member,
                opts=child,
            )
        self.node_service_account = self.node_sa.email
        self.training_service_account = self.training_sa.email
        self.register_outputs(
            {
                "node_service_account": self.node_service_account,
                "training_service_account": self.training_service_account,
            }
        )
