"""The key behind keyed hashes and pseudonyms, loaded once at start-up."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from gateway.detect.company.index import CompanyIndex, CompanyIndexError
from gateway.detect.transforms import MIN_KEY_BYTES
from gateway.errors import ConfigError
from gateway.settings import CompanySettings, DetectionSettings

__all__ = ["load_company_index", "load_company_key", "load_edit_key", "read_configured_key"]

log = logging.getLogger("haetae")


def load_edit_key(settings: DetectionSettings, environ: Mapping[str, str] | None = None) -> bytes:
    """From ``detection.key_file``, else the ``detection.key_env`` variable, else random.

    A random key still protects values; it only means that pseudonyms and hashes are
    stable within this process, not across replicas or restarts.
    """
    env = os.environ if environ is None else environ
    key = read_configured_key("detection.key_file", settings.key_file, settings.key_env, env)
    if key is None:
        log.warning(
            "no pseudonym key configured (%s or detection.key_file): pseudonyms and hashes "
            "are stable only within this process",
            settings.key_env,
        )
        return os.urandom(32)
    return key


def read_configured_key(
    setting: str, file: Path | None, variable: str, environ: Mapping[str, str]
) -> bytes | None:
    """A secret key from its file (``setting`` names it), else its variable; None if neither.

    Errors name where the key should come from, never the key.
    """
    if file is not None:
        try:
            key = file.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(f"{setting}: cannot read {file}: {exc.strerror}") from None
        source = f"{setting} ({file})"
    elif environ.get(variable):
        key = environ[variable].encode()
        source = f"environment variable {variable}"
    else:
        return None
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"the key from {source} must be at least {MIN_KEY_BYTES} bytes")
    return key


def load_company_key(settings: CompanySettings, environ: Mapping[str, str] | None = None) -> bytes:
    """The company index key: required, since an index hashed with a random key matches
    nothing."""
    env = os.environ if environ is None else environ
    key = read_configured_key("company.key_file", settings.key_file, settings.key_env, env)
    if key is None:
        raise ConfigError(
            f"the company index needs its key: set {settings.key_env} or company.key_file"
        )
    return key


def load_company_index(
    settings: CompanySettings, environ: Mapping[str, str] | None = None
) -> CompanyIndex | None:
    """The company index when ``company.index_dir`` is set (memory-mapped), else None."""
    if settings.index_dir is None:
        return None
    key = load_company_key(settings, environ)
    try:
        index = CompanyIndex.open(settings.index_dir, key)
    except CompanyIndexError as exc:
        raise ConfigError(f"company.index_dir: {exc}") from None
    log.info(
        "company index %s: %d tables, %d documents",
        settings.index_dir,
        len(index.tables),
        index.documents,
    )
    return index
