"""The GKE cluster's add-ons: JobSet and the trainer service account (GKE installs GPU drivers
and the device plugin itself) — in-stack or by the add-ons stack (`components.k8s.stage`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.k8s.addons import ClusterAddonsArgs
from components.spec import PlatformSpec

LIVE = ("kubeconfig", "trainer_annotations")


def addons_args(spec: PlatformSpec, live: Mapping[str, Any]) -> ClusterAddonsArgs:
    return ClusterAddonsArgs(
        cloud="gcp",
        kubeconfig=live["kubeconfig"],
        device_plugin=False,
        service_account_annotations=live["trainer_annotations"],
    )
