"""What every command shares: one JSON document on stdout, errors without tracebacks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
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
    from stacks.config import StackNotFound

    return (SpecError, StackNotFound, CatalogError, FileNotFoundError)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


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
