"""Kubernetes workload rules: what users' own scanners (kube-score, Checkov, Trivy, PSA) flag on
training pods and their namespace.

They read any pod-bearing object the way the Kubernetes provider registers it
(``kubernetes:<group>/<version>:<Kind>``, inputs ``{metadata, spec}``): Pods,
Jobs, CronJobs, Deployments and the other controllers, and JobSets. The
kubernetes training backend's rendered manifests are judged by the same rules
through `manifest_resource` (they are applied by the backend, not by Pulumi).
Objects in the cluster's own system namespaces are left to the cluster (device
plugins there need the node's sockets), as Pod Security admission leaves them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from components.policy.model import (
    Finding,
    Resource,
    Rule,
    Stack,
    as_bool,
    as_list,
    as_map,
    as_number,
    each,
    get,
    is_unknown,
    short,
)

NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
SYSTEM_NAMESPACES = frozenset({"kube-system", "kube-public", "kube-node-lease"})
# Where each kind keeps its pod template's spec.
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec",),
    "PodTemplate": ("template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
}
PSA_ENFORCE = "pod-security.kubernetes.io/enforce"
SECCOMP_OK = ("RuntimeDefault", "Localhost")


def manifest_resource(obj: Mapping[str, Any], stack: str = "manifest") -> Resource:
    """A rendered Kubernetes object as the rules see a planned one."""
    api = str(obj.get("apiVersion") or "v1")
    group_version = api if "/" in api else f"core/{api}"
    kind = str(obj.get("kind") or "")
    type_ = f"kubernetes:{group_version}:{kind}"
    meta = as_map(obj.get("metadata"))
    name = str(meta.get("name") or kind)
    inputs = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    return Resource.from_state(
        {
            "type": type_,
            "urn": f"urn:pulumi:{stack}::pioneer::{type_}::{name}",
            "custom": True,
            "inputs": inputs,
        }
    )


def _kind(r: Resource) -> str:
    return r.type.rsplit(":", 1)[-1] if r.type.startswith("kubernetes:") else ""


def _in_system_namespace(r: Resource) -> bool:
    return get(r.inputs, "metadata.namespace") in SYSTEM_NAMESPACES


def pod_specs(r: Resource) -> list[Mapping[str, Any]]:
    """Every pod template spec in a workload object (a JobSet has one per replicated job)."""
    if not r.type.startswith("kubernetes:") or _in_system_namespace(r):
        return []
    kind = _kind(r)
    if kind == "JobSet":
        return [
            as_map(get(job, "template.spec.template.spec"))
            for job in each(as_list(get(r.inputs, "spec.replicatedJobs")))
        ]
    path = POD_SPEC_PATHS.get(kind)
    return [as_map(get(r.inputs, ".".join(path)))] if path else []


def _containers(spec: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield from each(as_list(spec.get("initContainers")))
    yield from each(as_list(spec.get("containers")))


# ---- compute-pod-security-context -----------------------------------------------------------


def _security_gaps(pod: Mapping[str, Any], container: Mapping[str, Any]) -> list[str]:
    """What the container's effective security context (pod level, then its own) lacks."""
    ctx = {**as_map(pod.get("securityContext")), **as_map(container.get("securityContext"))}
    gaps = []
    user = as_number(ctx.get("runAsUser"))
    if as_bool(ctx.get("runAsNonRoot")) is not True or user is None or user < 1:
        gaps.append("runAsNonRoot with a numeric non-zero runAsUser")
    if as_bool(ctx.get("privileged")) is True:
        gaps.append("privileged: false")
    if as_bool(ctx.get("allowPrivilegeEscalation")) is not False:
        gaps.append("allowPrivilegeEscalation: false")
    if "ALL" not in as_list(get(ctx, "capabilities.drop")):
        gaps.append("capabilities.drop: [ALL]")
    if get(ctx, "seccompProfile.type") not in SECCOMP_OK:
        gaps.append("seccompProfile RuntimeDefault")
    if as_bool(ctx.get("readOnlyRootFilesystem")) is not True:
        gaps.append("readOnlyRootFilesystem: true")
    return gaps


