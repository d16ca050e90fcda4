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


def test_group_limit_is_a_rolling_minute_with_whole_second_retry_after() -> None:
    clock = ManualClock()
    limiter = RateLimiter(RateLimits(group_count=20, group_seconds=60), clock)
    for _ in range(20):
        assert limiter.acquire(GROUP, "group") is None
        clock.advance(0.5)  # the 20th at +9.5 s
    assert limiter.acquire(GROUP, "group") == 50  # until the first leaves the window
    clock.advance(3.0)  # a refilling bucket would let one through now: a window does not
    assert limiter.acquire(GROUP, "group") == 47
    clock.advance(46.5)  # +59.5 s: the first still counts
    assert limiter.acquire(GROUP, "group") == 1
    clock.advance(0.5)  # +60 s: the first has left, exactly one place is free
    assert limiter.acquire(GROUP, "group") is None
    assert limiter.acquire(GROUP, "group") == 1  # the second leaves at +60.5 s
    clock.advance(0.5)
    assert limiter.acquire(GROUP, "group") is None


def test_no_sixty_seconds_ever_hold_more_than_twenty_group_messages() -> None:
    """A greedy sender trying every 0.25 s for ten minutes: whatever got through, no
    60-second span holds more than 20 (a bucket refilled at 20/min lets 39 through in
    the first minute)."""
    clock = ManualClock(start=0.0)
    limiter = RateLimiter(RateLimits(group_count=20, group_seconds=60), clock)
    accepted = []
    for step in range(2400):
        clock.now = step * 0.25
        if limiter.acquire(GROUP, "group") is None:
            accepted.append(clock.now)
    assert all(sum(1 for t in accepted if start <= t < start + 60) <= 20 for start in accepted)
    assert len(accepted) == 200  # 20 per minute, none lost: the window is not stricter


def test_groups_have_their_own_windows() -> None:
    clock = ManualClock()
    limiter = RateLimiter(RateLimits(group_count=2, group_seconds=60), clock)
    assert [limiter.acquire(GROUP, "group") for _ in range(3)] == [None, None, 60]
    assert limiter.acquire(GROUP - 1, "group") is None


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
