"""`pioneer monitor run` on a schedule inside the cluster: a CronJob over the captured requests.

The same checks as everywhere else (lifecycle.monitoring), run by the platform
image: an init container copies the capture prefix from the bucket with the
cloud's own CLI into a scratch volume, then `pioneer monitor run` checks it;
its exit status (3 drift, 4 data quality, 5 model quality, 6 service) marks the
Job failed, which is what cluster alerting watches. Off by default.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

SERVICE_ACCOUNT = "monitor"
SCHEDULES = {"hourly": "0 * * * *", "daily": "0 3 * * *"}
CAPTURES = "/captures"
# Non-root, read-only root filesystem, no privilege escalation, no capabilities.
SECURITY_CONTEXT = {
    "runAsNonRoot": True,
    "runAsUser": 10001,
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


RESOURCES = {
    "requests": {"cpu": "500m", "memory": "1Gi"},
    "limits": {"cpu": "1", "memory": "2Gi"},
}


@dataclass
class MonitoringCronJobArgs:
    namespace: pulumi.Input[str]
    image: pulumi.Input[str]
    """The platform image (has pioneer installed)."""
    fetch_image: pulumi.Input[str]
    """An image with the cloud's storage CLI (aws / gcloud / azcopy)."""
    fetch_command: Sequence[pulumi.Input[str]]
    """Copies the capture prefix into /captures, e.g. `aws s3 sync s3://b/captures /captures`."""
    baseline: str
    """MODEL[:VERSION] whose registered baseline the traffic is compared with."""
    schedule: str = "hourly"
    service_account_annotations: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    """Workload identity binding to an identity that can read the capture prefix only."""
    labels: dict[str, str] = field(default_factory=dict)


class MonitoringCronJob(pulumi.ComponentResource):
    cron_job_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: MonitoringCronJobArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:k8s:MonitoringCronJob", name, None, opts)
        if args.schedule not in SCHEDULES:
            raise ValueError(f"schedule: {args.schedule!r} is not one of {', '.join(SCHEDULES)}")
        child = pulumi.ResourceOptions(parent=self)
        labels = {**args.labels, "app.kubernetes.io/component": "monitoring"}
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata={
                "name": SERVICE_ACCOUNT,
                "namespace": args.namespace,
                "labels": labels,
                "annotations": args.service_account_annotations,
            },
            automount_service_account_token=False,  # it reads the bucket, never the API
            opts=child,
        )
        scratch = [
            {"name": "captures", "mountPath": CAPTURES},
            {"name": "tmp", "mountPath": "/tmp"},
        ]
        pod = {
            "serviceAccountName": sa.metadata["name"],
            "restartPolicy": "Never",
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "fsGroup": 10001},
            "initContainers": [
                {
                    "name": "fetch-captures",
                    "image": args.fetch_image,
                    "command": list(args.fetch_command),
                    "securityContext": SECURITY_CONTEXT,
                    "volumeMounts": scratch,
                    "resources": RESOURCES,
                }
            ],
            "containers": [
                {
                    "name": "monitor",
                    "image": args.image,
                    "command": [
                        "pioneer",
                        "monitor",
                        "run",
                        "--capture",
                        CAPTURES,
                        "--baseline",
                        args.baseline,
                        "--json",
                        "--report",
                        "/tmp/report.html",
                    ],
                    "securityContext": SECURITY_CONTEXT,
                    "volumeMounts": scratch,
                    "resources": RESOURCES,
                }
            ],
            "volumes": [{"name": "captures", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
        }
        job = k8s.batch.v1.CronJob(
            f"{name}-cron",
            metadata={
                "name": f"{name}-monitor"[:52],
                "namespace": args.namespace,
                "labels": labels,
            },
            spec={
                "schedule": SCHEDULES[args.schedule],
                "concurrencyPolicy": "Forbid",  # overlapping runs would double-count a breach
                "successfulJobsHistoryLimit": 3,
                "failedJobsHistoryLimit": 5,
                "jobTemplate": {
                    "spec": {
                        "backoffLimit": 0,  # a breach exits non-zero; retrying would not help
                        "activeDeadlineSeconds": 1800,
                        "template": {"metadata": {"labels": labels}, "spec": pod},
                    }
                },
            },
            opts=child,
        )
        self.cron_job_name = job.metadata["name"]
        self.register_outputs({"cron_job_name": self.cron_job_name})