def _pod_security(r: Resource) -> Iterator[str]:
    for pod in pod_specs(r):
        for c in _containers(pod):
            if gaps := _security_gaps(pod, c):
                yield f"{short(r)} container {c.get('name')!r} needs {', '.join(gaps)}"


POD_SECURITY_CONTEXT = Rule(
    id="compute-pod-security-context",
    severity="mandatory",
    area="compute",
    description="Workload containers run as a numeric non-root user, without privilege "
    "escalation or capabilities, under the runtime's seccomp profile, on a read-only root "
    "filesystem (the Pod Security 'restricted' profile, plus a read-only root).",
    fix="securityContext: runAsNonRoot: true, runAsUser: <uid>, allowPrivilegeEscalation: false, "
    "capabilities: {drop: [ALL]}, seccompProfile: {type: RuntimeDefault}, "
    "readOnlyRootFilesystem: true; writable emptyDir volumes for /tmp and the output directory.",
    check_resource=_pod_security,
)


# ---- compute-pod-resources ------------------------------------------------------------------


def _pod_resources(r: Resource) -> Iterator[str]:
    for pod in pod_specs(r):
        for c in _containers(pod):
            res = as_map(c.get("resources"))
            missing = [
                f"{kind}.{name}"
                for kind in ("requests", "limits")
                for name in ("cpu", "memory")
                if as_map(res.get(kind)).get(name) in (None, "")
            ]
            if missing:
                yield f"{short(r)} container {c.get('name')!r} sets no {', '.join(missing)}"


POD_RESOURCES = Rule(
    id="compute-pod-resources",
    severity="mandatory",
    area="compute",
    description="Every workload container requests and is limited to CPU and memory, so the "
    "scheduler places it where it fits and it cannot starve the node's system daemons.",
    fix="resources: {requests: {cpu, memory}, limits: {cpu, memory}}; training pods: the "
    "node's catalog vCPU and memory minus the kubelet's and daemon sets' reserve.",
    check_resource=_pod_resources,
)


# ---- compute-image-digest -------------------------------------------------------------------


def _image_digest(r: Resource) -> Iterator[str]:
    for pod in pod_specs(r):
        for c in _containers(pod):
            image = c.get("image")
            if is_unknown(image) or (isinstance(image, str) and "@sha256:" in image):
                continue  # unknown until the image is pushed (a real preview): cannot decide
            yield (
                f"{short(r)} container {c.get('name')!r} runs {image!r}, a tag that can move; "
                "reference the image by digest (repo@sha256:...)"
            )


IMAGE_DIGEST = Rule(
    id="compute-image-digest",
    severity="mandatory",
    area="compute",
    description="Workload images are referenced by digest, never by a tag such as ':latest' "
    "that can be re-pointed: what runs is what was built and scanned.",
    fix="image: '<repository>:<tag>@sha256:<digest>' (the stack output training_image).",
    check_resource=_image_digest,
)


# ---- identity-pod-service-account-token -----------------------------------------------------


def _sa_token(r: Resource) -> Iterator[str]:
    if r.type == SERVICE_ACCOUNT:
        if (
            not _in_system_namespace(r)
            and as_bool(r.get("automountServiceAccountToken")) is not False
        ):
            yield f"{short(r)} mounts its API token into every pod (automountServiceAccountToken)"
        return
    for pod in pod_specs(r):
        if as_bool(pod.get("automountServiceAccountToken")) is not False:
            yield (
                f"{short(r)} mounts a Kubernetes API token it does not use "
                "(automountServiceAccountToken is not false)"
            )


