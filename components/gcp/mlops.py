"""`VertexMlops`: Artifact Registry for training images, Vertex AI metadata and TensorBoard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp


@dataclass
class VertexMlopsArgs:
    platform: str
    """The spec's name (in descriptions)."""
    project: str
    """The GCP project id."""
    region: str
    """Where the repository and the Vertex AI resources live."""
    kms_key_id: pulumi.Input[str]
    """The platform key (CMEK for the repository and Vertex AI)."""
    vertex: bool = True
    """Vertex AI's metadata store (the spec's ``mlops.enabled``)."""
    tensorboard: bool = True
    """A Vertex AI TensorBoard (with ``vertex``)."""
    labels: dict[str, str] = field(default_factory=dict)
    """The platform labels (`components.gcp.tags.platform_labels`)."""
    repo_depends_on: Sequence[pulumi.Resource] = ()
    """The APIs and the Artifact Registry agent's key grant."""
    vertex_depends_on: Sequence[pulumi.Resource] = ()
    """The APIs and the Vertex AI agent's key grant."""


class VertexMlops(pulumi.ComponentResource):
    """Docker repository (CMEK); when mlops is on, a metadata store and TensorBoard (CMEK)."""

    metadata_store: gcp.vertex.AiMetadataStore | None = None
    tensorboard: gcp.vertex.AiTensorboard | None = None

    def __init__(
        self, name: str, args: VertexMlopsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:gcp:VertexMlops", name, {}, opts)
        labels, kms_key_id = args.labels, args.kms_key_id
        self.repository_id = f"{name}-images"
        self.repository = gcp.artifactregistry.Repository(
            f"{name}-images",
            project=args.project,
            location=args.region,
            repository_id=self.repository_id,
            format="DOCKER",
            kms_key_name=kms_key_id,
            description=f"pioneer {args.platform}: training images",
            labels=labels,
            # Untagged layers from rebuilt images pile up; keep them a week.
            cleanup_policies=[
                gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                    id="delete-untagged",
                    action="DELETE",
                    condition=gcp.artifactregistry.RepositoryCleanupPolicyConditionArgs(
                        tag_state="UNTAGGED", older_than="604800s"
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.repo_depends_on)),
        )
        self.repository_url = pulumi.Output.concat(
            args.region, "-docker.pkg.dev/", args.project, "/", self.repository.repository_id
        )
        vertex = pulumi.ResourceOptions(parent=self, depends_on=list(args.vertex_depends_on))
        if args.vertex:
            self.metadata_store = gcp.vertex.AiMetadataStore(
                f"{name}-metadata",
                name=f"{name}-metadata",
                project=args.project,
                region=args.region,
                description=f"pioneer {args.platform}: ML metadata",
                encryption_spec=gcp.vertex.AiMetadataStoreEncryptionSpecArgs(
                    kms_key_name=kms_key_id
                ),
                opts=vertex,
            )
            if args.tensorboard:
                self.tensorboard = gcp.vertex.AiTensorboard(
                    f"{name}-tensorboard",
                    display_name=f"{name}-tensorboard",
                    project=args.project,
                    region=args.region,
                    labels=labels,
                    encryption_spec=gcp.vertex.AiTensorboardEncryptionSpecArgs(
                        kms_key_name=kms_key_id
                    ),
                    opts=vertex,
                )
        self.metadata_store_id = self.metadata_store.id if self.metadata_store else None
        self.tensorboard_id = self.tensorboard.id if self.tensorboard else None
        self.register_outputs(
            {
                "registry_url": self.repository_url,
                "metadata_store_id": self.metadata_store_id,
                "tensorboard_id": self.tensorboard_id,
            }
        )
