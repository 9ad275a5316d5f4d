"""`pioneer`: a thin command line over the packages (no business logic here).

Each command group lives in its own module and registers itself on `app`.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="pioneer",
    help="Multi-cloud ML platforms on Pulumi: offline plans, cost, spot optimizer, training.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """pioneer: multi-cloud ML platforms on Pulumi."""


# Imported for their side effect: each module adds its commands to `app`.
from stacks.cli import catalog as _catalog  # noqa: E402,F401
from stacks.cli import cost as _cost  # noqa: E402,F401
from stacks.cli import optimize as _optimize  # noqa: E402,F401
from stacks.cli import pipeline as _pipeline  # noqa: E402,F401
from stacks.cli import plan as _plan  # noqa: E402,F401
from stacks.cli import preflight as _preflight  # noqa: E402,F401
from stacks.cli import serve as _serve  # noqa: E402,F401
from stacks.cli import spot as _spot  # noqa: E402,F401
from stacks.cli import train as _train  # noqa: E402,F401


def main() -> None:
    app()
