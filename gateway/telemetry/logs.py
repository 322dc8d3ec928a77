"""Log lines that carry the request id and can't quote a request.

Every log line written while a request is being handled names its request id,
read from a context variable the pipeline sets once per request (a context
variable, because each request runs in its own task and the id must not bleed
into another's lines). Exceptions are rendered as their type and stack only:
an exception's message can quote whatever it was parsing — a prompt, a URL with
an API key in its query — and a log line is copied to far more places than the
audit store.
"""

from __future__ import annotations

import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, TextIO

import orjson

__all__ = [
    "JsonFormatter",
    "LogFormat",
    "TextFormatter",
    "bind_request_id",
    "configure_logging",
    "current_request_id",
]

LogFormat = Literal["text", "json"]

_request_id: ContextVar[str | None] = ContextVar("haetae_request_id", default=None)

#: third-party loggers that, at DEBUG or INFO, print URLs (with ``?key=``), headers
#: or analysed text; they stay at WARNING whatever the gateway's own level is
_QUIET = ("presidio-analyzer", "httpx", "httpcore", "hpack", "aiohttp", "urllib3", "asyncio")

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def bind_request_id(request_id: str) -> None:
    """Name the request the current task is handling, for every line it logs."""
    _request_id.set(request_id)


def current_request_id() -> str | None:
    return _request_id.get()


def _safe_exception(exc_info: _ExcInfo) -> tuple[str, list[str]]:
    """The exception's type and its frames (file:line in function), never its message."""
    kind, _, tb = exc_info
    frames = [
        f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} in {frame.name}"
        for frame in traceback.extract_tb(tb)
    ]
    return kind.__name__, frames


def _trace_ids() -> tuple[str, str] | None:
    # Imported lazily: the API is tiny, but text logs without tracing need none of it.
    # It comes with FastAPI today, not from Haetae's own requirements: without it
    # there is no tracing, so there are no ids to add.
    try:
        from opentelemetry import trace
    except ImportError:
        return None

    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request and trace ids."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = _request_id.get()
        if request_id is not None:
            entry["request_id"] = request_id
        ids = _trace_ids()
        if ids is not None:
            entry["trace_id"], entry["span_id"] = ids
        if record.exc_info and record.exc_info[0] is not None:
            kind, frames = _safe_exception(record.exc_info)
            entry["exception"] = {"type": kind, "stack": frames}
        return orjson.dumps(entry, default=str).decode()


class TextFormatter(logging.Formatter):
    """The classic one-line format, plus ``request_id=`` and a message-free traceback."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text
        record.exc_info, record.exc_text = None, None
        try:
            line = super().format(record)
        finally:
            record.exc_info, record.exc_text = saved
        request_id = _request_id.get()
        if request_id is not None:
            line += f" request_id={request_id}"
        if record.exc_info and record.exc_info[0] is not None:
            kind, frames = _safe_exception(record.exc_info)
            line += f"\n  exception {kind} (message withheld)"
            line += "".join(f"\n    at {frame}" for frame in frames)
        return line


def configure_logging(
    level: str, log_format: LogFormat = "text", stream: TextIO | None = None
) -> logging.Handler:
    """Install one handler on the root logger; uvicorn's loggers propagate to it.

    Returns the handler so that a test (or an embedding program) can remove it.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_haetae", False):
            root.removeHandler(old)
    handler._haetae = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
