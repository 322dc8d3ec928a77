"""Extract: parse the body once and list every text-bearing position, query string included."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import orjson

from gateway.errors import BadRequest, PayloadTooLarge, UnsupportedMedia
from gateway.inline_files import read_inline_files
from gateway.labels import label_segments, upstream_path_text
from gateway.large_bodies import LARGE_BODY_BYTES, Piece, assemble
from gateway.providers.dialect import Extraction, Segment, UninspectableContent
from gateway.providers.query import query_segments
from gateway.providers.upload_errors import UploadProblem
from gateway.providers.upload_reader import UninspectableAttachment
from gateway.providers.upload_requests import UploadRequests
from gateway.uninspectable import (
    count_containers,
    count_values,
    json_depth,
    limit_message,
    read_large,
)

if TYPE_CHECKING:
    from gateway.attachments import AttachmentReader
    from gateway.detect.processes import ScanProcesses
    from gateway.exchange import Exchange
    from gateway.providers.dialect import Dialect

__all__ = ["Extract"]

#: what a scan worker made of a large body: None, not screened; else its pieces (empty
#: when it is not a JSON object the dialect reads)
Screened = list[Piece] | None


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
            screened: Screened = None
            if len(exchange.body) > LARGE_BODY_BYTES:
                outside = sum(len(segment.text) for segment in (*query, *labels))
                screened = await self._prescreen(exchange, endpoint.dialect, outside)
            document, found = await asyncio.to_thread(
                self._parse, exchange, endpoint.dialect, screened
            )
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

    async def _prescreen(self, exchange: Exchange, dialect: Dialect, outside: int) -> Screened:
        """Refuse a large body over a limit before this process parses it; its pieces.

        Counting, parsing and walking megabytes are single C calls that hold the GIL for
        tens of milliseconds even on a thread (10 MB: ~30 ms), and the event loop waits
        for them; a scan worker process reads the body instead and names the limit it
        breaks. For a body within every limit it sends the document back in pieces of at
        most 256 KB of JSON (``large_bodies.split_document``), which ``_parse`` assembles
        a bounded parse at a time. ``outside``: the characters Detect scans besides the
        body's (path, query, headers), so both read one size. None: not screened (the
        workers are not ready); ``[]``: screened, but not a JSON object the dialect
        reads, so ``_parse`` answers with the exact error.
        """
        processes = self._processes
        if processes is None or processes.state != "ready":
            return None
        broken, pieces = await processes.call(
            read_large,
            exchange.body,
            dialect,
            (self._max_values, self._max_depth, self._max_segments, self._max_chars),
            outside,
        )
        if broken is not None:
            raise self._refusal(exchange, broken)
        return pieces if pieces is not None else []

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

    def _parse(
        self, exchange: Exchange, dialect: Dialect, screened: Screened = None
    ) -> tuple[dict[str, Any], Extraction]:
        """The document and its text positions, within the depth and segment limits.

        ``screened``: a scan worker counted the values and measured the depth of these
        very bytes already (``_prescreen``), so neither pass runs here again; with
        pieces, the document is assembled from them (the parse the worker made).
        """
        if screened:
            document = assemble(screened)
            return document, self._positions(exchange, dialect, document)
        body = exchange.body
        # every value counted is one byte of the body: a body no longer than the limit
        # cannot pass it, and most are far shorter (three passes over it spared)
        if (
            screened is None
            and len(body) > self._max_values
            and count_values(body) > self._max_values
        ):
            raise self._refusal(exchange, "values")
        try:
            document = orjson.loads(exchange.body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(
                f"the request body is not valid JSON (at character {exc.pos})"
            ) from None
        if not isinstance(document, dict):
            raise BadRequest("the request body must be a JSON object")
        if screened is None and self._may_be_too_deep(body, document):
            raise self._refusal(exchange, "depth")
        return document, self._positions(exchange, dialect, document)

    def _may_be_too_deep(self, body: bytes, document: dict[str, Any]) -> bool:
        """Deeper than ``max_depth``; measured only when the body has more brackets than
        that (every nesting level opens one): a short C count spares most requests the walk."""
        limit = self._max_depth
        return (
            len(body) > limit
            and count_containers(body) > limit
            and json_depth(document, limit) > limit
        )

    def _positions(
        self, exchange: Exchange, dialect: Dialect, document: dict[str, Any]
    ) -> Extraction:
        found = dialect.extract(document)
        if len(found.segments) > self._max_segments:
            raise self._refusal(exchange, "segments")
        return found


def _path_segment(path: str) -> Segment:
    """The upstream URL path, percent-decoded, as one scan-only segment.

    Its slashes are scanned as spaces (offsets unchanged): no identifier spans a path
    separator, and a slash-separated text sends the scanner through its URL views,
    which cost ~35 µs a request for nothing.
    """
    return Segment((), upstream_path_text(path).replace("/", " "), "url")
