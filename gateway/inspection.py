"""Extract, detect, decide, transform: the stages that look inside a request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import unquote

import orjson

from gateway.detect.actions import RequestEditor
from gateway.detect.transforms import Pseudonymizer
from gateway.errors import BadRequest, PolicyBlock
from gateway.geo import UNRESOLVED, EndpointResolver
from gateway.labels import LabelScan, decoded_path, label_segments, masked, note_finding
from gateway.policy import refusal_message, warning_message
from gateway.policy.fact_table import read_input
from gateway.policy.hosts import upstream_host
from gateway.policy.messages import choose_language
from gateway.providers.dialect import (
    SCAN_ONLY,
    JSONPath,
    Segment,
    UninspectableContent,
    apply_edits,
)
from gateway.providers.query import query_segments, rewrite_query

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine, Finding
    from gateway.exchange import Exchange
    from gateway.policy import CompiledPolicy

__all__ = ["Decide", "Detect", "Extract", "Transform"]


class Extract:
    """Parse the body once and list every text-bearing position, query string included."""

    name = "extract"

    async def __call__(self, exchange: Exchange) -> None:
        try:
            await self._extract(exchange)
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
        # The client application's headers: labels the record names (gateway/labels.py),
        # always the last segments (Detect scans them apart from the rest)
        labels = exchange.label_segments = label_segments(exchange)
        if endpoint is None or endpoint.dialect is None:
            # A read-only listing has nothing to inspect, so it may carry nothing:
            # a body here would leave unscanned.
            if exchange.body:
                raise BadRequest("this read-only endpoint takes no request body")
            exchange.segments = query + labels
            return
        if not exchange.body:
            raise BadRequest("the request body is empty; this API expects a JSON object")
        try:
            document = orjson.loads(exchange.body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(
                f"the request body is not valid JSON (at character {exc.pos})"
            ) from None
        if not isinstance(document, dict):
            raise BadRequest("the request body must be a JSON object")
        found = endpoint.dialect.extract(document)
        exchange.segments = found.segments + query
        model = document.get("model")
        if isinstance(model, str) and model:  # structural, but free text all the same
            exchange.segments.append(Segment(("model",), model, "model"))
        exchange.segments += labels
        exchange.attachments = found.attachments
        exchange.server_references = found.server_references
        exchange.document = document
        exchange.model = endpoint.dialect.model(document, exchange.upstream_path)


class Detect:
    """Scan every segment; large requests are scanned off the event loop.

    ``engine`` is one engine, or a function giving the engine built for the
    policy a request is judged by (policies can be swapped while serving).
    """

    name = "detect"

    def __init__(
        self,
        engine: DetectionEngine | Callable[[CompiledPolicy], DetectionEngine],
        offload_threshold_chars: int,
        labels: LabelScan | None = None,
    ) -> None:
        self._engine_for = engine if callable(engine) else lambda _policy: engine
        self._threshold = offload_threshold_chars
        self._labels = labels or LabelScan(engine)

    async def __call__(self, exchange: Exchange) -> None:
        if not exchange.segments:
            exchange.scanned = True
            return
        engine = self._engine_for(exchange.policy)
        texts = [segment.text for segment in exchange.segments]
        labels = len(exchange.label_segments)  # the last segments, scanned on their own
        body = texts[: len(texts) - labels] if labels else texts
        # the body's places come first, in document order, and are read joined too (a
        # value split across two messages); the URL path, query and model follow them
        places = next(
            (i for i, s in enumerate(exchange.segments) if s.form == "url" and not s.path),
            len(body),
        )
        if sum(map(len, body)) > self._threshold:
            findings = await asyncio.to_thread(engine.scan_segments, body, None, True, places)
        else:
            findings = engine.scan_segments(body, places=places)
        if labels:
            scan_labels = self._labels.findings
            label_texts = texts[-labels:]
            if sum(map(len, label_texts)) > self._threshold:  # a header of invented size
                findings += await asyncio.to_thread(scan_labels, engine, label_texts)
            else:
                findings += scan_labels(engine, label_texts)
        segments = exchange.segments
        path_found: list[str] = []
        for index, segment in enumerate(segments):
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
        decision = policy.decide(read_input(exchange, provider))
        exchange.decision = decision
        if decision.action == "block" or decision.warning_rules:
            accept = exchange.header(b"accept-language")
            language = choose_language(
                accept.decode("latin-1") if accept else None, policy.document.default_language
            )
            if decision.action == "block":
                message = refusal_message(policy, decision, exchange.entity_counts, language)
                raise PolicyBlock(message, rule_ids=list(decision.rule_ids) or ["default"])
            exchange.warning = warning_message(policy, decision, language)


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
        actions = decision.edits
        editor = RequestEditor(self._key, self._pseudonymizer)
        edits: dict[JSONPath, str] = {}
        # exchange.findings holds only findings that count (Detect screened them)
        query_edits: dict[int, str] = {}
        header_edits: dict[bytes, bytes] = {}
        for segment, findings in zip(exchange.segments, exchange.findings, strict=True):
            hits = [f for f in findings if f.entity_type in actions]
            if not hits:
                continue
            if segment.form in SCAN_ONLY:  # cannot be rewritten: refuse, never forward
                raise BadRequest(_uneditable(segment, hits), code="uneditable_content")
            edited = editor.edit(segment.text, hits, actions)
            if segment.form in ("query", "credential"):
                query_edits[int(segment.path[1])] = edited
            elif segment.form == "header":
                header_edits[str(segment.path[0]).encode("latin-1")] = _header_value(
                    segment, hits, edited
                )
            else:
                edits[segment.path] = segment.encode(edited)
        if header_edits:
            exchange.headers = [
                (name, header_edits.get(name, value)) for name, value in exchange.headers
            ]
        if edits:
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
    return orjson.dumps(exchange.document)


_SCAN_ONLY_PLACES = {
    "key": "a JSON object key",
    "url": "the URL",
    "model": "the model name",
}


def _uneditable(segment: Segment, hits: list[Finding]) -> str:
    entities = ", ".join(sorted({f.entity_type for f in hits}))
    return (
        f"{_SCAN_ONLY_PLACES[segment.form]} ({segment.location}) holds {entities}, which the "
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
