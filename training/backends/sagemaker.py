"""SageMaker backend: one `TrainingJob` as a managed-spot SageMaker training job.

Built with the sagemaker v3 SDK (`ModelTrainer`, `SourceCode`, `Compute`,
`StoppingCondition`, `CheckpointConfig`), from the AWS stack's
outputs: the platform bucket (code, checkpoints, model output), the KMS key,
the SageMaker execution role and the private subnets.

SageMaker syncs `/opt/ml/checkpoints` to the checkpoint S3 URI while the job
runs and back onto a replacement instance after a spot interruption; the
training script resumes from the newest checkpoint there, and keeps its local
MLflow store there too (training.dirs), unless the stack has a managed MLflow
server, whose ARN then is the job's MLFLOW_TRACKING_URI.

The container runs the SDK's `sm_train.sh` (environment, requirements) as PID 1,
which then `exec`s the job's command: training.forward_signals in front of
torchrun, so the stop notice SageMaker sends PID 1 reaches the workers
(docs/training-field.md).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from components.aws.images import PYTORCH_VERSION
from training.backends import common
from training.backends.common import BackendError
from training.backends.fabric import managed_nccl_env
from training.job import TrainingJob

BACKEND = "sagemaker"
REQUIRED_OUTPUTS = ("region", "bucket_name", "kms_key_arn", "sagemaker_role_arn")
CHECKPOINT_LOCAL_PATH = "/opt/ml/checkpoints"
MODEL_DIR = "/opt/ml/model"
# AWS Deep Learning Container for training; resolved per region and instance
# (GPU vs CPU image) by the SDK's offline image table.
# Retries after internal service errors (spot interruptions are handled by
# managed spot itself and do not consume these).
MAX_RETRY_ATTEMPTS = 3
TERMINAL = ("Completed", "Failed", "Stopped")
# The job's command replaces sm_train.sh's shell as PID 1 ($SM_PYTHON_CMD is the SDK's python).
LAUNCHER = 'exec "$SM_PYTHON_CMD" -m training.forward_signals'


def _sdk() -> Any:
    """Import the SDK lazily (it takes ~2 s) and quietly (its shims warn on import)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import sagemaker.core.helper.session_helper as session_helper
        from sagemaker.core import image_uris
        from sagemaker.core.shapes import RetryStrategy
        from sagemaker.core.training import configs
        from sagemaker.train import ModelTrainer
    logging.getLogger("sagemaker").setLevel(logging.WARNING)
    return SimpleNamespace(
        Session=session_helper.Session,
        image_uris=image_uris,
        configs=configs,
        ModelTrainer=ModelTrainer,
        RetryStrategy=RetryStrategy,
    )


@contextmanager
def _no_role_validation() -> Iterator[None]:
    """Build the trainer without the SDK's IAM checks of the role.

    The role comes from the stack, which grants it SageMaker's trust and the
    bucket/KMS permissions; the check would need iam:SimulatePrincipalPolicy
    for the submitting user, and a dry run must not call IAM at all.
    """
    old = os.environ.get("SAGEMAKER_VALIDATE_ROLE")
    os.environ["SAGEMAKER_VALIDATE_ROLE"] = "false"
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SAGEMAKER_VALIDATE_ROLE", None)
        else:
            os.environ["SAGEMAKER_VALIDATE_ROLE"] = old


def ml_instance_type(job: TrainingJob, region: str) -> str:
    """The catalog's cheapest EC2 type for the job, as a SageMaker `ml.` instance type."""
    return "ml." + common.instance_type("aws", region, job)


def training_image(job: TrainingJob, region: str, instance: str) -> str:
    if job.image:
        return job.image
    sdk = _sdk()
    try:
        return sdk.image_uris.retrieve(
            "pytorch",
            region=region,
            version=PYTORCH_VERSION,
            instance_type=instance,
            image_scope="training",
        )
    except ValueError as e:
        raise BackendError(
            f"image: no PyTorch {PYTORCH_VERSION} training image for "
            f"{region}/{instance} ({e}); set TrainingJob.image"
        ) from None


