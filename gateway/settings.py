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
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gateway.config_file import CONFIG_FILE_VARIABLE
from gateway.errors import ConfigError
from gateway.validation import describe_validation_error

__all__ = [
    "CONFIG_FILE_VARIABLE",
    "AdminSettings",
    "AuditSettings",
    "CredentialSettings",
    "ForwardSettings",
    "IdentitySettings",
    "LimitSettings",
    "ListenSettings",
    "ProviderSettings",
    "RolloutSettings",
    "Settings",
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


class AuditSettings(_Strict):
    """Where the audit trail goes; see docs/audit.md."""

    url: str = "sqlite:///var/audit.db"
    # Where records wait, fsync'd, while the store is down: "auto" (beside a SQLite
    # file, else var/audit-spool.jsonl), "off" (fail closed at once), or a path.
    spool: str = "auto"
    # The HMAC key of finding fingerprints; without one it is derived from the
    # detection (pseudonym) key, so it is as stable as that key.
    fingerprint_key_env: str = "HAETAE_AUDIT_KEY"
    fingerprint_key_file: Path | None = None
    # Ed25519 private key (PEM) that signs chain checkpoints; unset: chain only.
    signing_key_file: Path | None = None
    checkpoint_every: int = Field(default=1000, ge=1)
    checkpoint_seconds: float = Field(default=60.0, gt=0)
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
    # The HMAC key behind `hash` and `pseudonymize`: replicas that share it give a
    # value the same placeholder. Without one, a random key per process is used.
    key_env: str = "HAETAE_PSEUDONYM_KEY"
    key_file: Path | None = None
    # Which language's rules (names, addresses, context words) apply: per text by
    # default (Hangul → Korean); identifiers and secrets are found in either.
    language: Literal["auto", "ko", "en"] = "auto"
    # Load the Korean name model (Kiwi: ~1.3 s, ~320 MB) at start-up even when the
    # active policy does not scan PERSON, so that activating one that does is quick.
    preload_name_model: bool = False


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


#: what an admin token (later a console user) may do; the table is gateway/admin/roles.py
AdminRole = Literal["admin", "policy_author", "policy_approver", "auditor", "viewer"]


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


class Settings(_Strict):
    listen: ListenSettings = ListenSettings()
    # The shipped default policy unless a file is named (setting or --policy).
    policy: Path = Field(default_factory=shipped_policy)
    audit: AuditSettings = AuditSettings()
    limits: LimitSettings = LimitSettings()
    timeouts: TimeoutSettings = TimeoutSettings()
    forward: ForwardSettings = ForwardSettings()
    detection: DetectionSettings = DetectionSettings()
    providers: dict[str, ProviderSettings] = Field(default_factory=dict)
    admin: AdminSettings = AdminSettings()
    identity: IdentitySettings = IdentitySettings()
    rollout: RolloutSettings = RolloutSettings()
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["text", "json"] = "text"
    telemetry: TelemetrySettings = TelemetrySettings()


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
