"""Worker processes for file work: reading uploads, building XLSX/CSV exports.

Parsing a hostile workbook or building a big export is CPU (and memory) work that
would stall the event loop — and with it every other user. It runs here instead, in
a few long-lived worker processes, each under a memory limit (RLIMIT_AS, set by the
worker itself) and each task under a time limit (the pool kills a worker that runs
over and starts a fresh one). The event loop only waits on a pipe.

    pool = WorkerPool(workers=2, seconds=20, memory_mb=512)
    table = await pool.run(read_catalogue, filename, content, ...)
    await pool.close()

`run` raises `WorkerLimit` (kind "time", "memory" or "crash") when the task broke a
limit; the caller turns that into a refusal in the user's language. A user-facing
refusal raised inside the worker (`UserFacingError`) is raised again, as itself, in
the caller. Anything else the task raises comes back as `WorkerError` with its
traceback text.

A worker is a fresh interpreter (`python -m bot.runtime.workers`, the pipe's end
passed as a file descriptor): never a fork of a process running an event loop and
threads, and unlike multiprocessing's spawn and forkserver it does not re-run the
parent's main script. It imports the file code before it reports ready, so neither
that nor the memory limit counts against a task. Workers start lazily, on the first
task, and live on for the next ones. `claim(owner)` lets a caller hold at most one
piece of work per owner (one upload per user at a time).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import importlib
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, TypeVar

from bot.domain.errors import N_, Conflict, Count, UserFacingError, UserInputError

if TYPE_CHECKING:
    from bot.context import Runtime

log = logging.getLogger(__name__)

T = TypeVar("T")

# Modules a worker imports before it reports ready (the code its tasks run); "!name" keeps
# a module out instead: openpyxl imports numpy (14 MB a worker) only to recognise numpy
# numbers, which file work never has.
PRELOAD = (
    "!numpy",
    "bot.services.catalogue_file",
    "bot.services.plan_file",
    "bot.views.spreadsheets",
    "openpyxl.styles.numbers",
)
STARTUP_SECONDS = 60.0
TASKS_PER_WORKER = 200  # then the worker is replaced, returning its memory to the system
# Workers run their tasks at a lower CPU priority than the bot: on a busy machine the
# scheduler gives the event loop (everyone's replies) the CPU first, and a big file takes a
# little longer. Measured on /plan × 3 (bench_isolation b): p99 142–198 ms, against
# 172–270 ms at the bot's priority.
WORKER_NICENESS = 10
_STOP = None


class WorkerLimit(Exception):
    """A task broke a limit: 'time' (killed after the time limit), 'memory' (ran out of
    its memory limit) or 'crash' (the worker died)."""

    def __init__(self, kind: str, seconds: float, memory_mb: int) -> None:
        super().__init__(f"file worker limit: {kind}")
        self.kind = kind
        self.seconds = seconds
        self.memory_mb = memory_mb


class WorkerError(Exception):
    """The task raised an unexpected exception in the worker (its traceback is the message)."""


class WorkerBusy(Exception):
    """`claim(owner)` while that owner's earlier work is still running."""


class PoolClosed(Exception):
    pass


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # not on Windows: the time limit still applies
        return
    limit = memory_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(
    connection: Connection, memory_mb: int, preload: tuple[str, ...] = PRELOAD
) -> None:
    """The worker's loop: receive (function, args), send back the outcome."""
    with contextlib.suppress(ValueError, AttributeError):  # Ctrl-C is for the bot, not us
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _limit_memory(memory_mb)
    for module in preload:
        if module.startswith("!"):
            sys.modules[module[1:]] = None  # type: ignore[assignment]  # import raises ImportError
        else:
            importlib.import_module(module)
    # tasks at a lower priority; the start-up above ran at the bot's, so that a busy machine
    # (a test run on every core) does not starve a worker's imports for many seconds
    with contextlib.suppress(AttributeError, OSError):  # no os.nice on Windows
        os.nice(WORKER_NICENESS)
    connection.send(("ready", None))
    while True:
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return  # the bot is gone
        except MemoryError:
            connection.send(("memory", None))
            return
        except Exception:  # a task that cannot be unpickled here (a function in __main__ …)
            connection.send(("error", traceback.format_exc()))
            continue
        if task is _STOP:
            return
        function, args = task
        try:
            outcome: tuple[str, Any] = ("ok", function(*args))
        except MemoryError:
            outcome = ("memory", None)
        except UserFacingError as exc:
            outcome = ("refused", (type(exc), exc.message, exc.params))
        except BaseException:
            outcome = ("error", traceback.format_exc())
        del task, function, args
        try:
            connection.send(outcome)
        except MemoryError:
            outcome = ("memory", None)
            connection.send(outcome)
        if outcome[0] == "memory":
            return  # a worker that ran out of memory is not trusted with more
        del outcome
        _release_memory()


