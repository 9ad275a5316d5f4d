"""What `pioneer deploy` sends to each target, built with that service's own SDK objects.

One `Deployment` (serving spec + the versions to serve + the traffic split) becomes:
- sagemaker: boto3 CreateModel / CreateEndpointConfig / CreateEndpoint and Application
  Auto Scaling RegisterScalableTarget / PutScalingPolicy, checked by botocore's own
  parameter validation (the tests also send them to moto);
- vertex: aiplatform_v1 CreateEndpointRequest + DeployModelRequest protos;
- azureml: azure-ai-ml ManagedOnlineEndpoint / ManagedOnlineDeployment entities, as the
  REST bodies the SDK sends;
- kubernetes: a KServe v1beta1 InferenceService manifest, checked against its schema;
- local: the server this machine runs (`pioneer serve --local`).
Each variant is named after its model version (`v3`), so a canary is two variants with
weights and a rollback is the earlier weights again.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cost.serving import endpoint_cost
from lifecycle.serving.spec import TARGET_CLOUD, ServingSpec

KSERVE_SCHEMA = Path(__file__).with_name("kserve_inferenceservice.schema.json")
CPU_UTILISATION = "aiplatform.googleapis.com/prediction/online/cpu/utilization"


class DeployError(ValueError):
    pass


@dataclass(frozen=True)
class Deployment:
    spec: ServingSpec
    model: str
    weights: dict[int, int]
    """Model version → traffic percent (sums to 100); one entry when there is no canary."""
    stack: str
    outputs: Mapping[str, Any]

    @property
    def endpoint(self) -> str:
        return endpoint_name(self.spec, self.stack)

    @property
    def newest(self) -> int:
        return max(self.weights)


def endpoint_name(spec: ServingSpec, stack: str) -> str:
    return f"{spec.name}-{stack}"[:63]


def variant(version: int) -> str:
    return f"version-{version}"  # Azure ML deployment names need 3-32 characters


def build(target: str, d: Deployment) -> dict[str, Any]:
    if sum(d.weights.values()) != 100:
        raise DeployError(f"traffic weights {d.weights} must sum to 100")
    builders = {
        "sagemaker": sagemaker,
        "vertex": vertex,
        "azureml": azureml,
        "kubernetes": kubernetes,
        "local": local,
    }
    return builders[target](d)


def _price(target: str, d: Deployment, cloud: str, region: str, instance: str) -> dict[str, Any]:
    a = d.spec.autoscaling
    return endpoint_cost(target, cloud, region, instance, a.min_replicas, a.max_replicas).as_dict()


def _need(outputs: Mapping[str, Any], target: str, *keys: str) -> None:
    missing = [k for k in keys if not outputs.get(k)]
    if missing:
        raise DeployError(
            f"--target {target}: the stack outputs lack {', '.join(missing)} "
            f"(is this a {TARGET_CLOUD.get(target, 'cluster')} stack?)"
        )


# ---------------------------------------------------------------- SageMaker
def sagemaker_calls(d: Deployment) -> list[tuple[str, str, dict[str, Any]]]:
    """(service, operation, params) in the order they are sent."""
    o, spec = d.outputs, d.spec
    _need(o, "sagemaker", "bucket_name", "kms_key_arn", "sagemaker_role_arn", "ecr_repository_url")
    instance = "ml." + spec.instance_type("aws", o["region"])
    calls: list[tuple[str, str, dict[str, Any]]] = []
    import mlflow

    # The image `mlflow sagemaker build-and-push-container` builds, pushed to the stack's ECR.
    image = f"{o['ecr_repository_url'].rsplit('/', 1)[0]}/mlflow-pyfunc:{mlflow.__version__}"
    for version in sorted(d.weights):
        model: dict[str, Any] = {
            "ModelName": f"{d.endpoint}-{variant(version)}",
            "ExecutionRoleArn": o["sagemaker_role_arn"],
            "PrimaryContainer": {
                "Image": image,
                "ModelDataUrl": f"s3://{o['bucket_name']}/models/{d.model}/{version}/model.tar.gz",
                "Environment": {"MLFLOW_MODEL": f"{d.model}:{version}"},
            },
            "EnableNetworkIsolation": True,
        }
        if spec.private:
            _need(o, "sagemaker", "private_subnet_ids", "security_group_id")
            model["VpcConfig"] = {
                "Subnets": list(o["private_subnet_ids"]),
                "SecurityGroupIds": [o["security_group_id"]],
            }
        calls.append(("sagemaker", "create_model", model))
    config_name = f"{d.endpoint}-" + "-".join(
        f"{variant(v)}w{w}" for v, w in sorted(d.weights.items())
    )
    config: dict[str, Any] = {
        "EndpointConfigName": config_name[:63],
        "KmsKeyId": o["kms_key_arn"],
        "ProductionVariants": [
            {
                "VariantName": variant(v),
                "ModelName": f"{d.endpoint}-{variant(v)}",
                "InstanceType": instance,
                "InitialInstanceCount": spec.autoscaling.min_replicas,
                "InitialVariantWeight": float(w),
            }
            for v, w in sorted(d.weights.items())
        ],
    }
    cap = spec.capture
    if cap.enabled:
        config["DataCaptureConfig"] = {
            "EnableCapture": True,
            "InitialSamplingPercentage": cap.sample_percent,
            "DestinationS3Uri": f"s3://{o['bucket_name']}/{cap.prefix}",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
            **({"KmsKeyId": o["kms_key_arn"]} if cap.encrypted else {}),
        }
    calls.append(("sagemaker", "create_endpoint_config", config))
    calls.append(
        (
            "sagemaker",
            "create_endpoint",
            {"EndpointName": d.endpoint, "EndpointConfigName": config["EndpointConfigName"]},
        )
    )
    a = spec.autoscaling
    for v in sorted(d.weights):
        resource = f"endpoint/{d.endpoint}/variant/{variant(v)}"
        calls.append(
            (
                "application-autoscaling",
                "register_scalable_target",
                {
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": resource,
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "MinCapacity": a.min_replicas,
                    "MaxCapacity": a.max_replicas,
                },
            )
        )
        # SageMaker's predefined metrics: invocations per instance are per minute; the
        # latency target uses the variant's ModelLatency (microseconds), a customized metric.
        tracking: dict[str, Any] = {"TargetValue": a.target_value * 60}
        if a.target == "rps":
            tracking["PredefinedMetricSpecification"] = {
                "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
            }
        else:
            tracking = {
                "TargetValue": a.target_value * 1000,
                "CustomizedMetricSpecification": {
                    "MetricName": "ModelLatency",
                    "Namespace": "AWS/SageMaker",
                    "Dimensions": [
                        {"Name": "EndpointName", "Value": d.endpoint},
                        {"Name": "VariantName", "Value": variant(v)},
                    ],
                    "Statistic": "Average",
                },
            }
        calls.append(
            (
                "application-autoscaling",
                "put_scaling_policy",
                {
                    "PolicyName": f"{d.endpoint}-{variant(v)}-{a.target}",
                    "ServiceNamespace": "sagemaker",
                    "ResourceId": resource,
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "PolicyType": "TargetTrackingScaling",
                    "TargetTrackingScalingPolicyConfiguration": tracking,
                },
            )
        )
    return calls


def _validate_boto(region: str, calls: list[tuple[str, str, dict[str, Any]]]) -> None:
    """botocore's own parameter validation, offline (no credentials, nothing sent)."""
    import botocore.session
    from botocore.exceptions import ParamValidationError
    from botocore.validate import ParamValidator

    session = botocore.session.get_session()
    for service, op, params in calls:
        model = session.get_service_model(service)
        name = "".join(p.capitalize() for p in op.split("_"))
        report = ParamValidator().validate(params, model.operation_model(name).input_shape)
        if report.has_errors():
            raise DeployError(
                f"{service} {name}: " + str(ParamValidationError(report=report.generate_report()))
            )


