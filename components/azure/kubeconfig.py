"""A kubeconfig for AKS that signs in without a person at the keyboard.

AKS hands out Entra ID kubeconfigs (``format=exec``) that run ``kubelogin
--login devicecode``: `pulumi up` (the Kubernetes provider installs the
add-ons) and `pioneer train` would stop and wait for someone to type a code
into a browser. `non_interactive` rewrites the exec arguments the way
``kubelogin convert-kubeconfig -l azurecli`` does: the token comes from the
Azure CLI session the deployer is already signed in with (``az login``, or
``azure/login`` in CI with a service principal or workload-identity
federation). Pods and CI without the CLI convert the same kubeconfig with
``kubelogin convert-kubeconfig -l workloadidentity``.
"""

from __future__ import annotations

import yaml

LOGIN = "azurecli"
# The arguments only the interactive modes read; azurecli mode ignores them.
_INTERACTIVE_FLAGS = ("--login", "-l", "--client-id", "--tenant-id", "-t", "--environment", "-e")


def non_interactive(kubeconfig: str) -> str:
    """`kubeconfig` with every kubelogin user switched to Azure CLI login."""
    doc = yaml.safe_load(kubeconfig)
    for user in doc.get("users") or []:
        exec_ = (user.get("user") or {}).get("exec")
        if not exec_ or exec_.get("command") != "kubelogin":
            continue
        args, kept = list(exec_.get("args") or []), []
        i = 0
        while i < len(args):
            if args[i] in _INTERACTIVE_FLAGS:
                i += 2  # the flag and its value
                continue
            kept.append(args[i])
            i += 1
        exec_["args"] = [*kept, "--login", LOGIN]
        exec_["interactiveMode"] = "Never"
    return yaml.safe_dump(doc, sort_keys=False)
