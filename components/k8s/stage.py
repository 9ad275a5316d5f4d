"""Where a platform's cluster add-ons are installed: by its own stack, or by an add-ons stack.

The add-ons (`ClusterAddons`: namespace, trainer service account, JobSet, device
plugins, EKS's cluster autoscaler) are Kubernetes objects. The Kubernetes
provider creates them by calling the cluster's API from wherever `pulumi up`
runs, and a private-only endpoint answers only inside the network. So:

- ``cluster.addons: in_stack`` (the default with a public endpoint limited to
  ``cluster.authorized_cidrs``): the platform stack installs them.
- ``cluster.addons: separate_stack`` (the default with a private endpoint): the
  platform stack creates no Kubernetes object and exports what they need as
  ``addons_inputs``; a second stack whose config is only
  ``pioneer:addons_for: <platform stack>``, run from a machine inside the network
  (a CI runner in the VPC/VNet, a Cloud Build private pool), installs the very same
  `ClusterAddons` from a `pulumi.StackReference` to the platform stack.

Each cloud builds the add-ons' arguments in one function, ``components.<cloud>.addons.
addons_args(spec, live)``, called by both: ``live`` holds the platform's resource outputs
in the first case and the StackReference's in the second.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pulumi

from components.k8s.addons import ClusterAddons, ClusterAddonsArgs, HelmChart

if TYPE_CHECKING:
    from components.spec import PlatformSpec

ADDONS_OUTPUT = "addons_inputs"
"""The platform stack output the add-ons stack reads (None when the add-ons are in-stack)."""

AddonsArgsBuilder = Callable[["PlatformSpec", Mapping[str, Any]], ClusterAddonsArgs]

LIVE = ("kubeconfig", "trainer_annotations")
"""The platform outputs every cloud's add-ons need; a cloud may add its own (EKS: the version)."""


def addons_args_from(
    cloud: str,
    live: Mapping[str, Any],
    *,
    device_plugin: bool,
    charts: list[HelmChart] | None = None,
) -> ClusterAddonsArgs:
    """The one way a cloud's ``addons_args`` turns live values into `ClusterAddonsArgs`."""
    return ClusterAddonsArgs(
        cloud=cloud,
        kubeconfig=live["kubeconfig"],
        device_plugin=device_plugin,
        service_account_annotations=live["trainer_annotations"],
        charts=list(charts or []),
    )


def install_or_export(
    name: str,
    spec: PlatformSpec,
    live: Mapping[str, Any],
    build: AddonsArgsBuilder,
    opts: pulumi.ResourceOptions,
) -> Any:
    """Install the add-ons now (in-stack), or return ``live`` for the ``addons_inputs`` output."""
    if spec.cluster.addons == "in_stack":
        ClusterAddons(f"{name}-addons", build(spec, live), opts)
        return None
    return dict(live)


def addons_stack(spec: PlatformSpec, platform_stack: str) -> ClusterAddons:
    """The add-ons stack's program: the platform's `ClusterAddons`, inputs from its outputs."""
    ref = pulumi.StackReference(
        f"{pulumi.get_organization()}/{pulumi.get_project()}/{platform_stack}"
    )
    inputs = ref.get_output(ADDONS_OUTPUT)
    cloud = importlib.import_module(f"components.{spec.cloud}.addons")
    live = {key: inputs.apply(_field(key, platform_stack)) for key in cloud.LIVE}
    return ClusterAddons(f"{spec.name}-addons", cloud.addons_args(spec, live))


def _field(key: str, platform_stack: str) -> Callable[[Any], Any]:
    def get(inputs: Any) -> Any:
        if not isinstance(inputs, Mapping) or key not in inputs:
            raise pulumi.RunError(
                f"stack {platform_stack!r} exports no {ADDONS_OUTPUT}.{key}: deploy it "
                "(with cluster.addons: separate_stack) before its add-ons stack"
            )
        return inputs[key]

    return get
