"""The SQLite audit log's write-ahead log is cut back once it passes its limit.

Under steady commits a passive checkpoint never lets SQLite rewind the log (each one
ends with newer frames already appended), so the ``-wal`` file grew with every commit
(136 MB after 3,100 requests). Past ``wal_limit_bytes`` a round makes the log start
again, and the store's ``journal_size_limit`` cuts the file back to the limit.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from gateway.audit.checkpointer import WalCheckpointer

_LIMIT = 256 * 1024


def _commit(conn: sqlite3.Connection, records: int) -> None:
    for _ in range(records):
        conn.execute("INSERT INTO filler VALUES (?)", (os.urandom(2048),))


def test_a_round_past_the_limit_leaves_the_log_no_longer_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "audit.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # as the audit writer runs
    conn.execute(f"PRAGMA journal_size_limit={_LIMIT}")
    conn.execute("CREATE TABLE filler (body BLOB)")
    wal = Path(f"{path}-wal")
    _commit(conn, 400)
    assert wal.stat().st_size > 2 * _LIMIT
    checkpointer = WalCheckpointer(str(path), wal_limit_bytes=_LIMIT)
    with sqlite3.connect(path, isolation_level=None) as other:
        checkpointer.checkpoint(other)
    _commit(conn, 1)  # the next commit starts the log again and cuts the file back
    assert wal.stat().st_size <= _LIMIT
    assert conn.execute("SELECT count(*) FROM filler").fetchone() == (401,)
    conn.close()
