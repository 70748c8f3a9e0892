"""Idempotent consumers: a message's effect commits once, however often it is delivered.

RabbitMQ delivers at least once: a redelivery after a lost acknowledgement, a publisher
retrying after a lost confirm, a second worker taking a requeued message. The handler's
database effect and the record "this consumer processed this ``message_id``" commit in
one catalog transaction, so a message seen again finds its record and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from ._port import Delivery, Handler

if TYPE_CHECKING:
    from ..catalog import CatalogStore, CatalogTransaction

__all__ = ["TransactionalHandler", "idempotent"]

log = logging.getLogger("tracktion.bus")

TransactionalHandler = Callable[[Delivery, "CatalogTransaction"], Awaitable[None]]
"""A handler that makes its effect through the given catalog transaction."""


def idempotent(store: CatalogStore, consumer: str, handler: TransactionalHandler) -> Handler:
    """Wrap ``handler`` so that each ``message_id`` takes effect once for ``consumer``.

    ``handler`` must make its effect through the transaction it is given; effects outside
    the catalog (files, HTTP calls) are not covered and need their own idempotency. If the
    handler raises, nothing is recorded and the bus retries the message as usual.

    ``consumer`` names the logical consumer (``cataloging``), so that two services
    handling one message each take effect once.
    """

    async def once(delivery: Delivery) -> None:
        async with store.transaction() as tx:
            if not await tx.mark_processed(consumer, delivery.message_id):
                log.info(
                    "%s: %s already processed; acknowledging the duplicate",
                    consumer,
                    delivery.message_id,
                )
                return
            await handler(delivery, tx)

    return once
