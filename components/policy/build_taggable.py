"""Rebuild `data/taggable.json`: which resource types take tags or labels, from the installed SDKs.

The tag rule must know which resources *can* carry tags, or a missing tag and an
untaggable resource look the same. The provider schemas say it: a resource whose
constructor takes ``tags`` (AWS, Azure) or ``labels`` / ``resource_labels`` (GCP).
Reading the generated SDK sources (not importing them: azure-native alone has
thousands of modules) keeps this a few seconds, and the JSON keeps the policy
pack free of the cloud SDKs.

    .venv/bin/python -m components.policy.build_taggable
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

OUT = Path(__file__).parent / "data" / "taggable.json"
PACKAGES = ("pulumi_aws", "pulumi_gcp", "pulumi_azure_native")
# Constructor argument (snake_case) -> input property as the engine sends it (camelCase).
TAG_ARGS = {"tags": "tags", "labels": "labels", "resource_labels": "resourceLabels"}

_TOKEN = re.compile(r"super\(\w+, __self__\).__init__\(\s*'([^']+)'")
_INIT = re.compile(r"def _internal_init\(__self__,(.*?)__props__=None\)", re.S)
_ARG = re.compile(r"^\s+(\w+):", re.M)
_VERSIONED = re.compile(r"^v\d{4,}")


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit(f"{name} is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations)))


def scan(package: str) -> dict[str, str]:
    found: dict[str, str] = {}
    root = _package_dir(package)
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).parts
        if any(_VERSIONED.match(p) for p in rel) or rel[-1].startswith("_"):
            continue  # azure-native's pinned API versions: the default version is enough
        text = path.read_text(encoding="utf-8")
        token, init = _TOKEN.search(text), _INIT.search(text)
        if not token or not init or "pulumi:providers:" in token.group(1):
            continue
        args = set(_ARG.findall(init.group(1)))
        for arg, prop in TAG_ARGS.items():
            if arg in args:
                found[token.group(1)] = prop
                break
    return found


def main() -> None:
    index: dict[str, str] = {}
    for package in PACKAGES:
        index.update(scan(package))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(dict(sorted(index.items())), indent=0) + "\n")
    print(f"{len(index)} taggable resource types -> {OUT}")


if __name__ == "__main__":
    main()
