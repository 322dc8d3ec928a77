"""Witnesses: a second copy of every signed checkpoint, out of the store's reach.

Signatures stop someone who can write the database from forging checkpoints,
but not from deleting the newest records together with their checkpoints, nor
from swapping the whole trail for an older copy. So each checkpoint the writer
signs is also handed to a *witness* that the store's administrators cannot
rewrite; ``haetae audit verify`` then holds the store to what the witness saw.

A witness has one job (``append`` a checkpoint; ``entries`` reads them back),
so new kinds plug in as one class each. ``audit.witness`` picks one:

- ``auto`` (default): an append-only file in a ``witness/`` folder beside a
  SQLite store (``var/witness/audit.db.witness``); for PostgreSQL
  ``var/witness/<host>-<port>-<database>-<schema>.witness``; none for an
  in-memory store. Mount that folder from another
  volume, or make the file append-only (``chattr +a``), to keep it out of the
  database administrator's hands;
- ``file:PATH`` or a path: that file;
- ``redis://…`` / ``rediss://…`` (``?key=NAME``, default ``haetae:audit:witness``):
  a Redis list, appended with ``RPUSH`` (an ACL user limited to ``RPUSH`` and
  ``LRANGE`` on that key cannot rewrite it);
- ``postgresql://…[?schema=NAME]``: a table in a second database, for a role
  that may only ``INSERT`` and ``SELECT`` there;
- ``syslog+tcp://host:port`` / ``syslog+tls://host:port[?ca=PATH]``: RFC 5424
  messages to a SIEM, which keeps them (write-only from here: ``witness_syslog.py``);
- ``tsa+https://…?ca=PATH[&tokens=PATH]``: an RFC 3161 timestamp authority
  stamps each checkpoint; the tokens are kept in a file (``witness_tsa.py``);
- ``off``: none (``verify`` then relies on signatures alone).

Entries are the signed checkpoints themselves (JSON lines), so a forged entry
fails its signature like a forged checkpoint does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from gateway.audit.appendfile import append_line, last_line, read_lines
from gateway.audit.chain import Checkpoint, Witness, decode_entry, encode_entry
from gateway.errors import ConfigError

__all__ = ["FileWitness", "Witness", "open_witness", "witness_spec"]


class FileWitness:
    """An append-only file of JSON lines; each append is locked and fsync'd."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.label = str(path)

    def append(self, checkpoint: Checkpoint) -> None:
        append_line(self.path, encode_entry(checkpoint) + b"\n")

    def last(self) -> Checkpoint | None:
        line = last_line(self.path)
        entry = _entry_text(line) if line else None
        return decode_entry(entry) if entry else None

    def entries(self) -> Iterator[Checkpoint | None]:
        for line in read_lines(self.path):
            entry = _entry_text(line)
            if entry:
                yield decode_entry(entry)


def _entry_text(line: bytes) -> bytes | None:
    """The JSON of an entry; a SIEM's export of syslog messages reads too.

    A line that is not JSON is taken as an RFC 5424 message (octet count
    optional): only ``haetae.checkpoint`` messages are entries, their JSON the
    body after the header.
    """
    if not line or not _SYSLOG.match(line):
        return line or None  # JSON, or a line that is unreadable as an entry
    if b" haetae.checkpoint " not in line:
        return None  # another message the SIEM holds
    start = line.find(b"{")
    return line[start:] if start >= 0 else line


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_SYSLOG = re.compile(rb"(?:\d+ )?<\d{1,3}>1 ")


def witness_spec(spec: str, store_url: str) -> str:
    """``auto`` made concrete for ``store_url``; any other spec unchanged."""
    if spec != "auto":
        return spec
    scheme, _, rest = store_url.partition("://")
    if scheme.lower() != "sqlite":
        # one file per database and schema: two trails must never share a witness
        parts = urlsplit(store_url)
        schema = next((v for k, v in parse_qsl(parts.query) if k == "schema"), "public")
        where = f"{parts.hostname or 'local'}-{parts.port or 5432}-{parts.path.strip('/')}-{schema}"
        return f"file:var/witness/{_UNSAFE.sub('_', where)}.witness"
    if rest in (":memory:", "/:memory:"):
        return "off"
    database = Path(rest[1:])
    return f"file:{database.parent / 'witness' / (database.name + '.witness')}"


def open_witness(spec: str, store_url: str) -> Witness | None:
    """The witness ``audit.witness`` names (None for ``off``); no I/O until used."""
    spec = witness_spec(spec.strip(), store_url)
    scheme = spec.partition("://")[0].lower() if "://" in spec else ""
    if spec == "off":
        return None
    if scheme in ("redis", "rediss"):
        from gateway.audit.witness_redis import RedisWitness

        return RedisWitness(spec)
    if scheme in ("postgresql", "postgres"):
        from gateway.audit.witness_postgres import PostgresWitness

        return PostgresWitness(spec)
    if scheme in ("syslog+tcp", "syslog+tls"):
        from gateway.audit.witness_syslog import SyslogWitness

        return SyslogWitness(spec)
    if scheme in ("tsa+http", "tsa+https"):
        from gateway.audit.witness_tsa import TimestampWitness

        tokens = witness_spec("auto", store_url) if store_url else "off"
        return TimestampWitness(spec, None if tokens == "off" else tokens + ".tsa")
    if scheme:
        raise ConfigError(
            f"audit.witness: {scheme}:// is not a witness Haetae has; use a file path, "
            "file:PATH, redis://host:port/db?key=NAME, postgresql://…, syslog+tls://host:port, "
            "tsa+https://host/path?ca=PATH, auto or off"
        )
    path = spec.removeprefix("file:")
    if not path:
        raise ConfigError("audit.witness: file: needs a path")
    return FileWitness(Path(path))
