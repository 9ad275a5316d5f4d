"""The dated, sourced support calendar of Kubernetes versions on EKS, GKE and AKS.

Reads `data/kubernetes_versions.yaml`: per cloud, each minor version's release, end of
standard support and end of extended support (EKS extended support, the GKE Extended
channel, AKS long-term support), with sources and which dates are estimates. "Today" is
always a parameter; `today()` is the real date unless ``PIONEER_TODAY=YYYY-MM-DD`` pins it
(to reproduce a plan, and so tests do not rot as the calendar moves on).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

import yaml

from cost.catalog import DATA_DIR

CALENDAR_YAML = DATA_DIR / "kubernetes_versions.yaml"
TODAY_ENV = "PIONEER_TODAY"
Phase = Literal["standard", "extended", "ended", "unreleased", "unknown"]
_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.\d+.*)?$")


def today() -> date:
    """The date support is judged at: ``$PIONEER_TODAY`` if set, else the real date."""
    pinned = os.environ.get(TODAY_ENV)
    if not pinned:
        return date.today()
    try:
        return date.fromisoformat(pinned)
    except ValueError:
        raise ValueError(f"{TODAY_ENV}: {pinned!r} is not a date such as 2026-12-01") from None


def minor(version: str) -> str | None:
    """``"1.35"``, ``"1.35.2"`` and ``"1.35.2-gke.100"`` -> ``"1.35"``; None if not a version."""
    m = _VERSION.match(version.strip())
    return f"{m.group(1)}.{m.group(2)}" if m else None


def version_key(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


@dataclass(frozen=True)
class VersionSupport:
    cloud: str
    version: str
    release: date
    end_standard: date
    end_extended: date
    estimated: str | None
    """Why some of these dates are estimates (None: all published as exact days)."""

    def phase(self, on: date) -> Phase:
        if on < self.release:
            return "unreleased"
        if on < self.end_standard:
            return "standard"
        return "extended" if on < self.end_extended else "ended"


@dataclass(frozen=True)
class Calendar:
    cloud: str
    service: str
    source: str
    retrieved: str
    extended_support: str
    """What extended support is called on this service and how it is turned on."""
    versions: dict[str, VersionSupport]

    def get(self, version: str) -> VersionSupport | None:
        m = minor(version)
        return self.versions.get(m) if m else None

    def phase(self, version: str, on: date) -> Phase:
        v = self.get(version)
        return v.phase(on) if v else "unknown"

    def supported(self, on: date) -> list[VersionSupport]:
        """Versions in standard or extended support on `on`, newest first."""
        live = [v for v in self.versions.values() if v.phase(on) in ("standard", "extended")]
        return sorted(live, key=lambda v: version_key(v.version), reverse=True)

    def newest(self) -> str:
        return max(self.versions, key=version_key)

    def describe_supported(self, on: date) -> str:
        return ", ".join(
            f"{v.version} ({v.phase(on)} until {_end(v, on).isoformat()})"
            for v in self.supported(on)
        )


def _end(v: VersionSupport, on: date) -> date:
    return v.end_standard if v.phase(on) == "standard" else v.end_extended


@cache
def _load() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CALENDAR_YAML.read_text())
    return data


def calendar(cloud: str) -> Calendar:
    """The calendar of `cloud`'s Kubernetes service (aws: EKS, gcp: GKE, azure: AKS)."""
    rec = _load()[cloud]
    versions = {
        str(k): VersionSupport(
            cloud,
            str(k),
            v["release"],
            v["end_standard"],
            v["end_extended"],
            v.get("estimated"),
        )
        for k, v in rec["versions"].items()
    }
    return Calendar(
        cloud,
        rec["service"],
        " ".join(str(rec["source"]).split()),
        str(rec["retrieved"]),
        rec["extended_support"],
        versions,
    )


def in_extended_support(cloud: str, version: str | None, on: date | None = None) -> bool:
    """True when `version` is past its end of standard support but still supported on `on`."""
    return bool(version) and calendar(cloud).phase(str(version), on or today()) == "extended"
