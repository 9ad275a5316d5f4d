from pathlib import Path

from lifecycle.store import Store


def test_store_layout_follows_the_agreed_paths(tmp_path: Path) -> None:
    s = Store(tmp_path)
    assert s.tracking_uri == f"sqlite:///{tmp_path}/mlflow.db"
    assert s.audit.path == tmp_path / "audit.jsonl"
    assert s.lineage_path("digits", 3) == tmp_path / "lineage" / "digits" / "3.json"
    assert s.cache_dir == tmp_path / "cache"
    assert s.baseline_path("digits", 3) == tmp_path / "baselines" / "digits" / "3.npz"


def test_store_root_comes_from_option_then_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PIONEER_STORE", str(tmp_path / "env"))
    assert Store.default().root == (tmp_path / "env").resolve()
    assert Store.default(tmp_path / "opt").root == (tmp_path / "opt").resolve()
    monkeypatch.delenv("PIONEER_STORE")
    monkeypatch.chdir(tmp_path)
    assert Store.default().root == (tmp_path / ".pioneer" / "lifecycle").resolve()
