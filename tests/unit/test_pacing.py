"""The pacer (one per bot, for replies and notices): Telegram's limits as strict sliding
windows, fair turns between replies and notices, and — against the Bot API stand-in's
own limiter and a strict window checker, on one clock — no 429 whatever the delay
between a grant and Telegram counting the message."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable

import pytest

from bot.runtime.pacer import INF, Kind, Pacer, PacerLimits, Window, is_group_chat
from bot.telegram_stub.ratelimit import ManualClock, RateLimiter, RateLimits

GROUP = -100_200
PRIVATE = 42


class SimTimer:
    """Discrete-event time for the pacer: a sleeper wakes when every task is blocked and
    its wake-up is the earliest one; the clock then jumps there."""

    def __init__(self, start: float = 0.0) -> None:
        self.now = start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    def monotonic(self) -> float:
        return self.now

    def __call__(self) -> float:  # the stand-in's clock interface
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(seconds, 0.0), next(self._seq), future))
        await future

    async def run_until(self, done: Callable[[], bool], limit: float = 10_000.0) -> None:
        while not done():
            for _ in range(30):  # let every runnable task run until it blocks
                await asyncio.sleep(0)
            if done():
                return
            while self._sleepers and self._sleepers[0][2].done():
                heapq.heappop(self._sleepers)  # cancelled
            if not self._sleepers:
                raise AssertionError("nothing left to wake, but not done: a lost wake-up")
            at, _, future = heapq.heappop(self._sleepers)
            if at > limit:
                raise AssertionError(f"still not done at t={at}")
            self.now = max(self.now, at)
            future.set_result(None)


def windows_hold(times: list[float], count: int, length: float) -> bool:
    """At most `count` of `times` in any half-open window of `length` seconds."""
    ordered = sorted(times)
    return all(
        ordered[i + count] - ordered[i] >= length - 1e-9 for i in range(len(ordered) - count)
    )


# -- the window --------------------------------------------------------------------------------


def test_a_window_counts_a_send_from_its_grant_until_its_length_after_it_completed() -> None:
    window = Window(2, 10.0)
    assert window.wait(0.0) == 0
    window.start()
    window.start()
    assert window.wait(0.0) == INF  # both in flight: only a completion frees a slot
    window.finish(1.0)
    assert window.wait(1.0) == pytest.approx(10.0)  # counted until 1.0 + 10
    window.finish(3.0)
    assert window.wait(10.9) == pytest.approx(0.1)
    assert window.wait(11.0) == 0  # the first one left the window
    window.start()
    assert window.wait(11.0) == pytest.approx(2.0)  # the second leaves at 13
    assert not window.idle(12.0)
    window.finish(12.0)
    assert window.idle(22.0)


def test_a_window_needs_a_count_and_a_length() -> None:
    with pytest.raises(ValueError, match="count"):
        Window(0, 1.0)


def test_global_window_from_a_fractional_rate() -> None:
    assert PacerLimits(per_second=29.5).global_window() == (29, 1.0)
    assert PacerLimits(per_second=0.5).global_window() == (1, 2.0)


# -- the pacer ---------------------------------------------------------------------------------


async def send(pacer: Pacer, chat: int | None, log: list[tuple[float, int | None]], **kw: object):
    kind = kw.get("kind", Kind.REPLY)
    trip = float(kw.get("trip", 0.0))  # type: ignore[arg-type]
    async with pacer.slot(chat, kind):  # type: ignore[arg-type]
        log.append((pacer.now(), chat))
        if trip:
            await pacer.timer.sleep(trip)


async def test_a_group_gets_20_in_any_60_seconds_strictly_not_a_refilling_bucket() -> None:
    timer = SimTimer()
    pacer = Pacer(PacerLimits(), timer)
    log: list[tuple[float, int | None]] = []
    tasks = [asyncio.create_task(send(pacer, GROUP, log)) for _ in range(41)]
    await timer.run_until(lambda: all(t.done() for t in tasks))
    times = [t for t, _ in log]
    assert times[:20] == pytest.approx([float(i) for i in range(20)])  # one a second
    # a bucket (20, refilling one per 3 s) would send the 21st at t=20 and keep going at
    # one per 3 s: 27 in the first 60 s. The window waits for the first to leave.
    assert times[20] == pytest.approx(60.0)
    assert times[40] == pytest.approx(120.0)
    assert windows_hold(times, 20, 60.0) and windows_hold(times, 1, 1.0)


async def test_one_chat_is_sequential_and_a_second_apart_after_each_answer() -> None:
    timer = SimTimer()
    pacer = Pacer(PacerLimits(), timer)
    log: list[tuple[float, int | None]] = []
    tasks = [asyncio.create_task(send(pacer, PRIVATE, log, trip=0.4)) for _ in range(3)]
    await timer.run_until(lambda: all(t.done() for t in tasks))
    # granted at 0, answered at 0.4; next at 1.4, answered 1.8; next at 2.8
    assert [t for t, _ in log] == pytest.approx([0.0, 1.4, 2.8])


async def test_the_global_limit_holds_across_chats() -> None:
    timer = SimTimer()
    pacer = Pacer(PacerLimits(per_second=10), timer)
    log: list[tuple[float, int | None]] = []
    tasks = [asyncio.create_task(send(pacer, 1000 + i, log)) for i in range(35)]
    await timer.run_until(lambda: all(t.done() for t in tasks))
    times = [t for t, _ in log]
    assert windows_hold(times, 10, 1.0)
    assert times[-1] == pytest.approx(3.0)  # 10 at 0, 10 at 1, 10 at 2, 5 at 3


async def test_replies_and_notices_take_turns() -> None:
    """A flood of replies cannot starve the notices, nor a backlog of notices the
    replies: when both wait, they alternate."""
    timer = SimTimer()
    pacer = Pacer(PacerLimits(per_second=4), timer)
    order: list[Kind] = []

    async def one(chat: int, kind: Kind) -> None:
        async with pacer.slot(chat, kind):
            order.append(kind)

    replies = [asyncio.create_task(one(1000 + i, Kind.REPLY)) for i in range(40)]
    notices = [asyncio.create_task(one(5000 + i, Kind.NOTICE)) for i in range(6)]
    tasks = replies + notices
    await timer.run_until(lambda: all(t.done() for t in tasks))
    # the replies asked first and took the free second's four slots; from then on, with
    # both kinds waiting, they take turns: the six notices do not wait for 36 replies
    assert order[:4] == [Kind.REPLY] * 4
    assert order[4:16] == [Kind.NOTICE, Kind.REPLY] * 6
    assert pacer.granted == {Kind.REPLY: 40, Kind.NOTICE: 6}


async def test_a_chat_that_must_wait_does_not_hold_up_other_chats() -> None:
    timer = SimTimer()
    pacer = Pacer(PacerLimits(), timer)
    log: list[tuple[float, int | None]] = []
    first = [asyncio.create_task(send(pacer, GROUP, log)) for _ in range(3)]
    other = asyncio.create_task(send(pacer, PRIVATE, log))
    await timer.run_until(lambda: other.done())
    assert (0.0, PRIVATE) in log  # not behind the group's second and third message
    await timer.run_until(lambda: all(t.done() for t in first))


async def test_retry_after_pauses_everything_and_the_chat_longer() -> None:
    timer = SimTimer()
    pacer = Pacer(PacerLimits(), timer)
    pacer.pause(5, chat_id=PRIVATE)
    assert pacer.chat_wait(PRIVATE) == pytest.approx(5.0)
    assert pacer.global_wait() == pytest.approx(5.0)
    log: list[tuple[float, int | None]] = []
    task = asyncio.create_task(send(pacer, PRIVATE + 1, log))
    await timer.run_until(task.done)
    assert log == [(pytest.approx(5.0), PRIVATE + 1)]


async def test_a_cancelled_wait_leaves_no_trace() -> None:
    timer = SimTimer()
    pacer = Pacer(PacerLimits(), timer)
    log: list[tuple[float, int | None]] = []
    first = asyncio.create_task(send(pacer, PRIVATE, log, trip=0.5))
    second = asyncio.create_task(send(pacer, PRIVATE, log))
    for _ in range(5):
        await asyncio.sleep(0)
    second.cancel()
    await timer.run_until(first.done)
    assert pacer.waiting() == 0
    third = asyncio.create_task(send(pacer, PRIVATE, log))
    await timer.run_until(third.done)
    assert [t for t, _ in log] == pytest.approx([0.0, 1.5])


async def test_quiet_chats_are_forgotten() -> None:
    timer = SimTimer()
    pacer = Pacer(PacerLimits(), timer)
    log: list[tuple[float, int | None]] = []
    tasks = [asyncio.create_task(send(pacer, chat, log)) for chat in (GROUP, PRIVATE, 7)]
    pacer.pause(2, chat_id=7)
    await timer.run_until(lambda: all(t.done() for t in tasks))
    assert pacer.tracked() == 5  # the group twice (chat and group windows), a pause
    timer.now += 59
    pacer.forget_idle()
    assert pacer.tracked() == 1  # the group's 60 s window still holds its message
    timer.now += 2
    pacer.forget_idle()
    assert pacer.tracked() == 0


def test_private_and_group_ids() -> None:
    assert is_group_chat(-1001) and not is_group_chat(7)


# -- against Telegram's limits, whatever the delays ---------------------------------------


@pytest.mark.parametrize("groups, privates", [(4, 12), (150, 150)])
@pytest.mark.parametrize("seed", range(3))
async def test_no_429_whatever_the_delays(seed: int, groups: int, privates: int) -> None:
    """Replies and notices to random chats, each reaching Telegram at a random point of
    its trip (up to 2 s): the arrivals keep the strict windows and pass the stand-in's
    limiter (token buckets with Telegram's bursts)."""
    rng = random.Random(seed)
    timer = SimTimer()
    limits = PacerLimits()
    pacer = Pacer(limits, timer)
    # few chats: the per-chat limits bind; many: the global one does
    chats = [-(1000 + i) for i in range(groups)] + [1000 + i for i in range(privates)]
    arrivals: list[tuple[float, int]] = []

    async def one(chat: int, kind: Kind, delay: float) -> None:
        await timer.sleep(delay)
        async with pacer.slot(chat, kind):
            trip = rng.choice([0.001, 0.01, 0.05, 0.3, 2.0])
            arrivals.append((timer.now + trip * rng.random(), chat))
            await timer.sleep(trip)

    tasks = [
        asyncio.create_task(
            one(rng.choice(chats), rng.choice(list(Kind)), rng.choice([0.0, rng.random() * 20]))
        )
        for _ in range(500)
    ]
    await timer.run_until(lambda: all(t.done() for t in tasks))
    assert len(arrivals) == 500
    by_chat: dict[int, list[float]] = defaultdict(list)
    for at, chat in arrivals:
        by_chat[chat].append(at)
    assert windows_hold([at for at, _ in arrivals], 30, 1.0)
    for chat, times in by_chat.items():
        assert windows_hold(times, 1, 1.0), chat
        if is_group_chat(chat):
            assert windows_hold(times, 20, 60.0), chat
    stub_clock = ManualClock(start=0.0)
    stub = RateLimiter(RateLimits(), stub_clock)
    refused = []
    for at, chat in sorted(arrivals):
        stub_clock.now = at
        if stub.acquire(chat, "group" if is_group_chat(chat) else "private") is not None:
            refused.append((at, chat))
    assert refused == []
