"""Writing one part of the company index (a table or a collection) all at once.

A part is written to a hidden sibling directory and renamed into place, so a replica
that opens the index while an administrator registers sees the old part or the new one,
never half of one (``index.py`` skips hidden directories). Its ``meta.json`` gets a random
``registration`` id, so that registering a part again always changes the index's
generation, even with the same counts in the same second (a reload would skip it).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["write_part"]


def write_part(target: Path, arrays: Mapping[str, np.ndarray], meta: Mapping[str, object]) -> int:
    """Save ``arrays`` (``<name>.npy``) and ``meta.json`` as ``target``; returns the bytes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for name, values in arrays.items():
            np.save(staging / f"{name}.npy", values)
        stamped = {**meta, "registration": secrets.token_hex(8)}
        (staging / "meta.json").write_text(json.dumps(stamped, ensure_ascii=False), "utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}.old-{os.getpid()}")
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return sum(p.stat().st_size for p in target.iterdir())
