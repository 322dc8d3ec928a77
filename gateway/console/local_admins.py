"""The break-glass administrators' file: ``name:argon2id-hash`` lines, written by
``haetae console password`` and read once at start-up beside ``console.local_admins``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from gateway.errors import ConfigError

__all__ = ["ARGON2ID", "read_local_admins", "write_local_admin"]

ARGON2ID = "$argon2id$"


def read_local_admins(path: Path | None, configured: Mapping[str, str]) -> dict[str, str]:
    """``configured`` plus the file's entries (the file wins: it is what the command wrote)."""
    admins = dict(configured)
    if path is None:
        return admins
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return admins  # none written yet
    except OSError as exc:
        raise ConfigError(f"cannot read console.local_admins_file {path}: {exc.strerror}") from None
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, hashed = line.partition(":")
        if not name.strip() or not hashed.startswith(ARGON2ID):
            raise ConfigError(
                f"{path}:{number}: expected 'name:$argon2id$…' (write it with "
                "`haetae console password NAME --file ...`)"
            )
        admins[name.strip()] = hashed.strip()
    return admins


def write_local_admin(path: Path, name: str, hashed: str) -> None:
    """Add or replace ``name``'s line; the file is private to its owner (0600)."""
    if not name or ":" in name or any(c.isspace() for c in name):
        raise ConfigError("a console admin's name may not be empty or hold ':' or spaces")
    kept: list[str] = []
    if path.exists():
        kept = [
            line for line in path.read_text(encoding="utf-8").splitlines()
            if line.partition(":")[0].strip() != name
        ]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write("\n".join([*kept, f"{name}:{hashed}"]) + "\n")
    os.replace(temporary, path)
