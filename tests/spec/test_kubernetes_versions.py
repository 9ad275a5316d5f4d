"""`cluster.kubernetes_version` against the dated EKS/GKE/AKS support calendar: errors past
the end of support, warnings (and extended-support settings and prices) inside it."""

from __future__ import annotations

import importlib
from datetime import date

import pytest

from components.spec import PlatformSpec, SpecError
from cost.estimate import estimate_preview
from cost.kubernetes_versions import calendar, in_extended_support, today
from tests.cost.test_estimate_rules import doc, line

DAY = date(2026, 12, 1)
REGION = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}


def spec(cloud: str, version: str | None) -> PlatformSpec:
    """A spec built without the validation edge, so a test can judge it on any day."""
    return PlatformSpec.model_validate(
        {
            "name": "mlp",
            "cloud": cloud,
            "region": REGION[cloud],
            "project": "p" if cloud == "gcp" else None,
            "node_pools": [{"name": "system", "max_nodes": 2}],
            "cluster": {"kubernetes_version": version},
        }
    )


def rules(cloud: str):
    return importlib.import_module(f"components.{cloud}")


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_every_calendar_entry_is_ordered_and_sourced(cloud):
    cal = calendar(cloud)
    assert cal.source.startswith("https://") and cal.retrieved == "2026-12-01"
    for v in cal.versions.values():
        assert v.release < v.end_standard < v.end_extended, v


@pytest.mark.parametrize(
    "cloud, ended, ended_on",
    [("aws", "1.31", "2026-11-26"), ("gcp", "1.31", "2026-10-25"), ("azure", "1.31", "2026-11-30")],
)
def test_a_version_past_extended_support_is_refused_with_dates_and_the_supported_list(
    cloud, ended, ended_on
):
    errors = rules(cloud).spec_errors(spec(cloud, ended), today=DAY)
    assert len(errors) == 1
    msg = errors[0]
    assert msg.startswith("cluster.kubernetes_version: ")
    assert f"extended support on {ended_on}" in msg
    assert "supported on 2026-12-01: 1.35 (standard until" in msg
    assert "1.32 (extended until" in msg
    # the same version a year earlier is fine
    assert rules(cloud).spec_errors(spec(cloud, ended), today=date(2025, 9, 1)) == []


@pytest.mark.parametrize(
    "cloud, needle",
    [
        ("aws", "upgrade policy EXTENDED and its control plane is priced at $0.60/h"),
        ("gcp", "EXTENDED release channel"),
        ("azure", "Premium tier with the AKSLongTermSupport plan, $0.60/h"),
    ],
)
def test_a_version_in_extended_support_is_a_warning_not_an_error(cloud, needle):
    s = spec(cloud, "1.33")
    assert rules(cloud).spec_errors(s, today=DAY) == []
    (warning,) = rules(cloud).spec_warnings(s, today=DAY)
    assert warning.startswith("cluster.kubernetes_version: ") and needle in warning
    assert rules(cloud).spec_warnings(spec(cloud, "1.35"), today=DAY) == []
    assert rules(cloud).spec_warnings(spec(cloud, None), today=DAY) == []  # service default


def test_patch_versions_count_as_their_minor_and_garbage_is_named():
    assert rules("gcp").spec_errors(spec("gcp", "1.35.2-gke.1200"), today=DAY) == []
    (err,) = rules("aws").spec_errors(spec("aws", "latest"), today=DAY)
    assert "'latest' is not a Kubernetes version such as 1.35" in err


def test_a_version_newer_than_the_calendar_warns_that_it_is_unchecked():
    assert rules("aws").spec_errors(spec("aws", "1.37"), today=DAY) == []
    (w,) = rules("aws").spec_warnings(spec("aws", "1.37"), today=DAY)
    assert "newer than every version in the support calendar (newest 1.35" in w


def test_the_day_is_injectable_through_the_environment(monkeypatch):
    monkeypatch.setenv("PIONEER_TODAY", "2028-01-01")
    assert today() == date(2028, 1, 1)
    with pytest.raises(SpecError, match=r"cluster\.kubernetes_version: EKS 1\.33 reached"):
        PlatformSpec.parse(spec("aws", "1.33").model_dump())
    monkeypatch.setenv("PIONEER_TODAY", "tomorrow")
    with pytest.raises(ValueError, match="PIONEER_TODAY: 'tomorrow' is not a date"):
        today()


def test_eks_extended_support_is_priced_at_sixty_cents():
    def eks(version: str) -> dict:
        inputs = {"version": version, "upgradePolicy": {"supportType": "EXTENDED"}}
        return line(
            estimate_preview(doc("aws", "us-east-1", ("aws:eks/cluster:Cluster", "eks", inputs))),
            "eks",
        )

    assert eks("1.33")["hourly_usd"] == pytest.approx(0.60)  # in extended support on DAY
    assert eks("1.35")["hourly_usd"] == pytest.approx(0.10)


def test_gke_extended_channel_adds_its_fee_only_inside_extended_support():
    def gke(version: str) -> dict:
        inputs = {"location": "us-central1", "minMasterVersion": version,
                  "releaseChannel": {"channel": "EXTENDED"}}  # fmt: skip
        est = estimate_preview(
            doc("gcp", "us-central1", ("gcp:container/cluster:Cluster", "gke", inputs))
        )
        return line(est, "gke")

    assert gke("1.33")["hourly_usd"] == pytest.approx(0.10 + 0.50)
    assert gke("1.35")["hourly_usd"] == pytest.approx(0.10)


@pytest.mark.parametrize(
    "cloud, resource, expected",
    [
        ("aws", "aws:eks/cluster:Cluster", {"upgradePolicy": {"supportType": "EXTENDED"}}),
        ("gcp", "gcp:container/cluster:Cluster", {"releaseChannel": {"channel": "EXTENDED"}}),
        (
            "azure",
            "azure-native:containerservice:ManagedCluster",
            {"sku": {"name": "Base", "tier": "Premium"}, "supportPlan": "AKSLongTermSupport"},
        ),
    ],
)
def test_the_cluster_is_created_with_the_clouds_extended_support_setting(
    cloud, resource, expected, base_config, run_spec
):
    config = base_config(cloud)  # slimmed: the cluster is what is checked
    config["node_pools"] = config["node_pools"][:1]
    config["mlops"] = {"enabled": False}
    config["cluster"] = {**config.get("cluster", {}), "kubernetes_version": "1.33"}
    assert in_extended_support(cloud, "1.33", DAY)
    inputs = run_spec(config).one(resource).inputs
    assert {k: inputs.get(k) for k in expected} == expected