def sagemaker(d: Deployment) -> dict[str, Any]:
    calls = sagemaker_calls(d)
    region = d.outputs["region"]
    _validate_boto(region, calls)
    instance = d.spec.instance_type("aws", region)
    return {
        "target": "sagemaker",
        "endpoint": d.endpoint,
        "calls": [{"service": s, "operation": op, "params": p} for s, op, p in calls],
        "price": _price("sagemaker", d, "aws", region, instance),
    }


def send_sagemaker(d: Deployment, session: Any) -> list[str]:
    """Send the calls with a boto3 session; returns the operations sent."""
    sent = []
    for service, op, params in sagemaker_calls(d):
        getattr(session.client(service), op)(**params)
        sent.append(f"{service}:{op}")
    return sent


# ---------------------------------------------------------------- Vertex AI
def vertex(d: Deployment) -> dict[str, Any]:
    from google.cloud.aiplatform_v1 import types as v1

    o, spec = d.outputs, d.spec
    _need(o, "vertex", "project", "region", "kms_key_id", "network", "bucket_name")
    parent = f"projects/{o['project']}/locations/{o['region']}"
    network = o["network"].split("/compute/v1/")[-1]  # projects/P/global/networks/N
    cap = spec.capture
    endpoint = v1.Endpoint(
        display_name=d.endpoint,
        encryption_spec=v1.EncryptionSpec(kms_key_name=o["kms_key_id"]),
        labels={"pioneer-model": spec.name},
        # Private: peered to the stack's VPC (private services access), no public route.
        network=network if spec.private else "",
        predict_request_response_logging_config=v1.PredictRequestResponseLoggingConfig(
            enabled=cap.enabled,
            sampling_rate=cap.sample_percent / 100,
            bigquery_destination=v1.BigQueryDestination(
                output_uri=f"bq://{o['project']}.pioneer_capture.{spec.name.replace('-', '_')}"
            ),
        ),
    )
    machine = spec.instance_type("gcp", o["region"])
    a = spec.autoscaling
    deploys = []
    for version, weight in sorted(d.weights.items()):
        resources = v1.DedicatedResources(
            machine_spec=v1.MachineSpec(machine_type=machine),
            min_replica_count=a.min_replicas,
            max_replica_count=a.max_replicas,
            # Vertex scales on CPU/accelerator utilisation, not request rate: 60 % is the
            # documented default target.
            autoscaling_metric_specs=[
                v1.AutoscalingMetricSpec(metric_name=CPU_UTILISATION, target=60)
            ],
        )
        deploys.append(
            v1.DeployModelRequest(
                endpoint=f"{parent}/endpoints/{d.endpoint}",
                deployed_model=v1.DeployedModel(
                    model=f"{parent}/models/{d.model}@{version}",
                    display_name=variant(version),
                    dedicated_resources=resources,
                    service_account=o.get("training_service_account", ""),
                ),
                # "0" is the model being deployed by this request.
                traffic_split={"0": weight},
            )
        )
    create = v1.CreateEndpointRequest(parent=parent, endpoint=endpoint, endpoint_id=d.endpoint)

    def as_dict(msg: Any) -> dict[str, Any]:
        return type(msg).to_dict(msg, use_integers_for_enums=False)

    return {
        "target": "vertex",
        "endpoint": d.endpoint,
        "calls": [{"operation": "EndpointService.CreateEndpoint", "request": as_dict(create)}]
        + [{"operation": "EndpointService.DeployModel", "request": as_dict(r)} for r in deploys],
        "price": _price("vertex", d, "gcp", o["region"], machine),
    }


