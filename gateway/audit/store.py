"""The audit store contract, and the factory that picks a backend from a URL.

The gateway appends one record per request on its event loop, so ``append`` must
never touch the disk; a backend owns a writer thread instead. Before a refusal is
sent the gateway awaits ``flush`` so that the record of a block exists first, and
when ``healthy`` turns False it stops serving (fail closed): an unrecorded
decision is worse than a refused request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from gateway.extras import require

if TYPE_CHECKING:
    from gateway.audit.chain import CheckpointSigner
    from gateway.audit.record import AuditRecord
    from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["SUPPORTED_URLS", "AuditStore", "AuditStoreError", "open_audit_store"]

SUPPORTED_URLS = (
    "sqlite:///relative/path.db",
    "sqlite:////absolute/path.db",
    "sqlite://:memory:",
    "postgresql://user@host:5432/database[?schema=NAME]",
)


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

    async def flush(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109 (contract)
        """Return once every record appended so far is durably written.

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


def open_audit_store(
    url: str,
    *,
    spool: str | None = None,
    signer: CheckpointSigner | None = None,
) -> SQLAuditStore:
    """Build (but do not start) the store a configuration URL names.

    No I/O happens here: ``start()`` creates the database (file, schema) so
    that every open failure surfaces in one place. The URL itself is never
    echoed in errors, since it may carry a password.
    """
    scheme, sep, rest = url.partition("://")
    scheme = scheme.lower()
    supported = ", ".join(SUPPORTED_URLS)
    if not sep:
        raise ValueError(f"audit store URL has no scheme; supported: {supported}")
    options: dict[str, Any] = {"spool": spool, "signer": signer}
    if scheme in ("postgresql", "postgres"):
        # Checked here, not when ``start()`` first imports psycopg: a missing extra
        # stops start-up with the setting's name instead of failing the lifespan.
        require("postgres", f"audit.url {scheme}://")
        from gateway.audit.postgres import PostgresAuditStore

        if not rest.strip("/"):
            raise ValueError(f"malformed postgresql audit store URL; supported: {supported}")
        return PostgresAuditStore(url, **options)
    if scheme != "sqlite":
        raise ValueError(f"unsupported audit store scheme {scheme!r}; supported: {supported}")
    from gateway.audit.sqlite import MEMORY, SQLiteAuditStore

    if rest in (":memory:", "/:memory:"):
        return SQLiteAuditStore(MEMORY, **options)
    if not rest.startswith("/") or len(rest) < 2:
        raise ValueError(
            f"malformed sqlite audit store URL: expected a path after 'sqlite:///'; "
            f"supported: {supported}"
        )
    # "sqlite:///rel.db" leaves "/rel.db"; "sqlite:////abs.db" leaves "//abs.db".
    return SQLiteAuditStore(rest[1:], **options)
