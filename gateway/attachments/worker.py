"""The worker process that reads files: ``python -m gateway.attachments.worker``.

A plain child process, not ``multiprocessing``: it inherits no event loop,
threads or ``__main__`` of the gateway, and talks over its stdin and stdout in
length-prefixed frames. Replies are JSON, never pickles: a parser bug a hostile
file exploits in the worker must not become code running in the gateway.

Job frame: 4-byte header length, JSON header (media type, file name, limits),
8-byte data length, data. Reply frame: 4-byte length, JSON.
"""

from __future__ import annotations

import contextlib
import dataclasses
import resource
import struct
import sys
from typing import IO, Any

import orjson

from gateway.attachments.result import AttachmentLimits, UninspectableAttachment

__all__ = ["cap_memory", "read_exact", "serve"]


def read_exact(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes, or EOFError when the other side closed first."""
    data = stream.read(size)
    if data is None or len(data) < size:
        raise EOFError
    return bytes(data)


def _handle(header: dict[str, Any], data: bytes) -> dict[str, Any]:
    from gateway.attachments.extract import extract

    limits = AttachmentLimits(**header["limits"])
    try:
        read = extract(data, header["media_type"], header["filename"], limits)
    except UninspectableAttachment as exc:
        return {"refused": exc.reason, "kind": exc.kind}
    except MemoryError:
        return {"refused": "too_large", "kind": ""}
    except Exception as exc:  # a reader's own bug: the file is unreadable, never passed
        return {"refused": "unreadable", "kind": "", "error": type(exc).__name__}
    return {"read": dataclasses.asdict(read)}


def cap_memory(memory_bytes: int) -> None:
    """Cap this process's address space: a file that needs more is refused, not obeyed."""
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit stays
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    """Answer one job per frame until ``source`` closes."""
    while True:
        try:
            (size,) = struct.unpack("<I", read_exact(source, 4))
            header = orjson.loads(read_exact(source, size))
            (length,) = struct.unpack("<Q", read_exact(source, 8))
            data = read_exact(source, length)
        except EOFError:
            return
        reply = orjson.dumps(_handle(header, data))
        del data
        sink.write(struct.pack("<I", len(reply)) + reply)
        sink.flush()


if __name__ == "__main__":
    cap_memory(int(sys.argv[1]))
    serve(sys.stdin.buffer, sys.stdout.buffer)