# ---------------------------------------------------------------- Azure ML
def azureml_entities(d: Deployment) -> tuple[Any, list[Any]]:
    from azure.ai.ml.entities import (
        DataCollector,
        DeploymentCollection,
        IdentityConfiguration,
        ManagedIdentityConfiguration,
        ManagedOnlineDeployment,
        ManagedOnlineEndpoint,
        OnlineRequestSettings,
    )

    o, spec = d.outputs, d.spec
    _need(o, "azureml", "compute_identity_id", "workspace_name", "location")
    endpoint = ManagedOnlineEndpoint(
        name=d.endpoint,
        auth_mode="aml_token",
        public_network_access="disabled" if spec.private else "enabled",
        identity=IdentityConfiguration(
            type="user_assigned",
            user_assigned_identities=[
                ManagedIdentityConfiguration(resource_id=o["compute_identity_id"])
            ],
        ),
        traffic={variant(v): w for v, w in sorted(d.weights.items())},
        tags={"pioneer-model": spec.name},
    )
    vm = spec.instance_type("azure", o["location"])
    rate = spec.capture.sample_percent / 100
    deployments = [
        ManagedOnlineDeployment(
            name=variant(v),
            endpoint_name=d.endpoint,
            model=f"azureml:{d.model}:{v}",
            instance_type=vm,
            instance_count=spec.autoscaling.min_replicas,
            egress_public_network_access="disabled" if spec.private else "enabled",
            request_settings=OnlineRequestSettings(request_timeout_ms=5000),
            data_collector=DataCollector(
                collections={
                    "model_inputs": DeploymentCollection(enabled="true"),
                    "model_outputs": DeploymentCollection(enabled="true"),
                },
                sampling_rate=rate,
            )
            if spec.capture.enabled
            else None,
        )
        for v in sorted(d.weights)
    ]
    return endpoint, deployments


