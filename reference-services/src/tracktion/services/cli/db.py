"""``tracktion db``: manage the catalog database.

``tracktion db upgrade`` migrates the catalog schema to the newest revision (or to
``--revision``). The database is ``--database URL``, else ``TRACKTION_DATABASE_URL``,
else the embedded SQLite file in ``TRACKTION_DATA_DIR`` (or the user's data directory).
A PostgreSQL catalog is never migrated implicitly by the services: this command is how it
is upgraded.

Exit status: 0 success (the revision reached is printed on standard output); 1 the
database could not be migrated (one line on standard error: bad URL, server unreachable
within ``--wait`` seconds, missing driver, unknown revision).
"""

from __future__ import annotations

import asyncio
import sys
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from tracktion.contracts import TracktionError

from ..settings import catalog_url

if TYPE_CHECKING:
    from tracktion.core.catalog import ReconnectPolicy

__all__ = ["DATABASE_URL_ENV", "app"]

DATABASE_URL_ENV = "TRACKTION_DATABASE_URL"
EXIT_FAILED = 1

app = typer.Typer(
    name="db",
    help="Manage the catalog database (SQLite or PostgreSQL).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command("upgrade")
def upgrade_command(
    database: Annotated[
        str | None,
        typer.Option(
            "--database",
            metavar="URL",
            envvar=DATABASE_URL_ENV,
            show_envvar=True,
            help="The catalog database: sqlite+aiosqlite:///path/catalog.db or "
            "postgresql://user@host/db. Default: the embedded SQLite file in "
            "TRACKTION_DATA_DIR, or in the user's data directory.",
        ),
    ] = None,
    revision: Annotated[
        str, typer.Option("--revision", metavar="REV", help="The revision to migrate to.")
    ] = "head",
    wait: Annotated[
        float,
        typer.Option(
            "--wait",
            metavar="SECONDS",
            min=0.0,
            help="How long to keep retrying a database server that cannot be reached "
            "(for example while it starts).",
        ),
    ] = 10.0,
) -> None:
    """Migrate the catalog database's schema and print the revision it reached."""
    # Imported here: SQLAlchemy and Alembic are slow to load for every other command.
    from sqlalchemy import make_url

    from tracktion.core.catalog import ReconnectPolicy, default_database_url

    try:
        url = catalog_url(database) or default_database_url()
        before, after = asyncio.run(_upgrade(url, revision, ReconnectPolicy(budget_s=wait)))
    except (TracktionError, OSError) as exc:
        _fail(str(exc))
    where = make_url(url).render_as_string(hide_password=True)
    change = "unchanged" if before == after else f"was {before or 'empty'}"
    print(f"{where}: revision {after or 'base'} ({change})")


async def _upgrade(
    url: str, revision: str, reconnect: ReconnectPolicy
) -> tuple[str | None, str | None]:
    from tracktion.core.catalog import current_revision, upgrade

    before = await current_revision(url, reconnect=reconnect)
    await upgrade(url, revision, reconnect=reconnect)
    return before, await current_revision(url, reconnect=reconnect)


def _fail(message: str) -> NoReturn:
    # One line: driver messages can span several, and scripts grep the first.
    first_line = message.strip().splitlines()[0] if message.strip() else "failed"
    sys.stderr.write(f"error: {first_line}\n")
    raise typer.Exit(EXIT_FAILED)
