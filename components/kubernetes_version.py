"""`cluster.kubernetes_version` against the cloud's support calendar (`cost.kubernetes_versions`).

Each cloud's `validation` module calls `version_findings` with what extended support does
there (how the cluster is created, what it costs): a version past its end of support is an
error naming the dates and the versions supported on that day; one inside extended support
is a warning saying what the platform does about it; no version means the service's default.
"""

from __future__ import annotations

from datetime import date

from components.spec import PlatformSpec
from cost.kubernetes_versions import calendar, minor, today, version_key

FIELD = "cluster.kubernetes_version"


def version_findings(
    spec: PlatformSpec, extended_effect: str, on: date | None = None
) -> tuple[list[str], list[str]]:
    """(errors, warnings) for the spec's version on day `on` (default: `today()`)."""
    version = spec.cluster.kubernetes_version
    if version is None:
        return [], []
    on = on or today()
    cal = calendar(spec.cloud)
    where = f"calendar retrieved {cal.retrieved}, cost/data/kubernetes_versions.yaml"
    supported = f"supported on {on.isoformat()}: {cal.describe_supported(on) or 'none'} ({where})"
    m = minor(version)
    if m is None:
        return [f"{FIELD}: {version!r} is not a Kubernetes version such as 1.35; {supported}"], []
    v = cal.get(m)
    if v is None:
        if version_key(m) > version_key(cal.newest()):
            return [], [
                f"{FIELD}: {cal.service} {m} is newer than every version in the support "
                f"calendar (newest {cal.newest()}; {where}): its support dates are not checked"
            ]
        return [f"{FIELD}: {cal.service} {m} is no longer supported; {supported}"], []
    phase = v.phase(on)
    note = f" (estimated: {v.estimated})" if v.estimated else ""
    if phase == "unreleased":
        return [
            f"{FIELD}: {cal.service} {m} is not released until {v.release.isoformat()}{note}; "
            f"{supported}"
        ], []
    if phase == "ended":
        return [
            f"{FIELD}: {cal.service} {m} reached the end of standard support on "
            f"{v.end_standard.isoformat()} and of extended support on "
            f"{v.end_extended.isoformat()}{note}; {supported}"
        ], []
    if phase == "extended":
        standard = [s.version for s in cal.supported(on) if s.phase(on) == "standard"]
        return [], [
            f"{FIELD}: {cal.service} {m} is in {cal.extended_support} since "
            f"{v.end_standard.isoformat()}, until {v.end_extended.isoformat()}{note}: "
            f"{extended_effect}; in standard support: {', '.join(standard) or 'none'}"
        ]
    return [], []
