"""#16.1: every stack has a way for `pulumi up` to reach its cluster API.

Public endpoint (the dev default): limited to cluster.authorized_cidrs, add-ons in the
stack. Private-only endpoint: the platform stack creates no Kubernetes object and exports
`addons_inputs`; an add-ons stack (`pioneer:addons_for`) run from inside the network
installs the same ClusterAddons through a StackReference.
"""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from components.spec import PlatformSpec, SpecError
from stacks.cli import app
from stacks.plan import run_plan
from tests.conftest import shipped_plan, stack_config

K8S = "kubernetes:"


def _write(folder, name, pioneer: dict, extra: dict | None = None):
    config = {f"pioneer:{k}": v for k, v in pioneer.items()} | (extra or {})
    path = folder / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump({"config": config}))
    return path


def _private(cloud: str) -> dict:
    cfg = stack_config(f"{cloud}-dev")
    cfg["cluster"] = {k: v for k, v in cfg["cluster"].items() if k != "authorized_cidrs"}
    cfg["cluster"]["private_endpoint"] = True
    return cfg


def test_private_endpoint_with_in_stack_addons_is_refused():
    cfg = _private("aws")
    cfg["cluster"]["addons"] = "in_stack"
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(cfg, stack="t")
    assert "cluster.addons: 'in_stack'" in str(e.value) and "separate_stack" in str(e.value)


def test_addons_default_follows_the_endpoint():
    assert PlatformSpec.parse(_private("aws"), stack="t").cluster.addons == "separate_stack"
    assert PlatformSpec.parse(stack_config("aws-dev"), stack="t").cluster.addons == "in_stack"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_shipped_stack_reaches_a_public_endpoint_only_from_authorized_cidrs(cloud):
    plan = shipped_plan(f"{cloud}-dev")
    assert plan.spec.cluster.authorized_cidrs and not plan.spec.cluster.private_endpoint
    assert any(r.type.startswith(K8S) for r in plan.run.resources)
    assert plan.run.outputs["addons_inputs"] is None
    cluster = next(
        r for r in plan.run.resources
        if r.type in ("aws:eks/cluster:Cluster", "gcp:container/cluster:Cluster",
                      "azure-native:containerservice:ManagedCluster")
    )  # fmt: skip
    text = json.dumps(cluster.inputs)
    assert "203.0.113.0/24" in text and "0.0.0.0/0" not in text


def test_private_aws_platform_and_its_addons_stack(tmp_path):
    _write(tmp_path, "p", _private("aws"))
    _write(tmp_path, "p-addons", {"addons_for": "p"})
    platform = run_plan(tmp_path / "Pulumi.p.yaml")
    assert not [r.name for r in platform.run.resources if r.type.startswith(K8S)]
    inputs = platform.run.outputs["addons_inputs"]
    assert set(inputs) == {"kubeconfig", "kubernetes_version", "trainer_annotations"}
    # the in-network runner may reach the private endpoint on 443
    (rule,) = [
        r
        for r in platform.run.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        if r.name.endswith("api-from-vpc")
    ]
    assert rule.inputs["fromPort"] == 443 and rule.inputs["cidrIpv4"] == "10.20.0.0/16"

    addons = run_plan(tmp_path / "Pulumi.p-addons.yaml")
    types = {r.type for r in addons.run.resources}
    assert types == {
        "pioneer:k8s:ClusterAddons", "pulumi:providers:kubernetes",
        "kubernetes:core/v1:Namespace", "kubernetes:core/v1:ServiceAccount",
        "kubernetes:helm.sh/v3:Release", "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    }  # fmt: skip
    releases = {r.inputs["name"] for r in addons.run.of_type("kubernetes:helm.sh/v3:Release")}
    assert releases == {
        "jobset",
        "nvidia-device-plugin",
        "cluster-autoscaler",
        "aws-efa-k8s-device-plugin",
    }
    (provider,) = addons.run.of_type("pulumi:providers:kubernetes")
    assert provider.inputs["kubeconfig"] == inputs["kubeconfig"]


@pytest.mark.parametrize("cloud", ["gcp", "azure"])
def test_private_platform_exports_its_addons_inputs(cloud, run_spec):
    run = run_spec(_private(cloud))
    assert not [r.name for r in run.resources if r.type.startswith(K8S)]
    assert set(run.outputs["addons_inputs"]) == {"kubeconfig", "trainer_annotations"}


def test_addons_stack_config_errors(tmp_path):
    _write(tmp_path, "pub", stack_config("aws-dev"))
    cases = {
        "extra": ({"addons_for": "pub", "region": "us-east-1"}, "an add-ons stack has only"),
        "missing": ({"addons_for": "nosuch"}, "no platform stack 'nosuch'"),
        "in-stack": ({"addons_for": "pub"}, "installs its add-ons itself"),
        "not-a-name": ({"addons_for": [1]}, "expected the platform stack's name, got [1]"),
    }
    for name, (cfg, message) in cases.items():
        _write(tmp_path, name, cfg)
        result = CliRunner().invoke(app, ["plan", str(tmp_path / f"Pulumi.{name}.yaml")])
        assert result.exit_code == 2 and message in result.output, (name, result.output)


def test_preflight_of_a_private_stack_asks_for_its_addons_stack(tmp_path):
    _write(tmp_path, "p", _private("gcp"))
    result = CliRunner().invoke(app, ["preflight", str(tmp_path / "Pulumi.p.yaml"), "--json"])
    assert result.exit_code == 3
    (access,) = json.loads(result.stdout)["access"]
    assert access["status"] == "set" and "Pulumi.p-addons.yaml" in access["how"]
    _write(tmp_path, "p-addons", {"addons_for": "p"})
    result = CliRunner().invoke(app, ["preflight", str(tmp_path / "Pulumi.p.yaml"), "--json"])
    (access,) = json.loads(result.stdout)["access"]
    assert result.exit_code == 0 and access["status"] == "note" and "p-addons" in access["detail"]
