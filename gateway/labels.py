"""Caller-chosen labels: the text outside the body that records, logs and spans name.

The URL path, the model, the client application (from ``X-Haetae-Client`` or the
``User-Agent``) and the HTTP method are chosen by whoever sends the request, and
each would otherwise be written, as sent, into the audit store and the spans. So
they are treated like any other text the caller sends:

- **scanned**, as segments of the request (Extract adds them; Detect scans the
  path and model with the body and the label headers on their own, see
  ``LabelScan``), so a finding in a label counts for the policy like a finding
  anywhere else: a rule that blocks resident numbers blocks a request whose
  User-Agent carries one, and an edit rewrites the forwarded header;
- **masked** where they are recorded: a label that holds a finding is recorded
  with each finding replaced by ``<ENTITY>`` (``masked``), and the client
  application is then named from the masked text (``<KR_RRN>``);
- **scanned on refusal too**: a request refused before Detect (unknown provider,
  identity failure, bad body, uninspected path) has its labels scanned by
  ``LabelScan`` just before its record is made, with the same engine, bounded in
  length so an invented path cannot cost more than a short text;
- **bounded and shaped**: a path that was never forwarded keeps only word-like
  segments, the rest ``*`` (``plain``), and an application name that looks like
  a token (a long run of letters and digits) is recorded as ``*``, because a
  policy that does not scan for a credential cannot recognise one.

Every other header value that goes upstream as sent is scanned the same way
(``label_segments(every=True)``): a custom ``x-*`` header can carry anything, and
so can the caller's own ``Authorization`` when the gateway does not inject the
key; only a credential shaped like the destination's key is no finding
(``own_credential``).

The HTTP method is not scanned but reduced to the standard ones (``_OTHER``
otherwise, as OpenTelemetry names it).

**The client application** is named here too, once from the headers as sent
(``application_name``, for Identify and the policy's ``client_app``) and once
from their scanned text for the record. The official SDKs name themselves in
the User-Agent (``OpenAI/Python 1.52.0``, ``AsyncAnthropic/Python 0.40.0``,
``google-genai-sdk/1.0 gl-python/3.12``); those become stable names a policy can
match (``openai-python``, ``anthropic-python``, ``google-genai-python``). Any
other agent is named by its first product token, lower-cased (``curl``,
``python-httpx``). In scanned text a placeholder is kept as it is
(``<KR_RRN>``), so the record says what the label held, never the value.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import unquote_to_bytes

from gateway.providers.dialect import Segment, UninspectableContent
from gateway.upstream.headers import CREDENTIAL_HEADERS, forwarded_header

if TYPE_CHECKING:
    from gateway.detect import DetectionEngine, Finding
    from gateway.exchange import Exchange
    from gateway.policy import CompiledPolicy

__all__ = [
    "DESTINATION_KEYS",
    "MAX_APPLICATION",
    "LabelScan",
    "application_name",
    "decoded_path",
    "label_segments",
    "masked",
    "note_finding",
    "own_credential",
    "plain",
    "recorded_application",
    "recorded_method",
    "recorded_path",
    "upstream_path_text",
]

log = logging.getLogger("haetae.labels")

#: characters of a label scanned for a request that is refused (nothing is
#: forwarded, and the record keeps at most 512): an invented 60 KB path costs no
#: more than a short one
_SCANNED_ON_REFUSAL = 1024
#: labels whose findings are remembered (per engine), and how long one may be
_REMEMBERED = 1024
_REMEMBERED_CHARS = 256
_METHODS = frozenset(
    {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}
)
_PLACEHOLDER_TEXT = r"<[A-Z][A-Z0-9_]*>"  # what a finding becomes: <KR_RRN>
_PLACEHOLDER = re.compile(_PLACEHOLDER_TEXT)
#: a word or version (``v1beta``, ``gemini-2.0-flash:generateContent``): no run of
#: three digits, ...
_WORDLIKE = re.compile(r"(?!.*\d{3})[A-Za-z0-9._:-]{1,64}")
#: ... no run of 12 letters and digits with a digit in it, nor of 24 letters
#: (``ghp_…``, ``AKIA…``, ``sk-proj-…`` are token-shaped)
_RUN = re.compile(r"[A-Za-z0-9]{12,}")


# -- the client application's name --------------------------------------------

MAX_APPLICATION = 64
_LANGUAGES = {"python": "python", "js": "node", "node": "node", "go": "go", "java": "java"}
_APP_TOKEN = re.compile(
    rf"(?:{_PLACEHOLDER_TEXT}|[A-Za-z0-9])(?:{_PLACEHOLDER_TEXT}|[A-Za-z0-9._+-])*"
)
_PLACEHOLDERS = re.compile(rf"({_PLACEHOLDER_TEXT})")
_SDK = re.compile(r"(?:Async)?(?:Azure)?(OpenAI|Anthropic)/(\w+)")


def application_name(
    client_header: bytes | str | None, user_agent: bytes | str | None
) -> str | None:
    """A short, safe name: letters, digits, ``._+-`` and placeholders, at most 64 characters."""
    if client_header:
        return _clean(_text(client_header))
    if not user_agent:
        return None
    agent = _text(user_agent).strip()
    sdk = _SDK.match(agent)
    if sdk:
        vendor, language = sdk.group(1).lower(), sdk.group(2).lower()
        return f"{vendor}-{_LANGUAGES.get(language, language)}"
    if agent.startswith("google-genai-sdk/"):
        language = re.search(r"\bgl-(\w+)/", agent)
        return "google-genai-" + (language.group(1).lower() if language else "sdk")
    return _clean(agent.split("/", 1)[0])


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _clean(value: str) -> str | None:
    token = _APP_TOKEN.match(value.strip())
    if not token:
        return None
    # lower-case the name, not the placeholders (they name entity types)
    parts = _PLACEHOLDERS.split(token.group(0))
    name = "".join(part if index % 2 else part.lower() for index, part in enumerate(parts))
    return name[:MAX_APPLICATION]


# -- scanning and recording -------------------------------------------------------


def masked(text: str, findings: Iterable[Finding]) -> str:
    """``text`` with every finding replaced by ``<ENTITY>`` (overlaps merged)."""
    out: list[str] = []
    end = 0
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if finding.start < end:  # inside one already replaced
            continue
        out.append(text[end : finding.start])
        out.append(f"<{finding.entity_type}>")
        end = finding.end
    out.append(text[end:])
    return "".join(out)


def plain(label: str) -> bool:
    """True for a label safe to record unscanned: word-like, not token-shaped.

    Placeholders (``<KR_RRN>``) count as words: they are what the scan left.
    """
    text = _PLACEHOLDER.sub("x", label) if "<" in label else label
    if not _WORDLIKE.fullmatch(text):
        return False
    return not any(len(run) >= 24 or not run.isalpha() for run in _RUN.findall(text))


#: ``plain`` for application names, which repeat: ~0.1 µs instead of ~2 µs a record
_plain_name = functools.lru_cache(maxsize=1024)(plain)


def label_segments(exchange: Exchange, every: bool = False) -> list[Segment]:
    """Header values as segments to scan: the label headers, or every forwarded one.

    With ``every`` (the Extract stage), each header that goes upstream as sent is
    a segment (``upstream.headers.forwarded_header``): a custom ``x-*`` header, the
    ``User-Agent``, and the caller's credential headers when the gateway does not
    inject its own key (``own_credential`` then drops the destination's key
    itself). Without it (a refused request's record), only the label headers
    Identify named. A value is decoded as UTF-8 with undecodable bytes kept as
    surrogates, so an edit is written back byte for byte (``Transform``). The path
    is ``(name, index in exchange.headers)``; the location names the header when
    its name is vocabulary-shaped (``(header:user-agent)``), ``(header:*)`` else.
    """
    labels = exchange.label_headers
    injected = True
    if every:
        provider = exchange.provider
        injected = provider is None or provider.auth_header_value() is not None
    segments = []
    for index, (name, value) in enumerate(exchange.headers):
        if not value:
            continue
        if name in labels or (every and forwarded_header(name, injected)):
            text = value.decode("utf-8", "surrogateescape")
            segments.append(Segment((name.decode("latin-1"), index), text, "header"))
    return segments


#: the key shapes each provider family is called with; in a credential header
#: forwarded as the caller sent it, a finding of one of these covering the whole
#: credential is the caller's own key for the destination, not a leak. Anything
#: else there (an AWS key, another vendor's key, a resident number) counts.
DESTINATION_KEYS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "openai": frozenset(
            {
                "SECRET_OPENAI_KEY",
                "SECRET_DEEPSEEK_KEY",
                "SECRET_MISTRAL_KEY",
                "SECRET_COHERE_KEY",
                "SECRET_GROQ_KEY",
                "SECRET_XAI_KEY",
                "SECRET_PERPLEXITY_KEY",
                "SECRET_HF_TOKEN",
                "SECRET_REPLICATE_TOKEN",
                "SECRET_GENERIC_API_KEY",
                "SECRET_JWT",  # Azure AD access tokens
            }
        ),
        "anthropic": frozenset({"SECRET_ANTHROPIC_KEY"}),
        "gemini": frozenset({"SECRET_GOOGLE_API_KEY", "SECRET_JWT"}),
    }
)
_SCHEME = re.compile(r"\s*(?:[A-Za-z]+\s+)?")  # "Bearer ", "Token "


def own_credential(family: str | None, segment: Segment, found: list[Finding]) -> list[Finding]:
    """``found`` without the destination's own key, when ``segment`` is a credential header."""
    if segment.form != "header" or str(segment.path[0]).encode() not in CREDENTIAL_HEADERS:
        return found
    shapes = DESTINATION_KEYS.get(family or "", frozenset())
    text = segment.text
    start = _SCHEME.match(text)
    begin = start.end() if start else 0
    end = len(text.rstrip())
    return [f for f in found if not (f.entity_type in shapes and f.start <= begin and f.end >= end)]


def note_finding(exchange: Exchange, segment: Segment, found: list[Finding]) -> None:
    """Record how a header label reads with ``found`` masked (Detect and ``LabelScan``).

    Only the label headers are recorded (they name the client application); a
    finding in any other header is recorded by its location alone.
    """
    name = str(segment.path[0])
    if name.encode("latin-1") in exchange.label_headers:
        exchange.masked_labels[name] = masked(segment.text, found)


def recorded_application(exchange: Exchange) -> str | None:
    """The client application as the record may hold it.

    Derived again from the header texts with their findings masked; None while the
    headers are unscanned (a label scan failed), ``*`` when it looks like a token.
    """
    if not (exchange.scanned or exchange.labels_scanned):
        return None
    if exchange.masked_labels:
        client = agent = None
        for segment in exchange.label_segments:
            name = str(segment.path[0])
            if name.encode("latin-1") not in exchange.label_headers:
                continue
            text = exchange.masked_labels.get(name, segment.text)
            if name == "user-agent":
                agent = text
            else:
                client = text
        name_ = application_name(client, agent)
    else:
        name_ = exchange.subject.application
    if name_ is None:
        return None
    return name_ if _plain_name(name_) else "*"


def recorded_path(exchange: Exchange) -> str:
    """The path as recorded: as forwarded (findings masked), else only its word-like parts."""
    path = exchange.upstream_path or exchange.path[:200]
    if exchange.scanned:  # forwarded, or refused by the policy: the path was judged
        return exchange.audit_path if exchange.audit_path is not None else path
    if exchange.audit_path is not None:  # scanned on refusal and something found
        path = exchange.audit_path
    return "/".join(part if not part or plain(part) else "*" for part in path.split("/"))


def recorded_method(method: str) -> str:
    """The method, or ``_OTHER``: a server may accept any token as a method."""
    return method if method in _METHODS else "_OTHER"


def decoded_path(path: str) -> str | None:
    """The path percent-decoded as UTF-8, or None when it is not UTF-8 text."""
    if path.isascii() and "%" not in path:  # nothing to decode: the usual path
        return path
    try:
        return unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None


def upstream_path_text(path: str) -> str:
    """The upstream URL path percent-decoded; a refusal when it is not UTF-8 text."""
    decoded = decoded_path(path)
    if decoded is None:
        raise UninspectableContent("the URL path is not UTF-8 text")
    return decoded


class LabelScan:
    """Scans labels: each request's on the side of Detect, a refused request's alone.

    ``engine`` is the engine (or a function giving the engine for the request's
    policy) that Detect uses, so a label is judged by the same recognizers as the
    body. Labels are scanned apart from the body, not joined to it: a version
    number in a User-Agent would otherwise switch on the digit-group and base64
    views of the whole request text (measured: +1 ms CPU for a 32 KB prompt). A
    client sends the same few labels again and again, so the findings of short
    ones are remembered per engine, within a bound: most requests cost a lookup.

    For a request refused before Detect, ``__call__`` scans its path and labels
    just before its record. A scan that fails leaves them unscanned, and the
    record then keeps only what is safe unscanned (no application, a path of
    word-like segments): the refusal itself is never held up.
    """

    def __init__(
        self, engine: DetectionEngine | Callable[[CompiledPolicy], DetectionEngine]
    ) -> None:
        self._engine_for = engine if callable(engine) else lambda _policy: engine
        self._engine: DetectionEngine | None = None  # whose findings are remembered
        self._known: dict[str, list[Finding]] = {}

    def findings(self, engine: DetectionEngine, texts: Sequence[str]) -> list[list[Finding]]:
        """The findings in each of ``texts``, remembered for short ones."""
        if engine is not self._engine:  # another policy's engine: start afresh
            self._engine, self._known = engine, {}
        known = self._known
        found: list[list[Finding] | None] = [known.get(text) for text in texts]
        missing = [index for index, hits in enumerate(found) if hits is None]
        if missing:
            # each label on its own (joined=False): findings are remembered per text
            fresh = engine.scan_segments([texts[index] for index in missing], joined=False)
            if len(known) + len(missing) > _REMEMBERED:
                known.clear()  # invented labels must not grow the memory
            for index, hits in zip(missing, fresh, strict=True):
                found[index] = hits
                if len(texts[index]) <= _REMEMBERED_CHARS:
                    known[texts[index]] = hits
        return [list(hits or ()) for hits in found]

    def __call__(self, exchange: Exchange) -> None:
        if exchange.scanned or exchange.labels_scanned:
            return
        try:
            path = decoded_path(exchange.upstream_path or exchange.path)
            exchange.label_segments = label_segments(exchange)
            segments = [
                Segment(segment.path, segment.text[:_SCANNED_ON_REFUSAL], segment.form)
                for segment in exchange.label_segments
            ]
            engine = self._engine_for(exchange.policy)
            findings = self.findings(engine, [segment.text for segment in segments])
            if path is not None:
                path = path[:_SCANNED_ON_REFUSAL]
                (in_path,) = engine.scan_segments([path.replace("/", " ")])
                if in_path:
                    exchange.audit_path = masked(path, in_path)
        except Exception as exc:  # the type only: the message could quote the label
            log.error(
                "label scan failed request_id=%s error=%s",
                exchange.request_id,
                type(exc).__name__,
            )
            return
        for segment, found in zip(segments, findings, strict=True):
            if found:
                note_finding(exchange, segment, found)
        exchange.labels_scanned = True
