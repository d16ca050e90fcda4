"""Long loops that share the event loop fairly.

Pricing a 5,000-SKU plan or rechecking every enrolment is pure CPU work on the event
loop. Run in one go it holds every other chat up for the whole stretch; cut into slices
of a few milliseconds, with a turn for the loop after each, other users' updates run in
between and their latency stays a few slices at most.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Sequence
from typing import TypeVar

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
