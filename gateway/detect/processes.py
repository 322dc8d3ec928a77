"""Large scans in worker processes, so that they never hold the event loop's GIL.

A scan on a worker thread still shares the interpreter with the event loop: every
regular-expression search is one C call that keeps the GIL until it returns, so a
thread scanning 1 Mi crafted characters held the loop for 20–100 ms at a time, and the
small requests that scan on the loop waited for the GIL between every step. A process
shares nothing: the loop only pickles the texts (~1 ms per MB) and the findings.

Each worker builds the engine it is asked for once (``detect/recipe.py``: what the
engine was built from, identified by a random key) and keeps the last few. Workers run
at a lower CPU priority (``nice``), so on a busy machine the loop process, which answers
every small request, is scheduled first. The pool starts on the first scan that needs
it (``haetae serve`` starts it before serving) and warms one engine per worker in the
background; until then scans use a thread.

A worker exits when the gateway that started it is gone, however it went (SIGKILL, the
OOM killer): nothing else would tell it, since its parent is the forkserver, which in
turn only exits once no worker holds its liveness pipe. The workers going, the
forkserver and the resource tracker follow.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import multiprocessing
import os
import select
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any, TypeVar, cast

from gateway.detect.recipe import EngineRecipe, SentRecipe

if TYPE_CHECKING:
    from gateway.detect.engine import DetectionEngine, LanguageChoice
    from gateway.detect.findings import Finding

__all__ = ["WORKER_NICE", "ScanProcesses"]

log = logging.getLogger(__name__)

T = TypeVar("T")

#: how much lower than the gateway's the workers' CPU priority is
WORKER_NICE = 10
_ENGINES_PER_WORKER = 4


def _engine(recipe: SentRecipe | EngineRecipe) -> DetectionEngine:
    """The worker's engine for ``recipe`` (per process: the cache lives in the worker)."""
    return _built(recipe.key, recipe)


@functools.lru_cache(maxsize=_ENGINES_PER_WORKER)
def _built(key: str, sent: SentRecipe | EngineRecipe) -> DetectionEngine:
    from gateway.detect.engine import DetectionEngine

    recipe = sent.unpack() if isinstance(sent, SentRecipe) else sent
    engine = DetectionEngine(
        recipe.entities,
        recipe.score_threshold,
        recipe.extra_recognizers,
        cast("LanguageChoice", recipe.language),
        phone_regions=recipe.phone_regions,
    )
    engine.warm_up()
    return engine


def _start_worker(gateway: int) -> None:
    os.nice(WORKER_NICE)
    threading.Thread(target=_exit_with, args=(gateway,), name="gateway-gone", daemon=True).start()


def _exit_with(gateway: int) -> None:
    """Wait for the process ``gateway`` to end, then end this worker at once.

    Linux: a pidfd, readable when the process exits (no polling, no pid reuse);
    elsewhere: asked every second whether the pid still exists.
    """
    try:
        handle = os.pidfd_open(gateway)
    except (AttributeError, OSError):  # not Linux 5.3+, or the gateway is gone already
        while _exists(gateway):
            time.sleep(1.0)
    else:
        select.select([handle], [], [])
    os._exit(0)  # a scan in progress is for a gateway that can no longer answer


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, someone else's: the pid was reused
        return False
    return True


def _warm(recipe: EngineRecipe) -> int:
    _engine(recipe)
    return os.getpid()


def _scan(
    recipe: EngineRecipe, texts: list[str], places: int | None, max_view_chars: int | None
) -> list[list[Finding]]:
    return _engine(recipe).scan_segments(texts, places=places, max_view_chars=max_view_chars)


class ScanProcesses:
    """A pool of ``processes`` scan workers, started on first use.

    ``ready(engine)`` says whether a scan can go to the pool now (started, one engine
    warmed); the caller scans on a thread otherwise. A pool whose worker died (killed
    for memory, say) fails the scans it had and is replaced on the next one.
    """

    def __init__(self, processes: int) -> None:
        self._processes = processes
        self._executor: ProcessPoolExecutor | None = None
        self._warming: list[Future[int]] = []
        self._starting: threading.Thread | None = None

    @property
    def state(self) -> str:
        """``off`` (threads), ``idle`` (not started), ``starting`` or ``ready``."""
        if self._processes <= 0:
            return "off"
        if self._starting is None:
            return "idle"
        return "ready" if self._usable() else "starting"

    def ready(self, engine: DetectionEngine) -> bool:
        """Whether a scan can go to a worker now; starts the workers on first call."""
        if self._processes > 0 and self._starting is None:
            self.start(engine)
            return False
        return self._usable()

    def _usable(self) -> bool:
        if self._executor is None or not all(future.done() for future in self._warming):
            return False
        failed = next((f.exception() for f in self._warming if f.exception()), None)
        if failed is not None:
            # workers that cannot even start would fail every scan: threads from now on
            log.error(
                "scan worker processes failed to start (%s); scanning on threads",
                type(failed).__name__,
            )
            self.close()
            self._processes = 0
            return False
        return True

    def start(self, engine: DetectionEngine) -> None:
        """Start the workers now, each warming ``engine``'s twin; returns at once.

        Starting waits for the forkserver to import the engine (~2-5 s): on a thread,
        never on the event loop. ``haetae serve`` starts them before it serves.
        """
        if self._starting is not None or self._processes <= 0:
            return
        self._starting = threading.Thread(
            target=self._start, args=(engine.recipe,), name="scan-processes", daemon=True
        )
        self._starting.start()

    def _start(self, recipe: EngineRecipe) -> None:
        # forkserver: workers fork from a clean process that imported the engine once,
        # never from the serving process with its threads, sockets and event loop
        try:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["gateway.detect.engine"])
            executor = ProcessPoolExecutor(
                self._processes,
                mp_context=context,
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
            self._warming = [executor.submit(_warm, recipe) for _ in range(self._processes)]
        except Exception as exc:  # no fork server or semaphores here (a locked-down container)
            log.error(
                "scan worker processes cannot start (%s); scanning on threads", type(exc).__name__
            )
            self._processes = 0
            return
        self._executor = executor

    async def scan(
        self,
        engine: DetectionEngine,
        texts: list[str],
        places: int | None,
        max_view_chars: int | None,
    ) -> list[list[Finding]]:
        """``engine.scan_segments`` in a worker; the caller made sure ``ready`` is true."""
        return await self.call(_scan, engine.recipe, texts, places, max_view_chars)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` in a worker (a module-level function: it is pickled by name);
        the caller made sure ``state`` is ``ready``."""
        executor = self._executor
        assert executor is not None
        try:
            return await asyncio.get_running_loop().run_in_executor(executor, function, *args)
        except BrokenProcessPool:
            self._forget(executor)
            raise

    def _forget(self, executor: ProcessPoolExecutor) -> None:
        if self._executor is executor:
            self._executor, self._warming, self._starting = None, [], None
            executor.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
