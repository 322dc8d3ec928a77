"""Worker processes that read files, each with a memory cap and a deadline.

Parsing a hostile PDF or recognising a large image is CPU-heavy and can take
unbounded memory; a thread can neither be stopped nor capped. So each read runs
in a worker process whose address space is capped (``RLIMIT_AS``) and which is
killed, and replaced, when a read passes its deadline. Workers are plain child
processes (``worker.py``), started on first use and kept. At most ``size`` reads
run at once; the others wait for a worker, within the same deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import select
import struct
import subprocess
import sys
import time
from typing import IO, Any

import orjson

from gateway.attachments.result import AttachmentLimits, ReadAttachment, UninspectableAttachment

__all__ = ["ExtractionPool"]


#: what a worker may see of the gateway's environment: never its keys and tokens, which a
#: parser bug a hostile file exploits would otherwise hand over
_WORKER_VARIABLES = frozenset(
    {"PATH", "PYTHONPATH", "VIRTUAL_ENV", "HOME", "LANG", "TMPDIR", "TESSDATA_PREFIX"}
)


def _worker_environment() -> dict[str, str]:
    return {
        name: value
        for name, value in os.environ.items()
        if name in _WORKER_VARIABLES or name.startswith("LC_")
    }


class _Worker:
    """One ``gateway.attachments.worker`` child process and its pipes."""

    def __init__(self, limits: AttachmentLimits) -> None:
        self._limits = orjson.dumps(dataclasses.asdict(limits))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gateway.attachments.worker", str(limits.memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # a parser's warnings could quote the file
            close_fds=True,
            env=_worker_environment(),
        )

    def run(self, job: tuple[bytes, str | None, str | None], timeout: float) -> dict[str, Any]:
        """Send a job and wait for its reply; past ``timeout`` the worker is killed."""
        data, media_type, filename = job
        header = orjson.dumps({"media_type": media_type, "filename": filename})[:-1]
        header += b',"limits":' + self._limits + b"}"
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        deadline = time.monotonic() + timeout
        try:
            stdin.write(struct.pack("<I", len(header)) + header + struct.pack("<Q", len(data)))
            stdin.write(data)
            stdin.flush()
            size = struct.unpack("<I", self._receive(stdout, 4, deadline))[0]
            reply: dict[str, Any] = orjson.loads(self._receive(stdout, size, deadline))
        except TimeoutError:
            self.kill()
            return {"refused": "timeout", "kind": ""}
        except (EOFError, OSError, orjson.JSONDecodeError, struct.error):
            self.kill()  # died: out of memory inside C code, or killed
            return {"refused": "too_large", "kind": ""}
        return reply

    def _receive(self, stream: IO[bytes], size: int, deadline: float) -> bytes:
        out = bytearray()
        descriptor = stream.fileno()
        while len(out) < size:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([descriptor], [], [], left)[0]:
                raise TimeoutError
            chunk = os.read(descriptor, min(size - len(out), 1 << 20))
            if not chunk:
                raise EOFError
            out += chunk
        return bytes(out)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait(5)
        self._close_pipes()

    def stop(self) -> None:
        self._close_pipes()  # stdin closed: the worker's loop ends
        try:
            self.process.wait(2)
        except subprocess.TimeoutExpired:
            self.kill()

    def _close_pipes(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()


class ExtractionPool:
    """Reads files in up to ``size`` worker processes, started on first use."""

    def __init__(self, limits: AttachmentLimits, size: int = 2) -> None:
        self._limits = limits
        self._idle: list[_Worker] = []
        self._slots = asyncio.Semaphore(max(1, size))
        self._closed = False

    async def read(
        self, data: bytes, media_type: str | None, filename: str | None, name: str
    ) -> ReadAttachment:
        """The file read in a worker; ``UninspectableAttachment`` when it cannot be."""
        timeout = self._limits.timeout_seconds
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            raise UninspectableAttachment("timeout", name) from None
        try:
            if self._closed:
                raise UninspectableAttachment("unreadable", name)
            idle = self._idle.pop() if self._idle else None
            left = max(0.1, deadline - loop.time())
            # starting a worker and the job both run on a thread: neither blocks the loop
            reply, worker = await asyncio.to_thread(
                self._run, idle, (data, media_type, filename), left
            )
            if worker.alive and not self._closed:
                self._idle.append(worker)
            elif worker.alive:  # closed while this read ran
                await asyncio.to_thread(worker.stop)
        finally:
            self._slots.release()
        if "read" in reply:
            read = reply["read"]
            read["texts"] = tuple((where, text) for where, text in read["texts"])
            return ReadAttachment(**read)
        raise UninspectableAttachment(reply["refused"], name, reply["kind"])

    def _run(
        self, worker: _Worker | None, job: tuple[bytes, str | None, str | None], timeout: float
    ) -> tuple[dict[str, Any], _Worker]:
        if worker is None or not worker.alive:
            worker = _Worker(self._limits)
        return worker.run(job, timeout), worker

    def close(self) -> None:
        """Stop every idle worker (a busy one is stopped when its job ends)."""
        self._closed = True
        while self._idle:
            self._idle.pop().stop()
