"""Azure test helpers: one recorded run of the shipped azure-dev stack per module, plus
lookups by type and the ARM id of what a resource became under the mocks."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components import MlPlatform, PlatformSpec
from stacks.mocks import MockRun, Recorded, run_program
from stacks.plan import mock_context
from tests.conftest import stack_config

T = {
    "rg": "azure-native:resources:ResourceGroup",
    "vnet": "azure-native:network:VirtualNetwork",
    "subnet": "azure-native:network:Subnet",
    "nsg": "azure-native:network:NetworkSecurityGroup",
    "vault": "azure-native:keyvault:Vault",
    "account": "azure-native:storage:StorageAccount",
    "blob_service": "azure-native:storage:BlobServiceProperties",
    "container": "azure-native:storage:BlobContainer",
    "lifecycle": "azure-native:storage:ManagementPolicy",
    "logs": "azure-native:operationalinsights:Workspace",
    "appinsights": "azure-native:applicationinsights:Component",
    "acr": "azure-native:containerregistry:Registry",
    "aks": "azure-native:containerservice:ManagedCluster",
    "agent_pool": "azure-native:containerservice:AgentPool",
    "workspace": "azure-native:machinelearningservices:Workspace",
    "compute": "azure-native:machinelearningservices:Compute",
    "uami": "azure-native:managedidentity:UserAssignedIdentity",
    "role": "azure-native:authorization:RoleAssignment",
}


def run_azure(config: dict[str, Any], stack: str = "test") -> MockRun:
    spec = PlatformSpec.parse(config, stack=stack)

    def program() -> None:
        platform = MlPlatform(spec.name, spec)
        for key, value in platform.outputs.items():
            pulumi.export(key, value)

    return run_program(program, stack=stack, region=mock_context(spec))


def azure_config() -> dict[str, Any]:
    return stack_config("azure-dev")


def gpu_pool(
    name: str,
    capacity: str = "spot",
    *,
    accelerator: str = "A100-80GB",
    count: int = 8,
    min_nodes: int = 0,
    max_nodes: int = 4,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "accelerator": accelerator,
        "accelerators_per_node": count,
        "capacity": capacity,
        "min_nodes": min_nodes,
        "max_nodes": max_nodes,
        **extra,
    }


def by_suffix(run: MockRun, type_: str, suffix: str) -> Recorded:
    found = [r for r in run.of_type(type_) if r.name.endswith(suffix)]
    assert len(found) == 1, f"{type_} ending {suffix!r}: {[r.name for r in run.of_type(type_)]}"
    return found[0]


@pytest.fixture(scope="module")
def dev_run() -> MockRun:
    """The shipped azure-dev stack (system CPU pool + spot 8xA100-80GB pool), run once."""
    return run_azure(azure_config(), stack="azure-dev")
