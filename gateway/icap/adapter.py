"""REQMOD and RESPMOD: an encapsulated message in, the pipeline's verdict out.

REQMOD of a request to an AI API host (the catalog's hosts and any a policy
declares, as the forward proxy picks them) becomes an ordinary gateway request
(``/<provider>`` in front of its path) and runs the whole pipeline. Its answer:

- ``204`` when the request leaves as it came;
- the request as edited (redacted body with its new Content-Length, a query
  value edited, gateway credentials and caller-typed identity headers removed,
  ``Accept-Encoding: identity`` when the answer must be read);
- the refusal, an HTTP response in the provider's error format, when anything
  refused it, including a failure to scan or to record (fail closed).

Other hosts get ``204`` at once, after at most the preview of their body.

RESPMOD of an answer whose request went through REQMOD here is handed to that
request's pipeline (``transactions.py``): an answer no rule needs to read gets
``204`` and its completion record; one that must be read (answer rules,
pseudonyms to restore) comes back as the pipeline relays it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import ipaddress
import logging
from collections.abc import Callable, Hashable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from gateway.icap.messages import (
    FRAMING,
    answer_headers,
    outgoing_request,
    request_as_received,
    request_line,
    status_line,
    status_of,
    target_of,
    unpaired_refusal,
)
from gateway.icap.protocol import (
    LAST_CHUNK,
    Body,
    HttpHead,
    IcapError,
    IcapRequest,
    adapted_head,
    chunk,
    icap_message,
)
from gateway.icap.transactions import CURRENT, IcapAnswer, Transaction, Vouched, Waiting
from gateway.icap.webapps import WebAppGate
from gateway.identity.trusted_headers import AddressSet
from gateway.policy.messages import Language, choose_language
from gateway.proxy.destinations import Destinations
from gateway.settings import IcapSettings, TrustedHeaderSettings

if TYPE_CHECKING:
    from gateway.exchange import Exchange
    from gateway.providers.catalog import Provider
    from gateway.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["IcapAdapter"]

log = logging.getLogger("haetae.icap")

_MAX_NAME = 200
_VOUCHED_CACHE = 4096


class IcapAdapter:
    def __init__(
        self,
        handle: ASGIApp,
        destinations: Destinations,
        waiting: Waiting,
        settings: IcapSettings,
        trusted_headers: TrustedHeaderSettings,
        reads_answer: Callable[[Exchange], bool],
        istag: Callable[[], str],
        web_apps: WebAppGate,
        default_language: Callable[[], Language],
    ) -> None:
        self._handle = handle
        self._destinations = destinations
        self._waiting = waiting
        self._settings = settings
        self._trusted = AddressSet(settings.trusted_proxies or trusted_headers.proxies)
        # the identity headers the gateway believes from a proxy: a caller typing them
        # into a request that a proxy passed on is not that proxy speaking
        self._typed_identity = frozenset(
            h.lower().encode("latin-1") for h in (trusted_headers.user, trusted_headers.groups)
        )
        self._dropped = self._typed_identity | FRAMING  # what the exchange never sees
        self._user = settings.user_header.lower()
        self._groups = settings.groups_header.lower()
        self._client_ip = settings.client_ip_header.lower()
        self._transaction = settings.transaction_header.lower()
        self._reads_answer = reads_answer
        self._istag = istag
        self._web_apps = web_apps
        self._language = default_language
        self.tasks: set[asyncio.Task[None]] = set()
        self._vouched_cache: dict[tuple[str, str | None, str | None, str | None], Vouched] = {}

    # ---------------------------------------------------------------- REQMOD

    async def reqmod(
        self, request: IcapRequest, body: Body, writer: asyncio.StreamWriter, peer: str
    ) -> bool:
        """Answer one REQMOD; whether the connection can carry another request."""
        head = request.req_head
        if head is None:
            raise IcapError(400, "REQMOD without an encapsulated request head")
        method, target = request_line(head)
        parts = target_of(target, head.get(b"host"))
        destination = self._destinations.classify(parts[0]) if parts else None
        if parts is None or destination is None or destination.kind == "other":
            return await self.unchanged(request, body, writer)
        host, scheme, raw_path, query = parts
        transaction = Transaction(self._key(request, head, peer), self._vouched(request, peer))
        dropped = self._dropped
        headers = [
            (lower, value)
            for lower, value in ((name.lower(), value) for name, value in head.headers)
            if lower not in dropped
        ]
        if destination.web_app is not None:  # judged whole, as the forward proxy does
            page = await self._web_apps(
                destination.web_app, host, method, headers, transaction, peer
            )
            if page is None:
                return await self.unchanged(request, body, writer)
            await body.finish_preview()  # the rest is never asked for
            await self._answer(writer, *page)
            return body.in_step
        provider = destination.provider
        assert provider is not None
        prefix = b"/" + provider.id.encode("ascii")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": scheme,
            "path": "/" + provider.id + unquote(raw_path.decode("latin-1")),
            "raw_path": prefix + raw_path,
            "query_string": query,
            "headers": headers,
            "client": (peer, 0),
            "server": None,
            "extensions": {},
        }
        self._start(scope, _receiver(body, transaction), transaction)
        refusal = await transaction.decided
        if transaction.broken is not None:  # the body itself was malformed ICAP
            raise transaction.broken
        if refusal is not None:  # the pipeline's response goes back instead
            start, *rest = refusal
            content = b"".join(part.get("body", b"") for part in rest)
            await self._answer(writer, start["status"], start["headers"], content)
            return body.in_step
        exchange = transaction.exchange
        assert exchange is not None
        reads = self._settings.answer_wait_seconds > 0 and self._reads_answer(exchange)
        if self._settings.answer_wait_seconds > 0:
            self._waiting.add(transaction)  # before the proxy can send the answer
        outgoing = outgoing_request(head, headers, exchange, reads)
        if outgoing is None and request.allows_204:
            writer.write(self._no_content())
        else:
            start_line, out_headers, out_body = outgoing or request_as_received(head, exchange)
            heads = [("req-hdr", adapted_head(start_line, out_headers))]
            heads.append(("req-body", b"") if out_body else ("null-body", b""))
            writer.write(icap_message(200, self._headers(), heads))  # type: ignore[arg-type]
            if out_body:
                writer.write(chunk(out_body) + LAST_CHUNK)
        await writer.drain()
        return True

    # --------------------------------------------------------------- RESPMOD

    async def respmod(
        self, request: IcapRequest, body: Body, writer: asyncio.StreamWriter, peer: str
    ) -> bool:
        """Answer one RESPMOD; whether the connection can carry another request."""
        response = request.res_head
        if response is None:
            raise IcapError(400, "RESPMOD without an encapsulated response head")
        found = None
        if request.req_head is not None:
            found = self._waiting.take(self._key(request, request.req_head, peer))
        if found is None or found.answer.done():  # unseen here, or given up on: too late
            return await self._unpaired(request, body, writer, peer)
        status = status_of(response)
        exchange = found.exchange
        assert exchange is not None
        if request.body_section is None or not self._reads_answer(exchange):
            # nothing to judge (no rule reads it, or no body): recorded, left as it is
            found.answer.set_result(IcapAnswer(status, response.headers, None))
            return await self.unchanged(request, body, writer)
        await body.ask_for_rest()  # all of it, before anything goes back
        messages = found.listen()
        found.answer.set_result(IcapAnswer(status, response.headers, body))
        task = found.task
        assert task is not None
        start = await _next(messages, task)
        if start is None:
            raise IcapError(500, "the answer could not be inspected")
        fields = answer_headers(response, start, status)
        head = adapted_head(status_line(start["status"]), fields)
        writer.write(icap_message(200, self._headers(), [("res-hdr", head), ("res-body", b"")]))
        while (message := await _next(messages, task)) is not None:
            writer.write(chunk(message.get("body", b"")))
            await writer.drain()
            if not message.get("more_body", False):
                writer.write(LAST_CHUNK)
                await writer.drain()
                return body.in_step
        raise IcapError(500, "the answer broke off")  # the connection ends mid-body

    # ---------------------------------------------------------------- shared

    async def unchanged(
        self, request: IcapRequest, body: Body, writer: asyncio.StreamWriter
    ) -> bool:
        """``204``, or (when the proxy did not allow one) the message echoed back."""
        await body.finish_preview()
        if request.allows_204 or body.waiting or request.body_section is None:
            writer.write(self._no_content())
            await writer.drain()
            return body.in_step
        sections: list[tuple[Any, bytes]] = []
        for name, head in (("req-hdr", request.req_head), ("res-hdr", request.res_head)):
            if head is not None:
                sections.append((name, adapted_head(head.start_line, head.headers)))
        sections.append((request.body_section, b""))
        writer.write(icap_message(200, self._headers(), sections))
        while (data := await body.read()) is not None:
            writer.write(chunk(data))
            await writer.drain()
        writer.write(LAST_CHUNK)
        await writer.drain()
        return True

    async def _unpaired(
        self, request: IcapRequest, body: Body, writer: asyncio.StreamWriter, peer: str
    ) -> bool:
        """An answer without its request here: passed, or (``icap.unpaired_answers: refuse``)
        withheld when it comes from an AI API; logged either way, by provider, never content."""
        head = request.req_head
        provider = self._provider_of(head) if head is not None else None
        if head is None or provider is None:  # not an AI API's answer
            return await self.unchanged(request, body, writer)
        refuse = self._settings.unpaired_answers == "refuse"
        log.warning(
            "icap answer from an AI API without its request (answered by another process, "
            "or after icap.answer_wait_seconds): %s provider=%s client=%s",
            "refused" if refuse else "passed unjudged",
            provider.id,
            peer,
        )
        if not refuse:
            return await self.unchanged(request, body, writer)
        accept = head.get(b"accept-language")
        language = choose_language(accept.decode("latin-1") if accept else None, self._language())
        await body.finish_preview()  # the rest is never asked for
        await self._answer(writer, *unpaired_refusal(provider, language))
        return body.in_step

    def _provider_of(self, head: HttpHead) -> Provider | None:
        try:
            parts = target_of(request_line(head)[1], head.get(b"host"))
        except IcapError:
            return None
        return self._destinations.classify(parts[0]).provider if parts is not None else None

    def _headers(self) -> list[tuple[str, str]]:
        return [("ISTag", self._istag())]

    def _no_content(self) -> bytes:
        return _no_content(self._istag())

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        status: int,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> None:
        """An HTTP response in place of the message: a refusal, a block page."""
        fields = [(n, v) for n, v in headers if n not in FRAMING]
        fields.append((b"content-length", str(len(content)).encode()))
        head = adapted_head(status_line(status), fields)
        writer.write(icap_message(200, self._headers(), [("res-hdr", head), ("res-body", b"")]))
        writer.write(chunk(content) + LAST_CHUNK)
        await writer.drain()

    def _start(
        self, scope: dict[str, Any], receive: Receive, transaction: Transaction
    ) -> asyncio.Task[None]:
        token = CURRENT.set(transaction)  # the task copies the context as it is now
        try:
            task = asyncio.get_running_loop().create_task(
                _run(self._handle, scope, receive, transaction.send)
            )
        finally:
            CURRENT.reset(token)
        transaction.task = task
        self.tasks.add(task)

        def ended(done: asyncio.Task[None]) -> None:
            self.tasks.discard(done)
            self._waiting.discard(transaction)
            transaction.done.set()
            if transaction.messages is not None and not transaction.messages.full():
                transaction.messages.put_nowait(None)  # a RESPMOD waiting for more: no more
            if not transaction.decided.done():  # ended (or failed) with neither: fail closed
                failure = IcapError(500, "the request could not be inspected")
                transaction.decided.set_exception(failure)
            if not done.cancelled() and done.exception() is not None:
                log.error("icap pipeline task failed: %s", type(done.exception()).__name__)

        task.add_done_callback(ended)
        return task

    def _key(self, request: IcapRequest, head: HttpHead, peer: str) -> Hashable:
        """What pairs a RESPMOD with its REQMOD: the proxy's transaction id, when sent."""
        tag = request.headers.get(self._transaction)
        if tag:
            return (peer, tag)
        return (peer, request.headers.get(self._client_ip), head.start_line)

    def _vouched(self, request: IcapRequest, peer: str) -> Vouched:
        """The proxy's word (cached: a proxy names the same few users over and over)."""
        headers = request.headers
        user, groups = headers.get(self._user), headers.get(self._groups)
        key = (peer, user, groups, headers.get(self._client_ip))
        found = self._vouched_cache.get(key)
        if found is None:
            found = self._read_vouched(request, peer)
            if not found.ignored:  # an untrusted proxy's headers are logged each time
                if len(self._vouched_cache) >= _VOUCHED_CACHE:
                    self._vouched_cache.clear()
                self._vouched_cache[key] = found
        return found

    def _read_vouched(self, request: IcapRequest, peer: str) -> Vouched:
        sent = [
            name
            for name in (self._settings.user_header, self._settings.groups_header)
            if request.headers.get(name.lower())
        ]
        if peer not in self._trusted:
            if sent:
                log.warning(
                    "icap identity header(s) %s ignored: %s is not a trusted proxy "
                    "(icap.trusted_proxies)",
                    ", ".join(sent),
                    peer,
                )
            return Vouched(ignored=tuple(sent))
        user = self._name(request.headers.get(self._user))
        groups = tuple(
            g
            for g in (self._name(part) for part in request.headers.get(self._groups, "").split(","))
            if g
        )
        address = request.headers.get(self._client_ip, "").strip() or None
        if address is not None and not _is_address(address):
            address = None
        return Vouched(user, groups, address)

    def _name(self, raw: str | None) -> str | None:
        """A user or group as the proxy sent it: base64 or plain, ``Local://`` stripped."""
        if raw is None or not raw.strip():
            return None
        text = raw.strip()
        encoding = self._settings.user_encoding
        if encoding != "plain":
            decoded = _base64_text(text)
            if decoded is not None:
                text = decoded
            elif encoding == "base64":
                return None
        scheme, sep, rest = text.partition("://")
        if sep and scheme.isalpha():  # Local://name, WinNT://DOMAIN/name, LDAP://...
            text = rest
        if not text or len(text) > _MAX_NAME or not text.isprintable():
            return None
        return text


