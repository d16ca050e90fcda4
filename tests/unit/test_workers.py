"""The worker pool for file work (bot/runtime/workers.py): real processes, real limits.
A task over the time limit is killed and its worker replaced while other tasks go on; a
task over the memory limit fails alone; refusals come back as themselves; nothing is
left running after close."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest

from bot.domain.errors import Count
from bot.runtime.pieces import Pieces
from bot.runtime.workers import PRELOAD as BOT_PRELOAD
from bot.runtime.workers import (
    WORKER_NICENESS,
    PoolClosed,
    WorkerBusy,
    WorkerError,
    WorkerLimit,
    WorkerPool,
)
from bot.services.tables import FileRefused

# the tasks below live in this module: workers import it before they report ready, so a
# busy machine's import time never counts against the (short) time limit of these tests
PRELOAD = (*BOT_PRELOAD, __name__)


# Tasks run in the worker: module-level functions, found by the worker by name.
def add(a: int, b: int) -> int:
    return a + b


def sleep_then(seconds: float, value: str) -> str:
    time.sleep(seconds)
    return value


def allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def die() -> None:
    os._exit(3)


def refuse() -> None:
    raise FileRefused("Row {row} is bad; I read up to {limit}.", row=7, limit=Count(50_000))


def fail() -> None:
    raise ValueError("a bug in the task")


def pid_after(seconds: float) -> int:
    """The worker's pid, after a pause (so two calls at once land on two workers)."""
    time.sleep(seconds)
    return os.getpid()


def pid() -> int:
    return os.getpid()


def alive(process_id: int) -> bool:
    try:
        os.kill(process_id, 0)
    except ProcessLookupError:
        return False
    # a killed child not yet reaped is a zombie: gone for our purposes
    try:
        with open(f"/proc/{process_id}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.fixture
async def pool() -> AsyncIterator[WorkerPool]:
    workers = WorkerPool(workers=2, seconds=2, memory_mb=384, preload=PRELOAD)
    try:
        yield workers
    finally:
        await workers.close()


async def test_a_task_over_the_time_limit_is_killed_while_others_finish(pool: WorkerPool) -> None:
    finished: list[str] = []

    async def track(name: str, task: asyncio.Future[object] | object) -> None:
        try:
            await task  # type: ignore[misc]
            finished.append(name)
        except WorkerLimit as limit:
            finished.append(f"{name}: {limit.kind}")

    # both workers started and warm (each has imported this module), so neither task pays
    # for a start-up or its imports inside the time limit on a busy machine
    warm = set(await asyncio.gather(pool.run(pid_after, 0.5), pool.run(pid_after, 0.5)))
    assert len(warm) == 2
    await asyncio.gather(
        track("slow", pool.run(sleep_then, 60, "never")),
        track("quick", pool.run(sleep_then, 0, "done")),
    )
    assert finished == ["quick", "slow: time"]  # the quick one did not wait for the slow one
    assert pool.replaced == 1
    killed = warm - set(pool.pids)
    assert len(killed) == 1 and not alive(killed.pop())  # the slow one's worker, replaced
    assert await pool.run(add, 2, 3) == 5  # a fresh worker took its place


async def test_a_task_over_the_memory_limit_fails_alone(pool: WorkerPool) -> None:
    with pytest.raises(WorkerLimit) as caught:
        await pool.run(allocate, 1024)
    assert caught.value.kind == "memory" and caught.value.memory_mb == 384
    assert await pool.run(allocate, 16) == 16 * 1024 * 1024


async def test_a_dead_worker_is_a_crash_and_is_replaced(pool: WorkerPool) -> None:
    with pytest.raises(WorkerLimit) as caught:
        await pool.run(die)
    assert caught.value.kind == "crash"
    assert await pool.run(add, 1, 1) == 2


async def test_refusals_and_errors_come_back(pool: WorkerPool) -> None:
    with pytest.raises(FileRefused) as refused:
        await pool.run(refuse)
    assert refused.value.params == {"row": 7, "limit": 50_000}
    assert isinstance(refused.value.params["limit"], Count)  # still written as 50,000
    with pytest.raises(WorkerError, match="ValueError: a bug in the task"):
        await pool.run(fail)
    first = await pool.run(pid)
    assert await pool.run(pid) in {first, *pool.pids}  # workers are kept between tasks


async def test_one_claim_per_owner(pool: WorkerPool) -> None:
    with pool.claim(("upload", 1)):
        with pytest.raises(WorkerBusy), pool.claim(("upload", 1)):
            pass
        with pool.claim(("upload", 2)):
            pass
    with pool.claim(("upload", 1)):
        pass


async def test_close_stops_every_worker() -> None:
    workers = WorkerPool(workers=2, seconds=30, memory_mb=384, preload=PRELOAD)
    running = asyncio.ensure_future(workers.run(sleep_then, 60, "never"))
    await asyncio.gather(workers.run(add, 1, 2), workers.run(add, 3, 4))
    for _ in range(600):  # the sleeping task's worker may still be starting
        if len(workers.pids) == 2:
            break
        await asyncio.sleep(0.05)
    pids = workers.pids
    assert len(pids) == 2
    await workers.close()
    with pytest.raises(WorkerLimit):
        await running  # killed by the close
    assert not any(alive(p) for p in pids)
    with pytest.raises(PoolClosed):
        await workers.run(add, 1, 2)


def nice_and_sum(pieces: Pieces[int]) -> tuple[int, bool, int, Pieces[int]]:
    """In the worker: its niceness, whether numpy was kept out, the sum of the shipped
    list, and a list shipped back."""
    numbers = pieces.unpack_now()
    no_numpy = sys.modules.get("numpy", "absent") is None
    return os.nice(0), no_numpy, sum(numbers), Pieces.pack_now([n * 2 for n in numbers], size=7)


async def test_long_lists_cross_the_pipe_in_pieces_and_workers_run_below_the_bot(
    pool: WorkerPool,
) -> None:
    numbers = list(range(1000))
    shipped = await Pieces.pack(numbers, size=64)
    assert len(shipped) == 1000 and len(shipped.blobs) == 16  # 15 full pieces and a rest
    niceness, no_numpy, total, back = await pool.run(nice_and_sum, shipped)
    assert no_numpy  # openpyxl's optional numpy is kept out of file workers (PRELOAD)
    assert total == sum(numbers)
    assert await back.unpack() == [n * 2 for n in numbers]  # every item, in order
    assert len(back.blobs) == 143
    # the scheduler serves the bot's event loop first
    assert niceness == os.nice(0) + WORKER_NICENESS


async def test_packing_gives_other_tasks_turns() -> None:
    turns = 0
    done = asyncio.Event()

    async def other() -> None:
        nonlocal turns
        while not done.is_set():
            turns += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(other())
    await asyncio.sleep(0)
    big = [(str(i), Decimal(i) / 7) for i in range(40_000)]  # ~80 ms of pickling
    turns_before = turns
    shipped = await Pieces.pack(big)
    assert (await shipped.unpack()) == big
    done.set()
    await task
    assert turns - turns_before >= 4