def azureml(d: Deployment) -> dict[str, Any]:
    from azure.ai.ml.exceptions import ValidationException

    endpoint, deployments = azureml_entities(d)
    location = d.outputs["location"]
    try:
        calls = _azureml_bodies(endpoint, deployments, location)
    except ValidationException as e:  # the SDK's own checks (names, instance counts, ...)
        raise DeployError(f"azure-ai-ml: {e.message}") from None
    # Autoscale on Azure ML is an Azure Monitor autoscale setting on the deployment
    # (min..max instances); the body above starts at min.
    vm = d.spec.instance_type("azure", location)
    return {
        "target": "azureml",
        "endpoint": d.endpoint,
        "calls": calls,
        "price": _price("azureml", d, "azure", location, vm),
    }


def _azureml_bodies(endpoint: Any, deployments: list[Any], location: str) -> list[dict[str, Any]]:
    return [
        {
            "operation": "MLClient.online_endpoints.begin_create_or_update",
            "body": endpoint._to_rest_online_endpoint(location).as_dict(),
        }
    ] + [
        {
            "operation": "MLClient.online_deployments.begin_create_or_update",
            "body": dep._to_rest_object(location).as_dict(),
        }
        for dep in deployments
    ]


# ---------------------------------------------------------------- KServe
def kubernetes(d: Deployment) -> dict[str, Any]:
    import jsonschema

    o, spec = d.outputs, d.spec
    cloud = o.get("cloud", "aws")
    region = o.get("region") or o.get("location")
    bucket = {
        "aws": f"s3://{o.get('bucket_name')}",
        "gcp": f"gs://{o.get('bucket_name')}",
        "azure": o.get("storage_container_url"),
    }[cloud]
    a = spec.autoscaling
    newest = d.newest
    stable = [v for v in d.weights if v != newest]
    predictor: dict[str, Any] = {
        "minReplicas": a.min_replicas,
        "maxReplicas": a.max_replicas,
        "scaleMetric": "rps" if a.target == "rps" else "concurrency",
        "scaleTarget": int(a.target_value),
        "serviceAccountName": "pioneer-serving",  # bound to the cloud identity (workload identity)
        "model": {
            "modelFormat": {"name": "mlflow"},
            "protocolVersion": "v2",
            "storageUri": f"{bucket}/models/{d.model}/{newest}",
            "resources": {
                "requests": {"cpu": "1", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "4Gi"},
            },
        },
    }
    if spec.accelerator:
        predictor["model"]["resources"]["limits"]["nvidia.com/gpu"] = "1"
        predictor["tolerations"] = [
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
        ]
    if stable:
        # KServe keeps the previous revision and sends it the rest of the traffic.
        predictor["canaryTrafficPercent"] = d.weights[newest]
    manifest = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {
            "name": d.endpoint,
            "namespace": "serving",
            "labels": {"pioneer-model": spec.name, "pioneer-version": str(newest)},
            "annotations": {
                # Private: cluster-local only, no external ingress.
                **({"networking.kserve.io/visibility": "cluster-local"} if spec.private else {}),
            },
        },
        "spec": {"predictor": predictor},
    }
    schema = json.loads(KSERVE_SCHEMA.read_text(encoding="utf-8"))
    try:
        jsonschema.validate(manifest, schema)
    except jsonschema.ValidationError as e:
        raise DeployError(
            f"InferenceService {'.'.join(map(str, e.absolute_path))}: {e.message}"
        ) from None
    price = None
    pool = next(
        (p for p in o.get("node_pools") or [] if p.get("accelerator") == spec.accelerator), None
    )
    node_type = pool and _node_type(pool)
    if node_type and region:
        price = _price("kubernetes", d, cloud, region, node_type)
    return {
        "target": "kubernetes",
        "endpoint": d.endpoint,
        "calls": [{"operation": "kubectl apply", "manifest": manifest}],
        "price": price,
    }


def _node_type(pool: Mapping[str, Any]) -> str | None:
    """The node type in a stack's `node_pools` output (each cloud names the field its way)."""
    types = pool.get("instance_types") or [None]
    return pool.get("instance_type") or types[0] or pool.get("machine_type") or pool.get("vm_size")


# ---------------------------------------------------------------- local
def local(d: Deployment) -> dict[str, Any]:
    return {
        "target": "local",
        "endpoint": d.endpoint,
        "calls": [
            {
                "operation": "pioneer serve --local",
                "model": f"{d.model}:{v}",
                "variant": variant(v),
                "traffic_percent": w,
                "capture_sample_percent": d.spec.capture.sample_percent,
            }
            for v, w in sorted(d.weights.items())
        ],
        "price": None,
    }
