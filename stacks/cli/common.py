"""What every command shares: one JSON document on stdout, errors without tracebacks."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console

console = Console()
err_console = Console(stderr=True)


def user_error_types() -> tuple[type[BaseException], ...]:
    """Errors a user can cause: reported as one message, exit code 2, no traceback.

    Imported when an error is raised, not at start-up: every command imports this module."""
    from components.spec import SpecError
    from cost.catalog import CatalogError
    from cost.input_file import InputFileError
    from cost.usage import UsageError
    from stacks.config import StackNotFound

    return (SpecError, StackNotFound, CatalogError, InputFileError, UsageError, FileNotFoundError)


def fail(message: str, code: int = 2) -> NoReturn:
    # soft_wrap: a long path or command in the message stays on one line, copyable.
    err_console.print(
        f"[bold red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True
    )
    raise typer.Exit(code)


def progress(step: int, total: int, what: str) -> None:
    """One line on stderr per slow step, so stdout stays one JSON document under --json."""
    err_console.print(f"[dim]\\[{step}/{total}] {what} ...[/]", highlight=False)


def refuse_together(**given: bool) -> None:
    """Fail when more than one of these mutually exclusive inputs was given (none is ignored)."""
    named = [name for name, on in given.items() if on]
    if len(named) > 1:
        fail(f"{' and '.join(named)} cannot be used together; give one of {', '.join(given)}")


def check_output_path(path: Path, flag: str) -> None:
    """Fail before any work when `path` cannot be written: its folder is missing or read-only."""
    folder = path.parent
    if path.is_dir():
        fail(f"{flag}: {path} is a directory; give a file name")
    if not folder.is_dir():
        fail(f"{flag}: folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        fail(f"{flag}: folder {folder} is not writable")


def check_output_dir(path: Path, flag: str) -> None:
    """Fail before any work when folder `path` cannot be created or written; creates nothing.

    The nearest folder that exists must be writable (for `mkdir -p` of the rest)."""
    existing = path
    try:
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            fail(f"{flag}: {existing} is a file, not a folder")
    except OSError as e:  # e.g. a parent this user may not search
        fail(f"{flag}: {path} cannot be checked ({e.strerror})")
    needed = "" if existing == path else f", so {path} cannot be created"
    if not os.access(existing, os.W_OK | os.X_OK):
        fail(f"{flag}: folder {existing} is not writable{needed}")
    try:  # access() says yes to root everywhere: try it (read-only mounts, /proc, NFS)
        os.rmdir(tempfile.mkdtemp(prefix=".pioneer-check-", dir=existing))
    except OSError as e:
        fail(f"{flag}: folder {existing} is not writable ({e.strerror}){needed}")


@contextmanager
def user_errors(*extra: type[BaseException]) -> Iterator[None]:
    try:
        yield
    except Exception as e:
        if not isinstance(e, (*user_error_types(), *extra)):
            raise
        msg = str(e)
        if isinstance(e, KeyError):
            msg = msg.strip("'\"")
        fail(msg)


def print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, default=_default) + "\n")


def _default(o: Any) -> Any:
    if hasattr(o, "model_dump"):
        return o.model_dump()
    if hasattr(o, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(o)
    if isinstance(o, (set, frozenset)):
        return sorted(o)
    return str(o)
