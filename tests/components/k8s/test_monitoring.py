"""The in-cluster monitoring CronJob, on the recorded resources."""

from __future__ import annotations

import pytest

from components.k8s.monitoring import MonitoringCronJob, MonitoringCronJobArgs
from stacks.mocks import run_program

CRON = "kubernetes:batch/v1:CronJob"


def _run(**overrides):
    args = MonitoringCronJobArgs(
        namespace="training",
        image="registry.example/pioneer:1",
        fetch_image="amazon/aws-cli:2.22.0",
        fetch_command=["aws", "s3", "sync", "s3://bucket/captures/digits", "/captures"],
        baseline="digits:production",
        service_account_annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/m"},
        **overrides,
    )
    return run_program(lambda: MonitoringCronJob("digits", args), stack="test")


def test_cronjob_runs_pioneer_monitor_on_the_fetched_captures_without_privileges():
    run = _run()
    spec = run.one(CRON).inputs["spec"]
    assert spec["schedule"] == "0 * * * *" and spec["concurrencyPolicy"] == "Forbid"
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]
    main, fetch = pod["containers"][0], pod["initContainers"][0]
    assert main["command"][:6] == [
        "pioneer",
        "monitor",
        "run",
        "--capture",
        "/captures",
        "--baseline",
    ]
    assert fetch["command"][-1] == "/captures"
    for c in (main, fetch):
        sc = c["securityContext"]
        assert sc["runAsNonRoot"] and sc["readOnlyRootFilesystem"]
        assert sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
    sa = run.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]
    assert pod["serviceAccountName"] == sa["name"] == "monitor"
    assert "eks.amazonaws.com/role-arn" in sa["annotations"]


def test_the_cronjob_passes_the_workload_rules_but_the_digest_one_for_tagged_images():
    from components.policy import evaluate
    from components.policy.workloads import RULES

    run = _run()
    doc = {
        "steps": [{"op": "create", "urn": r.urn, "newState": r.as_state()} for r in run.resources]
    }
    failed = {
        (v["rule"], v["message"].split("'")[3]) for v in evaluate(doc, rules=RULES)["violations"]
    }
    # The caller chose tags (registry.example/pioneer:1): only that is reported, per container.
    assert failed == {
        ("compute-image-digest", "fetch-captures"),
        ("compute-image-digest", "monitor"),
    }


def test_an_unknown_schedule_is_refused():
    with pytest.raises(Exception, match="schedule: 'weekly' is not one of hourly, daily"):
        _run(schedule="weekly")
