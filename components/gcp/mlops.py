"""`VertexMlops`: Artifact Registry for training images, Vertex AI metadata and TensorBoard."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp

from components.gcp.tags import platform_labels
from components.spec import PlatformSpec


class VertexMlops(pulumi.ComponentResource):
    """Docker repository (CMEK); when mlops is on, a metadata store and TensorBoard (CMEK)."""

    metadata_store: gcp.vertex.AiMetadataStore | None = None
    tensorboard: gcp.vertex.AiTensorboard | None = None

    def __init__(
        self,
        name: str,
        spec: PlatformSpec,
        kms_key_id: pulumi.Input[str],
        repo_depends_on: Sequence[pulumi.Resource],
        vertex_depends_on: Sequence[pulumi.Resource],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("pioneer:gcp:VertexMlops", name, {}, opts)
        assert spec.project  # the spec edge requires a project on gcp
        labels = platform_labels(spec, "VertexMlops")
        self.repository_id = f"{name}-images"
        self.repository = gcp.artifactregistry.Repository(
            f"{name}-images",
            project=spec.project,
            location=spec.region,
            repository_id=self.repository_id,
            format="DOCKER",
            kms_key_name=kms_key_id,
            description=f"pioneer {spec.name}: training images",
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
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(repo_depends_on)),
        )
        self.repository_url = pulumi.Output.concat(
            spec.region, "-docker.pkg.dev/", spec.project, "/", self.repository.repository_id
        )
        vertex = pulumi.ResourceOptions(parent=self, depends_on=list(vertex_depends_on))
        if spec.mlops.enabled:
            self.metadata_store = gcp.vertex.AiMetadataStore(
                f"{name}-metadata",
                name=f"{name}-metadata",
                project=spec.project,
                region=spec.region,
                description=f"pioneer {spec.name}: ML metadata",
                encryption_spec=gcp.vertex.AiMetadataStoreEncryptionSpecArgs(
                    kms_key_name=kms_key_id
                ),
                opts=vertex,
            )
            if spec.mlops.tensorboard:
                self.tensorboard = gcp.vertex.AiTensorboard(
                    f"{name}-tensorboard",
                    display_name=f"{name}-tensorboard",
                    project=spec.project,
                    region=spec.region,
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
                "artifact_registry_url": self.repository_url,
                "metadata_store_id": self.metadata_store_id,
                "tensorboard_id": self.tensorboard_id,
            }
        )
