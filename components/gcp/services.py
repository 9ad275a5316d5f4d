"""`ProjectServices`: the Google APIs the platform needs, enabled as resources."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

CORE_SERVICES = (
    "compute.googleapis.com",
    "container.googleapis.com",
    "binaryauthorization.googleapis.com",  # the cluster enforces the project's policy
    "storage.googleapis.com",
    "cloudkms.googleapis.com",
    "artifactregistry.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com",  # workload identity token exchange
    "cloudresourcemanager.googleapis.com",  # project IAM members
    "logging.googleapis.com",
    "monitoring.googleapis.com",
)
VERTEX_SERVICES = ("aiplatform.googleapis.com",)


def required_services(mlops_enabled: bool) -> tuple[str, ...]:
    return CORE_SERVICES + (VERTEX_SERVICES if mlops_enabled else ())


@dataclass
class ProjectServicesArgs:
    project: str
    """The GCP project id."""
    services: tuple[str, ...]
    """The APIs to turn on (`required_services`)."""


class ProjectServices(pulumi.ComponentResource):
    """One `gcp.projects.Service` per API; every other resource depends on `resources`."""

    resources: list[gcp.projects.Service]

    def __init__(
        self,
        name: str,
        args: ProjectServicesArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        project, services = args.project, args.services
        super().__init__("pioneer:gcp:ProjectServices", name, {"services": list(services)}, opts)
        self.by_service = {
            svc: gcp.projects.Service(
                f"{name}-{svc.split('.')[0]}",
                project=project,
                service=svc,
                # Other workloads in the project may use the API too: leave it on at destroy.
                disable_on_destroy=False,
                disable_dependent_services=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            for svc in services
        }
        self.resources = list(self.by_service.values())
        self.register_outputs({"services": list(services)})