async def _run(handle: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    await handle(scope, receive, send)


async def _next(
    messages: asyncio.Queue[MutableMapping[str, Any] | None], task: asyncio.Task[None]
) -> Message | None:
    """The pipeline's next response message; None once it has ended.

    The task's end puts None in the queue (``IcapAdapter._start``) unless the queue
    is full, and then it is seen here once the queue is empty: no task and no
    ``asyncio.wait`` per message.
    """
    if messages.empty() and task.done():
        return None
    return await messages.get()


def _receiver(body: Body, transaction: Transaction) -> Receive:
    finished = False

    async def receive() -> dict[str, Any]:
        nonlocal finished
        if finished:
            await transaction.done.wait()
            return {"type": "http.disconnect"}
        try:
            data = await body.read()
        except IcapError as error:
            transaction.broken = error
            raise
        if data is None:
            finished = True
            return {"type": "http.request", "body": b"", "more_body": False}
        return {"type": "http.request", "body": data, "more_body": True}

    return receive


@functools.lru_cache(maxsize=8)
def _no_content(istag: str) -> bytes:
    """The ``204`` for a service tag: the same bytes for every request under one policy."""
    return icap_message(204, [("ISTag", istag)])


def _base64_text(text: str) -> str | None:
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    return decoded if decoded and decoded.isprintable() else None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
