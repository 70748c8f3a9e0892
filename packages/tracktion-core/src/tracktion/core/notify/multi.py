"""Fan-out: one notification to several channels at once, with each channel's result."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection, Sequence

from ._model import (
    DeliveryResult,
    DeliveryStatus,
    Notification,
    Notifier,
    NotifierConfigurationError,
)

__all__ = ["MultiNotifier"]

log = logging.getLogger("tracktion.notify")


class MultiNotifier:
    """Delivers to every channel concurrently; the result lists each channel's outcome.

    The combined status is ``delivered`` only when every channel delivered; a failure is
    ``transient`` only when every failed channel failed transiently (so retrying the
    whole notification later could help). A channel that raises instead of returning a
    result is reported as failed with the exception's type, never its text (which could
    hold a secret).

    Raises:
        NotifierConfigurationError: two channels have the same name.
    """

    def __init__(self, notifiers: Sequence[Notifier], *, name: str = "multi") -> None:
        names = [notifier.name for notifier in notifiers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise NotifierConfigurationError(
                f"notification channels must have distinct names; repeated: {duplicates}"
            )
        self.name = name
        self.notifiers = tuple(notifiers)

    async def send(
        self, notification: Notification, *, only: Collection[str] | None = None
    ) -> DeliveryResult:
        """Send to every channel (or to those named in ``only``); never raises for a
        channel's failure.

        ``only`` lets a caller that already delivered to some channels (a redelivered
        message) send to the others alone; names that are not channels are ignored.
        """
        chosen = [n for n in self.notifiers if only is None or n.name in only]
        results = await asyncio.gather(*(self._one(n, notification) for n in chosen))
        failed = [result for result in results if not result.ok]
        return DeliveryResult(
            channel=self.name,
            status=DeliveryStatus.FAILED if failed else DeliveryStatus.DELIVERED,
            attempts=max((result.attempts for result in results), default=0),
            detail=f"{len(failed)} of {len(results)} channels failed" if failed else "",
            transient=bool(failed) and all(result.transient for result in failed),
            channels=tuple(results),
        )

    @staticmethod
    async def _one(notifier: Notifier, notification: Notification) -> DeliveryResult:
        try:
            return await notifier.send(notification)
        except Exception as exc:
            log.error("notification channel %s raised %s", notifier.name, type(exc).__name__)
            return DeliveryResult.failed(
                notifier.name, f"channel raised {type(exc).__name__}", transient=False
            )

    async def aclose(self) -> None:
        """Close every channel (each drains its queue first)."""
        results = await asyncio.gather(
            *(notifier.aclose() for notifier in self.notifiers), return_exceptions=True
        )
        for notifier, result in zip(self.notifiers, results, strict=True):
            if isinstance(result, BaseException):
                log.error(
                    "closing notification channel %s raised %s",
                    notifier.name,
                    type(result).__name__,
                )

    def __repr__(self) -> str:
        return f"MultiNotifier({list(self.notifiers)!r})"
