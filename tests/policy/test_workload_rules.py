"""Workload rules (#18.12): pod security context, resources, image digest, API token, and the
training namespace's Pod Security labels and default-deny NetworkPolicy — on synthetic
resources, and on the JobSet the kubernetes backend renders for each shipped stack."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.policy.workloads import RULES, check_manifests, manifest_resource, pod_specs
from tests.conftest import shipped_plan
from tests.policy.helpers import findings, res
from training.backends import kubernetes as k8s_backend
from training.job import TrainingJob

DIGEST = "sha256:" + "0" * 64
GOOD_CONTAINER = {
    "name": "trainer",
    "image": f"registry/pioneer-train:src-1@{DIGEST}",
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": True,
    },
    "resources": {
        "requests": {"cpu": "4", "memory": "8Gi"},
        "limits": {"cpu": "4", "memory": "8Gi"},
    },
}
GOOD_POD: dict[str, Any] = {
    "automountServiceAccountToken": False,
    "securityContext": {
        "runAsNonRoot": True,
        "runAsUser": 10001,
        "seccompProfile": {"type": "RuntimeDefault"},
    },
    "containers": [GOOD_CONTAINER],
}


def job_of(pod: dict[str, Any], name: str = "train") -> dict[str, Any]:
    return res("kubernetes:batch/v1:Job", name, {"spec": {"template": {"spec": pod}}})


def changed(path: str, value: Any) -> dict[str, Any]:
    """GOOD_POD with one field of its container (`c.`) or pod (`p.`) replaced (None: removed)."""
    pod = copy.deepcopy(GOOD_POD)
    where, _, key = path.partition(".")
    target: Any = pod["containers"][0] if where == "c" else pod
    *parents, last = key.split(".")
    for part in parents:
        target = target[part]
    if value is None:
        target.pop(last)
    else:
        target[last] = value
    return pod


def test_a_hardened_pod_passes_every_workload_rule():
    for rule in RULES:
        assert findings(rule.id, job_of(GOOD_POD)) == [], rule.id


@pytest.mark.parametrize(
    "path,value,needs",
    [
        ("p.securityContext.runAsNonRoot", None, "runAsNonRoot"),
        ("p.securityContext.runAsUser", 0, "numeric non-zero runAsUser"),
        ("c.securityContext.allowPrivilegeEscalation", True, "allowPrivilegeEscalation: false"),
        ("c.securityContext.capabilities", {"drop": ["NET_RAW"]}, "capabilities.drop: [ALL]"),
        ("p.securityContext.seccompProfile", {"type": "Unconfined"}, "seccompProfile"),
        ("c.securityContext.readOnlyRootFilesystem", None, "readOnlyRootFilesystem: true"),
        ("c.securityContext.privileged", True, "privileged: false"),
    ],
)
def test_each_missing_security_setting_is_named(path, value, needs):
    (msg,) = findings("compute-pod-security-context", job_of(changed(path, value)))
    assert "container 'trainer' needs" in msg and needs in msg


def test_a_pod_without_any_security_context_fails_with_every_gap():
    pod = {"containers": [{"name": "c", "image": f"i@{DIGEST}"}]}
    (msg,) = findings("compute-pod-security-context", job_of(pod))
    assert msg.count(", ") == 4  # five gaps: user, escalation, capabilities, seccomp, root fs


def test_cpu_and_memory_requests_and_limits_are_required():
    (msg,) = findings(
        "compute-pod-resources",
        job_of(changed("c.resources", {"limits": {"nvidia.com/gpu": "8"}})),
    )
    assert "requests.cpu, requests.memory, limits.cpu, limits.memory" in msg


@pytest.mark.parametrize("image", ["registry/pioneer-train:latest", "registry/pioneer-train"])
def test_images_by_tag_are_refused_and_by_digest_accepted(image):
    (msg,) = findings("compute-image-digest", job_of(changed("c.image", image)))
    assert repr(image) in msg and "by digest" in msg


def test_the_api_token_must_not_be_mounted_in_pods_or_by_service_accounts():
    assert findings(
        "identity-pod-service-account-token",
        job_of(changed("p.automountServiceAccountToken", None)),
    )
    sa = "kubernetes:core/v1:ServiceAccount"
    meta = {"name": "trainer", "namespace": "training"}
    assert findings(
        "identity-pod-service-account-token",
        res(sa, "sa", {"metadata": meta, "automountServiceAccountToken": True}),
    )
    assert not findings(
        "identity-pod-service-account-token",
        res(sa, "sa", {"metadata": meta, "automountServiceAccountToken": False}),
    )


def test_every_pod_bearing_kind_is_read_and_system_namespaces_are_left_to_the_cluster():
    bad = {"containers": [{"name": "c", "image": "x:latest"}]}
    objects = {
        "kubernetes:core/v1:Pod": {"spec": bad},
        "kubernetes:apps/v1:Deployment": {"spec": {"template": {"spec": bad}}},
        "kubernetes:apps/v1:DaemonSet": {"spec": {"template": {"spec": bad}}},
        "kubernetes:batch/v1:CronJob": {
            "spec": {"jobTemplate": {"spec": {"template": {"spec": bad}}}}
        },
        "kubernetes:jobset.x-k8s.io/v1alpha2:JobSet": {
            "spec": {"replicatedJobs": [{"template": {"spec": {"template": {"spec": bad}}}}]}
        },
    }
    for type_, inputs in objects.items():
        assert findings("compute-image-digest", res(type_, "w", inputs)), type_
    system = {"metadata": {"namespace": "kube-system"}, **objects["kubernetes:core/v1:Pod"]}
    assert findings("compute-image-digest", res("kubernetes:core/v1:Pod", "w", system)) == []


NS = "kubernetes:core/v1:Namespace"
NETPOL = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DENY = {
    "metadata": {"name": "default-deny", "namespace": "training"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}


def test_namespaces_enforce_the_restricted_pod_security_profile():
    ok = {
        "metadata": {
            "name": "training",
            "labels": {"pod-security.kubernetes.io/enforce": "restricted"},
        }
    }
    assert findings("compute-namespace-pod-security", res(NS, "ns", ok)) == []
    (msg,) = findings(
        "compute-namespace-pod-security",
        res(
            NS,
            "ns",
            {
                "metadata": {
                    "name": "training",
                    "labels": {"pod-security.kubernetes.io/enforce": "baseline"},
                }
            },
        ),
    )
    assert "'restricted'" in msg and "'baseline'" in msg


def test_namespaces_need_a_default_deny_network_policy_in_them():
    ns = res(NS, "ns", {"metadata": {"name": "training"}})
    assert findings("compute-namespace-network-policy", ns, res(NETPOL, "deny", DENY)) == []
    assert findings("compute-namespace-network-policy", ns)
    elsewhere = copy.deepcopy(DENY)
    elsewhere["metadata"]["namespace"] = "other"
    assert findings("compute-namespace-network-policy", ns, res(NETPOL, "deny", elsewhere))
    allow_all = copy.deepcopy(DENY)
    allow_all["spec"]["ingress"] = [{}]  # selects every pod but lets everything in
    assert findings("compute-namespace-network-policy", ns, res(NETPOL, "deny", allow_all))


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-dev", "azure-dev"])
def test_the_rendered_training_jobset_of_each_shipped_stack_passes_the_pod_rules(stack):
    outputs = shipped_plan(stack).run.outputs
    job = TrainingJob(name="lm-run", nodes=2, args=("--model", "lm"))
    objects = k8s_backend.render(job, outputs)
    assert check_manifests(objects) == []
    # Not vacuous: the JobSet's pod is found, and a pod without hardening fails every pod rule.
    jobset = next(o for o in objects if o["kind"] == "JobSet")
    (pod,) = pod_specs(manifest_resource(jobset))
    assert pod["containers"][0]["image"] == outputs["training_image"]
    bare = copy.deepcopy(jobset)
    spec = bare["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    for key in ("securityContext", "automountServiceAccountToken"):
        spec.pop(key)
    container = spec["containers"][0]
    container.pop("securityContext")
    container["resources"] = {}
    container["image"] = "registry/pioneer-train:latest"
    assert {v["rule"] for v in check_manifests([bare])} == {
        "compute-pod-security-context",
        "compute-pod-resources",
        "compute-image-digest",
        "identity-pod-service-account-token",
    }
