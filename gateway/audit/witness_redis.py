"""A Redis list as the checkpoint witness (``audit.witness: redis://…?key=NAME``).

The writer thread is synchronous, so this uses redis-py's blocking client, one
connection made on first use. Give the gateway an ACL user limited to
``RPUSH`` and ``LRANGE`` on the key (``+rpush +lrange ~haetae:audit:witness``):
it can add entries but never rewrite or delete them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from gateway.audit.chain import Checkpoint, decode_entry, encode_entry
from gateway.extras import require

__all__ = ["DEFAULT_KEY", "RedisWitness"]

DEFAULT_KEY = "haetae:audit:witness"
_PAGE = 1000


class RedisWitness:
    kind = "redis"

    def __init__(self, url: str) -> None:
        require("redis", "audit.witness redis://")
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        self.key = next((v for k, v in query if k == "key"), DEFAULT_KEY) or DEFAULT_KEY
        rest = urlencode([(k, v) for k, v in query if k != "key"])
        self._url = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, ""))
        host = parts.netloc.rsplit("@", 1)[-1]
        self.label = f"{parts.scheme}://{host}{parts.path} key {self.key}"  # no password
        self._client: Any = None

    def _redis(self) -> Any:
        if self._client is None:
            import redis

            self._client = redis.Redis.from_url(
                self._url, socket_timeout=5.0, socket_connect_timeout=5.0
            )
        return self._client

    def append(self, checkpoint: Checkpoint) -> None:
        self._redis().rpush(self.key, encode_entry(checkpoint))

    def last(self) -> Checkpoint | None:
        raw = self._redis().lindex(self.key, -1)
        return decode_entry(raw) if raw else None

    def entries(self) -> Iterator[Checkpoint | None]:
        client, start = self._redis(), 0
        while raw := client.lrange(self.key, start, start + _PAGE - 1):
            for item in raw:
                yield decode_entry(item)
            start += len(raw)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
