"""One proxied exchange across its REQMOD and its RESPMOD, run by the gateway's pipeline.

The pipeline is the reverse proxy's, with two pieces swapped for ICAP:

- identify is wrapped (:class:`IcapIdentify`) to take the user and client
  address the proxy vouched for, when the proxy is a trusted one;
- the upstream (:class:`IcapUpstream`) forwards nothing: being asked to send
  the request is the moment the pipeline has let it go (its opening record is
  durable by then), so REQMOD answers; it then waits for the proxy to bring the
  provider's answer in a RESPMOD, which the pipeline reads, judges, restores and
  records like any answer, completion record included;
- without RESPMOD (``icap.answer_wait_seconds: 0``) there is no upstream: the
  pipeline writes the request's one record, saying the answer is not seen, and
  lets it go (:data:`REQMOD_ONLY`), so REQMOD answers and nothing is left to do.

The transaction in progress is found through a context variable, set around
the pipeline's task, since stages and the upstream see only the exchange and
the request. Forwarded requests wait for their answers in :class:`Waiting`, a
bounded table; one whose answer never comes is completed as
``icap_answer_not_seen`` after ``icap.answer_wait_seconds``.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
from collections import OrderedDict
from collections.abc import AsyncIterator, Hashable, MutableMapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from gateway.errors import Refusal, UpstreamProtocolError
from gateway.icap.protocol import Body, IcapError
from gateway.pipeline import Unanswered
from gateway.subject import Subject

if TYPE_CHECKING:
    from gateway.exchange import Exchange, Stage
    from gateway.upstream import UpstreamResponse

__all__ = [
    "CURRENT",
    "REQMOD_ONLY",
    "AnswerNotSeen",
    "IcapAnswer",
    "IcapIdentify",
    "IcapUpstream",
    "Transaction",
    "Vouched",
    "Waiting",
]


class AnswerNotSeen(Refusal):
    """The proxy never brought this request's answer (no RESPMOD, or too late)."""

    status = 504
    code = "icap_answer_not_seen"


@dataclass(frozen=True, slots=True)
class Vouched:
    """What the proxy said about the caller, believed only from a trusted proxy."""

    user: str | None = None
    groups: tuple[str, ...] = ()
    client_ip: str | None = None
    #: identity headers an untrusted proxy sent, by name, for the record
    ignored: tuple[str, ...] = ()


