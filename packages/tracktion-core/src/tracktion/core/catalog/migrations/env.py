"""Alembic environment of the catalog database.

Run by :mod:`tracktion.core.catalog.migrate`, which passes a connection (already in its
transaction) through ``config.attributes["connection"]``; the scripts run on it
synchronously inside SQLAlchemy's async bridge. Run by the ``alembic`` command line
instead (``alembic -x url=postgresql://... upgrade head`` with ``script_location`` set
to this directory), it opens its own async engine from the ``url`` argument or the
``sqlalchemy.url`` option.
"""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy import Connection

from tracktion.core.catalog._engine import catalog_url, create_catalog_engine
from tracktion.core.catalog.schema import metadata

config = context.config


def _configure(**options: Any) -> None:
    context.configure(
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table instead.
        render_as_batch=True,
        compare_type=True,
        **options,
    )


def _run_on(connection: Connection) -> None:
    _configure(connection=connection)
    with context.begin_transaction():
        context.run_migrations()


async def _run_on_new_engine(url: str | None) -> None:
    engine = create_catalog_engine(catalog_url(url), foreign_keys=False, pooled=False)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run_on)
    finally:
        await engine.dispose()


def _url() -> str | None:
    return context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )


if context.is_offline_mode():
    _configure(url=str(catalog_url(_url())), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (shared := config.attributes.get("connection")) is not None:
    _run_on(shared)
else:
    asyncio.run(_run_on_new_engine(_url()))
