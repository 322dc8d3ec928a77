"""The key behind keyed hashes and pseudonyms, loaded once at start-up."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

from gateway.detect.transforms import MIN_KEY_BYTES
from gateway.errors import ConfigError
from gateway.settings import DetectionSettings

__all__ = ["load_edit_key"]

log = logging.getLogger("haetae")


def load_edit_key(settings: DetectionSettings, environ: Mapping[str, str] | None = None) -> bytes:
    """From ``detection.key_file``, else the ``detection.key_env`` variable, else random.

    A random key still protects values; it only means that pseudonyms and hashes are
    stable within this process, not across replicas or restarts.
    """
    env = os.environ if environ is None else environ
    if settings.key_file is not None:
        try:
            key = settings.key_file.read_bytes().strip()
        except OSError as exc:
            raise ConfigError(
                f"detection.key_file: cannot read {settings.key_file}: {exc.strerror}"
            ) from None
        source = f"detection.key_file ({settings.key_file})"
    elif env.get(settings.key_env):
        key = env[settings.key_env].encode()
        source = f"environment variable {settings.key_env}"
    else:
        log.warning(
            "no pseudonym key configured (%s or detection.key_file): pseudonyms and hashes "
            "are stable only within this process",
            settings.key_env,
        )
        return os.urandom(32)
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"the key from {source} must be at least {MIN_KEY_BYTES} bytes")
    return key
