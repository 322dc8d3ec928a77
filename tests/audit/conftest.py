"""Stores to test against: a SQLite file, and a schema of this test's own on PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gateway.audit import AuditRecord, open_audit_store


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'audit.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@contextmanager
def filled_store(url: str, records: Iterable[AuditRecord]) -> Iterator[Any]:
    """A started store holding ``records``, written and flushed; closed on leaving."""
    store = open_audit_store(url)
    store.start()

    async def fill() -> None:
        for record in records:
            store.append(record)
        await store.flush()

    asyncio.run(fill())
    try:
        yield store
    finally:
        store.close()
