"""Detect and decide: scan every segment, then judge the request by the policy."""

from __future__ import annotations

import asyncio
import functools
import os
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from gateway.detect.joined import JoinedViewTooLarge, view_allowance
from gateway.detect.processes import ScanProcesses
from gateway.detect.queue import ScanQueue, ScanQueueFull
from gateway.errors import InspectionBusy, PayloadTooLarge, PolicyBlock
from gateway.geo import UNRESOLVED, EndpointResolver
from gateway.inline_files import (
    AttachmentScan,
    file_texts,
    refuse_unread,
    segment_scanner,
    unread_files,
)
from gateway.labels import LabelScan, masked, note_finding, own_credential, upstream_path_text
from gateway.large_bodies import INLINE_SEGMENTS
from gateway.policy import refusal_message, warning_message
from gateway.policy.fact_table import read_input
from gateway.policy.hosts import upstream_host
from gateway.policy.messages import coach_note
from gateway.providers.uploads import UploadDocument
from gateway.uninspectable import limit_message

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine, Finding
    from gateway.exchange import Exchange
    from gateway.policy import CompiledPolicy

__all__ = ["Decide", "Detect"]


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
            if size > self._threshold or len(texts) > INLINE_SEGMENTS:
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
        if len(texts) > INLINE_SEGMENTS:  # a Python loop per segment: off the loop too
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
                path = upstream_path_text(exchange.upstream_path)  # as sent, slashes and all
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
        request = exchange.policy_input = read_input(exchange, provider)
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
