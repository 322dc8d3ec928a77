"""Optional features and the extra that installs each: one table, one message.

``pip install haetae`` serves with SQLite and the default policy. A feature
that needs more (PostgreSQL, Redis, OpenTelemetry, the Korean name model) is
an extra in pyproject.toml, and its set-up code calls ``require`` before it
imports anything from it. Without this, a missing extra would surface as a
``ModuleNotFoundError`` deep in a traceback, or later still, on the first
request; with it, the gateway refuses to start and says which setting needs
which extra:

    rollout.redis_url needs the 'redis' extra: pip install 'haetae[redis]'

``tests/test_extras.py`` keeps this table and pyproject.toml's extras in step.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gateway.errors import ConfigError

__all__ = ["EXTRAS", "Extra", "MissingExtra", "installed", "require"]


@dataclass(frozen=True, slots=True)
class Extra:
    """One extra: the modules it installs and what needs them (for docs and messages)."""

    name: str
    #: importable when the extra is installed; checked without importing them
    modules: tuple[str, ...]
    needed_by: str


EXTRAS: Mapping[str, Extra] = MappingProxyType(
    {
        extra.name: extra
        for extra in (
            Extra("postgres", ("psycopg", "psycopg_pool"), "audit.url: postgresql://..."),
            Extra("redis", ("redis",), "rollout.redis_url"),
            Extra(
                "otel",
                (
                    # opentelemetry-api alone comes with FastAPI; the SDK does not.
                    "opentelemetry.sdk",
                    "opentelemetry.exporter.otlp.proto.http",
                    "opentelemetry.exporter.prometheus",
                    "prometheus_client",
                ),
                "telemetry.prometheus; traces or metrics asked for by OTEL_* variables",
            ),
            Extra(
                "ko-names",
                ("kiwipiepy",),
                "a policy that scans PERSON; detection.preload_name_model",
            ),
        )
    }
)


class MissingExtra(ConfigError):
    """A setting or policy needs an extra that is not installed."""


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a parent package is missing
        return False


def installed(extra: str) -> bool:
    """Whether every module of ``extra`` can be imported (none is imported here)."""
    return all(_importable(module) for module in EXTRAS[extra].modules)


def require(extra: str, needed_by: str) -> None:
    """Raise ``MissingExtra`` naming ``needed_by`` unless ``extra`` is installed.

    ``needed_by`` is what the operator wrote: a setting (``rollout.redis_url``),
    a variable, or a policy.
    """
    if not installed(extra):
        raise MissingExtra(f"{needed_by} needs the '{extra}' extra: pip install 'haetae[{extra}]'")
