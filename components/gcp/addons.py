"""The GKE cluster's add-ons: JobSet and the trainer service account (GKE installs GPU drivers
and the device plugin itself) — in-stack or by the add-ons stack (`components.k8s.stage`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.k8s.addons import ClusterAddonsArgs
from components.k8s.stage import LIVE, addons_args_from
from components.spec import PlatformSpec

__all__ = ["LIVE", "addons_args"]


def addons_args(spec: PlatformSpec, live: Mapping[str, Any]) -> ClusterAddonsArgs:
    return addons_args_from("gcp", live, device_plugin=False)