def _session(outputs: Mapping[str, Any], boto_session: Any, *, upload: bool) -> Any:
    """A SageMaker session whose staging bucket is the platform bucket.

    The platform creates and owns the bucket, so the session never creates one
    (and never asks STS for the account to name one). With `upload=False`
    (dry runs) it reports where the code would go without sending it.
    """
    sdk = _sdk()
    bucket = outputs["bucket_name"]

    class PlatformSession(sdk.Session):  # type: ignore[name-defined,misc]
        def default_bucket(self) -> str:
            return bucket

        def upload_data(
            self, path: str, bucket: str | None = None, key_prefix: str = "data", **kwargs: Any
        ) -> str:
            if upload:
                return super().upload_data(path, bucket=bucket, key_prefix=key_prefix, **kwargs)
            uri = f"s3://{bucket or self.default_bucket()}/{key_prefix}"
            return uri if os.path.isdir(path) else f"{uri}/{os.path.basename(path)}"

    return PlatformSession(
        boto_session=boto_session, default_bucket=bucket, default_bucket_prefix="code"
    )


def _trainer(job: TrainingJob, outputs: Mapping[str, Any], session: Any) -> Any:
    sdk = _sdk()
    cfg = sdk.configs
    region = outputs["region"]
    storage = f"s3://{outputs['bucket_name']}"
    instance = ml_instance_type(job, region)
    requirements = job.requirements
    if requirements and not (Path(job.source_dir) / requirements).is_file():
        requirements = None  # optional: installed when the file exists
    # The command's own arguments, as given (the SDK shell-quotes each): switches such as
    # --no-energy pass too, which hyperparameters (--key value pairs) could not carry.
    script_args = common.script_args(job, CHECKPOINT_LOCAL_PATH, MODEL_DIR)
    networking = None
    if outputs.get("private_subnet_ids") and outputs.get("security_group_id"):
        networking = cfg.Networking(
            subnets=list(outputs["private_subnet_ids"]),
            security_group_ids=[outputs["security_group_id"]],
            enable_inter_container_traffic_encryption=True,
        )

    class PlatformTrainer(sdk.ModelTrainer):  # type: ignore[name-defined,misc]
        def _resolve_staging_bucket(self) -> tuple[str, None]:
            # The SDK would ask IAM whether the role may write its default bucket;
            # the platform's role is scoped to the platform bucket by construction.
            return outputs["bucket_name"], None

    with _no_role_validation():
        trainer = PlatformTrainer(
            sagemaker_session=session,
            role=outputs["sagemaker_role_arn"],
            base_job_name=job.name,
            training_image=training_image(job, region, instance),
            # A command, not entry_script + Torchrun: the SDK's torchrun driver is a child of
            # the shell, so a stop notice to PID 1 never reached it (module doc).
            source_code=cfg.SourceCode(
                source_dir=job.source_dir,
                command=container_command(job),
                args=script_args,
                requirements=requirements,
                ignore_patterns=list(common.SOURCE_IGNORE),
            ),
            compute=cfg.Compute(
                instance_type=instance,
                instance_count=job.nodes,
                enable_managed_spot_training=job.spot,
                # No volume KMS key: GPU instances with NVMe instance storage (p4d, p5,
                # g5, ...) reject one; their local disks are hardware-encrypted.
            ),
            networking=networking,
            stopping_condition=cfg.StoppingCondition(
                max_runtime_in_seconds=int(job.max_run_hours * 3600),
                max_wait_time_in_seconds=int(job.max_wait_hours * 3600) if job.spot else None,
            ),
            checkpoint_config=cfg.CheckpointConfig(
                s3_uri=common.checkpoint_prefix(job, storage),
                local_path=CHECKPOINT_LOCAL_PATH,
            ),
            output_data_config=cfg.OutputDataConfig(
                s3_output_path=common.output_uri(job, storage),
                kms_key_id=outputs["kms_key_arn"],
            ),
            # The fabric's NCCL settings and the stack's MLflow first; the job's own values win.
            environment={
                **managed_nccl_env("aws", instance, job.nodes),
                **tracking_env(outputs),
                **job.environment,
            },
        )
    return trainer.with_retry_strategy(sdk.RetryStrategy(maximum_retry_attempts=MAX_RETRY_ATTEMPTS))


