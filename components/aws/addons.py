"""The EKS cluster's add-ons: JobSet, the NVIDIA and (for EFA pools) EFA device plugins, and
the cluster autoscaler's Helm release — installed in-stack or by the add-ons stack
(`components.k8s.stage`), from the same arguments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from components.aws.autoscaler import chart as autoscaler_chart
from components.aws.interconnect import DEVICE_PLUGIN_CHART, efa_device_plugin_values
from components.aws.naming import physical_name
from components.aws.node_pools import plan_node_group
from components.k8s import stage
from components.k8s.addons import ClusterAddonsArgs, HelmChart
from components.k8s.stage import addons_args_from
from components.spec import PlatformSpec

LIVE = (*stage.LIVE, "kubernetes_version")
"""The platform's outputs the add-ons need (`addons_inputs` when they are a separate stack)."""


def cluster_name(spec: PlatformSpec) -> str:
    return physical_name(spec.name)[:100]


def addons_args(spec: PlatformSpec, live: Mapping[str, Any]) -> ClusterAddonsArgs:
    # The EKS NVIDIA AMI has the driver only: the device plugin comes with the add-ons.
    charts = [autoscaler_chart(cluster_name(spec), spec.region, live["kubernetes_version"])]
    plans = [plan_node_group(p, spec.region) for p in spec.node_pools]
    if any(p.efa_interfaces for p in plans if p):
        charts.append(
            HelmChart(
                "efa-device-plugin", "aws-efa-k8s-device-plugin", DEVICE_PLUGIN_CHART[1],
                DEVICE_PLUGIN_CHART[2], "kube-system", repo=DEVICE_PLUGIN_CHART[0],
                values=efa_device_plugin_values(),
            )
        )  # fmt: skip
    return addons_args_from("aws", live, device_plugin=True, charts=charts)
