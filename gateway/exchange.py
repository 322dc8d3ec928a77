"""The per-request state that pipeline stages share, like mitmproxy's flow.

Stages read what earlier stages set and add their own part; nothing else is
shared between them. The exchange never outlives its request.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from gateway.client_tls import ClientCertificate
from gateway.subject import Subject

if TYPE_CHECKING:
    from gateway.attachments.result import UninspectableAttachment
    from gateway.detect.findings import Finding
    from gateway.errors import Refusal
    from gateway.policy.evaluate import CompiledPolicy, Decision
    from gateway.policy.facts import PolicyInput
    from gateway.policy.limits import Bucket
    from gateway.policy.messages import Language
    from gateway.providers.catalog import Provider
    from gateway.providers.dialect import JSONPath, Segment
    from gateway.providers.endpoints import Endpoint
    from gateway.types import Receive

__all__ = [
    "AnswerFound",
    "AnswerVerdict",
    "Exchange",
    "IdentityCheck",
    "Stage",
    "elapsed_ms",
    "new_request_id",
]


# A random per-process prefix plus a counter: unique across replicas without a
# system call per request (os.urandom costs ~15 µs on the hot path).
_ID_PREFIX = os.urandom(6).hex()
_id_counter = itertools.count(1)


def elapsed_ms(began: float) -> float:
    """Milliseconds since ``began`` (a ``time.perf_counter()``), to the microsecond.

    A request times a dozen stages: rounding to whole microseconds and dividing
    costs half of ``round(ms, 3)``, and ``n / 1000`` still prints with at most
    three decimals (it is the double nearest that decimal).
    """
    return round((time.perf_counter() - began) * 1_000_000) / 1000


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_id_counter):012x}"


@dataclass(frozen=True, slots=True)
class IdentityCheck:
    """What Identify leaves for Admit: a refusal to deliver, and where the credential was."""

    refusal: Refusal | None = None
    credential_place: str | None = None
    in_provider_header: bool = False


@dataclass(slots=True)
class AnswerFound:
    """One entity type at one place of an answer: how often, how sure, and (for the
    record's keyed fingerprints only, at most 16) the values; never kept past the record."""

    count: int = 0
    max_score: float = 0.0
    values: list[str] = field(default_factory=list)


@dataclass(slots=True)
class AnswerVerdict:
    """What inspecting the answer found and did (``gateway/answers``), for the record."""

    #: allow, or the most protective action taken: block, then redact, hash, mask
    action: str = "allow"
    rule_ids: list[str] = field(default_factory=list)
    monitored_rule_ids: list[str] = field(default_factory=list)
    entity_counts: dict[str, int] = field(default_factory=dict)
    edits: dict[str, str] = field(default_factory=dict)  # entity type → action applied
    #: (entity type, location) → what was found there
    found: dict[tuple[str, str], AnswerFound] = field(default_factory=dict)
    #: "before_relay" (a whole answer replaced by an error) or "mid_stream"; None: relayed
    blocked: str | None = None


@dataclass(slots=True)
class Exchange:
    # the request as received
    request_id: str
    method: str
    path: str
    query: bytes
    headers: list[tuple[bytes, bytes]]
    client_address: str | None
    receive: Receive
    policy: CompiledPolicy  # the version this request is judged by, start to end
    started: float = field(default_factory=time.perf_counter)
    #: how the client reached the gateway (``http``/``https``), for URLs that lead back to it
    scheme: str = "http"
    #: the connection's verified client certificate (mTLS), if any
    client_certificate: ClientCertificate | None = None
    # identify
    subject: Subject = field(default_factory=Subject)
    #: identity headers (by name) ignored and stripped because an untrusted address sent them
    ignored_identity_headers: tuple[str, ...] = ()
    identity_check: IdentityCheck | None = None  # identify's hand-off to admit
    #: the headers the client application is named from: caller's labels (labels.py)
    label_headers: tuple[bytes, ...] = ()
    # route
    provider: Provider | None = None
    upstream_path: str = ""
    endpoint: Endpoint | None = None
    #: names of the trailer fields the server kept apart, filled as the body ends;
    #: None when the server does not separate them (``gateway/trailers.py``)
    trailers: list[str] | None = None
    # read body and extract
    body: bytes = b""
    document: Any = None
    model: str | None = None
    segments: list[Segment] = field(default_factory=list)
    #: kinds of attached media or documents (e.g. "image", "file", "audio"), as found
    attachments: tuple[str, ...] = ()
    #: server-side state the request refers to (e.g. "file_id", "previous_response_id")
    server_references: tuple[str, ...] = ()
    #: uploaded files as the record names them: kind, size, purpose (never name or content)
    uploads: tuple[dict[str, Any], ...] = ()
    #: inline files read or refused, one summary each (kind, bytes, chars, images or
    #: the reason it is uninspectable): what the audit record keeps of them
    files: list[dict[str, Any]] = field(default_factory=list)
    #: files that could not be read; the policy decides (``uninspectable_attachments``)
    uninspectable: list[UninspectableAttachment] = field(default_factory=list)
    #: the caller's name for each file read, by its place: refusals name the file
    file_names: dict[JSONPath, str] = field(default_factory=dict)
    # detect
    findings: list[list[Finding]] = field(default_factory=list)
    entity_counts: dict[str, int] = field(default_factory=dict)
    #: the resolved provider address's country (or countries), when a policy asked for it
    endpoint_country: str | None = None
    entity_scores: dict[str, list[float]] = field(default_factory=dict)  # when a rule tests scores
    #: Detect ran over every segment (the URL path and model included)
    scanned: bool = False
    #: the path / model as recorded when something was found in them (``<ENTITY>`` in place)
    audit_path: str | None = None
    audit_model: str | None = None
    #: the label headers as segments, once Extract or a refusal's label scan made them
    label_segments: list[Segment] = field(default_factory=list)
    #: header labels in which something was found, by name, with ``<ENTITY>`` in place
    masked_labels: dict[str, str] = field(default_factory=dict)
    #: the labels alone were scanned, for the record of a request refused before Detect
    labels_scanned: bool = False
    # decide and transform
    decision: Decision | None = None
    #: what the policy read of this request when deciding; the answer's judge and the
    #: limits reuse it (only the entity facts of an answer differ)
    policy_input: PolicyInput | None = None
    outgoing_body: bytes | None = None
    outgoing_query: bytes | None = None  # set only when a query value was edited
    restore_mapping: dict[str, str] = field(default_factory=dict)  # placeholder → value
    warning: str | None = None  # a `warn` rule's message, sent as x-haetae-warning
    #: the coach notes of the redacting or warning rules that applied (x-haetae-notice)
    notice: str | None = None
    # limits
    #: the token and spend counters to charge with the answer's usage
    limit_buckets: tuple[Bucket, ...] = ()
    #: what the limits stage noted for the record (``details.limits``)
    limit_note: dict[str, Any] | None = None
    # forward
    upstream_status: int | None = None
    #: set when the policy judges answers and this answer was read (``gateway/answers``)
    answer: AnswerVerdict | None = None
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def uninspectable_attachments(self) -> tuple[str, ...]:
        """Why files could not be read (``encrypted``, ``bomb``, ...), first-seen order."""
        return tuple(dict.fromkeys(item.reason for item in self.uninspectable))

    def header(self, name: bytes) -> bytes | None:
        """First value of a request header (``name`` in lower case)."""
        for key, value in self.headers:
            if key == name:
                return value
        return None

    def language(self) -> Language:
        """``ko`` or ``en``: what the caller reads, by Accept-Language, else the policy's."""
        # Imported here: the messages pull in the policy engine, and importing the
        # exchange must stay light.
        from gateway.policy.messages import choose_language

        accept = self.header(b"accept-language")
        return choose_language(
            accept.decode("latin-1") if accept else None, self.policy.document.default_language
        )

    @property
    def family(self) -> str:
        """Error-format family: the provider's, or OpenAI's before routing."""
        return self.provider.family if self.provider is not None else "openai"


class Stage(Protocol):
    """One step of the request path (``gateway.pipeline`` lists them in order).

    It is declared here, beside what it acts on, so that the code that wraps stages
    (telemetry) needs the exchange and not the pipeline that runs them.
    """

    name: str

    async def __call__(self, exchange: Exchange) -> None: ...
