"""`ClusterAddons`: make a GPU/TPU cluster ready for multi-node training jobs.

- JobSet (kubernetes-sigs/jobset) from its published Helm chart: the multi-node
  job controller the `kubernetes` training backend targets.
- The NVIDIA device plugin on EKS and AKS (their GPU node images carry the
  driver, not the plugin); GKE installs both itself through the node pool's
  `gpu_driver_installation_config`.
- A `training` namespace that enforces the Pod Security `restricted` profile, with
  default-deny NetworkPolicies and the allows training needs (`components.k8s.network`),
  and a `trainer` service account whose annotations bind it to the cloud identity that can
  use only the platform's storage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components.k8s.network import policy_specs

NAMESPACE = "training"
# Node labels every platform puts on its pools (components/<cloud>/); the
# kubernetes backend selects nodes with them.
POOL_LABEL = "pioneer.dev/pool"
ACCELERATOR_LABEL = "pioneer.dev/accelerator"
CAPACITY_LABEL = "pioneer.dev/capacity"
SERVICE_ACCOUNT = "trainer"
JOBSET_CHART = ("oci://registry.k8s.io/jobset/charts/jobset", "0.8.1")
DEVICE_PLUGIN_CHART = (
    "https://nvidia.github.io/k8s-device-plugin",
    "nvidia-device-plugin",
    "0.17.1",
)
WEBHOOK_PORTS: dict[str, int] = {"jobset": 9443}
"""Ports the add-ons' admission webhooks listen on, by Helm release (the device plugin has
none). A private GKE control plane reaches nodes on 443 and 10250 only, so the GKE cluster
opens these to it (`components.gcp.cluster`)."""
# The device plugin must run on the tainted GPU nodes, spot ones included.
GPU_TOLERATIONS = [
    {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "kubernetes.azure.com/scalesetpriority", "operator": "Exists", "effect": "NoSchedule"},
]


@dataclass(frozen=True)
class HelmChart:
    """One Helm release of an add-on: every add-on is installed the same way."""

    resource: str
    """Suffix of the Pulumi resource name (``<platform>-addons-<resource>``)."""
    release: str
    chart: str
    version: str
    namespace: str
    repo: str | None = None
    """The chart repository; None for an OCI chart reference."""
    values: dict[str, Any] = field(default_factory=dict)
    create_namespace: bool = False


def jobset_chart() -> HelmChart:
    return HelmChart(
        "jobset", "jobset", JOBSET_CHART[0], JOBSET_CHART[1], "jobset-system",
        create_namespace=True,
    )  # fmt: skip


def nvidia_device_plugin_chart() -> HelmChart:
    return HelmChart(
        "nvidia-device-plugin", "nvidia-device-plugin", DEVICE_PLUGIN_CHART[1],
        DEVICE_PLUGIN_CHART[2], "kube-system", repo=DEVICE_PLUGIN_CHART[0],
        values={
            "tolerations": GPU_TOLERATIONS,
            # Only accelerator nodes: the platform labels every accelerator pool.
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": [
                    {"key": ACCELERATOR_LABEL, "operator": "Exists"}]}]}}},
        },
    )  # fmt: skip


# Pod Security admission: refuse (enforce), and report (warn, audit), anything less than
# `restricted`; pinned to a version so a cluster upgrade cannot tighten it under running jobs.
POD_SECURITY_VERSION = "v1.33"
POD_SECURITY_LABELS = {
    f"pod-security.kubernetes.io/{mode}{suffix}": value
    for mode in ("enforce", "warn", "audit")
    for suffix, value in (("", "restricted"), ("-version", POD_SECURITY_VERSION))
}


@dataclass
class ClusterAddonsArgs:
    kubeconfig: pulumi.Input[str]
    """The cluster's kubeconfig output (a secret)."""
    cloud: str
    """``aws``, ``gcp`` or ``azure``: which workload-identity endpoint the pods may reach."""
    device_plugin: bool
    """Install the NVIDIA device plugin (EKS, AKS); GKE manages its own."""
    service_account_annotations: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Workload identity binding of the `trainer` service account."""
    labels: dict[str, str] = field(default_factory=dict)
    charts: list[HelmChart] = field(default_factory=list)
    """The cloud's own add-ons (EKS: cluster autoscaler, EFA device plugin), after JobSet."""


class ClusterAddons(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: ClusterAddonsArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:k8s:ClusterAddons", name, None, opts)
        provider = k8s.Provider(
            f"{name}-k8s", kubeconfig=args.kubeconfig, opts=pulumi.ResourceOptions(parent=self)
        )
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        labels = {"app.kubernetes.io/managed-by": "pioneer", **args.labels}
        ns = k8s.core.v1.Namespace(
            f"{name}-training",
            metadata={"name": NAMESPACE, "labels": {**labels, **POD_SECURITY_LABELS}},
            opts=child,
        )
        in_namespace = pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[ns]))
        for policy, spec in policy_specs(args.cloud).items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-netpol-{policy}",
                metadata={"name": policy, "namespace": NAMESPACE, "labels": labels},
                spec=cast(
                    Any, spec
                ),  # plain data (components.k8s.network), not the SDK's TypedDict
                opts=in_namespace,
            )
        self.service_account = k8s.core.v1.ServiceAccount(
            f"{name}-trainer",
            metadata={
                "name": SERVICE_ACCOUNT,
                "namespace": NAMESPACE,
                "labels": labels,
                "annotations": args.service_account_annotations,
            },
            # The trainer never calls the Kubernetes API. Its cloud identity does not need this
            # token either: EKS Pod Identity's and AKS workload identity's webhooks inject their
            # own audience-bound projected token volume (whatever this flag says), GKE answers
            # from its metadata server, and the storage CSI drivers request tokens via the kubelet.
            automount_service_account_token=False,
            opts=in_namespace,
        )
        charts = [jobset_chart()]
        if args.device_plugin:
            charts.append(nvidia_device_plugin_chart())
        self.releases = {
            c.resource: _release(f"{name}-{c.resource}", c, child) for c in charts + args.charts
        }
        self.register_outputs({"namespace": NAMESPACE, "service_account": SERVICE_ACCOUNT})


def _release(name: str, chart: HelmChart, opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
    return k8s.helm.v3.Release(
        name,
        name=chart.release,
        chart=chart.chart,
        version=chart.version,
        repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=chart.repo) if chart.repo else None,
        namespace=chart.namespace,
        create_namespace=chart.create_namespace,
        atomic=True,
        values=chart.values,
        opts=opts,
    )
