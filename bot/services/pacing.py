"""Pacing the dispatcher under Telegram's flood limits, so it never meets a 429.

Telegram allows a bot about 30 messages per second in total, 20 per minute in one
group and about one per second in one private chat. PTB's `AIORateLimiter` knows
the first two but not the third, and paces only the requests it sees; the
dispatcher therefore paces its own sends with three kinds of token bucket:

* **global**: `rate` per second with a small burst, taken when a send is granted;
* **per chat**: groups (negative ids) 20 per minute with a burst a little under
  Telegram's, private chats one per second with no burst;
* sends to one chat are **sequential**: the next is granted only after the
  previous one has completed.

Why that is enough whatever the network delay between granting a send and Telegram
counting it (the delay only matters for the burst sizes): let ``K`` be the number of
sends in flight at most. In any time window the sends that reach Telegram are those
granted in the window plus at most ``K`` granted earlier and still in flight, so the
global count stays under ``burst + K + rate·window`` — within Telegram's 30-message
bucket when ``burst + K ≤ 30`` and ``rate ≤ 30``. For one chat, sequential sends reach
Telegram in order and the next is granted only after the previous arrived, so at most
one extra message over the pacer's own bucket is seen in any window: a per-chat burst
one below Telegram's keeps within it.

The buckets read time from a `Timer`. `RealTimer` is the monotonic clock; tests run
the pacer and the Bot API stand-in's limiter on one `VirtualTimer`, where sleeping
moves the shared clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Timer(Protocol):
    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealTimer:
    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))


class VirtualTimer:
    """Time that moves only when someone sleeps: `sleep` advances the shared clock.

    `clock` is read for the time; `advance(seconds)` moves it (the stand-in's
    `ManualClock` has both)."""

    def __init__(self, clock: Callable[[], float], advance: Callable[[float], None]) -> None:
        self._clock = clock
        self._advance = advance

    def monotonic(self) -> float:
        return self._clock()

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._advance(seconds)
        await asyncio.sleep(0)


@dataclass(frozen=True, slots=True)
class PacerLimits:
    per_second: float = 29.0
    burst: int = 10
    group_per_minute: float = 20.0
    group_burst: int = 18  # Telegram tolerates about 20; one less covers the in-flight message
    private_per_second: float = 1.0
    private_burst: int = 1
    in_flight: int = 16  # K: sends in flight at once (burst + K ≤ 30)


class TokenBucket:
    __slots__ = ("capacity", "rate", "tokens", "updated")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = float(capacity)
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(now - self.updated, 0.0)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = max(now, self.updated)

    def wait_time(self, now: float) -> float:
        self._refill(now)
        if self.tokens >= 1.0 - 1e-9:
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self.tokens >= self.capacity - 1e-9


def is_group_chat(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; private chats positive ones."""
    return chat_id < 0


class Pacer:
    """Decides when the next send may go, globally and per chat."""

    def __init__(self, limits: PacerLimits | None = None, timer: Timer | None = None) -> None:
        self.limits = limits or PacerLimits()
        self.timer = timer or RealTimer()
        now = self.timer.monotonic()
        self._global = TokenBucket(self.limits.burst, self.limits.per_second, now)
        self._chats: dict[int, TokenBucket] = {}
        self._paused_until = 0.0
        self._chat_blocked: dict[int, float] = {}
        self._lock = asyncio.Lock()

    def now(self) -> float:
        return self.timer.monotonic()

    def _bucket(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            limits = self.limits
            if is_group_chat(chat_id):
                bucket = TokenBucket(limits.group_burst, limits.group_per_minute / 60.0, now)
            else:
                bucket = TokenBucket(limits.private_burst, limits.private_per_second, now)
            self._chats[chat_id] = bucket
        return bucket

    def chat_wait(self, chat_id: int) -> float:
        """Seconds until one more message may go to this chat (0: now)."""
        now = self.now()
        blocked = self._chat_blocked.get(chat_id, 0.0) - now
        return max(self._bucket(chat_id, now).wait_time(now), blocked, 0.0)

    def take_chat(self, chat_id: int) -> None:
        now = self.now()
        self._bucket(chat_id, now).take(now)

    def global_wait(self) -> float:
        """Seconds until the next global slot (0: now)."""
        now = self.now()
        return max(self._global.wait_time(now), self._paused_until - now, 0.0)

    def take_global(self) -> None:
        now = self.now()
        self._global.take(now)

    async def acquire(self) -> None:
        """Wait for a global slot and take it (grants are serialised)."""
        async with self._lock:
            while True:
                wait = self.global_wait()
                if wait <= 0:
                    self.take_global()
                    return
                await self.timer.sleep(wait)

    def pause(self, seconds: float, chat_id: int | None = None) -> None:
        """Telegram said `retry_after`: nothing more for `seconds` (globally, and for the
        chat, which may have its own flood limit)."""
        until = self.now() + seconds
        self._paused_until = max(self._paused_until, until)
        if chat_id is not None:
            self._chat_blocked[chat_id] = max(self._chat_blocked.get(chat_id, 0.0), until)

    def forget_idle(self) -> None:
        """Drop the buckets of chats that are back to full (they would start full anyway)."""
        now = self.now()
        for chat_id in [c for c, b in self._chats.items() if b.is_full(now)]:
            del self._chats[chat_id]
        for chat_id in [c for c, until in self._chat_blocked.items() if until <= now]:
            del self._chat_blocked[chat_id]
