"""Gateway configuration: a YAML file, overridden by ``HAETAE_*`` variables.

Settings are parsed and validated once at start-up into frozen models and then
passed to whatever needs them; nothing reads the environment on the request
path. An invalid file stops the gateway with a message that names the key.

Environment overrides use ``__`` between levels, e.g. ``HAETAE_LISTEN__PORT=9000``
or ``HAETAE_PROVIDERS__OPENAI__BASE_URL=http://mirror:8000``. In provider ids an
``_`` in the variable stands for ``-`` (``HAETAE_PROVIDERS__AZURE_OPENAI__...``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway.config_file import CONFIG_FILE_VARIABLE
from gateway.errors import ConfigError
from gateway.validation import describe_validation_error

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "AdminSettings",
    "AlertRuleSettings",
    "AlertSettings",
    "AttachmentSettings",
    "AuditSettings",
    "ConsoleOidcSettings",
    "ConsoleSettings",
    "CredentialSettings",
    "ForwardSettings",
    "IcapSettings",
    "IdentitySettings",
    "LimitSettings",
    "ListenSettings",
    "ProviderSettings",
    "ProxySettings",
    "RolloutSettings",
    "Settings",
    "SiemSettings",
    "TelemetrySettings",
    "TimeoutSettings",
    "load_settings",
    "shipped_policy",
]

ENV_PREFIX = "HAETAE_"


def shipped_policy(name: str = "default.yaml") -> Path:
    """A policy that ships inside the package (``gateway/policies/``), as a file path.

    The default policy comes from here, so an installed wheel serves without a
    source checkout (whose ``policies/`` is a link to the same folder). A path,
    not a resource stream: includes and term files are read relative to it, and
    hot reload watches it. Wheels install as plain files, so it always is one.
    """
    folder = resources.files("gateway").joinpath("policies")
    if not isinstance(folder, Path):
        raise ConfigError(
            "the shipped policies are not plain files (is Haetae installed inside a zip?); "
            "set 'policy:' to a policy file"
        )
    return folder / name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ListenSettings(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # One event loop per process: on a machine with N cores, N workers use them all.
    workers: int = Field(default=1, ge=1, le=64)
    # HTTPS on this listener (the reverse proxy and the admin API): PEM files.
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Client certificates (mTLS): the CA that signs them; a verified certificate's
    # subject names the caller (docs/identity.md). Unset: none are asked for.
    tls_client_ca: Path | None = None
    # true: a client without a valid certificate cannot connect at all.
    tls_client_required: bool = False

    def model_post_init(self, _context: Any) -> None:
        if (self.tls_cert is None) != (self.tls_key is None):
            raise ValueError("listen.tls_cert and listen.tls_key go together")
        if self.tls_client_ca is not None and self.tls_cert is None:
            raise ValueError("listen.tls_client_ca needs listen.tls_cert and listen.tls_key")
        if self.tls_client_required and self.tls_client_ca is None:
            raise ValueError("listen.tls_client_required needs listen.tls_client_ca")


def host_port(value: str | None, example: str) -> str | None:
    """``value`` if it is ``host:port`` (or None), else a ValueError showing ``example``."""
    if value is None:
        return None
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"'{value}' must be host:port, e.g. {example}")
    return value


def known_zone(value: str) -> str:
    """``value`` if it names an IANA time zone, else a ValueError that says what to write."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r}: use an IANA name such as Asia/Seoul or UTC"
        ) from None
    return value


class AuditSettings(_Strict):
    """Where the audit trail goes; see docs/audit.md."""

    url: str = "sqlite:///var/audit.db"
    # Where records wait, fsync'd, while the store is down: "auto" (beside a SQLite
    # file, else var/audit-spool.jsonl), "off" (fail closed at once), or a path.
    spool: str = "auto"
    # SQLite: a forwarded request's opening is made durable by appending it to a
    # journal beside the database (as durable as the commit: WAL, synchronous=NORMAL),
    # and committed in batches; false: each request waits for its opening's commit.
    # PostgreSQL always waits for the commit. See docs/audit.md.
    journal: bool = True
    # The HMAC key of finding fingerprints; without one it is derived from the
    # detection (pseudonym) key, so it is as stable as that key.
    fingerprint_key_env: str = "HAETAE_AUDIT_KEY"
    fingerprint_key_file: Path | None = None
    # Ed25519 private key (PEM) that signs chain checkpoints, kept apart from the
    # store; created at start-up (mode 0600, public half beside it as .pub) when
    # missing and `create_signing_key` is on. null: chain only (not recommended).
    signing_key_file: Path | None = Path("var/keys/audit-signing.pem")
    create_signing_key: bool = True
    # Public keys (PEM) verify also trusts: a rotated-out signing key, or the keys
    # of replicas that sign with keys of their own. Each checkpoint names its key.
    verify_key_files: list[Path] = Field(default_factory=list)
    checkpoint_every: int = Field(default=1000, ge=1)
    checkpoint_seconds: float = Field(default=60.0, gt=0)
    # Where each signed checkpoint is also copied, out of the store's reach:
    # "auto" (a file in a witness/ folder beside a SQLite store), a path or
    # file:PATH, redis://host:port/db?key=NAME, postgresql://…, syslog+tls://host:port,
    # tsa+https://host/path?ca=PATH (RFC 3161), or "off". See docs/audit.md.
    witness: str = "auto"
    # The time zone review commands, the admin API and exports show times in
    # and cut day buckets by (an IANA name: Asia/Seoul); a request may override it.
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return known_zone(value)

    # X25519 public key (PEM): seal matched values to it for incident response.
    # Unset (the default): no values are kept, not even encrypted.
    evidence_public_key_file: Path | None = None


