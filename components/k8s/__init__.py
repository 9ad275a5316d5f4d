"""What a provisioned cluster needs to run training: add-ons and pod workload identity."""

from components.k8s.addons import NAMESPACE, SERVICE_ACCOUNT, ClusterAddons, ClusterAddonsArgs

__all__ = ["NAMESPACE", "SERVICE_ACCOUNT", "ClusterAddons", "ClusterAddonsArgs"]
