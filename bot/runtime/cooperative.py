"""Long loops that share the event loop fairly.

Pricing a 5,000-SKU plan or rechecking every enrolment is pure CPU work on the event
loop. Run in one go it holds every other chat up for the whole stretch; cut into slices
of a few milliseconds, with a turn for the loop after each, other users' updates run in
between and their latency stays a few slices at most.

Slices alone are not enough when several heavy jobs run at once: each takes its slice
on every turn of the loop, and a /help that needs twenty turns waits twenty times for
all of them. `heavy_work()` lets one heavy job run at a time (the others queue, first
come first served), so a turn of the loop costs at most one slice; and it defers the
garbage collector's full collections while the job runs (bot.runtime.heap).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from collections.abc import AsyncIterator, Sequence
from contextvars import ContextVar
from typing import TypeVar

from bot.runtime.heap import full_collections_deferred

T = TypeVar("T")

SLICE_SECONDS = 0.004  # CPU time a loop may hold the event loop before it yields
BATCH = 32  # items between clock readings (pricing one SKU takes ~50 µs)


class Turns:
    """Gives the event loop a turn whenever a slice of time has been used up."""

    def __init__(self, slice_seconds: float = SLICE_SECONDS) -> None:
        self.slice_seconds = slice_seconds
        self.until = time.perf_counter() + slice_seconds

    async def check(self) -> None:
        if time.perf_counter() >= self.until:
            await asyncio.sleep(0)
            self.until = time.perf_counter() + self.slice_seconds


async def in_slices(items: Sequence[T], batch: int = BATCH) -> AsyncIterator[Sequence[T]]:
    """`items` in batches, yielding to the loop between batches once a slice is used up."""
    turns = Turns()
    for start in range(0, len(items), batch):
        if start:
            await turns.check()
        yield items[start : start + batch]


_LANES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
    weakref.WeakKeyDictionary()
)
_IN_LANE: ContextVar[bool] = ContextVar("in_heavy_lane", default=False)


@contextlib.asynccontextmanager
async def heavy_work() -> AsyncIterator[None]:
    """Hold the event loop's one lane for heavy work (a whole plan, a team's margin
    recheck) for the duration; re-entering it from inside is a no-op.

    Enter it before opening a unit of work, never inside one: a job waiting for the
    lane must not hold a database transaction (on SQLite, the write lock) that the job
    in the lane may need."""
    if _IN_LANE.get():
        yield
        return
    loop = asyncio.get_running_loop()
    lane = _LANES.get(loop)
    if lane is None:
        lane = _LANES[loop] = asyncio.Lock()
    async with lane:
        token = _IN_LANE.set(True)
        try:
            with full_collections_deferred():  # see bot.runtime.heap
                yield
        finally:
            _IN_LANE.reset(token)
