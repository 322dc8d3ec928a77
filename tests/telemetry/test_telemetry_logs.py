"""Log lines: JSON or text, with the request id, and exceptions without their message."""

from __future__ import annotations

import asyncio
import contextvars
import io
import logging

import orjson
from opentelemetry.sdk.trace import TracerProvider

from gateway.telemetry.logs import (
    JsonFormatter,
    TextFormatter,
    bind_request_id,
    configure_logging,
    current_request_id,
)

SECRET = "900101-1234568"


def _record(message: str = "inspection failed", exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError(f"could not parse {SECRET}")
        except ValueError as error:
            exc_info = (ValueError, error, error.__traceback__)
    return logging.LogRecord("haetae.pipeline", logging.ERROR, __file__, 1, message, (), exc_info)


def test_json_lines_carry_the_request_id_of_the_task() -> None:
    def in_request() -> str:
        bind_request_id("req-123")
        return JsonFormatter().format(_record())

    line = orjson.loads(contextvars.copy_context().run(in_request))
    assert line["request_id"] == "req-123"
    assert (line["level"], line["logger"], line["message"]) == (
        "error",
        "haetae.pipeline",
        "inspection failed",
    )
    assert line["time"].endswith("+00:00")
    assert "request_id" not in orjson.loads(JsonFormatter().format(_record()))


def test_request_ids_do_not_bleed_between_concurrent_requests() -> None:
    async def request(request_id: str) -> str | None:
        bind_request_id(request_id)
        await asyncio.sleep(0)  # let the other request run in between
        return current_request_id()

    async def both() -> list[str | None]:
        return list(await asyncio.gather(request("a"), request("b")))

    assert asyncio.run(both()) == ["a", "b"]


def test_json_lines_carry_the_current_trace() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        line = orjson.loads(JsonFormatter().format(_record()))
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")
    assert line["span_id"] == format(span.get_span_context().span_id, "016x")


def test_exceptions_are_logged_by_type_and_stack_never_by_message() -> None:
    record = _record(exc=True)
    line = orjson.loads(JsonFormatter().format(record))
    assert line["exception"]["type"] == "ValueError"
    assert any("test_telemetry_logs.py" in frame for frame in line["exception"]["stack"])
    text = TextFormatter().format(record)
    assert "ValueError" in text and "test_telemetry_logs.py" in text
    assert SECRET not in orjson.dumps(line).decode() and SECRET not in text


def test_configure_logging_installs_one_handler_and_quiets_chatty_libraries() -> None:
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    stream = io.StringIO()
    try:
        configure_logging("info", "text")
        configure_logging("debug", "json", stream=stream)
        ours = [h for h in root.handlers if getattr(h, "_haetae", False)]
        assert len(ours) == 1 and isinstance(ours[0].formatter, JsonFormatter)
        assert logging.getLogger("httpx").level == logging.WARNING
        logging.getLogger("haetae.test").debug("hello %s", "there")
        assert orjson.loads(stream.getvalue().splitlines()[-1])["message"] == "hello there"
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
