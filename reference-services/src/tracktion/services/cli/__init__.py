"""The ``tracktion`` command line.

Conventions shared by every command: results go to standard output, diagnostics to
standard error; exit status 0 means success, 1 a negative result (an invalid message),
2 a usage problem (unknown type, unreadable file). Bad input never prints a traceback;
only a bug in Tracktion does.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tracktion.contracts import SCHEMA_VERSION
from tracktion.contracts import __version__ as contracts_version
from tracktion.services import __version__

from .analyze import analyze
from .contracts import app as contracts_app
from .cue import app as cue_app
from .cue_generate import generate
from .db import app as db_app
from .rename import app as rename_app
from .scan import scan, watch
from .topology import app as topology_app
from .tracklist import app as tracklist_app
from .up import api, up
from .worker import worker

__all__ = ["app", "main"]

app = typer.Typer(
    name="tracktion",
    help="Tracktion: DJ music-library automation.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(contracts_app, name="contracts")
cue_app.command("generate")(generate)
app.add_typer(cue_app, name="cue")
app.command("analyze")(analyze)
app.add_typer(db_app, name="db")
app.add_typer(rename_app, name="rename")
app.add_typer(topology_app, name="topology")
app.add_typer(tracklist_app, name="tracklist")
app.command("worker")(worker)
app.command("up")(up)
app.command("api")(api)
app.command("scan")(scan)
app.command("watch")(watch)


def _print_version(value: bool) -> None:
    if value:
        print(f"tracktion {__version__} (contracts {contracts_version}, schema {SCHEMA_VERSION})")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print the version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Tracktion: DJ music-library automation."""


def main() -> None:
    """Entry point of the ``tracktion`` console script."""
    app(prog_name="tracktion")
