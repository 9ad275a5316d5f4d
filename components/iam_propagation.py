"""IAM is eventually consistent: wait after key grants before a resource uses the key.

A role grant the API has accepted may not be honoured everywhere for a while (GCP: "usually
within 2 minutes, up to 7"; Azure: "up to 10 minutes" for role assignments), so a bucket,
cluster or storage account created right after its service identity's key grant can fail
its first `pulumi up` with a permission error on the key. Ordering (`depends_on` the grant)
is necessary but not enough; the providers' modules add a timed wait (Terraform's
`time_sleep`, here the same provider as `pulumiverse_time.Sleep`). It runs on create only,
and again only when a grant is replaced (its id is a trigger).
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumiverse_time as time

WAIT = "60s"
"""Enough for the grants pioneer makes in practice; a first deploy that still fails on a key
permission succeeds when re-run (nothing else is left half-created)."""


def after_grants(
    name: str, grants: Sequence[pulumi.CustomResource], parent: pulumi.Resource
) -> time.Sleep:
    """A wait that starts once every grant exists; key users depend on it."""
    return time.Sleep(
        name,
        create_duration=WAIT,
        triggers={f"grant{i}": g.id for i, g in enumerate(grants)},
        opts=pulumi.ResourceOptions(parent=parent, depends_on=list(grants)),
    )
