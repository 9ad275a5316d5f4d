"""Azure ML backend: the command job's REST body (what `jobs.create_or_update` sends)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from training.backends import azureml
from training.backends.common import BackendError


def _body(job, outputs) -> dict:
    return azureml.rest_request(azureml.build_job(job, outputs, "digits-run1"))["properties"]


def test_distribution_instances_and_low_priority_cluster(job, azure_outputs):
    body = _body(job, azure_outputs)
    assert body["distribution"] == {"distributionType": "PyTorch", "processCountPerInstance": 8}
    assert body["resources"]["instanceCount"] == 2
    assert body["computeId"] == "train-a100-lp"  # the LowPriority cluster for 8x A100-80GB
    assert "queueSettings" not in body
    assert body["limits"]["timeout"] == "PT6H"
    assert body["environmentId"] == azureml.ENVIRONMENT


def test_on_demand_uses_the_dedicated_cluster(job, azure_outputs):
    body = _body(dataclasses.replace(job, capacity="on_demand"), azure_outputs)
    assert body["computeId"] == "train-a100-dd"


def test_serverless_spot_tier(job, azure_outputs):
    body = _body(dataclasses.replace(job, pool="serverless"), azure_outputs)
    assert "computeId" not in body
    assert body["queueSettings"] == {"jobTier": "Spot"}
    assert body["resources"]["instanceType"] == "Standard_ND96amsr_A100_v4"
    assert body["resources"]["instanceCount"] == 2


def test_checkpoints_are_an_rw_mount_on_the_platform_container_passed_on_the_command_line(
    job, azure_outputs
):
    body = _body(job, azure_outputs)
    assert body["outputs"]["checkpoints"] == {
        "uri": "azureml://datastores/pioneer_training/paths/checkpoints/digits",
        "mode": "ReadWriteMount",
        "jobOutputType": "uri_folder",
    }
    assert body["outputs"]["model"]["uri"].endswith("/paths/outputs/digits/model")
    cmd = body["command"]
    assert cmd.startswith(
        "flock /tmp/pioneer-pip.lock pip install --quiet -r "
        "training/requirements.txt && python training/train.py "
    )
    assert cmd.endswith(
        "--model digits --max-steps 50 --ckpt-dir ${{outputs.checkpoints}} "
        "--output-dir ${{outputs.model}}"
    )
    assert "outputs.checkpoints" not in json.dumps(body.get("environmentVariables", {}))


def test_dry_run_names_workspace_and_datastore(job, azure_outputs):
    doc = azureml.dry_run(job, azure_outputs)
    json.dumps(doc)
    assert doc["workspace"].endswith(
        "/resourceGroups/mlp-azure-rg/providers/"
        "Microsoft.MachineLearningServices/workspaces/mlp-azure-ws"
    )
    assert doc["datastore"]["account_name"] == "mlpazuredata0123"
    assert doc["datastore"]["container_name"] == "training"
    assert doc["uploads"][0]["entry_point"] == "training/train.py"
    assert doc["request"]["properties"]["outputs"]["checkpoints"]["uri"].startswith(
        f"azureml://datastores/{doc['datastore']['name']}/"
    )


def test_submit_uploads_the_shipped_files_not_git_or_the_venv(
    job, azure_outputs, source_dir, monkeypatch
):
    """What azure-ai-ml would upload for the submitted job, by its own ignore-file rules."""
    import azure.ai.ml
    from azure.ai.ml._utils._asset_utils import get_ignore_file, get_upload_files_from_folder

    for junk in (".git/HEAD", ".git/objects/ab/cdef", ".venv/bin/python", "secrets.env"):
        (source_dir / junk).parent.mkdir(parents=True, exist_ok=True)
        (source_dir / junk).write_text("x")
    (source_dir / ".gitignore").write_text("secrets.env\n")  # the SDK still applies it
    uploaded: list[str] = []

    class Token:
        def get_token(self, *scopes: str) -> object:
            return object()

    class Jobs:
        def create_or_update(self, built: Any, **kw: object) -> object:
            code = built.code  # the folder the SDK uploads, while it exists
            files = get_upload_files_from_folder(code, ignore_file=get_ignore_file(code))
            uploaded.extend(sorted(remote for _, remote in files))
            return type("Created", (), {"name": getattr(built, "name", "")})()

    class FakeMLClient:
        def __init__(self, *args: object) -> None:
            self.jobs = Jobs()
            self.datastores = type("D", (), {"create_or_update": lambda self, d: d})()

    monkeypatch.setattr(azureml, "_credential", Token)
    monkeypatch.setattr(azure.ai.ml, "MLClient", FakeMLClient)
    azureml.submit(job, azure_outputs)
    assert uploaded == [".gitignore", "training/requirements.txt", "training/train.py"]


def test_no_matching_cluster_names_what_the_stack_has(job, azure_outputs):
    with pytest.raises(BackendError, match=r"no LowPriority cluster with 8xH100.*train-a100-lp"):
        azureml.dry_run(dataclasses.replace(job, accelerator="H100"), azure_outputs)
    with pytest.raises(BackendError, match="is Dedicated but the job's capacity spot"):
        azureml.dry_run(dataclasses.replace(job, pool="train-a100-ondemand"), azure_outputs)
    with pytest.raises(BackendError, match="no compute cluster for pool 'gpu'"):
        azureml.dry_run(dataclasses.replace(job, pool="gpu"), azure_outputs)


def test_missing_credentials_fail_before_upload(job, azure_outputs, monkeypatch):
    from azure.core.exceptions import ClientAuthenticationError

    class NoCredential:
        def get_token(self, *scopes: str) -> None:
            raise ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")

    monkeypatch.setattr(azureml, "_credential", NoCredential)
    with pytest.raises(BackendError, match="no usable Azure credentials; run `az login`"):
        azureml.submit(job, azure_outputs)


def test_submit_registers_the_datastore_then_creates_the_job(job, azure_outputs, monkeypatch):
    """MLClient replaced by a recorder: what submit asks the workspace for, in order."""
    import azure.ai.ml

    calls: list[tuple[str, object]] = []

    class Token:
        def get_token(self, *scopes: str) -> object:
            calls.append(("token", scopes))
            return object()

    class Ops:
        def __init__(self, kind: str) -> None:
            self.kind = kind

        def create_or_update(self, entity: object, **kw: object) -> object:
            calls.append((self.kind, entity))
            return type("Created", (), {"name": getattr(entity, "name", "")})()

    class FakeMLClient:
        def __init__(self, cred: object, sub: str, rg: str, ws: str) -> None:
            calls.append(("client", (sub, rg, ws)))
            self.datastores, self.jobs = Ops("datastore"), Ops("job")

    monkeypatch.setattr(azureml, "_credential", Token)
    monkeypatch.setattr(azure.ai.ml, "MLClient", FakeMLClient)
    handle = azureml.submit(job, azure_outputs)

    kinds = [k for k, _ in calls]
    assert kinds == ["token", "client", "datastore", "job"]
    store = calls[2][1]
    assert (store.name, store.account_name, store.container_name) == (
        "pioneer_training",
        "mlpazuredata0123",
        "training",
    )
    # Identity-based: no account key or SAS stored in the workspace.
    assert type(store.credentials).__name__ == "NoneCredentialConfiguration"
    submitted = calls[3][1]
    assert submitted.compute == "train-a100-lp"
    assert handle.name == submitted.name and handle.name.startswith("digits-")
