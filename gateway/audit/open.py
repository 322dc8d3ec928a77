"""The factory that picks an audit store backend from a configuration URL.

It lives apart from the ``AuditStore`` contract (``store.py``) because it knows every
backend, and the backends build on that contract: one module for both made each backend
import the module that imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.extras import require

if TYPE_CHECKING:
    from gateway.audit.chain import CheckpointSigner
    from gateway.audit.sqlstore import SQLAuditStore

__all__ = ["SUPPORTED_URLS", "open_audit_store"]

SUPPORTED_URLS = (
    "sqlite:///relative/path.db",
    "sqlite:////absolute/path.db",
    "sqlite://:memory:",
    "postgresql://user@host:5432/database[?schema=NAME]",
)


def open_audit_store(
    url: str,
    *,
    spool: str | None = None,
    signer: CheckpointSigner | None = None,
    writers: str | None = None,
    journal: bool = False,
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
    options: dict[str, Any] = {"spool": spool, "signer": signer, "writers": writers}
    if scheme in ("postgresql", "postgres"):
        # Checked here, not when ``start()`` first imports psycopg: a missing extra
        # stops start-up with the setting's name instead of failing the lifespan.
        require("postgres", f"audit.url {scheme}://")
        from gateway.audit.postgres import PostgresAuditStore

        if not rest.strip("/"):
            raise ValueError(f"malformed postgresql audit store URL; supported: {supported}")
        return PostgresAuditStore(url, **options)  # the server's commit, never a local file
    if scheme != "sqlite":
        raise ValueError(f"unsupported audit store scheme {scheme!r}; supported: {supported}")
    from gateway.audit.sqlite import MEMORY, SQLiteAuditStore

    if rest in (":memory:", "/:memory:"):
        return SQLiteAuditStore(MEMORY, **options | {"writers": None})  # dies with us
    if not rest.startswith("/") or len(rest) < 2:
        raise ValueError(
            f"malformed sqlite audit store URL: expected a path after 'sqlite:///'; "
            f"supported: {supported}"
        )
    # "sqlite:///rel.db" leaves "/rel.db"; "sqlite:////abs.db" leaves "//abs.db".
    return SQLiteAuditStore(rest[1:], **options, journal=journal)
