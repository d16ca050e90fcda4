"""The dispatcher's pacer against the Bot API stand-in's own limiter, on one virtual clock:
whatever the delay between a grant and Telegram counting the message, no 429."""

from __future__ import annotations

import random

import pytest

from bot.services.pacing import Pacer, PacerLimits, TokenBucket, VirtualTimer, is_group_chat
from bot.telegram_stub.ratelimit import ManualClock, RateLimiter, RateLimits


def test_token_bucket_waits_exactly_for_the_next_token() -> None:
    bucket = TokenBucket(2, 1.0, now=0.0)
    bucket.take(0.0)
    bucket.take(0.0)
    assert bucket.wait_time(0.0) == pytest.approx(1.0)
    assert bucket.wait_time(0.5) == pytest.approx(0.5)
    assert bucket.wait_time(1.0) == 0.0
    assert not bucket.is_full(1.0) and bucket.is_full(2.0)


async def test_private_chats_get_one_message_a_second_and_groups_a_burst() -> None:
    clock = ManualClock()
    pacer = Pacer(PacerLimits(), VirtualTimer(clock, clock.advance))
    pacer.take_chat(42)
    assert pacer.chat_wait(42) == pytest.approx(1.0)
    for _ in range(18):
        assert pacer.chat_wait(-100) == 0
        pacer.take_chat(-100)
    assert pacer.chat_wait(-100) == pytest.approx(3.0)  # 20 per minute after the burst
    clock.advance(1.0)
    assert pacer.chat_wait(42) == 0
    pacer.pause(5, chat_id=42)
    assert pacer.chat_wait(42) == pytest.approx(5.0)


async def test_global_slots_follow_the_rate() -> None:
    clock = ManualClock(start=0.0)
    pacer = Pacer(PacerLimits(per_second=10, burst=2), VirtualTimer(clock, clock.advance))
    for _ in range(12):
        await pacer.acquire()
    assert clock() == pytest.approx(1.0)  # 2 from the burst, then 10 in one second


@pytest.mark.parametrize("groups, privates", [(4, 12), (150, 150)])
@pytest.mark.parametrize("seed", range(3))
def test_no_429_whatever_the_delays(seed: int, groups: int, privates: int) -> None:
    """A discrete-event run: each grant reaches Telegram at a random point of its trip
    (up to 2 s); the arrivals, in time order, go through the stand-in's limiter."""
    rng = random.Random(seed)
    clock = ManualClock(start=0.0)
    limits = PacerLimits()
    pacer = Pacer(limits, VirtualTimer(clock, clock.advance))
    # few chats: the per-chat limits bind; many: the global one does
    chats = [-(1000 + i) for i in range(groups)] + [1000 + i for i in range(privates)]
    queue = [rng.choice(chats) for _ in range(500)]
    done: list[tuple[float, int]] = []  # (completion time, chat) of sends in flight
    arrivals: list[tuple[float, int]] = []
    busy: set[int] = set()
    while queue or done:
        now = clock()
        for finished in [d for d in done if d[0] <= now]:
            done.remove(finished)
            busy.discard(finished[1])
        ready = next(
            (i for i, c in enumerate(queue) if c not in busy and pacer.chat_wait(c) <= 0), None
        )
        if ready is not None and len(done) < limits.in_flight and pacer.global_wait() <= 0:
            chat = queue.pop(ready)
            pacer.take_global()
            pacer.take_chat(chat)
            trip = rng.choice([0.001, 0.01, 0.05, 0.3, 2.0])
            arrivals.append((now + trip * rng.random(), chat))
            done.append((now + trip, chat))
            busy.add(chat)
            continue
        waits = [d[0] - now for d in done] + [pacer.global_wait() or 1.0]
        waits += [pacer.chat_wait(c) for c in queue if c not in busy]
        clock.advance(max(min(w for w in waits if w > 0), 1e-6))
    stub_clock = ManualClock(start=0.0)
    stub = RateLimiter(RateLimits(), stub_clock)
    refused = []
    for at, chat in sorted(arrivals):
        stub_clock.now = at
        if stub.acquire(chat, "group" if is_group_chat(chat) else "private") is not None:
            refused.append((at, chat))
    assert refused == []
