"""Run this policy pack through pulumi-policy's own analyzer, in-process, on a plan document.

`pulumi preview --policy-pack policypack` needs the Pulumi CLI; this drives the
same analyzer servicer the CLI talks to (`Analyze` per resource, `AnalyzeStack`
once) with requests built from a `pioneer plan --json` / `pulumi preview --json`
document, so the glue is exercised by the real CrossGuard SDK here. Run it in
the pack's environment:

    policypack/.venv/bin/python policypack/selftest.py plan.json [--stack-config stacks/Pulumi.aws-dev.yaml]

It prints ``{"violations": [{rule, severity, urn, message}], "mandatory": n, "advisory": n}``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]


def _config_env(stack_file: Path) -> str:
    """A stack file's `config:` as the PULUMI_CONFIG the CLI hands a policy pack."""
    import yaml

    config = (yaml.safe_load(stack_file.read_text()) or {}).get("config") or {}
    return json.dumps({k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()})


def analyze(doc: dict[str, Any]) -> dict[str, Any]:
    from crossguard import PACK_NAME, build_policies
    from google.protobuf import json_format, struct_pb2
    from pulumi.runtime.proto import analyzer_pb2
    from pulumi_policy import EnforcementLevel
    from pulumi_policy.policy import _PolicyAnalyzerServicer

    states = [s["newState"] for s in doc["steps"] if s.get("newState")]
    by_urn = {s["urn"]: s for s in states}

    def struct(inputs: dict[str, Any]) -> struct_pb2.Struct:
        return json_format.ParseDict(inputs or {}, struct_pb2.Struct())

    def provider(state: dict[str, Any]) -> dict[str, Any]:
        p = by_urn.get(str(state.get("provider") or "").rsplit("::", 1)[0])
        if p is None:
            return {}
        return {
            "provider": analyzer_pb2.AnalyzerProviderResource(
                type=p["type"],
                properties=struct(p.get("inputs")),
                urn=p["urn"],
                name=p["urn"].rsplit("::", 1)[-1],
            )
        }

    servicer = _PolicyAnalyzerServicer(
        PACK_NAME, "0.1.0", build_policies(), EnforcementLevel.ADVISORY
    )
    diagnostics = []
    for s in states:
        request = analyzer_pb2.AnalyzeRequest(
            type=s["type"],
            properties=struct(s.get("inputs")),
            urn=s["urn"],
            name=s["urn"].rsplit("::", 1)[-1],
            **provider(s),
        )
        diagnostics += servicer.Analyze(request, None).diagnostics
    stack = analyzer_pb2.AnalyzeStackRequest(
        resources=[
            analyzer_pb2.AnalyzerResource(
                type=s["type"],
                properties=struct(s.get("inputs")),
                urn=s["urn"],
                name=s["urn"].rsplit("::", 1)[-1],
                parent=s.get("parent") or "",
                dependencies=s.get("dependencies") or [],
                **provider(s),
            )
            for s in states
        ]
    )
    diagnostics += servicer.AnalyzeStack(stack, None).diagnostics

    levels = {0: "advisory", 1: "mandatory"}
    violations = [
        {
            "rule": d.policyName,
            "severity": levels.get(d.enforcementLevel, str(d.enforcementLevel)),
            "urn": d.urn,
            "message": d.message.split("\n", 1)[-1],
        }
        for d in diagnostics
    ]
    return {
        "violations": violations,
        "mandatory": sum(v["severity"] == "mandatory" for v in violations),
        "advisory": sum(v["severity"] == "advisory" for v in violations),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "plan", type=Path, help="a `pioneer plan --json` or `pulumi preview --json` file"
    )
    parser.add_argument(
        "--stack-config", type=Path, help="the stack's Pulumi.<stack>.yaml (budget, pools, tags)"
    )
    args = parser.parse_args()
    if args.stack_config:
        os.environ["PULUMI_CONFIG"] = _config_env(args.stack_config)
    print(json.dumps(analyze(json.loads(args.plan.read_text())), indent=2))


if __name__ == "__main__":
    main()
