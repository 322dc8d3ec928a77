"""How this replica reaches Redis: address, ACL user, password and TLS, read once.

Redis is a production dependency of a fleet, so it is reached like one: with
a password (or an ACL user) and, across hosts, over TLS (``rediss://``). The
password is best kept out of the config file and the URL: it is read from
``rollout.redis_password_file`` or the ``rollout.redis_password_env``
variable at start-up. Whatever the gateway prints about Redis — logs,
``/readyz``, start-up errors — names it by ``display``: the URL without its
user, password or query string, and an error by its kind only.
"""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from gateway.errors import ConfigError
from gateway.extras import require
from gateway.rollout.signing import RolloutKeys, load_rollout_keys
from gateway.settings import RolloutSettings

__all__ = [
    "RedisAccess",
    "RedisTarget",
    "describe_redis_error",
    "redact_url",
    "redis_access",
    "redis_target",
]


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """Everything a client needs; ``repr`` and ``display`` never show the password."""

    url: str = field(repr=False)
    options: Mapping[str, Any] = field(default_factory=dict, repr=False)
    display: str = ""

    @classmethod
    def plain(cls, url: str) -> RedisTarget:
        """A target from a URL alone (tests, tools)."""
        return cls(url, {}, redact_url(url))


@dataclass(frozen=True, slots=True)
class RedisAccess:
    """Where the shared store is and the keys its values are signed and checked with."""

    target: RedisTarget
    keys: RolloutKeys


def redis_access(config: RolloutSettings, environ: Mapping[str, str]) -> RedisAccess | None:
    """None without ``rollout.redis_url``; a ConfigError when Redis is set but no key is."""
    if config.redis_url is None:
        return None
    require("redis", "rollout.redis_url")
    keys = load_rollout_keys(config, environ, required=True)
    assert keys is not None  # required=True raises instead
    return RedisAccess(redis_target(config, environ), keys)


def redis_target(config: RolloutSettings, environ: Mapping[str, str]) -> RedisTarget:
    """The configured Redis; ConfigError names a missing file, never a secret."""
    url = config.redis_url
    if url is None:
        raise ConfigError("rollout.redis_url is not set")
    options: dict[str, Any] = {}
    if config.redis_username:
        options["username"] = config.redis_username
    password = _password(config, environ)
    if password is not None:
        if urlsplit(url).password is not None:
            # redis-py would silently prefer the URL's; one source, or a clear error.
            raise ConfigError(
                "rollout.redis_url carries a password and rollout.redis_password_file or "
                f"{config.redis_password_env} gives another: keep only one"
            )
        options["password"] = password
    tls_files = {
        "ssl_ca_certs": config.redis_ca_file,
        "ssl_certfile": config.redis_cert_file,
        "ssl_keyfile": config.redis_key_file,
    }
    if any(tls_files.values()) and urlsplit(url).scheme != "rediss":
        raise ConfigError(
            "rollout.redis_ca_file / redis_cert_file / redis_key_file need a rediss:// "
            "rollout.redis_url (TLS)"
        )
    if (config.redis_cert_file is None) != (config.redis_key_file is None):
        raise ConfigError("rollout.redis_cert_file and rollout.redis_key_file go together")
    for option, path in tls_files.items():
        if path is None:
            continue
        if not path.is_file():
            setting = {"ssl_ca_certs": "ca", "ssl_certfile": "cert", "ssl_keyfile": "key"}[option]
            raise ConfigError(f"rollout.redis_{setting}_file: cannot read {path}")
        options[option] = str(path)
    if urlsplit(url).scheme == "rediss":
        # Verify the server's certificate and name, always: TLS without it is theatre.
        options["ssl_cert_reqs"] = ssl.CERT_REQUIRED
        options["ssl_check_hostname"] = True
    return RedisTarget(url, options, redact_url(url))


def _password(config: RolloutSettings, environ: Mapping[str, str]) -> str | None:
    if config.redis_password_file is not None:
        try:
            text = config.redis_password_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError):
            raise ConfigError(
                f"rollout.redis_password_file: cannot read {config.redis_password_file}"
            ) from None
        if not text:
            raise ConfigError(f"rollout.redis_password_file: {config.redis_password_file} is empty")
        return text
    return environ.get(config.redis_password_env) or None


def redact_url(url: str) -> str:
    """``redis://user:secret@host:6379/0?password=x`` → ``redis://***@host:6379/0``."""
    parts = urlsplit(url)
    if not parts.scheme:
        return "<redis url>"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    if not netloc:  # unix:///run/redis.sock: urlunsplit would drop the "//"
        return f"{parts.scheme}://{parts.path}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def describe_redis_error(exc: BaseException) -> str:
    """An error's kind, with a hint where the kind alone would puzzle; never its text."""
    # Here, not at the top: this module is read at start-up, redis is an optional extra.
    from redis.exceptions import AuthenticationError, AuthorizationError, ResponseError

    name = type(exc).__name__
    if isinstance(exc, AuthenticationError) or (
        isinstance(exc, ResponseError) and _starts(exc, "WRONGPASS", "NOAUTH")
    ):
        return (
            f"{name}: Redis refused the credentials (wrong or missing password or user; see "
            "rollout.redis_password_env / redis_password_file / redis_username)"
        )
    if isinstance(exc, AuthorizationError) or (
        isinstance(exc, ResponseError) and _starts(exc, "NOPERM")
    ):
        return f"{name}: the Redis user lacks a permission the rollout needs (see docs/rollout.md)"
    cause = exc.__cause__ or exc.__context__
    if isinstance(exc, ssl.SSLError) or isinstance(cause, ssl.SSLError):
        return f"{name}: TLS handshake failed (check rollout.redis_ca_file and the server name)"
    return name


def _starts(exc: BaseException, *prefixes: str) -> bool:
    text = str(exc.args[0]) if exc.args else ""
    return text.upper().startswith(prefixes)
