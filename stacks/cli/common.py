"""What every command shares: one JSON document on stdout, errors without tracebacks."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console

from components.spec import SpecError
from cost.catalog import CatalogError
from stacks.config import StackNotFound

console = Console()
err_console = Console(stderr=True)

# Errors a user can cause: reported as one message, exit code 2, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (
    SpecError,
    StackNotFound,
    CatalogError,
    FileNotFoundError,
)


def fail(message: str, code: int = 2) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code)


def refuse_together(**given: bool) -> None:
    """Fail when more than one of these mutually exclusive inputs was given (none is ignored)."""
    named = [name for name, on in given.items() if on]
    if len(named) > 1:
        fail(f"{' and '.join(named)} cannot be used together; give one of {', '.join(given)}")


@contextmanager
def user_errors(*extra: type[BaseException]) -> Iterator[None]:
    try:
        yield
    except (*USER_ERRORS, *extra) as e:
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
