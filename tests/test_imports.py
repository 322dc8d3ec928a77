"""Importing a module loads what it uses and no more; the short package names still work.

Each check runs in a fresh interpreter, since in this one the suite has already imported
everything. What a module pulls in is deterministic, so these assert *which* modules get
imported, never how long it takes (docs/architecture.md, "Layers", has the timings).
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap

import pytest

#: Seconds of start-up each (Presidio and spaCy ~2 s, the web and OpenTelemetry stacks,
#: jwt, database and Redis clients, Kiwi's model): only the modules that use them may
#: load them.
HEAVY = (
    "presidio_analyzer",
    "spacy",
    "jwt",
    "httpx",
    "aiohttp",
    "fastapi",
    "redis",
    "psycopg",
    "opentelemetry",
    "kiwipiepy",
    "pypdf",
    "openpyxl",
    "PIL",
)

#: Modules that policy tooling, dry runs and the audit CLI build on.
LIGHT = (
    "gateway.policy.facts",
    "gateway.policy.schema",
    "gateway.detect.findings",
    "gateway.exchange",
    "gateway.errors",
    "gateway.settings",
    "gateway.subject",
    "gateway.audit.record",
    "gateway.audit.open",
    "gateway.telemetry",
    "gateway.attachments.result",
)

#: Package -> the names it re-exports (lazily; see gateway/lazy.py).
PACKAGES = (
    "gateway.admin",
    "gateway.attachments",
    "gateway.audit",
    "gateway.detect",
    "gateway.dev.evaluation",
    "gateway.dev.testing",
    "gateway.identity",
    "gateway.policy",
    "gateway.rollout",
    "gateway.telemetry",
    "gateway.upstream",
)


def _loaded_after(code: str) -> set[str]:
    """Top-level names of the modules a fresh interpreter holds after running ``code``."""
    script = textwrap.dedent(code) + textwrap.dedent(
        """
        import sys
        print(" ".join(sorted({name.partition(".")[0] for name in sys.modules})))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    return set(done.stdout.split())


@pytest.mark.parametrize("module", LIGHT)
def test_a_light_module_loads_no_heavy_dependency(module: str) -> None:
    loaded = _loaded_after(f"import {module}")
    assert "gateway" in loaded
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def test_help_loads_no_command_implementation() -> None:
    loaded = _loaded_after(
        """
        import contextlib, io
        from gateway.cli import main
        with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
            main(["--help"])
        assert "policy" in out.getvalue() and "audit" in out.getvalue()
        """
    )
    # pydantic and yaml too: settings are read by the commands that use them, not the parser.
    unwanted = {*HEAVY, "pydantic", "yaml"}
    assert loaded.isdisjoint(unwanted), sorted(loaded & unwanted)


def test_a_package_name_loads_only_its_own_module() -> None:
    loaded = _loaded_after(
        """
        from gateway.detect import Finding
        from gateway.identity import Subject
        from gateway.policy import PolicyDocument
        """
    )
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_resolves_to_its_definition(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        origin = getattr(value, "__module__", None)
        if origin is not None and origin.startswith("gateway."):
            # The same object the defining module holds, not a copy.
            assert getattr(importlib.import_module(origin), name) is value
    with pytest.raises(AttributeError, match="no attribute 'not_exported'"):
        _ = module.not_exported