@dataclass(eq=False)
class Transaction:
    """A request in the pipeline, and what it sends back (an ASGI response) as it comes.

    Until the request is let go, the pipeline's response (a refusal) is gathered
    whole and resolves ``decided``; being let go resolves it with None. One
    future, settled by ``send`` or the upstream, so REQMOD waits on nothing else.
    """

    key: Hashable
    vouched: Vouched
    #: None once the pipeline lets the request go; else its whole response (a refusal)
    decided: asyncio.Future[list[MutableMapping[str, Any]] | None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    answer: asyncio.Future[UpstreamResponse] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    #: set once the answer has been relayed, or given up: the pipeline's ``receive`` ends
    done: asyncio.Event = field(default_factory=asyncio.Event)
    exchange: Exchange | None = None
    task: asyncio.Task[None] | None = None  # the pipeline's, running this request
    broken: IcapError | None = None  # the request's body broke the protocol
    #: the answer side's output, once a RESPMOD reads it (:meth:`listen`); dropped before
    messages: asyncio.Queue[MutableMapping[str, Any] | None] | None = None
    _refusal: list[MutableMapping[str, Any]] = field(default_factory=list)

    async def send(self, message: MutableMapping[str, Any]) -> None:
        """The pipeline's ASGI ``send``."""
        if not self.decided.done():
            self._refusal.append(message)
            if message["type"] == "http.response.body" and not message.get("more_body", False):
                self.decided.set_result(self._refusal)
        elif self.messages is not None:
            await self.messages.put(message)

    def listen(self) -> asyncio.Queue[MutableMapping[str, Any] | None]:
        """From now on, the pipeline's output is kept for the RESPMOD that reads it."""
        if self.messages is None:
            self.messages = asyncio.Queue(8)
        return self.messages

    def forward(self) -> None:
        """The pipeline lets the request go: REQMOD answers now."""
        if not self.decided.done():
            self.decided.set_result(None)

    def give_up(self, refusal: Refusal) -> None:
        if not self.answer.done():
            self.answer.set_exception(refusal)


#: the transaction whose pipeline task this is
CURRENT: contextvars.ContextVar[Transaction] = contextvars.ContextVar("haetae_icap_transaction")


class Waiting:
    """Forwarded transactions waiting for their RESPMOD, by key, oldest first; bounded."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._order: OrderedDict[Transaction, None] = OrderedDict()
        self._by_key: dict[Hashable, list[Transaction]] = {}

    def __len__(self) -> int:
        return len(self._order)

    def add(self, transaction: Transaction) -> None:
        while len(self._order) >= self._limit:
            oldest = next(iter(self._order))
            self.discard(oldest)
            oldest.give_up(AnswerNotSeen("too many requests wait for their answers"))
        self._order[transaction] = None
        self._by_key.setdefault(transaction.key, []).append(transaction)

    def take(self, key: Hashable) -> Transaction | None:
        """The oldest transaction waiting under ``key``, no longer waiting."""
        found = self._by_key.get(key)
        if not found:
            return None
        transaction = found[0]
        self.discard(transaction)
        return transaction

    def discard(self, transaction: Transaction) -> None:
        if transaction in self._order:
            del self._order[transaction]
            same = self._by_key[transaction.key]
            same.remove(transaction)
            if not same:
                del self._by_key[transaction.key]


class IcapUpstream:
    """The pipeline's upstream under ICAP: the proxy forwards; the answer comes by RESPMOD."""

    def __init__(self, waiting: Waiting, wait_seconds: float) -> None:
        self._waiting = waiting
        self._wait = wait_seconds

    async def open(
        self,
        provider_id: str,
        method: str,
        url: str,
        headers: list[tuple[bytes, bytes]],
        content: bytes,
    ) -> UpstreamResponse:
        transaction = CURRENT.get()
        transaction.forward()  # REQMOD answers now
        try:
            return await asyncio.wait_for(asyncio.shield(transaction.answer), self._wait)
        except TimeoutError:
            self._waiting.discard(transaction)
            raise AnswerNotSeen("the proxy did not bring the answer in time") from None

    async def aclose(self) -> None:
        return None


def _let_go(exchange: Exchange) -> None:
    CURRENT.get().forward()  # REQMOD answers now


#: ``icap.answer_wait_seconds: 0``: the proxy sends no RESPMOD, so no answer is seen
REQMOD_ONLY = Unanswered(_let_go, AnswerNotSeen)


class IcapAnswer:
    """The provider's answer as the proxy brought it in a RESPMOD."""

    def __init__(
        self, status_code: int, headers: list[tuple[bytes, bytes]], body: Body | None
    ) -> None:
        self.status_code = status_code
        self._headers = headers
        self._body = body

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        return self._headers

    async def chunks(self) -> AsyncIterator[bytes]:
        if self._body is None:
            return
        try:
            while (data := await self._body.read()) is not None:
                yield data
        except (IcapError, TimeoutError):
            raise UpstreamProtocolError(
                "the proxy broke off the answer", reason="stalled"
            ) from None

    async def aclose(self) -> None:
        return None


class IcapIdentify:
    """Identify, then the proxy's word for who and where the caller is, when trusted.

    A gateway key or company token the caller presented still comes first; the
    proxy's user names the caller otherwise. The client address becomes the
    caller's, not the proxy's, for the policy and the record.
    """

    name = "identify"

    def __init__(self, identify: Stage) -> None:
        self._identify = identify

    async def __call__(self, exchange: Exchange) -> None:
        transaction = CURRENT.get()
        transaction.exchange = exchange
        await self._identify(exchange)
        vouched = transaction.vouched
        subject = exchange.subject
        address = subject.address
        if vouched.client_ip is not None:
            exchange.client_address = address = vouched.client_ip
        presented = exchange.identity_check is not None
        if vouched.user is not None and subject.anonymous and not presented:
            subject = Subject(vouched.user, vouched.groups, address, subject.application, "header")
        elif address != subject.address:  # one new subject, not a replace and a second one
            subject = dataclasses.replace(subject, address=address)
        exchange.subject = subject
        if vouched.ignored:
            exchange.ignored_identity_headers += vouched.ignored
