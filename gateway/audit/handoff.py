"""The hand-off from the event loop to the audit writer thread, waking it only when it must act.

Waking a thread costs a few context switches and a GIL hand-over on both sides,
which at one durable commit per request was most of what the writer spent
outside SQLite. So a record does not wake the writer while it is lingering
(it has records in hand, or has just committed and will look again within the
linger): the record is picked up when the linger ends, as it would have been
committed then anyway. A flush marker, a stop, a full batch, or a record
reaching a writer that is waiting with nothing to do, wakes it at once.

Items are kept in order in one ``deque``; the ``SimpleQueue`` carries only the
wake-ups (its ``get`` is the writer's only blocking call, and it releases the
GIL while it waits).
"""

from __future__ import annotations

import queue
from collections import deque

__all__ = ["Handoff"]


class Handoff:
    """What the loop appends and the writer takes, in order; see the module's docstring."""

    def __init__(self, batch_size: int) -> None:
        self._items: deque[object] = deque()
        self._wakeups: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._batch_size = batch_size
        # Set by the writer only while it waits with nothing in hand: then any item wakes it.
        self._wake_on_any = False

    def __len__(self) -> int:
        return len(self._items)

    def put(self, item: object, *, urgent: bool) -> None:
        """Append ``item``; wake the writer if it is urgent, a batch is full, or it is idle."""
        items = self._items
        items.append(item)
        if urgent or self._wake_on_any or len(items) == self._batch_size:
            self._wakeups.put(None)

    def take(self, limit: int) -> list[object]:
        """Up to ``limit`` items, oldest first."""
        items = self._items
        count = min(limit, len(items))
        return [items.popleft() for _ in range(count)]

    def wait(self, timeout: float | None, *, wake_on_any: bool) -> bool:
        """Block until woken (True) or ``timeout`` seconds pass (False).

        With ``wake_on_any`` any item wakes the writer, and an item already
        there returns at once; without it only an urgent item or a full batch
        does. Wake-ups left over from items already taken end a wait early,
        which costs one more look, never a missed item: the flag is set
        before the items are checked, and ``put`` appends before it reads it.
        """
        self._wake_on_any = wake_on_any
        try:
            if wake_on_any and self._items:
                return True
            self._wakeups.get(timeout=timeout)
        except queue.Empty:
            return False
        finally:
            self._wake_on_any = False
        while True:  # one look serves every wake-up queued so far
            try:
                self._wakeups.get_nowait()
            except queue.Empty:
                return True
