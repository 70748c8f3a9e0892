"""``tracktion worker NAME...``: run reference services in this process.

Each service consumes its queues on the ports the ``TRACKTION_*`` settings name. Start
one process per service against RabbitMQ and PostgreSQL to scale out (any number of
``tracktion worker analysis`` on any number of machines share the analysis queue), or
several services in one process. SIGINT/SIGTERM stop it gracefully: messages in progress
finish, or go back to the queue.
"""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

from tracktion.contracts import TracktionError

from .rendering import EXIT_USAGE

__all__ = ["configure_logging", "worker"]


def worker(
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="NAME...",
            help="Services to run: watcher, cataloging, analysis, rename, tracklist, notification.",
        ),
    ],
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = "info",
) -> None:
    """Run services on the configured ports until interrupted."""
    from tracktion.services.runtime import run_process, service_names

    configure_logging(log_level)
    try:
        chosen = service_names(names)
        run_process(_run(chosen))
    except TracktionError as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:  # a second Ctrl-C while shutting down
        raise typer.Exit(130) from None


async def _run(names: list[str]) -> None:
    from tracktion.services.runtime import build_service, open_ports, run_until_signalled
    from tracktion.services.settings import Settings

    async with open_ports(Settings()) as ports:
        services = [build_service(name, ports) for name in names]
        logging.getLogger("tracktion.services").info("running %s", ", ".join(names))
        await run_until_signalled(*(service.run for service in services))


def configure_logging(level: str) -> None:
    """Log to standard error at ``level`` (a name); exit 2 for an unknown one."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        sys.stderr.write(f"error: unknown log level {level!r}\n")
        raise typer.Exit(EXIT_USAGE)
    logging.basicConfig(
        level=numeric, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
