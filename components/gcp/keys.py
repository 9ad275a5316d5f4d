"""`Keys`: the platform's KMS key ring and key, usable only by the services that need it.

Customer-managed encryption for the bucket, Artifact Registry, Vertex AI and
GKE secrets and node boot disks needs each service's *service agent* to hold
``roles/cloudkms.cryptoKeyEncrypterDecrypter`` on the key, before the resource
that uses the key is created. Agent emails follow from the project number.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components.gcp.roles import KMS_ENCRYPTER_DECRYPTER, check_grant
from components.iam_propagation import after_grants

ROTATION_PERIOD = "7776000s"
"""90 days: new key versions for new data; old versions stay to decrypt old data."""

AGENT_DOMAINS = {
    "storage": "gs-project-accounts.iam.gserviceaccount.com",
    "aiplatform": "gcp-sa-aiplatform.iam.gserviceaccount.com",
    "artifactregistry": "gcp-sa-artifactregistry.iam.gserviceaccount.com",
    "container": "container-engine-robot.iam.gserviceaccount.com",  # Kubernetes secrets
    "compute": "compute-system.iam.gserviceaccount.com",  # node boot disks
}
"""Service agents that encrypt with the key: service-<project number>@<domain>."""

# Agents GCP only creates on first use; a ServiceIdentity creates them before the grant.
# (The Cloud Storage agent has no ServiceIdentity: asking for its email creates it.)
_LAZY_AGENTS = {
    "aiplatform": "aiplatform.googleapis.com",
    "artifactregistry": "artifactregistry.googleapis.com",
}


def agent_email(agent: str, project_number: str) -> str:
    return f"service-{project_number}@{AGENT_DOMAINS[agent]}"


def _agent_member(agent: str) -> Callable[[str], str]:
    return lambda number: f"serviceAccount:{agent_email(agent, number)}"


@dataclass
class KeysArgs:
    project: str
    """The GCP project id."""
    region: str
    """Where the key ring lives (the platform region)."""
    agents: Sequence[str]
    """The service agents (keys of `AGENT_DOMAINS`) that encrypt with the key."""
    labels: dict[str, str] = field(default_factory=dict)
    """The platform labels (`components.gcp.tags.platform_labels`)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The project's APIs, which must be on first."""


class Keys(pulumi.ComponentResource):
    """Key ring + key in the platform region, and one key-level grant per service agent."""

    grants: dict[str, gcp.kms.CryptoKeyIAMMember]
    propagated: pulumi.Resource
    """A wait after every grant (`components.iam_propagation`): key users depend on it."""

    def __init__(
        self,
        name: str,
        args: KeysArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("pioneer:gcp:Keys", name, {}, opts)
        deps = list(args.depends_on)
        child = pulumi.ResourceOptions(parent=self, depends_on=deps)
        # Key rings and keys cannot be deleted in GCP; autonaming keeps a re-created stack
        # from colliding with the rings of a destroyed one.
        self.key_ring = gcp.kms.KeyRing(
            f"{name}-ring", project=args.project, location=args.region, opts=child
        )
        self.crypto_key = gcp.kms.CryptoKey(
            f"{name}-key",
            key_ring=self.key_ring.id,
            purpose="ENCRYPT_DECRYPT",
            rotation_period=ROTATION_PERIOD,
            labels=args.labels,
            opts=child,
        )
        number = gcp.organizations.get_project_output(
            project_id=args.project, opts=pulumi.InvokeOutputOptions(parent=self, depends_on=deps)
        ).number
        self.grants = {}
        role = check_grant(KMS_ENCRYPTER_DECRYPTER, "crypto_key")
        for agent in args.agents:
            grant_deps = list(deps)
            if agent in _LAZY_AGENTS:
                grant_deps.append(
                    gcp.projects.ServiceIdentity(
                        f"{name}-{agent}-agent",
                        project=args.project,
                        service=_LAZY_AGENTS[agent],
                        opts=pulumi.ResourceOptions(parent=self, depends_on=deps),
                    )
                )
            member = number.apply(_agent_member(agent))
            if agent == "storage":
                # On a fresh project the storage agent does not exist until it is requested;
                # a grant to the formula's email fails there.
                member = gcp.storage.get_project_service_account_output(
                    project=args.project,
                    opts=pulumi.InvokeOutputOptions(parent=self, depends_on=deps),
                ).email_address.apply(lambda e: f"serviceAccount:{e}")
            self.grants[agent] = gcp.kms.CryptoKeyIAMMember(
                f"{name}-{agent}-agent-key",
                crypto_key_id=self.crypto_key.id,
                role=role,
                member=member,
                opts=pulumi.ResourceOptions(parent=self, depends_on=grant_deps),
            )
        # What uses the key through a service agent waits for its grant to propagate.
        self.propagated = after_grants(
            f"{name}-iam-propagation", list(self.grants.values()), parent=self
        )
        self.register_outputs({"key_ring": self.key_ring.id, "crypto_key": self.crypto_key.id})