class LimitSettings(_Strict):
    max_body_bytes: int = Field(default=16 * 1024 * 1024, gt=0)
    # A JSON body nested deeper than this is refused (400) before anything walks it:
    # no provider API nests near it, and a recursive walk of ~1,000 levels would
    # exhaust Python's stack. orjson itself stops at 1,024 (and writes at most 254).
    max_json_depth: int = Field(default=128, ge=8, le=250)
    # More text positions than this in one request (500,000 one-letter content
    # parts) are refused (413): each costs work around the scan.
    max_segments: int = Field(default=100_000, gt=0)
    # More JSON values than this (counted before parsing, as the body's commas,
    # `{` and `[`: an upper bound, so a text dense in commas counts them too) are
    # refused (413). Parsing is one C call that holds the GIL for the whole body,
    # ~0.3 µs a value: 200,000 values hold every other request for up to ~60 ms,
    # 500,000 tiny content parts held them for 0.3-0.5 s.
    max_json_values: int = Field(default=200_000, gt=0)
    # The policy's `limits:` (requests, tokens, spend) are counted in the Redis the
    # replicas share (rollout.redis_url), under this prefix; without Redis, in this
    # process (exact for one replica only). See docs/governance.md.
    redis_prefix: str = Field(default="haetae:limits:", min_length=1)
    # How long an admission waits for Redis before it counts as unreachable.
    redis_timeout_seconds: float = Field(default=0.25, gt=0, le=10)
    # Redis unreachable: refuse requests that a limit applies to (503), or let them
    # through unchecked (recorded as such). Refusing is the default: a budget that
    # stops counting when Redis fails is no budget.
    on_redis_error: Literal["fail_closed", "fail_open"] = "fail_closed"


class PriceOverride(_Strict):
    input: float = Field(ge=0)  # USD per million input tokens
    output: float = Field(ge=0)
    cached_input: float | None = Field(default=None, ge=0)


class PriceSettings(_Strict):
    """What requests cost (docs/governance.md): the shipped table, corrected here."""

    # Another price table in the shipped table's format (gateway/limits/prices.yaml).
    file: Path | None = None
    # provider id -> model -> prices per million tokens; wins over the table.
    overrides: dict[str, dict[str, PriceOverride]] = Field(default_factory=dict)


class TimeoutSettings(_Strict):
    """Upstream timeouts in seconds; ``read`` bounds the wait for each chunk."""

    connect: float = Field(default=10.0, gt=0)
    read: float = Field(default=600.0, gt=0)
    write: float = Field(default=60.0, gt=0)
    pool: float = Field(default=10.0, gt=0)


class ForwardSettings(_Strict):
    transport: Literal["httpx", "aiohttp"] = "aiohttp"
    # An outbound forward proxy (http://[user:password@]host:port) for networks that
    # reach the internet only through one; hosts matching a `no_proxy` glob go direct.
    proxy: str | None = None
    no_proxy: list[str] = Field(default_factory=list)
    # CA certificates (PEM) trusted for providers besides the public roots: a
    # TLS-inspecting corporate proxy's, or an in-house model server's.
    ca_bundle: Path | None = None
    max_connections: int = Field(default=1000, gt=0)
    max_keepalive_connections: int = Field(default=200, ge=0)
    # Idle pooled connections are dropped after this many seconds; keep it below
    # the providers' own idle timeout so a request never races their close.
    keepalive_expiry: float = Field(default=30.0, gt=0)
    # Limits on streamed answers the gateway has to read (to restore pseudonyms):
    # one server-sent event may hold at most this many bytes (images arrive base64
    # in a single event: see docs/security.md), and an event that has begun must
    # end within `stream_idle_timeout` seconds. Either breach ends the answer
    # with the provider's error event (`upstream_protocol_error`).
    max_event_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    stream_idle_timeout: float = Field(default=60.0, gt=0)

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            # The value itself is not echoed: it may carry the proxy's password.
            raise ValueError("forward.proxy must be an http:// or https:// URL with a host")
        return value


