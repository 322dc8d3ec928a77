"""Answer inspection, as ``forward`` uses it: one judge per answer, whole or streamed.

Built once by ``build_app``. For a request whose policy has rules judging
answers (``direction: response`` or ``both``) on an API that has answers to read,
``judge_for`` gives the answer its judge and puts an :class:`AnswerVerdict` on
the exchange for the record. Then:

* an event stream is judged as it flows (``answers/stream.py``);
* any other answer — a JSON object, Gemini's JSON-array stream, a text error
  page — is read whole, at most ``max_answer_bytes``, judged in one scan and sent
  edited, or replaced before its head by the provider's error format when a rule
  blocks it. Above ``INLINE_ANSWER_BYTES`` it is parsed, scanned, judged and
  written out again on a worker thread, so the event loop never walks a large answer.

Inspection comes before pseudonym restoration: the rules judge what the
provider wrote, and the caller's own values, put back afterwards, are never
judged as a leak of theirs (``docs/policies.md#answers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, overload

import orjson

from gateway.answers.judge import FAILED, AnswerJudge, judge_texts
from gateway.answers.readers import AnswerReader, reader_for, strings
from gateway.answers.stream import EventStreamInspector
from gateway.detect.actions import RequestEditor
from gateway.detect.transforms import Pseudonymizer
from gateway.errors import (
    AnswerBlocked,
    InspectionFailed,
    Refusal,
    UpstreamProtocolError,
)
from gateway.exchange import AnswerVerdict
from gateway.policy.fact_table import read_input
from gateway.providers.dialect import JSONPath, apply_edits, format_location
from gateway.upstream.events import progressing

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine, Finding
    from gateway.exchange import Exchange
    from gateway.policy import CompiledPolicy

__all__ = ["AnswerInspection"]

log = logging.getLogger("haetae.answers")


class AnswerInspection:
    def __init__(
        self,
        engine_for: Callable[[CompiledPolicy], DetectionEngine],
        key: bytes,
        offload_chars: int = 2_048,
        max_scan_chars: int = 1 << 20,
        max_answer_bytes: int = 16 << 20,
    ) -> None:
        self._engine_for = engine_for
        self._key = key
        self._pseudonymizer = Pseudonymizer(key)
        self._offload = offload_chars
        self._max_scan = max_scan_chars
        self._max_bytes = max_answer_bytes

    @staticmethod
    def applies(exchange: Exchange) -> bool:
        """The policy judges answers and this API has one to read."""
        endpoint = exchange.endpoint
        return (
            exchange.policy.inspects_answers
            and endpoint is not None
            and endpoint.dialect is not None
            and exchange.provider is not None
        )

    def judge_for(self, exchange: Exchange) -> AnswerJudge | None:
        if not self.applies(exchange):
            return None
        assert exchange.provider is not None
        policy = exchange.policy
        verdict = exchange.answer = AnswerVerdict()
        return AnswerJudge(
            self._engine_for(policy),
            policy,
            exchange.policy_input or read_input(exchange, exchange.provider),
            RequestEditor(self._key, self._pseudonymizer),
            exchange.language(),
            verdict,
            self._offload,
            self._max_scan,
        )

    async def read_whole(self, chunks: AsyncIterator[bytes]) -> bytes:
        """The whole answer, refused past ``max_answer_bytes`` (it is held in memory)."""
        body = bytearray()
        async for chunk in chunks:
            body += chunk
            if len(body) > self._max_bytes:
                reason = "answer_too_large"
                raise UpstreamProtocolError(
                    f"the provider's answer is larger than {self._max_bytes} bytes",
                    reason=reason,
                )
        return bytes(body)

    async def whole(self, judge: AnswerJudge, body: bytes, api: str | None = None) -> bytes:
        """``body`` as the caller may read it; raises ``AnswerBlocked`` before any byte."""
        with _fail_closed(judge):
            return await self._whole(judge, body, api)

    async def _whole(self, judge: AnswerJudge, body: bytes, api: str | None) -> bytes:
        deltas = bool(reader_for(api).deltas)
        if len(body) > INLINE_ANSWER_BYTES:
            # read, scanned, judged and written out on a thread, where its objects are
            # freed too: an answer of 200,000 short strings held the loop for 0.5 s
            out = await asyncio.to_thread(_judged_whole, judge, body, deltas)
        else:
            read = _read(body, deltas)
            if isinstance(read, list):
                out = read
            else:
                found = await judge.scan_within_budget(read.texts)
                out = _judged(judge, read, lambda _texts: found)
        if isinstance(out, bytes):
            return out
        return await self._sequence(judge, out, reader_for(api), len(body))  # events

    async def _sequence(
        self, judge: AnswerJudge, chunks: list[Any], reader: AnswerReader, size: int
    ) -> bytes:
        """A stream sent as one JSON array (Gemini without ``alt=sse``): its elements are
        judged as events, so a value cut between two chunks is caught as in SSE."""
        events = EventStreamInspector(judge, reader, size + 1)
        out: list[Any] = []
        try:
            for chunk in chunks:
                if not isinstance(chunk, dict):
                    out.append(chunk)
                    continue
                before, _ = await events.judge(chunk)
                out.extend(copy for _, copy in before)
                out.append(chunk)
            out.extend(copy for _, copy in await events.release_all())
        except AnswerBlocked:
            judge.verdict.blocked = "before_relay"
            raise
        return orjson.dumps(out)

    async def stream(
        self,
        judge: AnswerJudge,
        exchange: Exchange,
        chunks: AsyncIterator[bytes],
        max_event_bytes: int,
        idle_timeout: float,
    ) -> AsyncIterator[bytes]:
        """The event stream judged as it flows; a block ends it (``AnswerBlocked``)."""
        api = exchange.endpoint.api if exchange.endpoint is not None else None
        events = EventStreamInspector(judge, reader_for(api), max_event_bytes)
        timings = exchange.timings_ms
        timings["answer"] = 0.0
        try:
            async for chunk in progressing(chunks, events.framer, idle_timeout):
                began = time.perf_counter()
                async for out in _guarded(judge, events.feed(chunk)):
                    timings["answer"] += time.perf_counter() - began
                    yield out
                    began = time.perf_counter()
                timings["answer"] += time.perf_counter() - began
            with _fail_closed(judge):
                out = await events.flush()
            if out:
                yield out
        except AnswerBlocked:
            judge.verdict.blocked = "mid_stream"
            raise
        finally:
            timings["answer"] = round(timings["answer"] * 1000, 3)


@contextlib.contextmanager
def _fail_closed(judge: AnswerJudge) -> Iterator[None]:
    """A failure to judge withholds the answer (fail closed), as a refusal ``forward``
    sends in the provider's format; the log names the error's type and place only."""
    try:
        yield
    except Refusal:
        raise
    except Exception as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        where = f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}" if tb else "?"
        log.error("answer inspection failed error=%s at %s", type(exc).__name__, where)
        raise InspectionFailed(FAILED[judge.language]) from None


async def _guarded(judge: AnswerJudge, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    with _fail_closed(judge):
        async for out in events:
            yield out


#: a whole answer larger than this is handled on a thread: a JSON string takes at least
#: 3 bytes, and walking, placing and judging one costs a few µs, so a smaller answer
#: holds the loop for a few ms at most (its scan goes to a thread above 2,048 characters)
INLINE_ANSWER_BYTES = 4 * 1024


@dataclass
class _Read:
    """A whole answer parsed, with its strings' paths and texts, or a text that is not
    JSON (an error page), judged as one."""

    body: bytes
    document: Any
    found: list[tuple[JSONPath, str]] | None
    texts: list[str]
    locations: Sequence[str]


class _Locations(Sequence[str]):
    """The places of an answer's strings, written only when asked for: only a string with
    a finding is named (in the verdict), and most answers have none."""

    def __init__(self, found: list[tuple[JSONPath, str]]) -> None:
        self._found = found

    def __len__(self) -> int:
        return len(self._found)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[str]: ...
    def __getitem__(self, index: int | slice) -> str | Sequence[str]:
        if isinstance(index, slice):
            return [format_location(path, free_from=0) for path, _ in self._found[index]]
        return format_location(self._found[index][0], free_from=0)


def _read(body: bytes, deltas: bool) -> _Read | list[Any]:
    """The answer read, or, for a JSON array of events (``deltas``), the parsed array, to
    be judged event by event."""
    try:
        document = orjson.loads(body) if body.strip() else None
    except orjson.JSONDecodeError:
        document = None
    if isinstance(document, list) and deltas:
        return document
    if isinstance(document, (dict, list)):
        found = strings(document)
        texts = [text for _, text in found]
        return _Read(body, document, found, texts, _Locations(found))
    return _Read(body, None, None, [body.decode("utf-8", "replace")], ["(body)"])


def _judged(
    judge: AnswerJudge, read: _Read, scan: Callable[[list[str]], list[list[Finding]]]
) -> bytes:
    """The answer as the caller may read it; ``AnswerBlocked`` before any byte."""
    try:
        judged = judge_texts(judge, read.texts, read.locations, scan(read.texts))
    except AnswerBlocked:
        judge.verdict.blocked = "before_relay"
        raise
    if judged == read.texts:
        return read.body
    if read.found is None:
        return judged[0].encode()
    edits = {path: new for (path, old), new in zip(read.found, judged, strict=True) if new != old}
    apply_edits(read.document, edits)
    return orjson.dumps(read.document)


def _judged_whole(judge: AnswerJudge, body: bytes, deltas: bool) -> bytes | list[Any]:
    """``_read`` then ``_judged``, scanning here: for a thread."""
    read = _read(body, deltas)
    return read if isinstance(read, list) else _judged(judge, read, judge.scan_checked)
