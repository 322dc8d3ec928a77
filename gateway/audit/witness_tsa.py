"""An RFC 3161 timestamp authority as the checkpoint witness (``audit.witness: tsa+https://…``).

Each signed checkpoint is sent to the authority (SHA-256 of its witness entry,
so the stamp binds the signature too) and the token it returns is kept beside
the checkpoint, one JSON line each, in a token file. The authority keeps
nothing for us; what it adds is that nobody but it can make a token, so a
checkpoint stamped at 09:00 cannot have been made up at 10:00, and a rewritten
chain cannot get stamps dated before the rewrite.

An authority that cannot be reached (or answers with something that is not a
valid stamp) costs the stamp, not the checkpoint: the checkpoint is in the
store already, the line is written without a token and with the error kind,
the writer logs the failure and shows it in ``/readyz``, and the gateway goes
on serving. ``verify`` names every checkpoint without a stamp.

Spec: ``tsa+https://tsa.example/tsr?ca=PATH[&tokens=PATH][&timeout=SECONDS]``
(``tsa+http://`` too). ``ca`` is the authority's certificate, or the CA that
issued it (PEM); ``tokens`` defaults to the file ``auto`` would use, with
``.tsa`` added. These parameters are Haetae's and are not sent.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
import orjson

from gateway.audit.appendfile import append_line, last_line, read_lines
from gateway.audit.chain import Checkpoint, decode_entry, encode_entry
from gateway.audit.timestamp import (
    TimestampError,
    load_trusted_certificates,
    parse_response,
    timestamp_request,
    verify_token,
)
from gateway.audit.verify import Problem
from gateway.errors import ConfigError

__all__ = ["TimestampWitness", "WitnessCheck"]

_OWN = ("ca", "tokens", "timeout")


@dataclass(slots=True)
class WitnessCheck:
    """What a witness found about its own entries, beyond the checkpoints they hold."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class TimestampUnavailable(Exception):
    """The authority gave no valid stamp; the checkpoint was recorded without one."""


class TimestampWitness:
    kind = "tsa"

    def __init__(self, spec: str, default_tokens: str | None) -> None:
        parts = urlsplit(spec.removeprefix("tsa+"))
        query = parse_qsl(parts.query, keep_blank_values=True)
        own = {k: v for k, v in query if k in _OWN}
        if not own.get("ca"):
            raise ConfigError(
                "audit.witness tsa+…: add ?ca=PATH, the authority's certificate or its CA (PEM)"
            )
        self.trusted = load_trusted_certificates(Path(own["ca"]))
        tokens = own.get("tokens") or default_tokens
        if not tokens:
            raise ConfigError("audit.witness tsa+…: add &tokens=PATH, where the stamps are kept")
        self.tokens = Path(tokens.removeprefix("file:"))
        try:
            self._timeout = float(own.get("timeout", "5"))
        except ValueError:
            raise ConfigError("audit.witness tsa+…: timeout must be seconds") from None
        rest = urlencode([(k, v) for k, v in query if k not in _OWN])
        self.url = urlunsplit((parts.scheme, parts.netloc, parts.path, rest, ""))
        self.label = f"{parts.scheme}://{parts.hostname}{parts.path} (tokens {self.tokens})"

    def append(self, checkpoint: Checkpoint) -> None:
        entry = encode_entry(checkpoint)
        token: bytes | None = None
        failure: str | None = None
        try:
            token = self._stamp(entry)
        except (httpx.HTTPError, TimestampError) as exc:
            failure = type(exc).__name__
        line: dict[str, Any] = {
            "checkpoint": orjson.loads(entry),
            "token": base64.b64encode(token).decode() if token else None,
        }
        if failure:
            line["error"] = failure
        append_line(self.tokens, orjson.dumps(line) + b"\n")
        if failure:
            raise TimestampUnavailable(failure)

    def _stamp(self, entry: bytes) -> bytes:
        request, nonce = timestamp_request(entry)
        response = httpx.post(
            self.url,
            content=request,
            headers={"content-type": "application/timestamp-query"},
            timeout=self._timeout,
        )
        response.raise_for_status()
        token = parse_response(response.content, nonce)
        verify_token(token, entry, self.trusted)  # a bad stamp is no stamp: say so now
        return token

    def last(self) -> Checkpoint | None:
        line = last_line(self.tokens)
        try:
            raw = orjson.loads(line).get("checkpoint") if line else None
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return decode_entry(orjson.dumps(raw)) if isinstance(raw, dict) else None

    def _lines(self) -> Iterator[dict[str, Any] | None]:
        for raw in read_lines(self.tokens):
            try:
                line = orjson.loads(raw)
            except orjson.JSONDecodeError:
                yield None
                continue
            yield line if isinstance(line, dict) else None

    def entries(self) -> Iterator[Checkpoint | None]:
        for line in self._lines():
            raw = line.get("checkpoint") if line else None
            yield decode_entry(orjson.dumps(raw)) if isinstance(raw, dict) else None

    def check(self) -> WitnessCheck:
        """Each stamp checked against its checkpoint and the configured certificate."""
        found = WitnessCheck()
        gaps: list[str] = []
        for line in self._lines():
            raw = line.get("checkpoint") if line else None
            checkpoint = decode_entry(orjson.dumps(raw)) if isinstance(raw, dict) else None
            if line is None or checkpoint is None:
                continue  # the chain check names an unreadable entry
            token = line.get("token")
            if not isinstance(token, str):
                gaps.append(f"{checkpoint.seq} ({line.get('error') or 'no token'})")
                continue
            try:
                verify_token(base64.b64decode(token), encode_entry(checkpoint), self.trusted)
            except (TimestampError, ValueError) as exc:
                found.problems.append(Problem(checkpoint.seq, "timestamp", str(exc)))
        if gaps:
            shown = ", ".join(gaps[:10]) + (f" and {len(gaps) - 10} more" if len(gaps) > 10 else "")
            found.warnings.append(
                f"{len(gaps)} checkpoint(s) have no timestamp (the authority was unreachable "
                f"or answered wrongly): seq {shown}; the chain and later stamps still cover them"
            )
        return found