class DetectionSettings(_Strict):
    # Above this many characters (or body bytes) a request is parsed and scanned on
    # a worker thread so that it does not stall every other request on the event
    # loop. Crafted text costs up to ~7 µs a character to scan (a marking word
    # repeated), so 2,048 keeps any request's time on the loop near 10 ms or less;
    # ordinary prompts of 1 KB stay on the loop, where they take ~0.2 ms.
    offload_threshold_chars: int = Field(default=2_048, ge=0)
    # The scan budget: a request with more characters of text than this is refused
    # as uninspectable (413), never forwarded unscanned. Characters, not seconds, so
    # the same request gets the same answer on every replica; 1 Mi characters is
    # ~250,000 tokens. Crafted text (every digit group a phone number) scans at
    # ~14 s per Mi characters, so the default keeps one request's CPU bounded.
    max_scan_chars: int = Field(default=1024 * 1024, gt=0)
    # The wall-clock backstop for a scan on a worker thread (queueing included):
    # past it the request is refused as uninspectable.
    scan_timeout_seconds: float = Field(default=10.0, gt=0)
    # At most this many requests are scanned on worker threads at once; the others
    # wait (within their timeout). Each scan holds the GIL most of the time, so more
    # of them would take the event loop's turn from every small request.
    max_concurrent_scans: int = Field(default=2, gt=0)
    # Scans waiting for one of those slots go smallest first and may hold this many
    # characters between them (what they keep in memory while waiting); one more is
    # refused at once (503, inspection_busy) rather than queued behind an attacker's.
    max_queued_scan_chars: int = Field(default=8 * 1024 * 1024, ge=0)
    # Worker processes for the scans above offload_threshold_chars (0: a thread in
    # the serving process). In a thread a large scan holds the GIL for each regular
    # expression it runs, and the event loop waits; a process holds nothing of the
    # loop's. Each worker holds its own engine (~160 MB with the default policy);
    # `haetae serve` starts them before it serves, anything else on the first large scan.
    scan_processes: int = Field(default=2, ge=0)
    # The HMAC key behind `hash` and `pseudonymize`: replicas that share it give a
    # value the same placeholder. Without one, a random key per process is used.
    key_env: str = "HAETAE_PSEUDONYM_KEY"
    key_file: Path | None = None
    # Which language's rules (names, addresses, context words) apply: per text by
    # default (Hangul → Korean); identifiers and secrets are found in either.
    language: Literal["auto", "ko", "en"] = "auto"
    # Regions whose national phone forms are read (ISO 3166 codes, the home region
    # first: its company lines decide, and its access codes, with 00, mark numbers
    # dialled abroad). A foreign national number is found without a phone word only
    # when written in the groups of one of these regions' plans; each region costs
    # one parse per grouped digit run (~25 µs). Numbers written with + or an access
    # code are read for every country whatever this says.
    phone_regions: tuple[str, ...] = Field(
        default=("KR", "US", "GB", "JP", "CN", "DE", "FR", "IN", "SG"), min_length=1
    )

    @field_validator("phone_regions")
    @classmethod
    def _region_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # Shape only here; libphonenumber's list is checked when the engine is built.
        bad = [code for code in value if not (len(code) == 2 and code.isascii() and code.isupper())]
        if bad:
            raise ValueError(f"phone_regions: not ISO 3166 alpha-2 codes: {bad}")
        if len(set(value)) != len(value):
            raise ValueError("phone_regions: a region is listed twice")
        return value

    # Load the Korean name model (Kiwi: ~1.3 s, ~320 MB) at start-up even when the
    # active policy does not scan PERSON, so that activating one that does is quick.
    preload_name_model: bool = False


class CompanySettings(_Strict):
    # The company index built by `haetae company register-table` / `register-documents`:
    # keyed hashes of registered tables' cells and fingerprints of registered documents.
    # A directory every replica mounts (read-only is enough). None: policies that rule on
    # COMPANY_RECORD, COMPANY_DOCUMENT or COMPANY_SOURCE_CODE are refused.
    index_dir: Path | None = None
    # The key the index was hashed with (at least 16 bytes), kept apart from the index:
    # whoever has both can test guesses against it, whoever has the index alone cannot.
    key_env: str = "HAETAE_COMPANY_KEY"
    key_file: Path | None = None
    # The largest upload ``/admin/v1/company`` accepts (a CSV, a zip or the files of one
    # multipart request); larger tables and collections: the CLI, where the data is.
    max_upload_bytes: int = Field(default=512 * 1024 * 1024, ge=1024)


