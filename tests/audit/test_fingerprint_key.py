"""Where the audit fingerprint key comes from, and what a bad one says."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.audit.setup import configured_fingerprinter
from gateway.errors import ConfigError
from gateway.settings import AuditSettings

EDIT_KEY = b"e" * 32


def test_file_then_variable_then_derived_from_the_edit_key(tmp_path: Path) -> None:
    file = tmp_path / "audit.key"
    file.write_text("f" * 32 + "\n")
    from_file = configured_fingerprinter(
        AuditSettings(fingerprint_key_file=file), EDIT_KEY, {"HAETAE_AUDIT_KEY": "v" * 32}
    )
    from_variable = configured_fingerprinter(
        AuditSettings(), EDIT_KEY, {"HAETAE_AUDIT_KEY": "v" * 32}
    )
    derived = configured_fingerprinter(AuditSettings(), EDIT_KEY, {})
    values = {f("kim@example.com") for f in (from_file, from_variable, derived)}
    assert len(values) == 3


def test_a_short_key_is_refused_without_being_echoed() -> None:
    with pytest.raises(ConfigError, match="at least") as error:
        configured_fingerprinter(AuditSettings(), EDIT_KEY, {"HAETAE_AUDIT_KEY": "tiny-key"})
    assert "tiny-key" not in str(error.value)
