"""Rate limiter and flood switch on a clock the test moves."""

from __future__ import annotations

import pytest

from bot.telegram_stub.ratelimit import FloodSwitch, ManualClock, RateLimiter, RateLimits

PRIVATE = 7_000_000_001
GROUP = -4_000_000_001


def test_private_chat_allows_a_burst_then_one_per_second() -> None:
    clock = ManualClock()
    limiter = RateLimiter(RateLimits(private_burst=3, private_per_second=1.0), clock)
    assert [limiter.acquire(PRIVATE, "private") for _ in range(3)] == [None, None, None]
    assert limiter.acquire(PRIVATE, "private") == 1
    clock.advance(0.5)
    assert limiter.acquire(PRIVATE, "private") == 1  # half a token: still refused, rounds up
    clock.advance(0.5)
    assert limiter.acquire(PRIVATE, "private") is None
    assert limiter.acquire(PRIVATE, "private") == 1


def test_refusal_consumes_nothing() -> None:
    clock = ManualClock()
    limiter = RateLimiter(RateLimits(private_burst=1), clock)
    assert limiter.acquire(PRIVATE, "private") is None
    for _ in range(10):
        assert limiter.acquire(PRIVATE, "private") == 1
    clock.advance(1.0)
    assert limiter.acquire(PRIVATE, "private") is None


def test_group_limit_is_per_minute_with_whole_second_retry_after() -> None:
    clock = ManualClock()
    limiter = RateLimiter(RateLimits(group_per_minute=20, group_burst=20), clock)
    for _ in range(20):
        assert limiter.acquire(GROUP, "group") is None
    assert limiter.acquire(GROUP, "group") == 3  # one token per 3 s
    clock.advance(2.1)
    assert limiter.acquire(GROUP, "group") == 1
    clock.advance(0.9)
    assert limiter.acquire(GROUP, "group") is None


def test_chats_are_independent_but_share_the_global_limit() -> None:
    clock = ManualClock()
    limits = RateLimits(per_second=5, burst=5, private_burst=1)
    limiter = RateLimiter(limits, clock)
    for chat in range(5):
        assert limiter.acquire(PRIVATE + chat, "private") is None
    assert limiter.acquire(PRIVATE + 99, "private") == 1  # fresh chat, but 5/s bot-wide
    clock.advance(0.2)
    assert limiter.acquire(PRIVATE + 99, "private") is None


def test_only_sending_methods_count_unless_edits_asked_for() -> None:
    limiter = RateLimiter(RateLimits(), ManualClock())
    assert limiter.counts("sendMessage")
    assert limiter.counts("senddocument")
    assert not limiter.counts("editMessageText")
    assert not limiter.counts("getUpdates")
    assert RateLimiter(RateLimits(count_edits=True), ManualClock()).counts("editMessageText")


def test_flood_by_count() -> None:
    flood = FloodSwitch(ManualClock())
    flood.set(count=2, retry_after=4)
    assert flood.check("getUpdates") is None  # not a sending method
    assert flood.check("sendMessage") == 4
    assert flood.check("sendDocument") == 4
    assert flood.check("sendMessage") is None
    assert not flood.active


def test_flood_by_time_for_all_methods() -> None:
    clock = ManualClock()
    flood = FloodSwitch(clock)
    flood.set(seconds=3, retry_after=2, methods="all")
    assert flood.check("getUpdates") == 2
    clock.advance(2.9)
    assert flood.check("answerCallbackQuery") == 2
    clock.advance(0.1)
    assert flood.check("sendMessage") is None


def test_flood_for_named_methods() -> None:
    flood = FloodSwitch(ManualClock())
    flood.set(count=1, methods=["editMessageText"])
    assert flood.check("sendMessage") is None
    assert flood.check("editmessagetext") == 1


def test_flood_needs_a_bound() -> None:
    with pytest.raises(ValueError, match="count= or seconds="):
        FloodSwitch().set()
    with pytest.raises(ValueError, match="retry_after"):
        FloodSwitch().set(count=1, retry_after=0)
