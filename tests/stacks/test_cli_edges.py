"""The command line's edges (#19): conflicting flags, unreadable inputs, names resolved first.

Each case is one clear message and exit code 2, never a traceback or a silently ignored input.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from stacks.cli import app

FIXTURES = Path(__file__).parents[1] / "cost" / "fixtures"
PREVIEW = str(FIXTURES / "gcp-preview.json")
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def refused(result, *words: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    for w in words:
        assert w in result.output, result.output


@pytest.mark.parametrize(
    "args, names",
    [
        (["cost", "--preview-json", PREVIEW, "--json", "--markdown"], ["--json", "--markdown"]),
        (["cost", "aws-dev", "--preview-json", PREVIEW], ["STACK", "--preview-json"]),
        (["cost", "aws-dev", "--compare", PREVIEW, PREVIEW], ["STACK", "--compare"]),
        (["cost", "--training", "job.yaml", "aws-dev"], ["STACK", "--training"]),
        (
            ["catalog", "show", "--services", "--accelerator", "H100"],
            ["--services", "--accelerator"],
        ),
    ],
)
def test_conflicting_flags_are_refused(args, names):
    refused(run(*args), *names, "cannot be used together")


# ---- unreadable inputs: one message naming the file, exit 2 ----------------------------------

LATIN1 = "name: caf\xe9\n".encode("latin-1")  # not UTF-8


@pytest.mark.parametrize(
    "args, what",
    [
        (["plan", "{f}"], "stack config file"),
        (["cost", "aws-dev", "--usage", "{f}"], "usage file"),
        (["cost", "--preview-json", "{f}"], "preview file"),
        (["cost", "--training", "{f}"], "training job file"),
        (["optimize", "{f}"], "workload file"),
    ],
)
def test_non_utf8_files_are_one_message(tmp_path, args, what):
    f = tmp_path / ("Pulumi.bad.yaml" if args[0] == "plan" else "input.json")
    f.write_bytes(LATIN1)
    refused(run(*(a.format(f=f) for a in args)), what, "is not UTF-8")


def test_unreadable_stack_file_is_one_message(tmp_path, monkeypatch):
    f = tmp_path / "Pulumi.locked.yaml"
    f.write_text("config: {}\n")
    real = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self == f:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    refused(run("plan", str(f)), "cannot be read", "Permission denied")


def test_oversized_input_is_refused_before_parsing(tmp_path):
    f = tmp_path / "Pulumi.huge.yaml"
    f.write_text("config:\n" + "  pioneer:x: " + "y" * (2 << 20) + "\n")
    refused(run("plan", str(f)), "MiB", "at most 1 MiB")


def test_preview_json_of_a_directory_says_so(tmp_path):
    refused(run("cost", "--preview-json", str(tmp_path)), "is a directory")


@pytest.mark.parametrize("where", ["missing/f.png", "ro/f.png"])
def test_optimize_plot_into_a_bad_folder_fails_first(tmp_path, monkeypatch, where):
    (tmp_path / "ro").mkdir()
    real = __import__("os").access
    monkeypatch.setattr(
        "stacks.cli.common.os.access",
        lambda p, mode: False if Path(p) == tmp_path / "ro" else real(p, mode),
    )
    workload = Path(__file__).parents[2] / "examples" / "reference-workload.yaml"
    r = run("optimize", str(workload), "--plot", str(tmp_path / where))
    refused(r, "--plot", "does not exist" if where.startswith("missing") else "not writable")


# ---- accelerator names and catalog filters ----------------------------------------------------


def test_catalog_show_refuses_negative_limit_and_unknown_region():
    refused(run("catalog", "show", "--limit", "-5"), "--limit", "negative")
    refused(run("catalog", "show", "--region", "nowhere"), "--region", "us-east-1")


def test_accelerator_names_any_case_and_skypilot_form():
    import json

    lower = json.loads(run("catalog", "show", "--accelerator", "h100", "--json").stdout)
    sky = json.loads(run("catalog", "show", "--accelerator", "H100:8", "--json").stdout)
    assert lower["matched"] > 0 and {o["accelerator"] for o in lower["offers"]} == {"H100"}
    assert {o["accelerator_count"] for o in sky["offers"]} == {8}
    refused(run("catalog", "show", "--accelerator", "H1000"), "--accelerator", "H100")


def test_spec_accepts_lower_case_and_count_form(base_config):
    from components.spec import PlatformSpec, SpecError

    config = base_config("aws")
    gpu = next(p for p in config["node_pools"] if p.get("accelerator"))
    gpu.pop("accelerators_per_node")
    gpu["accelerator"] = "h100:8"
    pool = next(p for p in PlatformSpec.parse(config).node_pools if p.accelerator)
    assert (pool.accelerator, pool.accelerators_per_node) == ("H100", 8)
    gpu["accelerators_per_node"] = 4
    with pytest.raises(SpecError, match=r"node_pools\[\d\]\.accelerator: 'h100:8' says 8"):
        PlatformSpec.parse(config)


def test_training_job_reports_every_problem_at_once(tmp_path):
    from cost.training_cost import TrainingCostError, parse_job

    with pytest.raises(TrainingCostError) as e:
        parse_job({"accelerator": "H1000", "nodes": 0, "capacity": "cheap", "hours": 1})
    msg = str(e.value)
    assert all(f in msg for f in ("accelerator:", "nodes:", "capacity:")), msg
    job = parse_job({"accelerator": "a100-80gb:4", "hours": 2})
    assert (job["accelerator"], job["accelerators_per_node"]) == ("A100-80GB", 4)


# ---- names resolve first, against the current project; progress on stderr ---------------------


def test_every_stack_name_resolves_before_any_plan_runs():
    r = run("plan", "aws-dev", "nosuch")
    refused(r, "unknown stack 'nosuch'")
    assert "planning aws-dev" not in r.output  # failed before the first plan


def test_progress_goes_to_stderr_and_stdout_stays_one_json_document():
    import json

    r = run("cost", "--preview-json", PREVIEW, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["cloud"] == "gcp"
    assert "[1/1] pricing" in r.stderr


def test_stack_names_resolve_against_the_current_project(tmp_path, monkeypatch):
    from stacks.config import STACKS_DIR, list_stacks, resolve_stack

    (tmp_path / "Pulumi.yaml").write_text("name: mine\nruntime: python\nstackConfigDir: conf\n")
    (tmp_path / "conf").mkdir()
    (tmp_path / "conf" / "Pulumi.own.yaml").write_text(
        (STACKS_DIR / "Pulumi.aws-dev.yaml").read_text()
    )
    (tmp_path / "deep" / "er").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "deep" / "er")  # searched upward, as the Pulumi CLI does
    assert list_stacks() == ["own"]
    assert resolve_stack("own") == ("own", tmp_path / "conf" / "Pulumi.own.yaml")
    refused(run("plan", "aws-dev"), "unknown stack 'aws-dev' in", str(tmp_path / "conf"), "own")


def test_outside_any_project_the_error_names_the_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    refused(run("plan", "aws-dev"), "no Pulumi.yaml in", str(tmp_path))


# ---- a preview whose provider is unchanged (no provider step) ---------------------------------


def _without_provider(tmp_path: Path) -> tuple[Path, float]:
    import json

    doc = json.loads((FIXTURES / "aws-preview.json").read_text())
    full = json.loads(
        run("cost", "--preview-json", str(FIXTURES / "aws-preview.json"), "--json").stdout
    )
    doc["steps"] = [s for s in doc["steps"] if "pulumi:providers:" not in s["newState"]["type"]]
    path = tmp_path / "preview.json"
    path.write_text(json.dumps(doc))
    return path, full["monthly_usd"]


def test_preview_without_provider_takes_region_flag_or_stack_config(tmp_path, monkeypatch):
    import json

    preview, full = _without_provider(tmp_path)
    monkeypatch.chdir(tmp_path)  # no project: nothing says where the node groups run
    bare = json.loads(run("cost", "--preview-json", str(preview), "--json").stdout)
    assert bare["region"] is None and bare["monthly_usd"] < full
    flag = run("cost", "--preview-json", str(preview), "--region", "us-east-1", "--json")
    assert json.loads(flag.stdout)["monthly_usd"] == full
    # the preview's URNs name stack `prod`: its Pulumi.prod.yaml says aws:region
    (tmp_path / "Pulumi.yaml").write_text("name: ml\nruntime: python\n")
    (tmp_path / "Pulumi.prod.yaml").write_text("config:\n  aws:region: us-east-1\n")
    from_config = json.loads(run("cost", "--preview-json", str(preview), "--json").stdout)
    assert from_config["region"] == "us-east-1" and from_config["monthly_usd"] == full


def test_config_keys_without_the_pioneer_prefix_are_named(tmp_path):
    f = tmp_path / "Pulumi.bare.yaml"
    f.write_text("config:\n  aws:region: us-east-1\n  cloud: aws\n  region: us-east-1\n")
    refused(
        run("plan", str(f)), "config.cloud: key lacks the project namespace; write pioneer:cloud"
    )


# ---- suspect spot prices; narrow terminals ---------------------------------------------------


def test_outlier_spot_prices_are_flagged():
    from cost.catalog import get_catalog

    cat = get_catalog()
    outlier = cat.offer("gcp", "northamerica-northeast1", "a3-highgpu-8g")
    normal = cat.offer("gcp", "us-central1", "a3-highgpu-8g")
    assert outlier.spot_suspect and not normal.spot_suspect
    assert "suspect spot price" in (outlier.spot_warning() or "")
    import json

    shown = json.loads(
        run(
            "catalog", "show", "--accelerator", "H100:8", "--cloud", "gcp", "--spot", "--json"
        ).stdout
    )
    assert shown["offers"][0]["spot_suspect"] is True


def test_money_and_names_never_truncate_at_80_columns():
    r = runner.invoke(
        app,
        ["cost", "--training", str(Path(__file__).parents[2] / "examples" / "training-cost.yaml")],
        env={"COLUMNS": "80"},
    )
    assert r.exit_code == 0, r.output
    assert "…" not in r.stdout.split("\n\n")[0], r.stdout
    assert "Standard_ND96isr_H100_v5" in r.stdout and "azure" in r.stdout
    assert "suspect spot price" in r.stdout  # the outlier the cheapest row rests on
    cat = runner.invoke(
        app, ["catalog", "show", "--accelerator", "H100", "--limit", "5"], env={"COLUMNS": "80"}
    )
    table = cat.stdout.split("\n")
    assert not any("…" in line for line in table), cat.stdout


def test_estimate_table_keeps_resource_names_and_money_whole_at_80_columns():
    import json
    import re

    est = json.loads(run("cost", "--preview-json", PREVIEW, "--json").stdout)
    r = runner.invoke(app, ["cost", "--preview-json", PREVIEW], env={"COLUMNS": "80"})
    priced = [ln for ln in est["lines"] if ln["monthly_usd"]]
    for ln in priced:
        assert f"${ln['monthly_usd']:,.2f}" in r.stdout, r.stdout
        assert ln["name"] in r.stdout
    assert not re.search(r"\$[\d,.]*…", r.stdout)