def container_command(job: TrainingJob) -> str:
    """What sm_train.sh runs (its last step, by `exec`): torchrun behind the signal forwarder.

    One node: torchrun's standalone rendezvous. Several: the SDK's environment script has
    exported each host's rank and the master (algo-1) before the command runs.
    """
    torchrun = common.torchrun_command(
        job,
        [],
        nproc_per_node=common.processes_per_node(job),
        node_rank='"$SM_CURRENT_HOST_RANK"',
        master_addr='"$SM_MASTER_ADDR"',
        master_port='"$SM_MASTER_PORT"',
        standalone=job.nodes == 1,
    )
    return f"{LAUNCHER} {torchrun}"


def tracking_env(outputs: Mapping[str, Any]) -> dict[str, str]:
    """The stack's managed MLflow server as the job's tracking store, when it has one.

    The sagemaker-mlflow plugin (training/requirements.txt) reads an ARN as a tracking URI;
    the execution role may use that server (components/aws/iam_documents.py).
    """
    arn = outputs.get("mlflow_tracking_server_arn")
    return {"MLFLOW_TRACKING_URI": arn} if arn else {}


def exec_sm_train(algorithm_specification: dict[str, Any]) -> None:
    """Make PID 1's shell `exec` the SDK's sm_train.sh (in a request's AlgorithmSpecification).

    The SDK's container arguments are `chmod +x sm_train.sh && sm_train.sh`. bash 5.1 and
    later exec the last command of such a list themselves; older ones fork it and stay PID 1,
    deaf to SIGTERM. Saying `exec` makes the chain the same on every image's bash.
    """
    from sagemaker.train.constants import DEFAULT_CONTAINER_ARGUMENTS

    flag, script = DEFAULT_CONTAINER_ARGUMENTS
    given = algorithm_specification.get("ContainerArguments")
    if given != [flag, script] or script.count(" && ") != 1:
        raise RuntimeError(
            f"sagemaker SDK: unexpected container arguments {given!r}; "
            "training/backends/sagemaker.py expects `chmod +x sm_train.sh && sm_train.sh`"
        )
    algorithm_specification["ContainerArguments"] = [flag, script.replace(" && ", " && exec ")]


def _request(trainer: Any) -> dict[str, Any]:
    """The SDK's CreateTrainingJob request, with sm_train.sh exec'd by PID 1's shell."""
    request: dict[str, Any] = trainer._create_training_job_args(boto3=True)
    exec_sm_train(request["AlgorithmSpecification"])
    return request


def _prepare(job: TrainingJob, outputs: Mapping[str, Any]) -> None:
    common.validate_job(job, BACKEND)
    common.require_outputs(outputs, REQUIRED_OUTPUTS, BACKEND)


def _offline_boto_session(region: str) -> Any:
    import boto3

    # Dry runs send nothing, so placeholder keys keep botocore from searching
    # for credentials (which could query the instance metadata endpoint).
    return boto3.Session(
        region_name=region, aws_access_key_id="dry-run", aws_secret_access_key="dry-run"
    )


