"""Azure resource names: each service has its own length and alphabet rules.

Names that must be globally unique (storage account, Key Vault, container
registry) end in a short hash of project, stack, platform name and
subscription, so two stacks or two subscriptions never collide while
re-running the same stack keeps the same names.
"""

from __future__ import annotations

import hashlib
import re

import pulumi


def unique_suffix(name: str, subscription_id: str, n: int = 6) -> str:
    seed = "/".join((pulumi.get_project(), pulumi.get_stack(), name, subscription_id))
    return hashlib.sha256(seed.encode()).hexdigest()[:n]


def vault_suffix(name: str, subscription_id: str, generation: int) -> str:
    """The Key Vault's suffix: generation 0 is the platform's own; each other a new name
    (a purge-protected deleted vault holds its name for the retention period)."""
    seed = name if generation == 0 else f"{name}/key-vault-{generation}"
    return unique_suffix(seed, subscription_id)


def _alnum(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def storage_account_name(name: str, suffix: str) -> str:
    """3-24 lower-case letters and digits, globally unique."""
    return f"{_alnum(name)[:14]}st{suffix}"[:24]


def key_vault_name(name: str, suffix: str) -> str:
    """3-24 letters, digits and single hyphens, starting with a letter, globally unique."""
    base = re.sub(r"-+", "-", name)[:12].rstrip("-")
    return f"{base}-kv-{suffix}"[:24]


def registry_name(name: str, suffix: str) -> str:
    """5-50 letters and digits, globally unique (login server ``<name>.azurecr.io``)."""
    return f"{_alnum(name)[:40]}acr{suffix}"


def agent_pool_names(pool_names: list[str]) -> dict[str, str]:
    """AKS Linux agent pool names: 1-12 lower-case letters and digits, starting with a letter.

    Pool names are shortened to fit; a clash after shortening gets an index.
    """
    out: dict[str, str] = {}
    used: set[str] = set()
    for pool in pool_names:
        short = _alnum(pool)[:12] or "pool"
        candidate, i = short, 1
        while candidate in used:
            tail = str(i)
            candidate, i = short[: 12 - len(tail)] + tail, i + 1
        used.add(candidate)
        out[pool] = candidate
    return out


def compute_name(pool_name: str) -> str:
    """AmlCompute names: 2-16 letters, digits and hyphens, starting with a letter.

    Unique within a workspace only; long pool names keep a hash to stay distinct.
    """
    if len(pool_name) <= 16:
        return pool_name
    digest = hashlib.sha256(pool_name.encode()).hexdigest()[:4]
    return f"{pool_name[:11].rstrip('-')}-{digest}"