def _release_memory() -> None:
    """Give the memory a big task used back to the system while the worker waits (a read
    50,000-row workbook left ~35 MB behind): free the task's objects, then ask glibc to
    return its free pages (not on other C libraries: there the memory stays reserved)."""
    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes] | BaseProcess
    connection: Connection
    tasks: int = 0

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def call(self, task: tuple[Callable[..., Any], tuple[Any, ...]]) -> tuple[str, Any]:
        """Send a task and wait for its outcome (in a thread: both may block)."""
        try:
            self.connection.send(task)
            return self.connection.recv()  # type: ignore[no-any-return]
        except (EOFError, OSError):
            return ("crash", None)

    def _wait(self, seconds: float) -> None:
        if isinstance(self.process, subprocess.Popen):
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(seconds)
        else:
            self.process.join(seconds)

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        self._wait(5)
        with contextlib.suppress(Exception):
            self.connection.close()

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.send(_STOP)
        self._wait(2)
        self.kill()


def _launch(memory_mb: int, preload: tuple[str, ...]) -> _Worker:
    """A fresh interpreter running `_worker_main` on one end of a pipe."""
    parent, child = multiprocessing.Pipe()
    process: subprocess.Popen[bytes] | BaseProcess
    if os.name == "posix":
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        fd = child.fileno()
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.runtime.workers", str(fd), str(memory_mb), *preload],
            pass_fds=(fd,),
            stdin=subprocess.DEVNULL,
            env=env,
        )
    else:  # no descriptor passing: multiprocessing's spawn (re-runs the main module)
        process = multiprocessing.get_context("spawn").Process(
            target=_worker_main, args=(child, memory_mb, preload), daemon=True
        )
        process.start()
    child.close()
    return _Worker(process, parent)


