"""Extract, detect, decide, transform: the stages that look inside a request."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson

from gateway.detect.actions import RequestEditor
from gateway.detect.transforms import Pseudonymizer
from gateway.errors import BadRequest, PolicyBlock
from gateway.geo import UNRESOLVED, EndpointResolver
from gateway.policy import PolicyInput, refusal_message, warning_message
from gateway.policy.hosts import upstream_host
from gateway.policy.messages import choose_language
from gateway.providers.dialect import JSONPath, UninspectableContent, apply_edits
from gateway.providers.query import query_segments, rewrite_query

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine
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
        query = query_segments(exchange.query)
        if endpoint is None or endpoint.dialect is None:
            # A read-only listing has nothing to inspect, so it may carry nothing:
            # a body here would leave unscanned.
            if exchange.body:
                raise BadRequest("this read-only endpoint takes no request body")
            exchange.segments = query
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
    ) -> None:
        self._engine_for = engine if callable(engine) else lambda _policy: engine
        self._threshold = offload_threshold_chars

    async def __call__(self, exchange: Exchange) -> None:
        if not exchange.segments:
            return
        engine = self._engine_for(exchange.policy)
        texts = [segment.text for segment in exchange.segments]
        if sum(map(len, texts)) > self._threshold:
            findings = await asyncio.to_thread(engine.scan_segments, texts)
        else:
            findings = engine.scan_segments(texts)
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
        host = upstream_host(provider.base_url)
        countries: tuple[str, ...] = ()
        if policy.needs_endpoint_country:
            countries = await self._resolver.countries(host) if host else (UNRESOLVED,)
            exchange.endpoint_country = ",".join(countries)
        decision = policy.decide(
            PolicyInput(
                provider=provider.id,
                provider_jurisdiction=provider.entry.jurisdiction,
                provider_parent_jurisdiction=provider.entry.parent_jurisdiction,
                api=endpoint.api,
                model=exchange.model,
                entity_counts=exchange.entity_counts,
                entity_scores=exchange.entity_scores,
                provider_regions=tuple(provider.entry.regions),
                host=host,
                endpoint_countries=countries,
                subject=exchange.subject,
                prompt_chars=sum(len(segment.text) for segment in exchange.segments),
                attachments=exchange.attachments,
                server_references=exchange.server_references,
            )
        )
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
    """Write the policy's edits back into the body; an untouched body is forwarded as received."""

    name = "transform"

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._pseudonymizer = Pseudonymizer(key)

    async def __call__(self, exchange: Exchange) -> None:
        decision = exchange.decision
        if decision is None or not decision.edits:
            exchange.outgoing_body = exchange.body
            return
        actions = decision.edits
        editor = RequestEditor(self._key, self._pseudonymizer)
        edits: dict[JSONPath, str] = {}
        # exchange.findings holds only findings that count (Detect screened them)
        query_edits: dict[int, str] = {}
        for segment, findings in zip(exchange.segments, exchange.findings, strict=True):
            hits = [f for f in findings if f.entity_type in actions]
            if not hits:
                continue
            edited = editor.edit(segment.text, hits, actions)
            if segment.form == "query":
                query_edits[int(segment.path[1])] = edited
            else:
                edits[segment.path] = segment.encode(edited)
        if edits:
            apply_edits(exchange.document, edits)
            exchange.outgoing_body = orjson.dumps(exchange.document)
        else:
            exchange.outgoing_body = exchange.body
        if query_edits:
            exchange.outgoing_query = rewrite_query(exchange.query, query_edits)
        exchange.restore_mapping = editor.restore_mapping
