"""Sharing the event loop (bot/runtime/cooperative.py): heavy jobs take turns in one lane,
first come first served, and a job already in the lane may enter it again."""

from __future__ import annotations

import asyncio

from bot.runtime.cooperative import heavy_work


async def test_heavy_jobs_run_one_at_a_time_in_arrival_order() -> None:
    running = 0
    most = 0
    order: list[int] = []

    async def job(number: int) -> None:
        nonlocal running, most
        async with heavy_work():
            running += 1
            most = max(most, running)
            order.append(number)
            for _ in range(5):
                await asyncio.sleep(0)  # slices: turns for the loop, not for another job
            running -= 1

    await asyncio.gather(*(job(n) for n in range(4)))
    assert most == 1
    assert order == [0, 1, 2, 3]


async def test_light_work_runs_while_a_heavy_job_holds_the_lane() -> None:
    released = asyncio.Event()
    seen: list[str] = []

    async def heavy() -> None:
        async with heavy_work():
            seen.append("heavy in")
            await released.wait()

    task = asyncio.create_task(heavy())
    await asyncio.sleep(0)
    seen.append("light")  # no lane for light work: it never waits for the heavy job
    released.set()
    await task
    assert seen == ["heavy in", "light"]


async def test_a_job_in_the_lane_may_enter_it_again() -> None:
    async def nested() -> str:
        async with heavy_work(), heavy_work():
            return "done"

    assert await asyncio.wait_for(nested(), 2) == "done"