@dataclass
class WorkerPool:
    """At most `workers` processes; tasks beyond that wait their turn (FIFO)."""

    workers: int = 2
    seconds: float = 20.0
    memory_mb: int = 512
    preload: tuple[str, ...] = PRELOAD  # imported before a worker reports ready
    _idle: list[_Worker] = field(default_factory=list)
    _waiters: asyncio.Semaphore | None = None
    _threads: ThreadPoolExecutor | None = None
    _closed: bool = False
    _owners: set[object] = field(default_factory=set)
    _running: dict[int, _Worker] = field(default_factory=dict)
    replaced: int = 0  # workers killed or lost so far (for tests and logs)
    # told each task's name, outcome and seconds (bot.web.metrics)
    observer: Callable[[str, str, float], None] | None = None

    def _semaphore(self) -> asyncio.Semaphore:
        if self._waiters is None:
            self._waiters = asyncio.Semaphore(self.workers)
            self._threads = ThreadPoolExecutor(self.workers, thread_name_prefix="file-worker")
        return self._waiters

    @contextlib.contextmanager
    def claim(self, owner: object) -> Iterator[None]:
        """Hold `owner`'s slot for the duration; raise `WorkerBusy` if it is taken."""
        if owner in self._owners:
            raise WorkerBusy(owner)
        self._owners.add(owner)
        try:
            yield
        finally:
            self._owners.discard(owner)

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` in a worker (both must pickle: module-level functions,
        plain data). Raises `WorkerLimit`, `WorkerError`, or the task's own
        `UserFacingError`."""
        if self._closed:
            raise PoolClosed
        semaphore = self._semaphore()
        async with semaphore:
            if self._closed:
                raise PoolClosed
            loop = asyncio.get_running_loop()
            worker = self._idle.pop() if self._idle else None
            if worker is None:
                worker = await loop.run_in_executor(self._threads, self._start)
            self._running[id(worker)] = worker
            kind: str = "crash"
            value: Any = None
            started = time.monotonic()
            try:
                kind, value = await asyncio.wait_for(
                    loop.run_in_executor(self._threads, worker.call, (function, args)),
                    self.seconds,
                )
            except TimeoutError:
                kind = "time"
            finally:
                self._observe(function, kind, time.monotonic() - started)
                self._running.pop(id(worker), None)
                worker.tasks += 1
                # once closed, the pool's own threads are gone: the loop's default ones stop it
                threads = None if self._closed else self._threads
                if kind in ("ok", "refused", "error") and worker.tasks < TASKS_PER_WORKER:
                    if self._closed:
                        await loop.run_in_executor(threads, worker.stop)
                    else:
                        self._idle.append(worker)
                else:
                    await loop.run_in_executor(threads, worker.kill)
                    if kind not in ("ok", "refused", "error"):
                        self.replaced += 1
        if kind == "ok":
            return value  # type: ignore[no-any-return]
        if kind == "refused":
            error_type, message, params = value
            raise error_type(message, **params)
        if kind == "error":
            raise WorkerError(value)
        log.warning(
            "file worker stopped (%s) running %s", kind, getattr(function, "__name__", function)
        )
        raise WorkerLimit(kind, self.seconds, self.memory_mb)

    def _observe(self, function: Callable[..., Any], kind: str, seconds: float) -> None:
        """`kind`: ok, refused, error, memory, time or crash."""
        if self.observer is None:
            return
        try:
            self.observer(getattr(function, "__name__", "task"), kind, seconds)
        except Exception:  # a metric must never break the work
            log.warning("could not record a file task's duration", exc_info=True)

    async def prestart(self) -> None:
        """Start one worker before the first task needs it (its imports then delay no one's
        answer). Holds a slot meanwhile: a task arriving now waits for this worker rather
        than starting another."""
        if self._closed:
            return
        loop = asyncio.get_running_loop()
        async with self._semaphore():
            if self._closed or self._idle:
                return
            try:
                worker = await loop.run_in_executor(self._threads, self._start)
            except WorkerLimit:
                return  # logged by _start; a task will try again
            if self._closed:
                await loop.run_in_executor(None, worker.stop)
            else:
                self._idle.append(worker)

    def _start(self) -> _Worker:
        worker = _launch(self.memory_mb, self.preload)
        # the start-up (imports) must not count against the first task's time limit
        try:
            ready = worker.connection.poll(STARTUP_SECONDS)
            ready = ready and worker.connection.recv() == ("ready", None)
        except (EOFError, OSError):
            ready = False
        if not ready:
            worker.kill()
            log.error(
                "a file worker did not start (is FILE_WORKER_MEMORY_MB=%s too low for it?)",
                self.memory_mb,
            )
            raise WorkerLimit("crash", self.seconds, self.memory_mb)
        log.debug("file worker %s started", worker.pid)
        return worker

    async def close(self) -> None:
        """Stop every worker (a running task is killed); later `run` calls fail."""
        self._closed = True
        workers = [*self._idle, *self._running.values()]
        self._idle.clear()
        loop = asyncio.get_running_loop()
        for worker in workers:
            if id(worker) in self._running:
                await loop.run_in_executor(self._threads, worker.kill)
            else:
                await loop.run_in_executor(self._threads, worker.stop)
        if self._threads is not None:
            self._threads.shutdown(wait=False)

    @property
    def pids(self) -> list[int]:
        """The live workers' process ids."""
        return [w.pid for w in [*self._idle, *self._running.values()] if w.pid is not None]


# -- the bot's pool ---------------------------------------------------------------------------
POOL_KEY = "file_workers"
FILE_WORK_OBSERVER_KEY = "file_work_observer"  # Runtime.extras: WorkerPool.observer


def file_workers(runtime: Runtime) -> WorkerPool:
    """The bot's pool (made on first use from the settings; processes start lazily)."""
    pool = runtime.extras.get(POOL_KEY)
    if pool is None:
        settings = runtime.settings
        pool = WorkerPool(
            workers=settings.file_workers,
            seconds=settings.file_worker_seconds,
            memory_mb=settings.file_worker_memory_mb,
            observer=runtime.extras.get(FILE_WORK_OBSERVER_KEY),
        )
        runtime.extras[POOL_KEY] = pool
    assert isinstance(pool, WorkerPool)
    return pool


async def close_file_workers(runtime: Runtime) -> None:
    """Stop the bot's workers, file and chart ones (on shutdown); a later use makes a new
    pool."""
    prestart = runtime.extras.pop(PRESTART_KEY, None)
    if isinstance(prestart, asyncio.Task):
        prestart.cancel()  # a worker still starting exits when its pipe closes
    for key in (POOL_KEY, CHART_POOL_KEY):
        pool = runtime.extras.pop(key, None)
        if isinstance(pool, WorkerPool):
            await pool.close()


CHART_POOL_KEY = "chart_workers"
PRESTART_KEY = "chart_workers_prestart"
# A chart worker loads matplotlib and parses the fonts before it reports ready.
CHART_PRELOAD = ("bot.charts.warm",)


def chart_workers(runtime: Runtime) -> WorkerPool | None:
    """The bot's chart pool, or None when charts are off (`CHART_WORKERS=0`). Separate from
    the file pool: a chart never queues behind a big upload, nor an upload behind charts."""
    settings = runtime.settings
    if settings.chart_workers < 1:
        return None
    pool = runtime.extras.get(CHART_POOL_KEY)
    if pool is None:
        pool = WorkerPool(
            workers=settings.chart_workers,
            seconds=settings.file_worker_seconds,
            memory_mb=settings.file_worker_memory_mb,
            preload=CHART_PRELOAD,
        )
        runtime.extras[CHART_POOL_KEY] = pool
    assert isinstance(pool, WorkerPool)
    return pool


def prestart_chart_workers(runtime: Runtime) -> None:
    """Start a chart worker in the background (on start-up), unless charts are off."""
    pool = chart_workers(runtime)
    if pool is not None:
        runtime.extras[PRESTART_KEY] = asyncio.get_running_loop().create_task(pool.prestart())


def reading_refused(limit: WorkerLimit) -> UserInputError:
    """Why an uploaded file was not read, for its sender."""
    if limit.kind == "time":
        return UserInputError(
            N_(
                "This file is too large or complex to read: I stopped at the time limit "
                "({seconds} s). Split it into smaller files, or save it as “CSV UTF-8”, and "
                "send it again."
            ),
            seconds=f"{limit.seconds:g}",
        )
    if limit.kind == "memory":
        return UserInputError(
            N_(
                "This file is too large or complex to read: it needs more than {limit} MB of "
                "memory. Split it into smaller files, or save it as “CSV UTF-8”, and send it "
                "again."
            ),
            limit=Count(limit.memory_mb),
        )
    return UserInputError(
        N_(
            "This file is too large or complex to read: the reader stopped on it. Save it "
            "again from Excel, or as “CSV UTF-8”, and send it again."
        )
    )


def building_refused(limit: WorkerLimit) -> Conflict:
    """Why an export was not built, for whoever asked."""
    if limit.kind == "time":
        return Conflict(
            N_(
                "I could not build this file within the time limit ({seconds} s). Try again in "
                "a minute."
            ),
            seconds=f"{limit.seconds:g}",
        )
    return Conflict(
        N_(
            "I could not build this file: it needs more than {limit} MB of memory. Try again "
            "in a minute."
        ),
        limit=Count(limit.memory_mb),
    )


BUSY = N_("I am still reading your previous file. Send this one again when I have answered.")


if __name__ == "__main__":  # a worker: python -m bot.runtime.workers FD MEMORY_MB MODULE…
    _worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]), tuple(sys.argv[3:]))
