"""ZIP containers read within bounds: entry count, expansion ratio, total size.

Office files, HWPX, ODF and plain archives are all ZIPs, and a ZIP is the
classic bomb: a few kilobytes that inflate to gigabytes. Sizes the archive
declares are checked first and then enforced while reading, since they can lie.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

from gateway.attachments.result import AttachmentLimits, UninspectableAttachment

__all__ = ["SafeZip"]

_CHUNK = 64 * 1024


class SafeZip:
    """An archive whose members are read no further than the limits allow."""

    def __init__(self, data: bytes, limits: AttachmentLimits, kind: str = "zip") -> None:
        self._limits = limits
        self._kind = kind
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError):
            raise UninspectableAttachment("unreadable", kind=kind) from None
        if len(infos) > limits.max_zip_entries:
            raise UninspectableAttachment("too_large", kind=kind)
        declared = 0
        for info in infos:
            if info.flag_bits & 0x1:
                raise UninspectableAttachment("encrypted", kind=kind)
            declared += info.file_size
            if (
                info.file_size > _CHUNK
                and info.file_size > info.compress_size * limits.max_zip_ratio
            ):
                raise UninspectableAttachment("bomb", kind=kind)
        if declared > limits.max_unpacked_bytes:
            raise UninspectableAttachment("bomb", kind=kind)
        self._infos = {info.filename: info for info in infos if not info.is_dir()}
        self._read = 0

    def names(self) -> list[str]:
        return list(self._infos)

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def read(self, name: str) -> bytes:
        """A member's bytes; past its declared size or the archive's budget, a bomb."""
        info = self._infos[name]
        budget = min(info.file_size, self._limits.max_unpacked_bytes - self._read)
        out = bytearray()
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(_CHUNK):
                    out += chunk
                    if len(out) > budget:
                        raise UninspectableAttachment("bomb", kind=self._kind)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, ValueError):
            raise UninspectableAttachment("unreadable", kind=self._kind) from None
        self._read += len(out)
        return bytes(out)

    def members(self, prefix: str, suffix: str = "") -> Iterator[str]:
        """Member names under ``prefix`` ending in ``suffix``, in natural order."""
        names = [n for n in self._infos if n.startswith(prefix) and n.endswith(suffix)]
        yield from sorted(names, key=_natural)


def _natural(name: str) -> tuple[int, tuple[int | str, ...]]:
    """``slide10.xml`` after ``slide9.xml``: digits compare as numbers."""
    parts: list[int | str] = []
    digits = ""
    for char in name:
        if char.isdigit():
            digits += char
            continue
        if digits:
            parts.append(int(digits))
            digits = ""
        parts.append(char)
    if digits:
        parts.append(int(digits))
    return (
        len(name.split("/")),
        tuple(str(p).zfill(12) if isinstance(p, int) else p for p in parts),
    )
