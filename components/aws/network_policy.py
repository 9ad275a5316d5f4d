"""`PodNetworkPolicy`: EKS enforces NetworkPolicies only when the VPC CNI's policy agent runs.

EKS bootstraps the VPC CNI with its network-policy agent off, and then accepts the
training namespace's NetworkPolicies (`components.k8s.network`) and enforces none of
them. This installs the CNI as the managed add-on with `enableNetworkPolicy`, taking
over the bootstrapped one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass
class PodNetworkPolicyArgs:
    cluster_name: pulumi.Input[str]
    tags: dict[str, str] = field(default_factory=dict)


class PodNetworkPolicy(pulumi.ComponentResource):
    def __init__(
        self, name: str, args: PodNetworkPolicyArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:aws:PodNetworkPolicy", name, None, opts)
        self.addon = aws.eks.Addon(
            f"{name}-vpc-cni",
            cluster_name=args.cluster_name,
            addon_name="vpc-cni",
            configuration_values=json.dumps({"enableNetworkPolicy": "true"}),
            resolve_conflicts_on_create="OVERWRITE",  # takes over the CNI EKS bootstrapped
            resolve_conflicts_on_update="OVERWRITE",
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"addon": self.addon.addon_name})