class AttachmentSettings(_Strict):
    """How attached files are read (gateway/attachments/, docs/attachments.md).

    Every read runs in a worker process under ``memory_bytes`` and
    ``timeout_seconds``; a file over any limit is uninspectable, and the policy
    decides (the shipped ones refuse it).
    """

    # Worker processes reading files at once; more reads wait (within the timeout).
    workers: int = Field(default=2, ge=1, le=64)
    max_file_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    # Text extracted from one file; a file with more is refused, not half-read.
    max_chars: int = Field(default=1_000_000, gt=0)
    max_pages: int = Field(default=500, gt=0)
    # ZIP archives and ZIP-based documents (DOCX, XLSX, PPTX, HWPX, ODF)
    max_zip_entries: int = Field(default=1_000, gt=0)
    # An entry that expands more than this many times its packed size is a bomb.
    max_zip_ratio: int = Field(default=100, gt=1)
    max_unpacked_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    # Pixels of one image (a 40-megapixel photo passes; a declared 100k × 100k canvas not)
    max_image_pixels: int = Field(default=40_000_000, gt=0)
    # Images read by OCR inside one document (pages, slides, embedded pictures)
    max_images: int = Field(default=20, ge=0)
    ocr: bool = True
    ocr_languages: str = "kor+eng"
    timeout_seconds: float = Field(default=30.0, gt=0)
    # The address-space cap of each worker process (RLIMIT_AS)
    memory_bytes: int = Field(default=1024 * 1024 * 1024, ge=64 * 1024 * 1024)
    # Reads remembered in memory, and in Redis (sealed) when rollout.redis_url is set
    cache_entries: int = Field(default=256, ge=0)
    cache_redis: bool = True
    cache_redis_prefix: str = "haetae:attachments:"
    cache_ttl_seconds: int = Field(default=86_400, gt=0)


class CredentialSettings(_Strict):
    """``passthrough`` forwards the caller's own key; ``inject`` uses one held here."""

    mode: Literal["passthrough", "inject"] = "passthrough"
    env: str | None = None
    file: Path | None = None

    def model_post_init(self, _context: Any) -> None:
        if self.mode == "inject" and (self.env is None) == (self.file is None):
            raise ValueError("credentials.mode 'inject' needs exactly one of 'env' or 'file'")
        if self.mode == "passthrough" and (self.env or self.file):
            raise ValueError("credentials 'env'/'file' only apply with mode 'inject'")


class ProviderSettings(_Strict):
    base_url: str | None = None
    credentials: CredentialSettings = CredentialSettings()

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("base_url must start with http:// or https://")
        return value.rstrip("/") if value else value


class _SinkBase(_Strict):
    name: str = Field(min_length=1, max_length=64)
    # Only records with these decisions (e.g. [block, error]); unset: every record.
    decisions: list[str] | None = None
    # The CA that signed the receiver's certificate (unset: the system's CAs).
    ca_file: Path | None = None


class SyslogSinkSettings(_SinkBase):
    """RFC 5424 over TCP, or over TLS (RFC 5425) with ``tls: true``."""

    kind: Literal["syslog"]
    address: str  # host:port
    tls: bool = False
    cert_file: Path | None = None  # a client certificate, when the receiver asks for one
    key_file: Path | None = None
    format: Literal["json", "cef"] = "json"
    facility: int = Field(default=13, ge=0, le=23)  # 13: log audit
    app_name: str = "haetae"

    @model_validator(mode="before")
    @classmethod
    def _address_scheme(cls, data: Any) -> Any:
        # tcp://host:port and tls://host:port say the transport in the address.
        if isinstance(data, dict) and isinstance(data.get("address"), str):
            scheme, sep, rest = data["address"].partition("://")
            if sep:
                if scheme not in ("tcp", "tls"):
                    raise ValueError(
                        f"syslog address scheme {scheme!r}: use tcp:// or tls:// "
                        "(UDP cannot acknowledge, so records could be lost)"
                    )
                data = {**data, "address": rest, "tls": data.get("tls", scheme == "tls")}
        return data

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("expected tcp://host:port or tls://host:port")
        return value


def _https_unless_loopback(value: str) -> str:
    parts = urlsplit(value)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
        raise ValueError("must be an https:// URL (http:// only to a loopback address)")
    return value


class SplunkHecSinkSettings(_SinkBase):
    """Splunk's HTTP Event Collector; the token from ``token_file`` or ``token_env``."""

    kind: Literal["splunk_hec"]
    url: str  # e.g. https://splunk.corp.example:8088/services/collector/event
    token_env: str = "HAETAE_SPLUNK_HEC_TOKEN"
    token_file: Path | None = None
    index: str | None = None
    sourcetype: str = "haetae:audit"
    source: str = "haetae"

    _url = field_validator("url")(_https_unless_loopback)


class WebhookSinkSettings(_SinkBase):
    """JSON batches signed with HMAC-SHA256 (the secret from ``secret_file`` or ``secret_env``)."""

    kind: Literal["webhook"]
    url: str
    secret_env: str = "HAETAE_WEBHOOK_SECRET"
    secret_file: Path | None = None

    _url = field_validator("url")(_https_unless_loopback)


#: the kinds of SIEM sink, which are also the short-form keys under ``siem:``
SINK_KINDS = ("syslog", "splunk_hec", "webhook")

SinkSettings = Annotated[
    SyslogSinkSettings | SplunkHecSinkSettings | WebhookSinkSettings,
    Field(discriminator="kind"),
]


