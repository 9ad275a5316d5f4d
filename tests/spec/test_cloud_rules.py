"""Each cloud's own spec rules (`components.<cloud>.spec_errors`), reached from the one edge."""

from __future__ import annotations

import subprocess
import sys

import pulumi
import pytest

from components.spec import PlatformSpec, SpecError


def errors(config, stack=None) -> list[str]:
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(config, stack=stack)
    return e.value.errors


def test_parsing_never_asks_the_pulumi_runtime_for_the_stack(base_config, monkeypatch):
    def no_runtime() -> str:
        raise AssertionError("spec parsing called pulumi.get_stack()")

    monkeypatch.setattr(pulumi, "get_stack", no_runtime)
    for cloud in ("aws", "gcp", "azure"):
        assert PlatformSpec.parse(base_config(cloud), stack="dev").cloud == cloud


def test_gcp_checks_the_tags_against_the_pioneer_labels(base_config):
    cfg = base_config("gcp")
    cfg["tags"] = {"Pioneer-Stack": "x"}
    assert any(e.startswith("tags.") and "pioneer-stack" in e for e in errors(cfg, "dev"))


@pytest.mark.parametrize(
    ("tags", "needle"),
    [
        ({"aws:owner": "a"}, "tags.aws:owner: the aws: prefix is reserved"),
        ({"team#1": "a"}, "tags.team#1: AWS tag keys allow only"),
        ({"team": "a;b"}, "tags.team: AWS tag values allow only"),
        ({"pioneer:stack": "x"}, "tags.pioneer:stack: set by pioneer"),
        ({f"k{i}": "v" for i in range(49)}, "tags: 49 tags; aws allows 50 per resource"),
    ],
)
def test_aws_refuses_tags_aws_would_reject(base_config, tags, needle):
    cfg = base_config("aws")
    cfg["tags"] = tags
    assert any(e.startswith(needle) for e in errors(cfg)), errors(cfg)


def test_aws_checks_the_stack_name_that_becomes_a_tag(base_config):
    cfg = base_config("aws")
    assert PlatformSpec.parse(cfg, stack="aws-dev")
    assert any(e.startswith("stack: 'dev#2'") for e in errors(cfg, "dev#2"))


def test_azure_rules_live_in_the_azure_package(base_config):
    from components.azure import spec_errors

    cfg = base_config("azure")
    cfg["tags"] = {"a/b": "x"}
    cfg["node_pools"][0]["max_nodes"] = 0
    cfg["node_pools"][0]["min_nodes"] = 0
    found = errors(cfg)
    assert "tags.a/b: azure tag names may not contain /" in found
    assert any(e.startswith("node_pools[0].max_nodes: must be at least 1 on azure") for e in found)
    assert spec_errors(PlatformSpec.model_validate(cfg)) == [
        e for e in found if e.startswith(("tags.", "node_pools[0].max_nodes"))
    ]


@pytest.mark.parametrize(
    ("cloud", "sdk"), [("aws", "pulumi_aws"), ("azure", "pulumi_azure_native")]
)
def test_parsing_a_spec_does_not_load_the_cloud_sdk(cloud, sdk):
    code = (
        "import sys\n"
        "from stacks.config import spec_from_stack\n"
        f"spec_from_stack('{cloud}-dev')\n"
        f"assert '{sdk}' not in sys.modules, 'parsing loaded {sdk}'\n"
        "assert 'components.spec' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