def dry_run(job: TrainingJob, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateTrainingJob request `submit` would send, and the uploads before it.

    Nothing is uploaded; the SDK's driver file that would go up with the code
    (what the container runs: the command and its arguments) is shown.
    """
    _prepare(job, outputs)
    session = _session(outputs, _offline_boto_session(outputs["region"]), upload=False)
    trainer = _trainer(job, outputs, session)
    request = json.loads(json.dumps(_request(trainer), default=str))
    channels = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"]
        for c in request.get("InputDataConfig", [])
    }
    drivers = Path(trainer._temp_code_dir.name)
    uploads = [
        common.upload(job.source_dir, channels["code"], entry_point=job.entry_point),
        {
            "from": "sagemaker SDK container drivers",
            "to": channels["sm_drivers"],
            **{name: json.loads((drivers / name).read_text()) for name in ("sourcecode.json",)},
        },
    ]
    trainer._temp_code_dir.cleanup()
    price = common.price_estimate(
        "aws", outputs["region"], request["ResourceConfig"]["InstanceType"].removeprefix("ml."), job
    )
    return common.envelope(BACKEND, "sagemaker:CreateTrainingJob", request, uploads, price)


def boto_session(region: str) -> Any:
    """A boto3 session with credentials, or a clear error before anything is sent."""
    import boto3

    session = boto3.Session(region_name=region)
    try:
        credentials = session.get_credentials()
    except Exception as e:  # botocore raises several kinds for broken profiles
        raise BackendError(f"{BACKEND}: AWS credentials could not be loaded: {e}") from None
    if credentials is None:
        raise BackendError(
            f"{BACKEND}: no AWS credentials found; run `aws configure` / `aws sso login` or "
            "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE)"
        )
    return session


@dataclass
class SageMakerJob:
    """A submitted training job; every call asks the service."""

    name: str
    region: str
    session: Any = field(repr=False)
    request: dict[str, Any] = field(repr=False)

    @property
    def client(self) -> Any:
        return self.session.client("sagemaker", region_name=self.region)

    def describe(self) -> dict[str, Any]:
        return self.client.describe_training_job(TrainingJobName=self.name)

    def status(self) -> str:
        d = self.describe()
        secondary = d.get("SecondaryStatus")
        return f"{d['TrainingJobStatus']}" + (f" ({secondary})" if secondary else "")

    def wait(self, poll_seconds: float = 30.0) -> str:
        while True:
            status = self.describe()["TrainingJobStatus"]
            if status in TERMINAL:
                return status
            time.sleep(poll_seconds)

    def cancel(self) -> None:
        self.client.stop_training_job(TrainingJobName=self.name)

    def logs(self) -> str:
        """The job's CloudWatch log lines so far (one stream per instance)."""
        logs = self.session.client("logs", region_name=self.region)
        group = "/aws/sagemaker/TrainingJobs"
        lines: list[str] = []
        try:
            streams = logs.describe_log_streams(logGroupName=group, logStreamNamePrefix=self.name)
        except logs.exceptions.ResourceNotFoundException:
            return ""
        for stream in streams.get("logStreams", []):
            events = logs.get_log_events(
                logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
            )
            lines += [f"[{stream['logStreamName']}] {e['message']}" for e in events["events"]]
        return "\n".join(lines)


def submit(job: TrainingJob, outputs: Mapping[str, Any]) -> SageMakerJob:
    """Upload the code to the platform bucket and create the training job.

    The request is the one `dry_run` shows, sent with boto3's CreateTrainingJob
    (rather than `ModelTrainer.train()`, which rebuilds it and also reports
    usage telemetry to AWS).
    """
    _prepare(job, outputs)
    session = boto_session(outputs["region"])  # credentials before any upload
    trainer = _trainer(job, outputs, _session(outputs, session, upload=True))
    try:
        request = _request(trainer)  # uploads code + SDK drivers
    finally:
        if trainer._temp_code_dir is not None:
            trainer._temp_code_dir.cleanup()
    session.client("sagemaker").create_training_job(**request)
    return SageMakerJob(
        name=request["TrainingJobName"], region=outputs["region"], session=session, request=request
    )