class AlertRuleSettings(_Strict):
    """Fires when ``count`` matching records share a key within ``window_seconds``.

    Every filter given must match; patterns are shell-style (``SECRET_*``).
    """

    name: str = Field(min_length=1, max_length=64)
    decisions: list[str] | None = None
    entities: list[str] | None = None  # entity types, e.g. [KR_RRN] or ["SECRET_*"]
    rules: list[str] | None = None  # rule ids, e.g. ["no-cn-*"]
    jurisdictions: list[str] | None = None  # the provider operator's country, e.g. [CN]
    count: int = Field(default=1, ge=1, le=100_000)
    window_seconds: float = Field(default=600.0, gt=0, le=30 * 86400)
    per: Literal["user", "client_address", "provider", "none"] = "user"
    # After firing, the same rule and key stay quiet this long.
    cooldown_seconds: float = Field(default=600.0, ge=0)


class AlertSettings(_Strict):
    """Alert rules, posted to a Slack- or Teams-compatible incoming webhook."""

    rules: list[AlertRuleSettings] = Field(default_factory=list)
    # The webhook URL is a credential (anyone holding it can post): from a file or
    # a variable, never this file.
    url_env: str = "HAETAE_ALERT_WEBHOOK_URL"
    url_file: Path | None = None
    format: Literal["slack", "teams"] = "slack"
    ca_file: Path | None = None

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, value: list[AlertRuleSettings]) -> list[AlertRuleSettings]:
        names = [rule.name for rule in value]
        if len(names) != len(set(names)):
            raise ValueError("every alert rule needs its own name")
        return value


class SiemSettings(_Strict):
    """Audit records delivered to a SIEM; see docs/governance.md."""

    sinks: list[SinkSettings] = Field(default_factory=list)
    # Each sink's cursor (the last record it acknowledged) lives here.
    state_dir: Path = Path("var/siem")
    batch_size: int = Field(default=200, ge=1, le=10_000)
    poll_seconds: float = Field(default=1.0, gt=0, le=300)
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Deliver from `haetae serve` itself. Off: run `haetae siem deliver`, once
    # per audit store (replicas sharing PostgreSQL would each deliver everything).
    deliver_in_gateway: bool = False
    alerts: AlertSettings = AlertSettings()

    @model_validator(mode="before")
    @classmethod
    def _one_sink_per_kind(cls, data: Any) -> Any:
        """``siem: {syslog: {...}, splunk_hec: {...}, webhook: {...}}``: the short form
        for one sink of a kind, named after it; ``sinks:`` lists any number."""
        if not isinstance(data, dict):
            return data
        short = {kind: data[kind] for kind in SINK_KINDS if kind in data}
        if not short:
            return data
        rest = {key: value for key, value in data.items() if key not in short}
        listed = list(rest.get("sinks") or [])
        for kind, sink in short.items():
            if not isinstance(sink, dict):
                raise ValueError(f"siem.{kind} must be a mapping of its settings")
            listed.append({"name": kind, **sink, "kind": kind})
        return {**rest, "sinks": listed}

    @field_validator("sinks")
    @classmethod
    def _unique_names(cls, value: list[Any]) -> list[Any]:
        names = [sink.name for sink in value]
        if len(names) != len(set(names)):
            raise ValueError("every sink needs its own name (its cursor is kept by name)")
        if "alerts" in names:
            raise ValueError("'alerts' is the alert rules' cursor name; name the sink otherwise")
        return value


#: what an admin token (later a console user) may do; the table is gateway/admin/roles.py
AdminRole = Literal[
    "admin", "policy_author", "policy_approver", "auditor", "viewer", "incident_responder"
]


class AdminSettings(_Strict):
    """Tokens for ``/admin/v1``: a comma-separated variable and/or ``name:token`` lines.

    A token's role is ``roles[name]``; else its name when the name is a role
    (a token called ``auditor`` is an auditor); else ``default_role``.
    """

    token_env: str = "HAETAE_ADMIN_TOKEN"
    token_file: Path | None = None
    roles: dict[str, AdminRole] = Field(default_factory=dict)
    # ``admin`` keeps a deployment's existing single token working; see docs/security.md
    default_role: AdminRole = "admin"
    # an activation needs an approval by someone other than the author; false: one person
    four_eyes: bool = True
    # host:port of a listener of their own for /admin/v1 and /console/ (an internal
    # interface); then the main listener does not serve them. Unset: the main listener.
    listen: str | None = None

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        return host_port(value, "10.0.0.5:9090")


