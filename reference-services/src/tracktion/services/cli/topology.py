"""``tracktion topology``: show the messaging topology, or declare it on a broker."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from tracktion.contracts import Topology
from tracktion.core.bus import open_bus
from tracktion.core.errors import BackendError, ConfigurationError, MissingExtraError

from ..settings import Settings, topology_for
from .rendering import stdout_console, to_json

__all__ = ["app"]

app = typer.Typer(
    name="topology",
    help="Show the messaging topology, or declare it on a broker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

PrefixOption = Annotated[
    str | None,
    typer.Option(
        "--prefix",
        help="Put before every exchange and queue name (default: TRACKTION_NAME_PREFIX).",
    ),
]


def _topology(prefix: str | None) -> Topology:
    settings = Settings()
    return topology_for(settings.exchanges, settings.name_prefix if prefix is None else prefix)


@app.command()
def show(
    as_json: Annotated[bool, typer.Option("--json", help="Print it as JSON.")] = False,
    prefix: PrefixOption = None,
) -> None:
    """Print every exchange and queue with its bindings and arguments."""
    topology = _topology(prefix)
    if as_json:
        sys.stdout.write(to_json(topology.model_dump(mode="json")))
        return
    console = stdout_console()
    exchanges = Table("Exchange", "Type", "Role", box=box.SIMPLE_HEAD, show_edge=False)
    for exchange in topology.exchanges:
        exchanges.add_row(exchange.name, exchange.type.value, exchange.role.value)
    console.print(exchanges)
    queues = Table(
        "Queue", "Consumer", "Bindings", "Arguments", box=box.SIMPLE_HEAD, show_edge=False
    )
    for queue in topology.queues:
        bindings = ", ".join(
            f"{binding.exchange or '(default)'}:{binding.routing_key}"
            for binding in topology.bindings_of(queue.name)
        )
        arguments = " ".join(f"{key}={value}" for key, value in queue.arguments.items())
        queues.add_row(queue.name, queue.consumer, bindings, arguments)
    console.print(queues)


@app.command()
def declare(
    broker: Annotated[
        str | None,
        typer.Option("--broker", help="Broker URL (default: TRACKTION_BROKER_URL)."),
    ] = None,
    prefix: PrefixOption = None,
) -> None:
    """Declare every exchange, queue and binding on the broker (idempotent).

    Exits 1 with the broker's reason when something of the same name exists with other
    arguments.
    """
    url = broker or Settings().broker_url
    topology = _topology(prefix)
    try:
        asyncio.run(_declare(url, topology))
    except (BackendError, ConfigurationError, MissingExtraError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        raise typer.Exit(1) from None
    print(
        f"declared {len(topology.exchanges)} exchanges, {len(topology.queues)} queues and "
        f"{len(topology.bindings)} bindings"
    )


async def _declare(url: str, topology: Topology) -> None:
    bus = await open_bus(url, topology, declare=False)
    try:
        await bus.declare()
    finally:
        await bus.close()
