"""The platform builds and pushes its training image (#16.5), per cloud, under mocks (no Docker).

The image is tagged by the content of training/, pushed with the deployer's short-lived
registry credentials, exported by digest as `training_image`, and gone with image.build off.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from components.k8s.image import CONTEXT, content_tag, context_files
from tests.conftest import shipped_plan

IMAGE = "docker-build:index:Image"
CLOUDS = ("aws", "gcp", "azure")


@pytest.fixture(scope="module", params=CLOUDS)
def planned(request):
    return request.param, shipped_plan(f"{request.param}-dev").run


def test_each_cloud_pushes_the_content_tagged_image_and_exports_it_by_digest(planned):
    cloud, run = planned
    image = run.one(IMAGE)
    registry = run.outputs["registry_url"]
    repository = registry if cloud == "aws" else f"{registry}/pioneer-train"
    tag = f"{repository}:{content_tag()}"
    assert image.inputs["push"] is True
    assert image.inputs["tags"] == [tag]
    assert image.inputs["platforms"] == ["linux/amd64"]
    assert image.inputs["buildOnPreview"] is False  # `pulumi preview` needs no Docker daemon
    assert image.inputs["context"]["location"] == "training"  # relative: same diff on every machine
    assert image.inputs["dockerfile"]["location"] == "training/Dockerfile"
    # Pods run exactly what was pushed: the tag pinned to the digest the registry reported.
    assert run.outputs["training_image"] == f"{tag}@{image.state['digest']}"
    assert image.state["digest"].startswith("sha256:")


def test_registry_sign_in_is_the_deployers_own_short_lived_credential(planned):
    cloud, run = planned
    registries = run.one(IMAGE).inputs.get("registries") or []
    host = str(run.outputs["registry_url"]).split("/", 1)[0]
    if cloud == "aws":
        assert "aws:ecr/getAuthorizationToken:getAuthorizationToken" in run.invokes
        assert [(r["address"], r["username"], r["password"]) for r in registries] == [
            (host, "AWS", "mock-ecr-token")
        ]
    elif cloud == "gcp":
        assert [(r["address"], r["username"]) for r in registries] == [
            ("us-central1-docker.pkg.dev", "oauth2accesstoken")
        ]
        assert registries[0]["password"] == "mock"  # get_client_config's access token
    else:
        # ACR keeps its admin user off: the Docker credentials of `az acr login` are used, and
        # the deployer may push to this registry only.
        assert registries == []
        assert (
            run.one("azure-native:containerregistry:Registry").inputs["adminUserEnabled"] is False
        )
        push = [
            r
            for r in run.of_type("azure-native:authorization:RoleAssignment")
            if r.inputs["roleDefinitionId"].endswith("8311e382-0749-4cb8-b61a-304f252e45ec")
        ]
        assert len(push) == 1
        assert push[0].inputs["scope"] == run.one("azure-native:containerregistry:Registry").id


@pytest.mark.parametrize("cloud", CLOUDS)
def test_image_build_off_removes_the_image_and_its_output(run_spec, base_config, cloud):
    config = base_config(cloud)
    config["image"] = {"build": False}
    run = run_spec(config)
    assert run.of_type(IMAGE) == []
    assert run.outputs["training_image"] is None
    if cloud == "azure":  # nobody pushes, so nobody gets AcrPush
        assert not any(
            r.inputs["roleDefinitionId"].endswith("8311e382-0749-4cb8-b61a-304f252e45ec")
            for r in run.of_type("azure-native:authorization:RoleAssignment")
        )


def _copy(tmp_path: Path) -> Path:
    context = tmp_path / "training"
    shutil.copytree(CONTEXT, context, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return context


def test_the_tag_is_the_content_of_the_build_context(tmp_path):
    context = _copy(tmp_path)
    tag = content_tag(context)
    assert tag == content_tag(CONTEXT) and tag.startswith("src-") and len(tag) == 24
    # What .dockerignore leaves out does not change the tag (nor reach the build).
    (context / "__pycache__").mkdir()
    (context / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"\0")
    (context / "stale.pyc").write_bytes(b"\0")
    assert content_tag(context) == tag
    assert not any(p.suffix == ".pyc" for p in context_files(context))
    # Any change to the code, its requirements or the Dockerfile is a new tag.
    for name in ("train.py", "requirements.txt", "Dockerfile"):
        changed = _copy(tmp_path / name)
        with (changed / name).open("a") as f:
            f.write("\n# changed\n")
        assert content_tag(changed) != tag, name
    (context / "new_module.py").write_text("x = 1\n")
    assert content_tag(context) != tag


def test_a_context_without_a_dockerfile_is_refused_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="image.build: no Dockerfile"):
        content_tag(tmp_path)
