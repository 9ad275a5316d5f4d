"""The training namespace's NetworkPolicies: deny everything, then allow what training needs.

- the job's pods to each other, on every port (torchrun's rendezvous, NCCL's bootstrap and
  rings pick ports at run time; EFA traffic bypasses the pod network altogether);
- DNS to the cluster's resolver (CoreDNS / kube-dns, `k8s-app: kube-dns` on all three);
- HTTPS to anywhere: the object storage, the registry, Entra ID / STS / Google APIs, MLflow;
- the node-local endpoint the cloud's workload identity answers on (`IDENTITY_EGRESS`).

Enforced by the clusters' policy engines: the VPC CNI's network-policy agent on EKS,
Dataplane V2 on GKE, Cilium on AKS.
"""

from __future__ import annotations

from typing import Any

TRAINER_APP = "pioneer-train"
"""`app.kubernetes.io/name` of every training pod (training/backends/kubernetes.py sets it)."""
IDENTITY_EGRESS: dict[str, tuple[tuple[str, int], ...]] = {
    # EKS Pod Identity: the agent on every node serves credentials at 169.254.170.23:80.
    "aws": (("169.254.170.23/32", 80),),
    # GKE Workload Identity: the GKE metadata server (169.254.169.254:80), which Dataplane V2
    # serves at 169.254.169.252:988.
    "gcp": (("169.254.169.254/32", 80), ("169.254.169.252/32", 988)),
    # AKS workload identity: a projected token file exchanged with Entra ID over HTTPS.
    "azure": (),
}


def _tcp(port: int) -> dict[str, Any]:
    return {"protocol": "TCP", "port": port}


def policy_specs(cloud: str) -> dict[str, dict[str, Any]]:
    """NetworkPolicy name -> spec, for the training namespace on `cloud`."""
    trainers = {"matchLabels": {"app.kubernetes.io/name": TRAINER_APP}}
    specs: dict[str, dict[str, Any]] = {
        "default-deny": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        "training-peers": {
            "podSelector": trainers,
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{"from": [{"podSelector": trainers}]}],
            "egress": [{"to": [{"podSelector": trainers}]}],
        },
        "dns": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {
                    "to": [
                        {
                            "namespaceSelector": {
                                "matchLabels": {"kubernetes.io/metadata.name": "kube-system"}
                            },
                            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                        }
                    ],
                    "ports": [{"protocol": "UDP", "port": 53}, _tcp(53)],
                }
            ],
        },
        "https-egress": {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [_tcp(443)]}],
        },
    }
    if IDENTITY_EGRESS[cloud]:
        specs["workload-identity"] = {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [
                {"to": [{"ipBlock": {"cidr": cidr}}], "ports": [_tcp(port)]}
                for cidr, port in IDENTITY_EGRESS[cloud]
            ],
        }
    return specs
