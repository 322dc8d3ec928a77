"""The audit store contract; ``gateway.audit.open`` picks a backend from a URL.

The gateway appends one record per request on its event loop, so ``append`` must
never touch the disk; a backend owns a writer thread instead. Before a refusal is
sent the gateway awaits ``flush`` so that the record of a block exists first, and
when ``healthy`` turns False it stops serving (fail closed): an unrecorded
decision is worse than a refused request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from gateway.audit.record import AuditRecord

__all__ = ["AuditStore", "AuditStoreError"]


class AuditStoreError(RuntimeError):
    """The audit store cannot record: it could not open, or a write has failed.

    The message names the store's location and an error kind, never record data.
    """


@runtime_checkable
class AuditStore(Protocol):
    """Where audit records go; every method but ``flush`` is safe from any thread."""

    def start(self) -> None:
        """Open the store and start its writer; raise AuditStoreError if it can't open."""
        ...

    def append(self, record: AuditRecord) -> None:
        """Queue one record; costs microseconds and never does I/O on the caller."""
        ...

    async def flush(self, timeout: float = 5.0, *, leaving: bool = False) -> None:  # noqa: ASYNC109
        """Return once every record appended so far is durably written.

        ``leaving``: the records guard a request about to leave (an opening, a request
        an ICAP proxy will send); a store with a journal may make them durable there.

        Raises AuditStoreError if the store is not running or a write has failed,
        and TimeoutError if the writer does not catch up within ``timeout``.
        """
        ...

    @property
    def healthy(self) -> bool:
        """False before start, after close, and for good once a write has failed."""
        ...

    @property
    def last_error(self) -> str | None:
        """The kind of the first write failure (e.g. ``OperationalError:SQLITE_FULL``)."""
        ...

    def close(self) -> None:
        """Write what is queued and stop the writer, within a bounded time; idempotent."""
        ...

    def tail(self, limit: int) -> list[AuditRecord]:
        """The newest ``limit`` records, oldest first."""
        ...

    def records_between(self, start: float, end: float) -> list[AuditRecord]:
        """Records with ``start <= time < end`` (unix seconds), in the order written."""
        ...

    @property
    def spool_depth(self) -> int:
        """Records waiting in the local spool for the store to come back."""
        ...

    def witness_status(self) -> dict[str, Any]:
        """The checkpoint witness: kind, state, age of the newest checkpoint it took."""
        ...