class ConsoleOidcSettings(_Strict):
    """Sign-in to the console with the company identity provider (code flow with PKCE)."""

    issuer: str  # its discovery document is <issuer>/.well-known/openid-configuration
    client_id: str
    # the client secret's variable; unset or empty: a public client (PKCE alone)
    client_secret_env: str = "HAETAE_CONSOLE_OIDC_SECRET"
    # registered with the provider: https://<console host>/console/oidc/callback;
    # None: that path on the host and scheme the browser used (set it behind a proxy)
    redirect_url: str | None = None
    scopes: list[str] = Field(default_factory=lambda: ["openid", "profile", "email"])
    user_claim: str = "preferred_username"  # falls back to ``sub`` when absent
    groups_claim: str = "groups"  # dotted for nested claims, e.g. realm_access.roles
    # group -> role; a user in several mapped groups gets the most powerful role
    group_roles: dict[str, AdminRole] = Field(default_factory=dict)
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"], min_length=1)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)

    @field_validator("algorithms")
    @classmethod
    def _asymmetric(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in ASYMMETRIC_JWT_ALGORITHMS:
                raise ValueError(f"'{name}' is not an asymmetric JWT algorithm")
        return value


class ConsoleSettings(_Strict):
    """The web console at ``/console/``; see docs/console.md."""

    enabled: bool = True
    language: Literal["ko", "en"] = "ko"  # when the browser asks for neither
    # None: Asia/Seoul for Korean pages, audit.timezone for English ones
    timezone: str | None = None
    idle_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    max_hours: float = Field(default=12.0, gt=0, le=7 * 24)
    max_sessions: int = Field(default=10_000, ge=10)
    # break-glass administrators: name -> argon2id hash (`haetae console password NAME`),
    # here and/or as ``name:hash`` lines in a file that command writes (mode 0600)
    local_admins: dict[str, str] = Field(default_factory=dict)
    local_admins_file: Path | None = None
    # "auto": cookies are Secure when the console is reached over HTTPS; "always": even
    # behind a TLS-terminating proxy that forwards plain HTTP
    secure_cookies: Literal["auto", "always"] = "auto"
    # a secret (>= 32 bytes) the replicas share: with rollout.redis_url, sessions are kept
    # in Redis, sealed with it, so any worker or replica serves any signed-in browser
    session_key_env: str = "HAETAE_CONSOLE_SESSION_KEY"
    oidc: ConsoleOidcSettings | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        return None if value is None else known_zone(value)

    @field_validator("local_admins")
    @classmethod
    def _argon2(cls, value: dict[str, str]) -> dict[str, str]:
        for name, hashed in value.items():
            if not hashed.startswith("$argon2id$"):
                raise ValueError(
                    f"local_admins.{name} must be an argon2id hash "
                    f"(make one with `haetae console password {name}`)"
                )
        return value


#: 'none' and the HMAC family are refused: a JWKS holds public keys, and HS* with a
#: public key as the secret is the classic algorithm-confusion forgery
ASYMMETRIC_JWT_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class ApiKeySettings(_Strict):
    """Gateway-issued keys (``haetae keys create``): a file of hashed entries."""

    file: Path | None = None  # None: gateway keys are not accepted
    reload_seconds: float = Field(default=2.0, gt=0)  # how often the file is checked


class TrustedHeaderSettings(_Strict):
    """Identity headers set by a corporate proxy, believed only from ``proxies``."""

    proxies: list[str] = Field(default_factory=list)  # CIDRs; empty: never trusted
    user: str = "X-Forwarded-User"
    groups: str = "X-Forwarded-Groups"
    groups_separator: str = Field(default=",", min_length=1)

    @field_validator("proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for cidr in value:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except ValueError:
                raise ValueError(f"'{cidr}' is not an IP address or CIDR range") from None
        return value


class JwtSettings(_Strict):
    """Bearer tokens from the company's OIDC provider, checked against its JWKS."""

    issuer: str
    audience: list[str] = Field(min_length=1)
    jwks_file: Path | None = None
    jwks_url: str | None = None
    algorithms: list[str] = Field(default_factory=lambda: ["RS256", "ES256"], min_length=1)
    user_claim: str = "sub"
    groups_claim: str | None = "groups"  # dotted for nested claims, e.g. realm_access.roles
    leeway_seconds: float = Field(default=30.0, ge=0, le=300)
    fetch_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    cache_seconds: float = Field(default=300.0, gt=0)
    min_refresh_seconds: float = Field(default=30.0, ge=0)  # unknown-kid refetch floor

    @field_validator("audience", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    def model_post_init(self, _context: Any) -> None:
        if (self.jwks_file is None) == (self.jwks_url is None):
            raise ValueError("identity.jwt needs exactly one of 'jwks_file' or 'jwks_url'")
        if self.jwks_url is not None and not self.jwks_url.startswith(("http://", "https://")):
            raise ValueError("identity.jwt.jwks_url must start with http:// or https://")
        unsafe = [a for a in self.algorithms if a not in ASYMMETRIC_JWT_ALGORITHMS]
        if unsafe:
            raise ValueError(
                f"identity.jwt.algorithms: {', '.join(unsafe)} not allowed; "
                f"use public-key algorithms: {', '.join(sorted(ASYMMETRIC_JWT_ALGORITHMS))}"
            )


class IdentitySettings(_Strict):
    """Who is calling: see docs/identity.md."""

    anonymous: Literal["allow", "deny"] = "allow"
    key_header: str = "X-Haetae-Key"  # a Haetae key or token, never forwarded
    # Also read Haetae keys/tokens from the provider's own auth header (then removed).
    provider_headers: bool = True
    client_header: str = "X-Haetae-Client"
    api_keys: ApiKeySettings = ApiKeySettings()
    trusted_headers: TrustedHeaderSettings = TrustedHeaderSettings()
    jwt: JwtSettings | None = None


class RolloutSettings(_Strict):
    """How replicas share the active policy; see docs/rollout.md."""

    # redis://host:port/db, or rediss:// for TLS; unset = one replica, versions kept
    # locally. A password may sit in the URL, but is better kept out of the config:
    redis_url: str | None = None
    # An ACL user (Redis 6+); unset: the URL's user, else the default user.
    redis_username: str | None = None
    # The password: from this file, else this variable, else the URL's.
    redis_password_file: Path | None = None
    redis_password_env: str = "HAETAE_REDIS_PASSWORD"
    # TLS (rediss://): the CA that signed the server's certificate (unset: the
    # system's), and a client certificate and key when Redis asks for one.
    redis_ca_file: Path | None = None
    redis_cert_file: Path | None = None
    redis_key_file: Path | None = None
    # Ed25519 keys (PEM) that sign and check everything shared through Redis;
    # required with redis_url. A replica with only the verification key follows
    # the fleet but cannot change the policy. See docs/rollout.md.
    signing_key_file: Path | None = None
    signing_key_env: str = "HAETAE_ROLLOUT_SIGNING_KEY"
    verify_key_file: Path | None = None
    verify_key_env: str = "HAETAE_ROLLOUT_VERIFY_KEY"
    key_prefix: str = Field(default="haetae:policy:", min_length=1)
    # Re-read of the shared active pointer, behind the pub/sub push (seconds).
    poll_interval: float = Field(default=1.0, gt=0, le=300)
    # How often the policy file is checked for changes; 0 turns hot reload off.
    file_poll_interval: float = Field(default=1.0, ge=0, le=300)
    # Without Redis: a directory that keeps versions and the change log across
    # restarts (and lets workers on one host share them); unset = memory only.
    local_dir: Path | None = None
    # Answer /readyz with 503 while Redis is unreachable or the shared version
    # cannot be adopted (default: keep serving the last good policy, say so).
    unready_when_unreachable: bool = False

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in ("redis", "rediss", "unix"):
            # The value itself is not echoed: it may carry the password.
            raise ValueError("rollout.redis_url must be a redis://, rediss:// or unix:// URL")
        return value


class TelemetrySettings(_Strict):
    """Haetae's own telemetry choices; exporters come from the standard ``OTEL_*`` variables."""

    # Serve Prometheus' /metrics on the gateway's listener (OTEL_METRICS_EXPORTER=prometheus too).
    prometheus: bool = False
    # Send the gateway's own traceparent to the provider; the caller's never goes.
    propagate_upstream: bool = False


def _split_host_port(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


class ProxySettings(_Strict):
    """The forward proxy (docs/network.md): off unless ``listen`` is set."""

    # host:port of the proxy listener, e.g. 127.0.0.1:3128; unset: no proxy.
    listen: str | None = None
    # The company CA (PEM) that signs the per-host certificates for intercepted AI hosts.
    ca_cert: Path | None = None
    ca_key: Path | None = None
    # Hosts that are neither AI APIs nor AI web applications: relayed untouched, or refused.
    other_hosts: Literal["tunnel", "deny"] = "tunnel"
    # The ports other hosts are tunnelled to; any other port is refused.
    tunnel_ports: list[int] = Field(default_factory=lambda: [443])
    # The address the PAC file sends AI hosts to (what clients reach); default: listen.
    pac_address: str | None = None
    # Per-host certificates: how long each is valid, and how many are kept.
    leaf_validity_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    leaf_cache_size: int = Field(default=1024, ge=1)
    handshake_timeout: float = Field(default=10.0, gt=0)

    @field_validator("listen", "pac_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        return host_port(value, "127.0.0.1:3128")

    def model_post_init(self, _context: Any) -> None:
        if self.listen is not None and (self.ca_cert is None or self.ca_key is None):
            raise ValueError(
                "proxy.listen needs proxy.ca_cert and proxy.ca_key: the company CA that "
                "signs the certificates of intercepted AI hosts"
            )

    def address(self) -> tuple[str, int]:
        """``listen`` as (host, port); only when it is set."""
        assert self.listen is not None
        return _split_host_port(self.listen)


class IcapSettings(_Strict):
    """The ICAP server for the company's own proxy (docs/network.md#icap): off unless
    ``listen`` is set."""

    # host:port of the ICAP listener, e.g. 127.0.0.1:1344; unset: no ICAP server.
    listen: str | None = None
    # ICAP clients (CIDRs) whose user and client-address headers are believed; empty:
    # identity.trusted_headers.proxies. From anywhere else they are ignored and recorded.
    trusted_proxies: list[str] = Field(default_factory=list)
    user_header: str = "X-Authenticated-User"
    groups_header: str = "X-Authenticated-Groups"
    client_ip_header: str = "X-Client-IP"
    # How the proxy writes the user: base64 (Squid's icap_client_username_encode on),
    # plain, or auto (base64 when it decodes to readable text, else plain).
    user_encoding: Literal["auto", "base64", "plain"] = "auto"
    # A header the proxy sends with both REQMOD and RESPMOD of one transaction (Squid:
    # adaptation_meta), pairing an answer with its request; without it they are paired
    # by client address, method and URL.
    transaction_header: str = "X-Haetae-Transaction"
    max_connections: int = Field(default=256, ge=1, le=65536)
    # ICAP head plus encapsulated HTTP heads, in bytes.
    max_header_bytes: int = Field(default=64 * 1024, ge=4096, le=1 << 20)
    # Seconds to wait for a request on an idle connection, then for its encapsulated
    # heads, and for each chunk of its body.
    idle_timeout: float = Field(default=30.0, gt=0, le=3600)
    # Seconds a forwarded request waits for its answer's RESPMOD (the completion record
    # then says the answer was not seen); 0: no RESPMOD service is configured, and each
    # request leaves one record saying so, durable before its 204.
    answer_wait_seconds: float = Field(default=600.0, ge=0, le=86400)
    # An AI API's answer whose request this process did not see (another worker or
    # replica took the REQMOD) or that came after answer_wait_seconds: pass it on
    # unjudged, or refuse it with a 502 in the provider's error format. Logged either way.
    unpaired_answers: Literal["pass", "refuse"] = "pass"
    # Forwarded requests waiting for their RESPMOD at once; the oldest give up beyond.
    max_waiting: int = Field(default=10_000, ge=1)
    options_ttl: int = Field(default=3600, ge=1)  # seconds the proxy may cache OPTIONS
    # Body bytes the proxy sends before asking (Preview). A body this small arrives
    # whole with the request, sparing AI requests a 100 Continue round trip; other
    # hosts' requests get 204 after at most this much.
    preview_bytes: int = Field(default=4096, ge=0, le=1 << 20)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        return host_port(value, "127.0.0.1:1344")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        return TrustedHeaderSettings._networks(value)

    def address(self) -> tuple[str, int]:
        """``listen`` as (host, port); only when it is set."""
        assert self.listen is not None
        return _split_host_port(self.listen)


class Settings(_Strict):
    listen: ListenSettings = ListenSettings()
    # The shipped default policy unless a file is named (setting or --policy).
    policy: Path = Field(default_factory=shipped_policy)
    audit: AuditSettings = AuditSettings()
    limits: LimitSettings = LimitSettings()
    prices: PriceSettings = PriceSettings()
    timeouts: TimeoutSettings = TimeoutSettings()
    forward: ForwardSettings = ForwardSettings()
    detection: DetectionSettings = DetectionSettings()
    company: CompanySettings = CompanySettings()
    attachments: AttachmentSettings = AttachmentSettings()
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    admin: AdminSettings = AdminSettings()
    console: ConsoleSettings = ConsoleSettings()
    identity: IdentitySettings = IdentitySettings()
    rollout: RolloutSettings = RolloutSettings()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    telemetry: TelemetrySettings = TelemetrySettings()
    siem: SiemSettings = SiemSettings()
    proxy: ProxySettings = ProxySettings()
    icap: IcapSettings = IcapSettings()


def load_settings(
    config_file: Path | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """File, then ``HAETAE_*`` variables, then explicit overrides (CLI flags)."""
    data: dict[str, Any] = {}
    if config_file is not None:
        data = _read_yaml(config_file)
    _merge(data, _environment_overrides(os.environ if environ is None else environ))
    if overrides:
        _merge(data, _nest(overrides))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        source = f" in {config_file}" if config_file else ""
        raise ConfigError(
            f"invalid configuration{source}:\n{describe_validation_error(exc)}"
        ) from None


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {path} is not valid YAML: {exc}") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"config file {path} must be a mapping of settings")
    return loaded


def _environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name in (ENV_PREFIX, CONFIG_FILE_VARIABLE):
            continue
        keys = [part.lower() for part in name[len(ENV_PREFIX) :].split("__")]
        # A one-level name that is no setting is a secret's variable (HAETAE_PSEUDONYM_KEY,
        # HAETAE_ADMIN_TOKEN): read by whatever names it, never parsed as configuration.
        if len(keys) == 1 and keys[0] not in Settings.model_fields:
            continue
        if len(keys) >= 2 and keys[0] == "providers":
            keys[1] = keys[1].replace("_", "-")
        _merge(result, _nest({".".join(keys): value}))
    return result


def _nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"listen.port": 1}`` → ``{"listen": {"port": 1}}``."""
    nested: dict[str, Any] = {}
    for dotted, value in flat.items():
        node = nested
        *parents, leaf = dotted.split(".")
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = value
    return nested


def _merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value)
        else:
            target[key] = value
