"""Cluster add-ons and pod workload identity, per cloud, on the recorded resources."""

from __future__ import annotations

import copy
import json

import pytest

from components.k8s.addons import DEVICE_PLUGIN_CHART, JOBSET_CHART

NS = "kubernetes:core/v1:Namespace"
SA = "kubernetes:core/v1:ServiceAccount"
RELEASE = "kubernetes:helm.sh/v3:Release"


def releases(run) -> dict[str, dict]:
    return {r.inputs["name"]: r.inputs for r in run.of_type(RELEASE)}


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_training_namespace_service_account_and_jobset(run_spec, base_config, cloud):
    run = run_spec(base_config(cloud))
    assert run.one(NS).inputs["metadata"]["name"] == "training"
    sa = run.one(SA).inputs["metadata"]
    assert (sa["name"], sa["namespace"]) == ("trainer", "training")
    jobset = releases(run)["jobset"]
    assert (jobset["chart"], jobset["version"]) == JOBSET_CHART
    # Every Kubernetes object goes to the platform's own cluster, through a provider built
    # from the cluster's kubeconfig (on EKS the autoscaler and the EFA plugin have their own).
    kubeconfig = run.outputs["kubeconfig"]
    providers = run.of_type("pulumi:providers:kubernetes")
    assert providers and all(p.inputs["kubeconfig"] == kubeconfig for p in providers)
    urns = tuple(p.urn for p in providers)
    assert all(
        r.provider.startswith(urns) for r in run.resources if r.type.startswith("kubernetes:")
    )


def test_device_plugin_on_eks_and_aks_but_not_gke(run_spec, base_config):
    for cloud, expected in (("aws", True), ("gcp", False), ("azure", True)):
        rel = releases(run_spec(base_config(cloud)))
        assert ("nvidia-device-plugin" in rel) is expected, cloud
    plugin = releases(run_spec(base_config("aws")))["nvidia-device-plugin"]
    assert plugin["chart"] == DEVICE_PLUGIN_CHART[1]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in plugin[
        "values"
    ]["tolerations"]


def test_aws_pod_identity_reaches_only_the_platform_bucket_and_key(run_spec, base_config):
    run = run_spec(base_config("aws"))
    (assoc,) = [
        r.inputs
        for r in run.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
        if r.inputs["serviceAccount"] == "trainer"
    ]
    assert (assoc["namespace"], assoc["serviceAccount"]) == ("training", "trainer")
    role = next(
        r for r in run.of_type("aws:iam/role:Role") if r.name.endswith("workload-identity-trainer")
    )
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert assoc["roleArn"] == role.state["arn"]
    policy = json.loads(
        next(
            p
            for p in run.of_type("aws:iam/rolePolicy:RolePolicy")
            if p.name.endswith("trainer-storage")
        ).inputs["policy"]
    )
    bucket_arn = run.by_name("mlp-aws-data-bucket").state["arn"]
    key_arn = run.one("aws:kms/key:Key").state["arn"]
    resources = {
        r
        for st in policy["Statement"]
        for r in ([st["Resource"]] if isinstance(st["Resource"], str) else st["Resource"])
    }
    assert resources == {bucket_arn, f"{bucket_arn}/*", key_arn}
    assert not any(a == "*" or a.endswith(":*") for st in policy["Statement"] for a in st["Action"])
    addons = {a.inputs["addonName"] for a in run.of_type("aws:eks/addon:Addon")}
    assert "eks-pod-identity-agent" in addons
    assert run.outputs["training_role_arn"] == role.state["arn"]


def test_gke_trainer_is_bound_to_the_training_account(run_spec, base_config):
    run = run_spec(base_config("gcp"))
    sa = run.one(SA).inputs["metadata"]
    assert sa["annotations"] == {
        "iam.gke.io/gcp-service-account": run.outputs["training_service_account"]
    }
    binding = next(
        m
        for m in run.of_type("gcp:serviceaccount/iAMMember:IAMMember")
        if m.inputs["role"] == "roles/iam.workloadIdentityUser"
    )
    assert binding.inputs["member"] == "serviceAccount:pioneer-ml-dev.svc.id.goog[training/trainer]"
    cluster = run.one("gcp:container/cluster:Cluster").inputs
    assert cluster["addonsConfig"]["gcsFuseCsiDriverConfig"]["enabled"] is True


NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_training_namespace_is_restricted_and_denies_all_but_what_training_needs(cloud):
    from components.policy import evaluate
    from stacks.plan import preview_document
    from tests.conftest import shipped_plan

    plan = shipped_plan(f"{cloud}-dev")
    run = plan.run
    labels = run.one(NS).inputs["metadata"]["labels"]
    for mode in ("enforce", "warn", "audit"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
    policies = {p.inputs["metadata"]["name"]: p.inputs for p in run.of_type(NETPOL)}
    assert {p["metadata"]["namespace"] for p in policies.values()} == {"training"}
    assert policies["default-deny"]["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    trainers = {"matchLabels": {"app.kubernetes.io/name": "pioneer-train"}}
    peers = policies["training-peers"]["spec"]
    assert peers["podSelector"] == trainers
    assert peers["ingress"] == [{"from": [{"podSelector": trainers}]}]  # every port: NCCL's too
    assert policies["dns"]["spec"]["egress"][0]["ports"] == [
        {"protocol": "UDP", "port": 53},
        {"protocol": "TCP", "port": 53},
    ]
    assert policies["https-egress"]["spec"]["egress"] == [
        {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"protocol": "TCP", "port": 443}]}
    ]
    identity = {
        "aws": [("169.254.170.23/32", 80)],  # EKS Pod Identity agent
        "gcp": [("169.254.169.254/32", 80), ("169.254.169.252/32", 988)],  # GKE metadata server
        "azure": [],  # a token file, exchanged over HTTPS
    }[cloud]
    egress = (policies.get("workload-identity") or {"spec": {"egress": []}})["spec"]["egress"]
    assert [(e["to"][0]["ipBlock"]["cidr"], e["ports"][0]["port"]) for e in egress] == identity
    # The trainer needs no Kubernetes API token (its cloud identity brings its own).
    assert run.one(SA).inputs["automountServiceAccountToken"] is False

    # The namespace rules pass because of these objects: without them they fail.
    doc = copy.deepcopy(preview_document(plan))  # the plan is shared: change a copy
    for step in doc["steps"]:
        state = step["newState"]
        if state["type"] == NS:
            state["inputs"]["metadata"]["labels"] = {}
    doc["steps"] = [s for s in doc["steps"] if s["newState"]["type"] != NETPOL]
    failed = {v["rule"] for v in evaluate(doc)["violations"]}
    assert {"compute-namespace-pod-security", "compute-namespace-network-policy"} <= failed


def test_eks_enforces_network_policies_with_the_vpc_cni_agent():
    from tests.conftest import shipped_plan

    run = shipped_plan("aws-dev").run
    (cni,) = [a for a in run.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert cni.inputs["resolveConflictsOnCreate"] == "OVERWRITE"  # replaces the bootstrapped CNI
