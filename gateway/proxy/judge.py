"""Judging and recording CONNECTs: to AI web apps, and those whose TLS handshake failed.

A CONNECT to an AI web app, whose requests no dialect can read, is judged as a whole.

The connection itself is the request: who asks (the identify and admit stages,
from the CONNECT's headers), where it goes (the web app, with its operator and
jurisdiction from ``providers/webapps.yaml``, as a provider the policy knows by
id), and the policy's decision (the Decide stage; ``web_app`` and every
provider fact apply). It is recorded like any request, with ``api: web_app``.
Allowed, it is relayed untouched; refused, the browser gets a block page with
the policy's message. Any failure refuses (fail closed).

A CONNECT to an AI API whose handshake then failed (the client rejects the
company CA, pins certificates, names another host) never produced a request; when
the CONNECT identified someone, the attempt is recorded with the error, so the
people whose tools bypass or break on the gateway can be found.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gateway.audit.build import AuditKeys, build_record
from gateway.errors import AuditUnavailable, InspectionFailed, PolicyBlock, Refusal
from gateway.exchange import Exchange, Stage, new_request_id
from gateway.policy import refusal_message
from gateway.policy.fact_table import read_input
from gateway.policy.messages import Language
from gateway.providers.catalog import CatalogEntry, Provider
from gateway.providers.webapps import WEB_APP_ENDPOINT, WebApp

if TYPE_CHECKING:
    from gateway.audit import AuditStore
    from gateway.labels import LabelScan
    from gateway.policy import CompiledPolicy

__all__ = ["ConnectionJudge", "Verdict", "web_app_provider"]

log = logging.getLogger("haetae.proxy")

_LANGUAGES: tuple[Language, ...] = ("ko", "en")

#: the audit record's error for an intercepted connection whose TLS handshake failed
HANDSHAKE_FAILED = "client_tls_handshake_failed"


@dataclass(frozen=True, slots=True)
class Verdict:
    allowed: bool
    request_id: str
    #: what the block page says, per language (the policy's message for a policy block)
    messages: dict[Language, str]
    rule_ids: tuple[str, ...] = ()


def web_app_provider(app: WebApp, host: str) -> Provider:
    """The web app as a provider: its facts for the policy, its host for the record."""
    entry = CatalogEntry(
        id=app.id,
        name=app.name,
        family="openai",  # unused: nothing in the connection is parsed
        base_url=f"https://{host}",
        hosts=app.hosts,
        auth_header="authorization",
        operator=app.operator,
        jurisdiction=app.jurisdiction,
        source=app.source,
    )
    return Provider(entry, base_url=entry.base_url, injected_key=None)


async def _no_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}


class ConnectionJudge:
    def __init__(
        self,
        stages: tuple[Stage, ...],
        current_policy: Callable[[], CompiledPolicy],
        audit: AuditStore,
        audit_keys: AuditKeys | None,
        labels: LabelScan | None,
    ) -> None:
        """``stages``: the pipeline's own identify, admit and decide (in that order)."""
        self._stages = stages
        self._policy = current_policy
        self._audit = audit
        self._keys = audit_keys
        self._labels = labels

    async def handshake_failed(
        self, provider: Provider, headers: list[tuple[bytes, bytes]], client: str | None
    ) -> None:
        """Record a failed interception if the CONNECT named a caller (else it is only logged)."""
        exchange = self._exchange(headers, client)
        exchange.provider = provider
        try:
            await self._stages[0](exchange)  # identify, as the pipeline does it
        except Exception as exc:
            log.error("identify failed on a CONNECT: %s", type(exc).__name__)
            return
        if exchange.subject.anonymous:
            return
        await self._record(exchange, "error", 400, HANDSHAKE_FAILED)

    def _exchange(
        self, headers: list[tuple[bytes, bytes]], client: str | None, method: str = "CONNECT"
    ) -> Exchange:
        return Exchange(
            request_id=new_request_id(),
            method=method,
            path="/",
            query=b"",
            headers=headers,
            client_address=client,
            receive=_no_body,
            policy=self._policy(),
        )

    async def __call__(
        self,
        app: WebApp,
        host: str,
        headers: list[tuple[bytes, bytes]],
        client: str | None,
        method: str = "CONNECT",
    ) -> Verdict:
        """``method``: the request's, when a proxy hands one over (ICAP REQMOD)."""
        exchange = self._exchange(headers, client, method)
        exchange.provider = web_app_provider(app, host)
        exchange.endpoint = WEB_APP_ENDPOINT
        exchange.upstream_path = "/"
        try:
            if not self._audit.healthy:
                raise AuditUnavailable("the audit log cannot be written, so nothing is relayed")
            for stage in self._stages:
                await stage(exchange)
        except Refusal as refusal:
            return await self._refuse(exchange, refusal)
        except Exception as exc:
            log.error(
                "web app connection could not be judged request_id=%s error=%s",
                exchange.request_id,
                type(exc).__name__,
            )
            failure = InspectionFailed(
                "Haetae could not judge this connection, so it was refused (fail closed). "
                f"Request id: {exchange.request_id}"
            )
            return await self._refuse(exchange, failure, error=type(exc).__name__)
        await self._record(exchange, "allow", 200, None)
        log.info("web app allowed app=%s host=%s request_id=%s", app.id, host, exchange.request_id)
        return Verdict(True, exchange.request_id, {})

    async def _refuse(
        self, exchange: Exchange, refusal: Refusal, error: str | None = None
    ) -> Verdict:
        blocked = isinstance(refusal, PolicyBlock)
        rule_ids = tuple(refusal.rule_ids) if isinstance(refusal, PolicyBlock) else ()
        await self._record(
            exchange,
            refusal.decision,
            refusal.status,
            error or (None if blocked else refusal.code),
            list(rule_ids) if blocked else None,
        )
        messages = dict.fromkeys(_LANGUAGES, refusal.message)
        decision, provider = exchange.decision, exchange.provider
        if blocked and decision is not None and provider is not None:
            request = read_input(exchange, provider)
            for language in _LANGUAGES:
                messages[language] = refusal_message(
                    exchange.policy, decision, exchange.entity_counts, language, request
                )
        return Verdict(False, exchange.request_id, messages, rule_ids)

    async def _record(
        self,
        exchange: Exchange,
        decision: str,
        status: int,
        error: str | None,
        rule_ids: list[str] | None = None,
    ) -> None:
        if self._labels is not None:
            self._labels(exchange)  # the user agent is the caller's text: masked if need be
        record = build_record(exchange, decision, status, error, keys=self._keys, rule_ids=rule_ids)
        self._audit.append(record)
        try:
            await self._audit.flush()
        except Exception as exc:  # the decision stands; the record waits in the spool
            log.error("audit flush failed for a web app connection: %s", type(exc).__name__)
