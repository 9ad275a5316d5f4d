"""`pioneer preflight`: the quotas each stack needs, read live against each cloud's own API shape."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import boto3
import pytest
from botocore.stub import Stubber
from typer.testing import CliRunner

from cost.catalog import get_catalog
from stacks.cli import app
from stacks.config import spec_from_stack
from stacks.preflight import aws, azure, check, gcp, needs


def _by_name(items):
    return {n.name: n for n in items}


def test_aws_dev_spot_h100_pool_needs_p_spot_vcpus_at_max_nodes():
    _, _, spec = spec_from_stack("aws-dev")
    got = _by_name(needs(spec))
    p_spot = got["L-7212CCBC"]  # All P Spot Instance Requests
    assert p_spot.pools == ["train-h100"] and p_spot.unit == "vCPUs"
    # p5.48xlarge has 192 vCPUs; the pool's max_nodes is 4.
    assert get_catalog().offer("aws", "us-east-1", "p5.48xlarge").vcpus == 192
    assert p_spot.needed == 192 * 4
    assert got["L-1216C47A"].needed == 4 * 3  # 3 x m6i.xlarge system nodes, on-demand


def test_gcp_dev_needs_gpu_and_tpu_quotas_and_the_global_gpu_quota():
    _, _, spec = spec_from_stack("gcp-dev")
    got = _by_name(needs(spec))
    a100 = next(p for p in spec.node_pools if p.name == "train-a100")
    gpus = a100.accelerators_per_node * a100.max_nodes
    assert got["PREEMPTIBLE_NVIDIA_A100_GPUS"].needed == gpus
    assert got["PREEMPTIBLE_NVIDIA_A100_GPUS"].or_name == "NVIDIA_A100_GPUS"
    assert got["GPUS_ALL_REGIONS"].scope == "global" and got["GPUS_ALL_REGIONS"].needed == gpus
    assert got["PREEMPTIBLE_TPU_LITE_PODSLICE_V5"].unit == "TPU chips"


def test_azure_dev_spot_pool_counts_against_regional_spot_vcpus():
    _, _, spec = spec_from_stack("azure-dev")
    got = _by_name(needs(spec))
    assert "lowPriorityCores" in got and got["lowPriorityCores"].pools == ["train-a100"]
    assert got["standardDSv5Family"].pools == ["system"]  # Standard_D4s_v5


@pytest.mark.parametrize(
    "itype,cls",
    [
        ("p5.48xlarge", "p"),
        ("g6e.12xlarge", "g"),
        ("m6i.xlarge", "standard"),
        ("trn1.32xlarge", "trn"),
        ("inf2.48xlarge", "inf"),
    ],  # fmt: skip
)
def test_aws_instance_family_classes(itype, cls):
    assert aws.family_class(itype) == cls


def test_aws_live_limits_through_service_quotas_api_shape():
    _, _, spec = spec_from_stack("aws-dev")
    client = boto3.client("service-quotas", region_name="us-east-1")
    stub = Stubber(client)  # validates every request against the service's own model
    for code, value in (("L-1216C47A", 64.0), ("L-7212CCBC", 0.0)):
        stub.add_response(
            "get_service_quota",
            {"Quota": {"QuotaCode": code, "Value": value, "ServiceCode": "ec2"}},
            {"ServiceCode": "ec2", "QuotaCode": code},
        )
    with stub:
        results = {r.need.name: r for r in check(needs(spec), aws.ServiceQuotasReader(client))}
    stub.assert_no_pending_responses()
    assert results["L-1216C47A"].status == "ok"
    assert results["L-7212CCBC"].status == "raise" and "768" in results["L-7212CCBC"].note


class _Fake(BaseHTTPRequestHandler):
    routes: dict[str, dict] = {}
    seen: list[tuple[str, str]] = []

    def do_GET(self):  # noqa: N802
        self.seen.append((self.path, self.headers.get("Authorization", "")))
        body = self.routes.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {"error": "not found"}).encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_api():
    server = HTTPServer(("127.0.0.1", 0), _Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Fake.seen = []
    yield server, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_gcp_live_reads_region_and_project_quotas_and_falls_back_to_regular_gpu_quota(fake_api):
    _, base = fake_api
    _, _, spec = spec_from_stack("gcp-dev")
    region = f"/compute/v1/projects/{spec.project}/regions/{spec.region}"
    _Fake.routes = {
        region: {"quotas": [
            {"metric": "CPUS", "limit": 24, "usage": 0},
            {"metric": "A2_CPUS", "limit": 384, "usage": 0},
            {"metric": "NVIDIA_A100_GPUS", "limit": 16, "usage": 0},  # no preemptible quota
            {"metric": "PREEMPTIBLE_TPU_LITE_PODSLICE_V5", "limit": 8, "usage": 0},
        ]},
        f"/compute/v1/projects/{spec.project}": {"quotas": [
            {"metric": "CPUS_ALL_REGIONS", "limit": 1000, "usage": 4},
            {"metric": "GPUS_ALL_REGIONS", "limit": 0, "usage": 0},
        ]},
    }  # fmt: skip
    reader = gcp.ComputeQuotaReader(spec.project, lambda: "tok", api=f"{base}/compute/v1")
    results = {r.need.name: r for r in check(needs(spec), reader)}
    gpu = results["PREEMPTIBLE_NVIDIA_A100_GPUS"]
    assert gpu.limit == 16 and gpu.status == "raise" and "via NVIDIA_A100_GPUS" in gpu.note
    assert results["GPUS_ALL_REGIONS"].status == "raise"
    assert results["CPUS_ALL_REGIONS"].status == "ok"
    assert results["PREEMPTIBLE_TPU_LITE_PODSLICE_V5"].status == "ok"
    assert all(auth == "Bearer tok" for _, auth in _Fake.seen)
    assert len(_Fake.seen) == 2  # one call per scope, cached


def test_azure_live_reads_compute_usages(fake_api):
    _, base = fake_api
    _, _, spec = spec_from_stack("azure-dev")
    path = (f"/subscriptions/sub-1/providers/Microsoft.Compute/locations/{spec.region}"
            f"/usages?api-version={azure.API_VERSION}")  # fmt: skip
    _Fake.routes = {path: {"value": [
        {"name": {"value": "cores", "localizedValue": "Total Regional vCPUs"},
         "currentValue": 4, "limit": 100},
        {"name": {"value": "standardDSv5Family"}, "currentValue": 4, "limit": 10},
        {"name": {"value": "lowPriorityCores"}, "currentValue": 0, "limit": 3},
    ]}}  # fmt: skip
    results = {
        r.need.name: r
        for r in check(needs(spec), azure.UsageReader("sub-1", lambda: "t", arm=base))
    }
    assert results["lowPriorityCores"].status == "raise"
    assert results["standardDSv5Family"].status == "raise"  # 4 used + 12 needed > 10
    assert results["cores"].status == "ok"


def test_cli_offline_lists_quotas_and_the_placeholder_cidr_for_every_shipped_stack():
    for stack in ("aws-dev", "gcp-dev", "azure-dev"):
        result = CliRunner().invoke(app, ["preflight", stack, "--json"])
        # The shipped stacks carry a documentation range in authorized_cidrs: set it first.
        assert result.exit_code == 3, result.output
        doc = json.loads(result.stdout)
        assert doc["quotas"] and all(q["status"] == "unknown" for q in doc["quotas"])
        (access,) = doc["access"]
        assert access["item"] == "cluster.authorized_cidrs[0]" and access["status"] == "set"
        assert "pioneer:cluster.authorized_cidrs[0]" in access["how"] and stack in access["how"]


def test_cli_live_exits_3_when_a_quota_must_be_raised(monkeypatch):
    class Zero:
        def limit(self, need):
            return 0.0, 0.0, ""

    monkeypatch.setattr(aws.ServiceQuotasReader, "for_region", classmethod(lambda cls, r: Zero()))
    result = CliRunner().invoke(app, ["preflight", "aws-dev", "--live"])
    assert result.exit_code == 3
    assert "L-7212CCBC" in result.stdout and "request-service-quota-increase" in result.stdout


def test_cli_unknown_stack_is_a_clear_error():
    result = CliRunner().invoke(app, ["preflight", "nosuch"])
    assert result.exit_code == 2 and "nosuch" in result.output
