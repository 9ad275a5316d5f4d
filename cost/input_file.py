"""Reading a file the user names (stack config, usage, job, workload, preview): one way, one
set of messages.

Every failure is an `InputFileError` naming the file and what was expected, never a
UnicodeDecodeError or PermissionError traceback. Files are capped in size before they are
parsed: a YAML parser on tens of MB runs for minutes and takes gigabytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# Hand-written configs are kilobytes; previews of large stacks are a few MB of JSON.
MAX_BYTES = {"yaml": 1 << 20, "json": 64 << 20}


# libyaml's safe loader when built in: six times faster than the pure-Python one on big files.
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """`yaml.safe_load`, through libyaml when available; raises `yaml.YAMLError`."""
    return yaml.load(text, Loader=_YAML_LOADER)


class InputFileError(ValueError):
    """A user's file that cannot be read; the message names the file and the problem."""


def read_input(path: str | Path, what: str, kind: str = "yaml") -> str:
    """The text of `path` (UTF-8), for a file described as `what` ("usage file", ...)."""
    p = Path(path)
    if p.is_dir():
        raise InputFileError(f"{what} {p} is a directory; give a file")
    if not p.is_file():
        raise FileNotFoundError(f"no {what} at {p}")
    limit = MAX_BYTES[kind]
    try:
        size = p.stat().st_size
        if size > limit:
            raise InputFileError(
                f"{what} {p} is {size / 2**20:.1f} MiB; at most {limit / 2**20:g} MiB is read"
            )
        return p.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputFileError(
            f"{what} {p} is not UTF-8 text (byte {e.start}: {e.reason}); save it as UTF-8"
        ) from None
    except OSError as e:
        raise InputFileError(f"{what} {p} cannot be read ({e.strerror or e})") from None
