"""SIEM delivery as a background task of ``haetae serve`` (``siem.deliver_in_gateway``)."""

from __future__ import annotations

import asyncio
import logging

from gateway.siem.delivery import Delivery

__all__ = ["SiemRunner"]

log = logging.getLogger("haetae.siem")

#: how long shutdown waits for the batch in flight
STOP_SECONDS = 5.0


class SiemRunner:
    def __init__(self, delivery: Delivery, poll_seconds: float) -> None:
        self.delivery = delivery
        self._poll = poll_seconds
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._stop.clear()
        self._task = asyncio.create_task(self.delivery.run(self._stop, self._poll))

    async def stop(self) -> None:
        """Let the batch in flight finish (its cursor saved), then close the sinks."""
        if self._task is None:
            return
        self._stop.set()
        try:
            await asyncio.wait_for(self._task, STOP_SECONDS)
        except TimeoutError:
            log.warning("siem: delivery did not stop within %.0f s; cancelled", STOP_SECONDS)
        except Exception as exc:
            log.error("siem: delivery ended with %s", type(exc).__name__)
        self._task = None
