"""The data-validation step: the dataset file, checked with pandera against the spec's schema.

Schema, nulls, ranges and class balance are pandera checks (lazy: every failure
is collected), so the report lists all problems at once and a failing check
stops the pipeline before training.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lifecycle.digest import file_sha256
from lifecycle.pipeline.spec import SKLEARN_DIGITS, DatasetSpec

LABEL = "label"


class DataValidationFailed(RuntimeError):
    def __init__(self, report: dict[str, Any]):
        self.report = report
        lines = [f"{p['column']}: {p['check']} ({p['count']} failing)" for p in report["problems"]]
        super().__init__(
            f"data validation failed for {report['path']}:\n"
            + "\n".join(f"  - {ln}" for ln in lines)
        )


@dataclass(frozen=True)
class Dataset:
    path: Path
    digest: str
    version: str


def resolve(spec: DatasetSpec, base: Path) -> Dataset:
    """The file a location names; `sklearn:digits` is the file training/data.py loads."""
    if spec.location == SKLEARN_DIGITS:
        path = sklearn_digits_path()
    else:
        path = Path(spec.location)
        path = path if path.is_absolute() else (base / path)
    if not path.is_file():
        raise FileNotFoundError(f"dataset.location: no file at {path}")
    return Dataset(path.resolve(), file_sha256(path), spec.version)


def sklearn_digits_path() -> Path:
    """The file `sklearn.datasets.load_digits` (and so training/data.py) reads."""
    import sklearn.datasets

    return (Path(sklearn.datasets.__file__).parent / "data" / "digits.csv.gz").resolve()


def read(ds: Dataset) -> pd.DataFrame:
    return pd.read_csv(ds.path, header=None)


def validate(ds: Dataset, spec: DatasetSpec) -> dict[str, Any]:
    """Check the file; returns the report (raises DataValidationFailed when a check fails)."""
    import pandera.pandas as pa
    from pandera.errors import SchemaErrors

    s = spec.expected_schema
    df = read(ds)
    report: dict[str, Any] = {"path": str(ds.path), "digest": ds.digest, "rows": len(df)}
    if df.shape[1] != s.features + 1:
        report["problems"] = [
            {
                "column": "*",
                "check": f"expected {s.features + 1} columns ({s.features} features + label), "
                f"found {df.shape[1]}",
                "count": 1,
                "examples": [],
            }
        ]
        raise DataValidationFailed(report)
    df.columns = [*(f"f{i}" for i in range(s.features)), LABEL]

    def nulls(max_fraction: float) -> Any:
        return pa.Check(
            lambda col: bool(col.isna().mean() <= max_fraction),
            ignore_na=False,
            error=f"null fraction <= {max_fraction}",
        )

    def balanced(col: pd.Series) -> bool:
        shares = col.value_counts(normalize=True).reindex(s.classes, fill_value=0.0)
        return bool(shares.min() >= s.min_class_fraction)

    columns = {
        f"f{i}": pa.Column(
            float,
            checks=[pa.Check.in_range(s.min, s.max), nulls(s.max_null_fraction)],
            nullable=True,
            coerce=True,
        )
        for i in range(s.features)
    }
    columns[LABEL] = pa.Column(
        float,
        checks=[
            pa.Check.isin(s.classes),
            nulls(s.max_null_fraction),
            pa.Check(balanced, error=f"every class >= {s.min_class_fraction:.0%} of rows"),
        ],
        nullable=True,
        coerce=True,
    )
    try:
        pa.DataFrameSchema(columns, strict=True).validate(df, lazy=True)
    except SchemaErrors as e:
        cases = e.failure_cases
        grouped: dict[tuple[str, str], list[Any]] = {}
        for row in cases.to_dict("records"):
            grouped.setdefault((str(row["column"]), str(row["check"])), []).append(
                row["failure_case"]
            )
        report["problems"] = [
            {"column": c, "check": chk, "count": len(v), "examples": v[:3]}
            for (c, chk), v in grouped.items()
        ]
        raise DataValidationFailed(report) from None
    counts = Counter(int(v) for v in df[LABEL])
    report["class_counts"] = {str(k): counts[k] for k in sorted(counts)}
    report["problems"] = []
    report["passed"] = True
    return report
