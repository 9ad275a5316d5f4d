"""Cost and policy of your own Pulumi program in one call, offline (the library user's
`pioneer plan`)::

    from stacks.assess import assess_program
    result = assess_program(my_program, stack="dev", config={"aws:region": "us-east-1"})
    result["cost"]["monthly_usd"], result["policy"]["mandatory"]

The program runs in-process under pioneer's Pulumi mocks (no credentials, no Pulumi CLI),
then goes through the same estimate and policy rules as `pioneer plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

from components.policy import evaluate
from components.spec import PlatformSpec
from cost.estimate import estimate_preview
from cost.usage import Usage
from stacks.config import platform_config, provider_region
from stacks.mocks import run_program
from stacks.plan import Plan, mock_context, preview_document

# Provider config key -> the cloud the mocks answer for.
_CLOUD_OF_KEY = {"aws:region": "aws", "gcp:region": "gcp", "azure-native:location": "azure"}


def assess_program(
    program: Callable[[], None],
    *,
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    spec: PlatformSpec | None = None,
    usage: Usage | Mapping[str, Any] | None = None,
    echo: bool = False,
) -> dict[str, Any]:
    """Run `program` offline and return ``{"cost", "policy", "document"}``.

    `config` holds full Pulumi keys (``aws:region``, ``pioneer:cloud``); with `pioneer:` keys
    (or `spec`) the spec-aware rules run too. `echo` prints the one-line summary `pioneer
    plan` prints.
    """
    cfg = dict(config or {})
    if spec is None and any(str(k).startswith("pioneer:") for k in cfg):
        spec = PlatformSpec.parse(platform_config(cfg))
    regions = (
        mock_context(spec)
        if spec
        else {cloud: str(cfg[key]) for key, cloud in _CLOUD_OF_KEY.items() if cfg.get(key)}
    )
    run = run_program(program, stack=stack, config=cfg, region=regions)
    # preview_document reads only the run and the stack name, never the spec
    doc = preview_document(Plan(stack, Path("."), cast(PlatformSpec, spec), run))
    doc["cost"] = estimate_preview(doc, usage, region=provider_region(cfg))
    doc["policy"] = evaluate(doc, spec)
    if echo:
        from stacks.cli.common import console
        from stacks.cli.plan import render_policy

        console.print(render_policy(stack, doc["policy"], doc))
    return {"cost": doc["cost"], "policy": doc["policy"], "document": doc}