POD_SA_TOKEN = Rule(
    id="identity-pod-service-account-token",
    severity="mandatory",
    area="identity",
    description="Workloads that do not call the Kubernetes API get no API token: service accounts "
    "and pod specs set automountServiceAccountToken: false (cloud workload identity injects its "
    "own audience-bound token volume, or uses the metadata server).",
    fix="automount_service_account_token=False on the ServiceAccount and "
    "automountServiceAccountToken: false in the pod spec.",
    check_resource=_sa_token,  # ServiceAccounts and every workload kind
)


# ---- compute-namespace-pod-security, compute-namespace-network-policy -----------------------


def _user_namespace(r: Resource) -> str | None:
    name = get(r.inputs, "metadata.name")
    if not isinstance(name, str) or is_unknown(name) or name in SYSTEM_NAMESPACES:
        return None
    return name


def _namespace_psa(r: Resource) -> Iterator[str]:
    if _user_namespace(r) is None:
        return
    level = as_map(get(r.inputs, "metadata.labels")).get(PSA_ENFORCE)
    if level != "restricted":
        yield (
            f"{short(r)} does not enforce the Pod Security 'restricted' profile "
            f"({PSA_ENFORCE}={level!r})"
        )


NAMESPACE_POD_SECURITY = Rule(
    id="compute-namespace-pod-security",
    severity="mandatory",
    area="compute",
    description="Namespaces a platform creates enforce the Pod Security 'restricted' profile, so "
    "the API server itself refuses a privileged or root pod there.",
    fix="metadata.labels: pod-security.kubernetes.io/enforce: restricted (and warn/audit).",
    types=frozenset({NAMESPACE}),
    check_resource=_namespace_psa,
)


def _is_default_deny(policy: Resource) -> bool:
    spec = as_map(policy.get("spec"))
    selector = as_map(spec.get("podSelector"))
    return (
        not as_map(selector.get("matchLabels"))
        and not as_list(selector.get("matchExpressions"))
        and {"Ingress", "Egress"} <= set(as_list(spec.get("policyTypes")))
        and not as_list(spec.get("ingress"))
        and not as_list(spec.get("egress"))
    )


def _namespace_network_policy(stack: Stack) -> Iterator[Finding]:
    denied = {
        get(p.inputs, "metadata.namespace")
        for p in stack.of_type(NETWORK_POLICY)
        if _is_default_deny(p)
    }
    for ns in stack.of_type(NAMESPACE):
        name = _user_namespace(ns)
        if name is not None and name not in denied:
            yield Finding(
                ns.urn,
                f"{short(ns)} has no default-deny NetworkPolicy: any pod may reach its pods and "
                "they may reach anything",
            )


NAMESPACE_NETWORK_POLICY = Rule(
    id="compute-namespace-network-policy",
    severity="mandatory",
    area="compute",
    description="Every namespace a platform creates has a default-deny NetworkPolicy (ingress and "
    "egress), with explicit allows for what its workloads need.",
    fix="A NetworkPolicy with podSelector: {}, policyTypes: [Ingress, Egress] and no rules, plus "
    "policies allowing the job's pods to each other, DNS and HTTPS egress.",
    check_stack=_namespace_network_policy,
)


RULES: tuple[Rule, ...] = (
    POD_SECURITY_CONTEXT,
    POD_RESOURCES,
    IMAGE_DIGEST,
    POD_SA_TOKEN,
    NAMESPACE_POD_SECURITY,
    NAMESPACE_NETWORK_POLICY,
)


def check_manifests(
    objects: list[Mapping[str, Any]], rules: tuple[Rule, ...] = RULES
) -> list[dict[str, str]]:
    """The violations of rendered Kubernetes objects (a training job's manifests)."""
    stack = Stack(resources=[manifest_resource(o) for o in objects])
    return [
        {"rule": rule.id, "severity": rule.severity, "urn": f.urn, "message": f.message}
        for rule in rules
        for f in rule.run(stack)
    ]
