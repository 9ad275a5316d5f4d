"""The AKS cluster's add-ons: JobSet, the NVIDIA device plugin and the trainer service account
— in-stack or by the add-ons stack (`components.k8s.stage`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.k8s.addons import ClusterAddonsArgs
from components.spec import PlatformSpec

LIVE = ("kubeconfig", "trainer_annotations")


def addons_args(spec: PlatformSpec, live: Mapping[str, Any]) -> ClusterAddonsArgs:
    return ClusterAddonsArgs(
        cloud="azure",
        kubeconfig=live["kubeconfig"],
        device_plugin=True,
        service_account_annotations=live["trainer_annotations"],
    )
