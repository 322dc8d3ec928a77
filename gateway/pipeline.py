"""The request path, in order.

    identify → route → admit → read body → extract → detect → decide → limits
      → transform → forward → record

Each stage is a small object with one async ``__call__(exchange)``; they share
only the ``Exchange``. A stage refuses a request by raising a ``Refusal``, and
then no later stage runs: in particular nothing is forwarded. Any other
exception before forwarding is a failure to inspect, and the request is refused
too (fail closed). A refusal leaves one audit record, durable before the
refusal is sent. A forwarded request leaves two (``gateway/audit/phases.py``):
its opening, durable before the first byte goes upstream (if neither store nor
spool can take it, the request is refused with 503 instead), and a completion
with the status and token usage when the answer ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.audit import AuditRecord, AuditStore
from gateway.audit.build import AuditKeys, answer_findings, answer_judgement, build_record
from gateway.audit.phases import completion, mark_opening
from gateway.audit.usage import UsageMeter
from gateway.client_tls import client_certificate
from gateway.errors import AuditUnavailable, InspectionFailed, Refusal
from gateway.exchange import Exchange, Stage, elapsed_ms, new_request_id
from gateway.forward import ClientGone, Forward, StreamAborted
from gateway.labels import LabelScan
from gateway.limits.enforce import Limits
from gateway.limits.prices import Cost, PriceTable
from gateway.policy.messages import warning_header
from gateway.responses import send_refusal
from gateway.telemetry.logs import bind_request_id
from gateway.trailers import request_trailers

if TYPE_CHECKING:
    from gateway.policy import CompiledPolicy
    from gateway.types import Receive, Scope, Send

__all__ = ["Pipeline", "Stage", "Unanswered"]

log = logging.getLogger("haetae.pipeline")


@dataclass(frozen=True, slots=True)
class Unanswered:
    """Where requests go when their answers never come back through Haetae.

    ``let_go`` hands the request on (an ICAP REQMOD answered, the proxy sends it);
    ``why`` is what its record says instead of an answer's status (its status and code).
    """

    let_go: Callable[[Exchange], None]
    why: type[Refusal]


class Pipeline:
    def __init__(
        self,
        stages: Sequence[Stage],
        forward: Forward,
        audit: AuditStore,
        current_policy: Callable[[], CompiledPolicy],
        audit_keys: AuditKeys | None = None,
        labels: LabelScan | None = None,
        limits: Limits | None = None,
        prices: PriceTable | None = None,
        unanswered: Unanswered | None = None,
    ) -> None:
        self._unanswered = unanswered
        self._limits = limits
        self._prices = prices
        self._audit_keys = audit_keys
        self._labels = labels
        self._stages = tuple(stages)
        self._forward = forward
        self._audit = audit
        self._current_policy = current_policy

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        exchange = Exchange(
            request_id=new_request_id(),
            method=scope["method"],
            path=scope.get("raw_path", b"").decode("latin-1") or scope["path"],
            query=scope.get("query_string", b""),
            headers=list(scope["headers"]),
            client_address=client[0] if client else None,
            receive=receive,
            policy=self._current_policy(),
            trailers=request_trailers(scope),
            scheme=scope.get("scheme", "http"),
            client_certificate=client_certificate(scope),
        )
        bind_request_id(exchange.request_id)
        try:
            if not self._audit.healthy:
                raise _audit_unavailable(exchange)
            for stage in self._stages:
                began = time.perf_counter()
                await stage(exchange)
                exchange.timings_ms[stage.name] = elapsed_ms(began)
        except Refusal as refusal:
            await self._refuse(exchange, refusal, send)
            return
        except Exception as exc:
            # Not the message: it may quote the request. The type and place suffice.
            log.error(
                "inspection failed request_id=%s error=%s at %s",
                exchange.request_id,
                type(exc).__name__,
                _where(exc),
            )
            failure = InspectionFailed(
                "Haetae could not inspect this request, so it was not forwarded "
                f"(fail closed). Request id: {exchange.request_id}"
            )
            await self._refuse(exchange, failure, send, error=type(exc).__name__)
            return
        await self._forward_and_record(exchange, send)

    async def _refuse(
        self, exchange: Exchange, refusal: Refusal, send: Send, error: str | None = None
    ) -> None:
        decided = refusal.decision in ("block", "limited")  # by a rule or a limit: no error
        error = error or (None if decided else refusal.code)
        rule_ids = list(refusal.rule_ids) if refusal.rule_ids else None
        record = self._record(exchange, refusal.decision, refusal.status, error, rule_ids=rule_ids)
        self._audit.append(record)
        try:
            await self._audit.flush()
        except Exception as exc:  # the refusal still goes out; it leaks nothing
            log.error("audit flush failed before a refusal: %s", type(exc).__name__)
        await self._send_refusal(exchange, refusal, refusal.decision, send)

    async def _send_refusal(
        self, exchange: Exchange, refusal: Refusal, decision: str, send: Send
    ) -> None:
        headers = self._gateway_headers(exchange, decision) + refusal.headers
        await send_refusal(
            send, exchange.family, refusal.status, refusal.code, refusal.message, headers
        )

    async def _forward_and_record(self, exchange: Exchange, send: Send) -> None:
        decision = exchange.decision.action if exchange.decision else "allow"
        if self._unanswered is not None:
            await self._let_go(exchange, decision, self._unanswered, send)
            return
        opening = mark_opening(self._record(exchange, decision, None, None))
        self._audit.append(opening)
        try:
            await self._audit.flush(leaving=True)  # journaled, or one group commit
        except asyncio.CancelledError:  # the server gave up on the request: close it too
            self._complete(opening, exchange, None, "client_disconnected")
            raise
        except Exception as exc:
            log.error("audit flush failed before forwarding: %s", type(exc).__name__)
            refusal = _audit_unavailable(exchange)
            self._complete(opening, exchange, refusal.status, refusal.code)
            await self._send_refusal(exchange, refusal, refusal.decision, send)
            return
        began = time.perf_counter()
        try:
            response = await self._forward.open(exchange)
        except Refusal as refusal:  # upstream unreachable or timed out
            exchange.timings_ms["upstream"] = elapsed_ms(began)
            self._complete(opening, exchange, refusal.status, refusal.code)
            await self._send_refusal(exchange, refusal, decision, send)
            return
        exchange.upstream_status = response.status_code
        exchange.timings_ms["upstream_head"] = elapsed_ms(began)
        response = meter = UsageMeter(response)
        error = None
        status = response.status_code
        try:
            await self._forward.relay(
                exchange, response, send, self._gateway_headers(exchange, decision)
            )
        except ClientGone:
            error = "client_disconnected"
        except StreamAborted as aborted:  # the upstream failed after the head was relayed
            error = aborted.code
            if not aborted.reported:
                raise  # only a broken connection tells the client the body is incomplete
        except Refusal as refusal:  # refused before anything was relayed
            error, status = refusal.code, refusal.status
            await self._send_refusal(exchange, refusal, decision, send)
        finally:
            exchange.timings_ms["upstream"] = elapsed_ms(began)
            self._complete(opening, exchange, status, error, meter.usage)

    async def _let_go(
        self, exchange: Exchange, decision: str, unanswered: Unanswered, send: Send
    ) -> None:
        """One record, durable before the request is let go; refused if it cannot be.

        Should the record still reach the store after a failed flush (one that timed
        out) or a cancelled one, a second record under the same request id says that
        the request was not let go after all.
        """
        why = unanswered.why
        self._audit.append(self._record(exchange, decision, why.status, why.code))
        try:
            await self._audit.flush(leaving=True)
        except asyncio.CancelledError:  # the server gave up on the request: not let go
            self._audit.append(self._record(exchange, "error", None, "client_disconnected"))
            raise
        except Exception as exc:
            log.error("audit flush failed before letting a request go: %s", type(exc).__name__)
            await self._refuse(exchange, _audit_unavailable(exchange), send)
            return
        unanswered.let_go(exchange)

    def _complete(
        self,
        opening: AuditRecord,
        exchange: Exchange,
        status: int | None,
        error: str | None,
        usage: dict[str, int] | None = None,
    ) -> None:
        exchange.timings_ms["total"] = elapsed_ms(exchange.started)
        cost: Cost | None = None
        if self._prices is not None and exchange.provider is not None:
            provider = exchange.provider
            cost = self._prices.cost(provider.id, provider.family, exchange.model, usage)
        if self._limits is not None and exchange.limit_buckets:
            self._limits.settle(exchange, usage, cost)
        self._audit.append(
            completion(
                opening,
                record_id=new_request_id(),
                status=status,
                upstream_status=exchange.upstream_status,
                usage=usage,
                error=error,
                timings_ms=exchange.timings_ms,
                findings=answer_findings(exchange, self._audit_keys),
                response=answer_judgement(exchange),
                cost=cost.to_record() if cost is not None else None,
            )
        )

    def _record(
        self,
        exchange: Exchange,
        decision: str,
        status: int | None,
        error: str | None,
        usage: dict[str, int] | None = None,
        rule_ids: list[str] | None = None,
    ) -> AuditRecord:
        exchange.timings_ms["total"] = elapsed_ms(exchange.started)
        if self._labels is not None and not exchange.scanned:  # refused before Detect
            self._labels(exchange)
        return build_record(
            exchange,
            decision,
            status,
            error,
            keys=self._audit_keys,
            usage=usage,
            rule_ids=rule_ids,
        )

    @staticmethod
    def _gateway_headers(exchange: Exchange, decision: str) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-haetae-request-id", exchange.request_id.encode()),
            (b"x-haetae-decision", decision.encode()),
        ]
        if exchange.warning is not None:
            headers.append((b"x-haetae-warning", warning_header(exchange.warning)))
        if exchange.notice is not None:
            headers.append((b"x-haetae-notice", warning_header(exchange.notice)))
        return headers


def _audit_unavailable(exchange: Exchange) -> AuditUnavailable:
    korean = exchange.language() == "ko"
    return AuditUnavailable(
        "감사 기록을 남길 수 없어 요청을 전달하지 않았습니다. "
        f"잠시 후 다시 시도하세요. 요청 ID: {exchange.request_id}"
        if korean
        else "The audit log cannot be written, so the request was not forwarded. "
        f"Try again shortly. Request id: {exchange.request_id}"
    )


def _where(exc: BaseException) -> str:
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "?"
    return f"{tb.tb_frame.f_code.co_filename.rsplit('/', 1)[-1]}:{tb.tb_lineno}"
