"""Extract, detect, decide, transform: the stages that look inside a request."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import orjson

from gateway.detect.actions import RequestEditor
from gateway.detect.joined import JoinedViewTooLarge, view_allowance
from gateway.detect.processes import ScanProcesses
from gateway.detect.queue import ScanQueue, ScanQueueFull
from gateway.detect.transforms import Pseudonymizer
from gateway.errors import (
    BadRequest,
    InspectionBusy,
    PayloadTooLarge,
    PolicyBlock,
    UnsupportedMedia,
)
from gateway.geo import UNRESOLVED, EndpointResolver
from gateway.inline_files import (
    AttachmentScan,
    file_texts,
    read_inline_files,
    refuse_unread,
    segment_scanner,
    uneditable_attachment,
    unread_files,
)
from gateway.labels import (
    LabelScan,
    decoded_path,
    label_segments,
    masked,
    note_finding,
    own_credential,
)
from gateway.policy import refusal_message, warning_message
from gateway.policy.fact_table import read_input
from gateway.policy.hosts import upstream_host
from gateway.policy.messages import coach_note
from gateway.providers.dialect import (
    SCAN_ONLY,
    Extraction,
    JSONPath,
    Segment,
    UninspectableContent,
    apply_edits,
)
from gateway.providers.query import query_segments, rewrite_query
from gateway.providers.upload_errors import UneditableUpload, UploadProblem
from gateway.providers.upload_reader import UninspectableAttachment
from gateway.providers.upload_requests import UploadRequests
from gateway.providers.uploads import UploadDocument
from gateway.uninspectable import (
    PRESCREEN_BYTES,
    count_values,
    json_depth,
    limit_message,
    prescreen,
)

if TYPE_CHECKING:
    from gateway.attachments import AttachmentReader
    from gateway.detect import DetectionEngine, Finding
    from gateway.exchange import Exchange
    from gateway.policy import CompiledPolicy
    from gateway.providers.dialect import Dialect

__all__ = ["Decide", "Detect", "Extract", "Transform"]


class Extract:
    """Parse the body once and list every text-bearing position, query string included.

    A body over ``offload_threshold_bytes`` is parsed and walked on a worker thread:
    parsing 16 MB or listing 500,000 content parts takes seconds of CPU, which on the
    event loop every other request would wait for. ``max_depth`` refuses a document
    nested deeper than any API needs before a recursive walk could exhaust the stack;
    ``max_segments`` refuses more text positions than any real request has, and
    ``max_values`` more JSON values, counted in the bytes before parsing: the parse is
    one C call that holds the GIL, so the event loop waits for it even on a thread.
    Files sent inline (documents, images) are read by ``reader`` (``inline_files.py``);
    without one, each is uninspectable.
    """

    name = "extract"

    def __init__(
        self,
        offload_threshold_bytes: int = 2_048,
        max_depth: int = 128,
        max_segments: int = 100_000,
        max_values: int = 200_000,
        uploads: UploadRequests | None = None,
        processes: ScanProcesses | None = None,
        max_scan_chars: int | None = None,
        reader: AttachmentReader | None = None,
    ) -> None:
        self._reader = reader
        self._uploads = uploads or UploadRequests()
        self._threshold = offload_threshold_bytes
        self._max_depth = max_depth
        self._max_segments = max_segments
        self._max_values = max_values
        self._processes = processes
        self._max_chars = max_scan_chars

    async def __call__(self, exchange: Exchange) -> None:
        try:
            await self._extract(exchange)
        except UninspectableAttachment as exc:
            exchange.uploads = (exc.upload,)
            raise UnsupportedMedia(exc.message(exchange.language()), code=exc.code) from None
        except UploadProblem as exc:
            raise BadRequest(exc.message(exchange.language()), code=exc.code) from None
        except UninspectableContent as exc:
            raise BadRequest(str(exc), code="uninspectable_content") from None

    async def _extract(self, exchange: Exchange) -> None:
        endpoint = exchange.endpoint
        provider = exchange.provider
        # Without an injected key the caller's credential parameters go upstream.
        forwarded = provider is not None and provider.auth_header_value() is None
        # The URL path reaches the provider too (endpoints match on their suffix).
        query = query_segments(exchange.query, credentials_forwarded=forwarded)
        query.insert(0, _path_segment(exchange.upstream_path))
        # Every header value that goes upstream as sent, the labels the record names
        # among them (gateway/labels.py): always the last segments (Detect scans them
        # apart from the rest, remembering repeated values)
        labels = exchange.label_segments = label_segments(exchange, every=True)
        if endpoint is not None and endpoint.upload is not None:
            await self._extract_upload(exchange, query, labels)
            return
        if endpoint is None or endpoint.dialect is None:
            # A read-only listing has nothing to inspect, so it may carry nothing:
            # a body here would leave unscanned.
            if exchange.body:
                raise BadRequest("this read-only endpoint takes no request body")
            exchange.segments = query + labels
            return
        if not exchange.body:
            raise BadRequest("the request body is empty; this API expects a JSON object")
        if len(exchange.body) > self._threshold:
            if len(exchange.body) > PRESCREEN_BYTES:
                outside = sum(len(segment.text) for segment in (*query, *labels))
                await self._prescreen(exchange, endpoint.dialect, outside)
            document, found = await asyncio.to_thread(self._parse, exchange, endpoint.dialect)
        else:
            document, found = self._parse(exchange, endpoint.dialect)
        exchange.segments = found.segments
        if found.files:
            exchange.segments += await read_inline_files(exchange, found.files, self._reader)
            if len(exchange.segments) > self._max_segments:
                raise self._refusal(exchange, "segments")
        exchange.segments += query
        model = document.get("model")
        if isinstance(model, str) and model:  # structural, but free text all the same
            exchange.segments.append(Segment(("model",), model, "model"))
        exchange.segments += labels
        exchange.attachments = found.attachments
        exchange.server_references = found.server_references
        exchange.document = document
        exchange.model = endpoint.dialect.model(document, exchange.upstream_path)
        if endpoint.joins == "complete":  # where the Upload's parts meet, in body order
            windows = self._uploads.completion(document, exchange.upstream_path)
            exchange.segments[: len(found.segments)] = found.segments + windows

    async def _extract_upload(
        self, exchange: Exchange, query: list[Segment], labels: list[Segment]
    ) -> None:
        """A file upload: its body read by the endpoint's upload format, not as JSON."""
        assert exchange.endpoint is not None
        document = await self._uploads.read(
            exchange.endpoint,
            exchange.body,
            exchange.headers,
            exchange.query,
            exchange.upstream_path,
        )
        found = document.found
        segments = found.segments
        if len(segments) > self._max_segments:
            raise PayloadTooLarge(
                limit_message(exchange, "segments", self._max_segments),
                code="uninspectable_content",
            )
        exchange.segments = segments + query + labels
        exchange.attachments = found.attachments
        exchange.server_references = found.server_references
        exchange.uploads = tuple(upload.record() for upload in document.files)
        exchange.document = document

    async def _prescreen(self, exchange: Exchange, dialect: Dialect, outside: int) -> None:
        """Refuse a large body over a limit before this process parses it.

        Counting, parsing and walking megabytes are single C calls that hold the GIL for
        tens of milliseconds even on a thread (10 MB: ~30 ms), and the event loop waits
        for them; a scan worker process reads the body instead and names the limit it
        breaks. A body within every limit is then parsed here, as any other: the worker's
        reading is a verdict, never the document forwarded. ``outside``: the characters
        Detect scans besides the body's (path, query, headers), so both read one size.
        """
        processes = self._processes
        if processes is None or processes.state != "ready":
            return
        broken = await processes.call(
            prescreen,
            exchange.body,
            dialect,
            (self._max_values, self._max_depth, self._max_segments, self._max_chars),
            outside,
        )
        if broken is not None:
            raise self._refusal(exchange, broken)

    def _refusal(self, exchange: Exchange, limit: str) -> BadRequest | PayloadTooLarge:
        if limit == "depth":
            return BadRequest(
                limit_message(exchange, "depth", self._max_depth), code="uninspectable_content"
            )
        value = {"values": self._max_values, "segments": self._max_segments}.get(limit)
        return PayloadTooLarge(
            limit_message(exchange, limit, value if value is not None else self._max_chars or 0),
            code="uninspectable_content",
        )

    def _parse(self, exchange: Exchange, dialect: Dialect) -> tuple[dict[str, Any], Extraction]:
        """The document and its text positions, within the depth and segment limits."""
        body = exchange.body
        if count_values(body) > self._max_values:
            raise self._refusal(exchange, "values")
        try:
            document = orjson.loads(exchange.body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(
                f"the request body is not valid JSON (at character {exc.pos})"
            ) from None
        if not isinstance(document, dict):
            raise BadRequest("the request body must be a JSON object")
        if json_depth(document, self._max_depth) > self._max_depth:
            raise self._refusal(exchange, "depth")
        found = dialect.extract(document)
        if len(found.segments) > self._max_segments:
            raise self._refusal(exchange, "segments")
        return document, found


class Detect:
    """Scan every segment; large requests are scanned off the event loop.

    ``engine`` is one engine, or a function giving the engine built for the
    policy a request is judged by (policies can be swapped while serving).
    Above ``offload_threshold_chars`` a scan runs in a worker process (``processes``;
    None: on a thread), at most ``max_concurrent_scans`` at once, the smallest
    waiting scan first, the waiting ones holding at most ``max_queued_scan_chars``
    characters (``detect/queue.py``).
    """

    name = "detect"

    def __init__(
        self,
        engine: DetectionEngine | Callable[[CompiledPolicy], DetectionEngine],
        offload_threshold_chars: int,
        labels: LabelScan | None = None,
        max_scan_chars: int = 1024 * 1024,
        scan_timeout: float = 10.0,
        max_concurrent_scans: int = 2,
        max_queued_scan_chars: int = 8 * 1024 * 1024,
        processes: ScanProcesses | None = None,
        files: AttachmentScan | None = None,
    ) -> None:
        self._files = files or AttachmentScan(os.urandom(32))
        self._engine_for = engine if callable(engine) else lambda _policy: engine
        self._threshold = offload_threshold_chars
        self._labels = labels or LabelScan(engine)
        self._max_chars = max_scan_chars
        self._timeout = scan_timeout
        self._queue = ScanQueue(max_concurrent_scans, max_queued_scan_chars)
        self._processes = processes or ScanProcesses(0)

    async def __call__(self, exchange: Exchange) -> None:
        if not exchange.segments:
            exchange.scanned = True
            return
        engine = self._engine_for(exchange.policy)
        texts = [segment.text for segment in exchange.segments]
        labels = len(exchange.label_segments)  # the last segments, scanned on their own
        body = texts[: len(texts) - labels] if labels else texts
        # The scan budget, in characters: deterministic, and it bounds the work, since
        # every view the scanner builds (normalized, regrouped, decoded) is at most a
        # small multiple of its text. What is over it is refused, never forwarded unread.
        size = sum(map(len, texts))
        if size > self._max_chars:
            raise PayloadTooLarge(
                limit_message(exchange, "scan", self._max_chars), code="uninspectable_content"
            )
        # the body's places come first, in document order, and are read joined too (a
        # value split across two messages); the URL path, query and model follow them.
        # The joined view spends what is left of the budget, at most half the request
        # (detect/joined.py: view_allowance).
        places = next(
            (i for i, s in enumerate(exchange.segments) if s.form == "url" and not s.path),
            len(body),
        )
        budget = min(self._max_chars - size, view_allowance(size))
        files = file_texts(exchange.segments, len(body))
        if files:
            # files' text is scanned file by file, through the findings cache, on a
            # thread of this process (the cache lives here), after what other
            # replicas scanned already is fetched
            scan = segment_scanner(engine, self._files, exchange, places, budget)
            version = exchange.policy.version
            await self._files.prefetch(
                [self._files.key(version, [texts[i] for i in group]) for group in files.values()]
            )
        else:
            scan = functools.partial(engine.scan_segments, places=places, max_view_chars=budget)
        try:
            if size > self._threshold or len(texts) > _INLINE_SEGMENTS:
                in_process = None
                if not files and self._processes.ready(engine):
                    in_process = functools.partial(
                        self._processes.scan, engine, body, places, budget
                    )
                findings = await self._off_loop(exchange, size, scan, body, in_process=in_process)
            else:
                findings = scan(body)
        except JoinedViewTooLarge:
            raise PayloadTooLarge(
                limit_message(exchange, "split", self._max_chars), code="uninspectable_content"
            ) from None
        if files:
            await self._files.publish()  # for the other replicas (sealed; only with Redis)
        if labels:
            scan_labels = self._labels.findings
            label_texts = texts[-labels:]
            if sum(map(len, label_texts)) > self._threshold:  # a header of invented size
                findings += await self._off_loop(
                    exchange, len(label_texts), scan_labels, engine, label_texts
                )
            else:
                findings += scan_labels(engine, label_texts)
        if len(texts) > _INLINE_SEGMENTS:  # a Python loop per segment: off the loop too
            await asyncio.to_thread(self._settle, exchange, texts, findings)
        else:
            self._settle(exchange, texts, findings)

    def _settle(self, exchange: Exchange, texts: list[str], findings: list[list[Finding]]) -> None:
        """Findings by place (labels, the model, the path), then screened by the policy."""
        path_found: list[str] = []
        for index, segment in enumerate(exchange.segments):
            found = findings[index]
            if not found:
                continue
            if segment.form == "credential":  # the caller's own provider key is no finding
                findings[index] = [f for f in found if not f.entity_type.startswith("SECRET_")]
            elif segment.form == "model":
                # the audit record and spans carry the model: never with what was found
                exchange.audit_model = masked(segment.text, found)
            elif segment.form == "url" and not segment.path:
                path = _decoded_path(exchange.upstream_path)  # as sent, slashes and all
                exchange.audit_path = masked(path, found)
                path_found = [path[f.start : f.end] for f in found]
            elif segment.form == "header":
                family = exchange.provider.family if exchange.provider else None
                found = findings[index] = own_credential(family, segment, found)
                note_finding(exchange, segment, found)
        if path_found and exchange.model and exchange.audit_model is None:
            # a model named in the path (Gemini) is recorded without what was found there
            model = unquote(exchange.model)
            if any(value in model for value in path_found):
                for value in sorted(path_found, key=len, reverse=True):
                    model = model.replace(value, "<redacted>")
                exchange.audit_model = model
        exchange.scanned = True
        # thresholds and allow-lists: what does not count is dropped here, unreported
        screened = exchange.policy.screen(texts, findings)
        exchange.findings = screened.findings
        exchange.entity_counts = screened.counts
        exchange.entity_scores = screened.scores or {}

    async def _off_loop(
        self,
        exchange: Exchange,
        size: int,
        scan: Callable[..., list[list[Finding]]],
        *args: Any,
        in_process: Callable[[], Awaitable[list[list[Finding]]]] | None = None,
    ) -> list[list[Finding]]:
        """Run ``in_process()``, else ``scan(*args)`` on a thread; past the backstop, refuse.

        The character budget already bounds the work; the deadline is for what it cannot
        foresee (a pattern that backtracks on a shape no test tried). A running scan is
        not stopped: past its deadline it finishes on its own and keeps its slot until
        then, so abandoned scans never outnumber ``max_concurrent_scans`` either; the
        request itself is answered at once and never forwarded. With every slot taken
        and the queue full, the request is refused at once (503).
        """
        deadline = asyncio.get_running_loop().time() + self._timeout
        try:
            async with asyncio.timeout_at(deadline):
                await self._queue.acquire(size)
        except TimeoutError:
            raise self._too_slow(exchange) from None
        except ScanQueueFull:
            raise InspectionBusy(limit_message(exchange, "busy", self._queue.waiting)) from None
        work = in_process() if in_process is not None else asyncio.to_thread(scan, *args)
        task = asyncio.ensure_future(work)
        task.add_done_callback(self._release)
        try:
            async with asyncio.timeout_at(deadline):
                return await asyncio.shield(task)
        except TimeoutError:
            raise self._too_slow(exchange) from None

    def _release(self, task: asyncio.Future[list[list[Finding]]]) -> None:
        self._queue.release()
        if not task.cancelled():
            task.exception()  # retrieved: an abandoned scan's error is not logged as lost

    def _too_slow(self, exchange: Exchange) -> PayloadTooLarge:
        return PayloadTooLarge(
            limit_message(exchange, "time", self._timeout), code="uninspectable_content"
        )


class Decide:
    """Apply the policy; a block is raised here, so nothing later runs."""

    name = "decide"

    def __init__(self, resolver: EndpointResolver | None = None) -> None:
        self._resolver = resolver or EndpointResolver()

    async def __call__(self, exchange: Exchange) -> None:
        provider, endpoint, policy = exchange.provider, exchange.endpoint, exchange.policy
        assert provider is not None and endpoint is not None
        if policy.needs_endpoint_country:
            host = upstream_host(provider.base_url)
            countries = await self._resolver.countries(host) if host else (UNRESOLVED,)
            exchange.endpoint_country = ",".join(countries)
        request = read_input(exchange, provider)
        decision = policy.decide(request)
        exchange.decision = decision
        refuse_unread(exchange, request, decision)  # files it could not read: fail closed
        if decision.action == "block" or decision.warning_rules:
            language = exchange.language()
            if decision.action == "block":
                message = refusal_message(
                    policy, decision, exchange.entity_counts, language, request
                )
                if isinstance(exchange.document, UploadDocument):
                    message += exchange.document.where(
                        exchange.segments, exchange.findings, language
                    )
                unread = unread_files(exchange, language)  # which files, and why
                raise PolicyBlock(
                    f"{message} / {unread}" if unread else message,
                    rule_ids=list(decision.rule_ids) or ["default"],
                    code="uninspectable_attachment" if unread else None,
                )
            exchange.warning = warning_message(policy, decision, language)
        if decision.edits or decision.warning_rules:
            exchange.notice = coach_note(policy, decision, exchange.language())


class Transform:
    """Write the policy's edits back into the body; the body forwarded is the one scanned."""

    name = "transform"

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._pseudonymizer = Pseudonymizer(key)

    async def __call__(self, exchange: Exchange) -> None:
        decision = exchange.decision
        if decision is None or not decision.edits:
            exchange.outgoing_body = _as_scanned(exchange)
            return
        if len(exchange.segments) > _INLINE_SEGMENTS:  # a Python loop per segment
            await asyncio.to_thread(self._edit, exchange)
        else:
            self._edit(exchange)

    def _edit(self, exchange: Exchange) -> None:
        decision = exchange.decision
        assert decision is not None
        actions = decision.edits
        editor = RequestEditor(self._key, self._pseudonymizer)
        edits: dict[JSONPath, str] = {}
        # exchange.findings holds only findings that count (Detect screened them)
        query_edits: dict[int, str] = {}
        header_edits: dict[int, bytes] = {}
        for segment, findings in zip(exchange.segments, exchange.findings, strict=True):
            hits = [f for f in findings if f.entity_type in actions]
            if not hits:
                continue
            if segment.form in SCAN_ONLY:  # cannot be rewritten: refuse, never forward
                language = exchange.language()
                if segment.form == "attachment":
                    message = uneditable_attachment(exchange, segment, hits, language)
                else:
                    message = _uneditable(segment, hits, language)
                raise BadRequest(message, code="uneditable_content")
            edited = editor.edit(segment.text, hits, actions)
            if segment.form in ("query", "credential"):
                query_edits[int(segment.path[1])] = edited
            elif segment.form == "header":
                header_edits[int(segment.path[1])] = _header_value(segment, hits, edited)
            else:
                edits[segment.path] = segment.encode(edited)
        if header_edits:
            exchange.headers = [
                (name, header_edits.get(index, value))
                for index, (name, value) in enumerate(exchange.headers)
            ]
        if isinstance(exchange.document, UploadDocument):
            try:
                exchange.outgoing_body = exchange.document.render(edits)
            except UneditableUpload as exc:
                raise BadRequest(exc.message(exchange.language()), code=exc.code) from None
        elif edits:
            apply_edits(exchange.document, edits)
            exchange.outgoing_body = orjson.dumps(exchange.document)
        else:
            exchange.outgoing_body = _as_scanned(exchange)
        if query_edits:
            exchange.outgoing_query = rewrite_query(exchange.query, query_edits)
        exchange.restore_mapping = editor.restore_mapping


def _as_scanned(exchange: Exchange) -> bytes:
    """The body as it was scanned: the parsed document, written out again.

    Forwarding the received bytes would forward what a different parser might read
    differently: with a key given twice, the parser here keeps the last copy and a
    provider may keep the first, which was never scanned. Re-serialising costs ~2 µs
    per KB; a body without a document (a listing) is forwarded as received.
    """
    if exchange.document is None:
        return exchange.body
    if isinstance(exchange.document, UploadDocument):
        return exchange.document.render({})
    return orjson.dumps(exchange.document)


#: each scan-only place, named for the caller in English and Korean
_SCAN_ONLY_PLACES = {
    "key": ("a JSON object key", "JSON 객체 키"),
    "url": ("the URL", "URL"),
    "model": ("the model name", "모델 이름"),
    "fixed": (
        "a value the provider defines or checks (a name, id, setting or signed state)",
        "제공자가 정의하거나 검증하는 값(이름, ID, 설정 또는 서명된 상태)",
    ),
}


def _uneditable(segment: Segment, hits: list[Finding], language: str = "en") -> str:
    """Where the policy would edit but cannot, with the entity types: never the value."""
    entities = ", ".join(sorted({f.entity_type for f in hits}))
    english, korean = _SCAN_ONLY_PLACES[segment.form]
    if language == "ko":
        return (
            f"{korean}({segment.location})에 정책이 편집해야 하는 {entities}이(가) 있지만 "
            "그 자리에서 편집할 수 없어 요청을 전달하지 않았습니다. 값을 텍스트 필드로 옮기세요."
        )
    return (
        f"{english} ({segment.location}) holds {entities}, which the "
        "policy would edit but which cannot be edited in place, so the request was not "
        "forwarded; move the value into a text field"
    )


def _header_value(segment: Segment, hits: list[Finding], edited: str) -> bytes:
    """An edited header label as header bytes; one that cannot be a header value refuses."""
    value = edited.encode("utf-8", "surrogateescape")
    if any(byte < 0x20 or byte == 0x7F for byte in value):
        entities = ", ".join(sorted({f.entity_type for f in hits}))
        raise BadRequest(
            f"a request header ({segment.location}) holds {entities}, which the policy would "
            "edit but whose edited value cannot be sent as a header, so the request was not "
            "forwarded",
            code="uneditable_content",
        )
    return value


#: Above this many segments a request is scanned off the loop whatever its size, and its
#: findings are screened and its edits written there too: the per-segment work around the
#: scan (joining, mapping findings back, the policy's screen: ~85 ms for 60,000) adds up.
_INLINE_SEGMENTS = 2_000


def _path_segment(path: str) -> Segment:
    """The upstream URL path, percent-decoded, as one scan-only segment.

    Its slashes are scanned as spaces (offsets unchanged): no identifier spans a path
    separator, and a slash-separated text sends the scanner through its URL views,
    which cost ~35 µs a request for nothing.
    """
    return Segment((), _decoded_path(path).replace("/", " "), "url")


def _decoded_path(path: str) -> str:
    decoded = decoded_path(path)
    if decoded is None:
        raise UninspectableContent("the URL path is not UTF-8 text")
    return decoded
