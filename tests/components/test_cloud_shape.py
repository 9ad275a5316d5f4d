"""The three clouds have one shape (issue #15): the same entry points, nesting and outputs."""

from __future__ import annotations

import importlib

import pytest

from components.outputs import PlatformOutputs, output_keys
from stacks.plan import run_plan

CLOUDS = ("aws", "gcp", "azure")


@pytest.fixture(scope="module", params=CLOUDS)
def dev(request):
    return request.param, run_plan(f"{request.param}-dev").run


@pytest.mark.parametrize("cloud", CLOUDS)
def test_every_cloud_package_exposes_spec_errors_and_build(cloud):
    package = importlib.import_module(f"components.{cloud}")
    assert callable(package.spec_errors) and callable(package.build)
    assert set(PlatformOutputs.__annotations__) <= set(package.OUTPUT_KEYS)


def test_parts_sit_directly_under_the_platform_at_the_same_depth(dev):
    cloud, run = dev
    components = {r.urn: r for r in run.resources if not r.custom}
    (platform,) = [r for r in components.values() if r.type == "pioneer:index:MlPlatform"]
    # MlPlatform > part > resource: no extra per-cloud platform level in between.
    assert not any(r.type == f"pioneer:{cloud}:Platform" for r in components.values())
    parts = {
        r.type.split(":")[-1]
        for r in components.values()
        if r.parent == platform.urn and r.type.startswith(f"pioneer:{cloud}:")
    }
    assert len(parts) >= 6, parts
    assert {"Network"} <= parts and any("Cluster" in p for p in parts), parts


def test_build_writes_exactly_the_clouds_outputs_contract(dev):
    cloud, run = dev
    assert set(run.outputs) == set(output_keys(cloud)) | {
        "monthly_compute_usd",
        "max_monthly_compute_usd",
    }
    out = run.outputs
    assert out["cloud"] == cloud and out["region"] == run_plan_region(cloud)
    assert out["bucket_name"] and out["cluster_name"] and out["registry_url"]
    assert out["cluster_endpoint"] and out["kubeconfig"]
    assert str(out["bucket_url"]).endswith(str(out["bucket_name"]))
    assert {p.get("pool") or p.get("name") for p in out["node_pools"]}


def run_plan_region(cloud: str) -> str:
    return {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}[cloud]


@pytest.mark.parametrize(
    ("backend", "cloud"),
    [("sagemaker", "aws"), ("vertex", "gcp"), ("azureml", "azure")],
)
def test_the_managed_backends_read_only_keys_their_cloud_writes(backend, cloud):
    module = importlib.import_module(f"training.backends.{backend}")
    assert set(module.REQUIRED_OUTPUTS) <= set(output_keys(cloud))


@pytest.mark.parametrize("cloud", CLOUDS)
def test_the_kubernetes_backend_reads_only_keys_every_cloud_writes(cloud):
    from training.backends import kubernetes

    assert set(kubernetes._REQUIRED[cloud]) <= set(output_keys(cloud))
