"""A kubeconfig for the GKE cluster that authenticates with `gke-gcloud-auth-plugin`."""

from __future__ import annotations

import pulumi
import yaml


def render_kubeconfig(context: str, endpoint: str, ca_data: str) -> str:
    """Plain text kubeconfig; no credentials in it (the plugin fetches a token per call)."""
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": context,
        "clusters": [
            {
                "name": context,
                "cluster": {"server": f"https://{endpoint}", "certificate-authority-data": ca_data},
            }
        ],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "users": [
            {
                "name": context,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "gke-gcloud-auth-plugin",
                        "installHint": "gcloud components install gke-gcloud-auth-plugin",
                        "provideClusterInfo": True,
                    }
                },
            }
        ],
    }
    return yaml.safe_dump(doc, sort_keys=False)


def kubeconfig(
    context: str, endpoint: pulumi.Output[str], ca_data: pulumi.Output[str]
) -> pulumi.Output[str]:
    # Secret: it names the endpoint and CA of a private cluster; keep it out of logs.
    return pulumi.Output.secret(
        pulumi.Output.all(endpoint, ca_data).apply(lambda a: render_kubeconfig(context, a[0], a[1]))
    )
