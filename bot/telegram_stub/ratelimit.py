"""Telegram's flood limits on an injectable clock.

Telegram documents "about 30 messages per second" per bot, "no more than 20
messages per minute" per group and "avoid more than one message per second"
per chat, with short bursts tolerated. The bot-wide and private-chat limits are
token buckets (capacity = burst, refill = rate). The group limit is a **rolling
window**, read strictly as SPEC §5 does: at most 20 messages in ANY 60 seconds — a
refilling bucket would let a group take 20 at once and then one every 3 s (up to
39 in some minute), so a bot that overran the real limit would pass here. A bot
that paces itself never sees a 429; one that does not gets ``retry_after`` = whole
seconds until a message may go (for a full group window: until its oldest message
leaves the window).

Only *sending* methods are counted (sendMessage, sendDocument and the other
send*/copy/forward methods); edits are not, unless ``count_edits`` is set —
Telegram limits edits much more loosely and undocumentedly.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Literal

Clock = Callable[[], float]
ChatKind = Literal["private", "group"]

SENDING_METHODS = frozenset(
    {
        "sendmessage",
        "senddocument",
        "sendphoto",
        "sendaudio",
        "sendvideo",
        "sendanimation",
        "sendvoice",
        "sendvideonote",
        "sendmediagroup",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendpoll",
        "senddice",
        "sendsticker",
        "copymessage",
        "forwardmessage",
    }
)
EDITING_METHODS = frozenset(
    {"editmessagetext", "editmessagecaption", "editmessagereplymarkup", "editmessagemedia"}
)


class ManualClock:
    """A monotonic clock that only moves when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Limits per bot; tests make them tight, demo keeps Telegram's."""

    per_second: float = 30.0
    burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_count: int = 20  # messages to one group in any `group_seconds` (rolling)
    group_seconds: float = 60.0
    count_edits: bool = False


class TokenBucket:
    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = capacity
        self.updated = now

    def _refill(self, now: float) -> None:
        elapsed = max(now - self.updated, 0.0)
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now

    def wait_time(self, now: float) -> float:
        self._refill(now)
        if self.tokens >= 1.0 - 1e-9:  # float drift must not refuse a bot that waited exactly
            return 0.0
        return (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        self._refill(now)
        self.tokens -= 1.0


class SlidingWindow:
    """At most `count` accepted in any `length` seconds: a message accepted at `t`
    counts until `t + length` (it has left the window at exactly that moment)."""

    def __init__(self, count: int, length: float) -> None:
        if count < 1 or length <= 0:
            raise ValueError("a window needs a count >= 1 and a positive length")
        self.count = count
        self.length = length
        self.accepted: deque[float] = deque()

    def _expire(self, now: float) -> None:
        # float drift must not refuse a bot that waited exactly
        while self.accepted and self.accepted[0] <= now - self.length + 1e-9:
            self.accepted.popleft()

    def wait_time(self, now: float) -> float:
        self._expire(now)
        if len(self.accepted) < self.count:
            return 0.0
        return self.accepted[len(self.accepted) - self.count] + self.length - now

    def take(self, now: float) -> None:
        self._expire(now)
        self.accepted.append(now)


class RateLimiter:
    """Decides whether one more message may go to a chat right now."""

    def __init__(self, limits: RateLimits, clock: Clock = time.monotonic) -> None:
        self.limits = limits
        self.clock = clock
        self._global = TokenBucket(limits.burst, limits.per_second, clock())
        self._chats: dict[int, TokenBucket] = {}
        self._groups: dict[int, SlidingWindow] = {}

    def counts(self, method: str) -> bool:
        method = method.lower()
        return method in SENDING_METHODS or (self.limits.count_edits and method in EDITING_METHODS)

    def _chat_limit(self, chat_id: int, kind: ChatKind, now: float) -> TokenBucket | SlidingWindow:
        if kind == "private":
            bucket = self._chats.get(chat_id)
            if bucket is None:
                limits = self.limits
                bucket = TokenBucket(limits.private_burst, limits.private_per_second, now)
                self._chats[chat_id] = bucket
            return bucket
        window = self._groups.get(chat_id)
        if window is None:
            window = SlidingWindow(self.limits.group_count, self.limits.group_seconds)
            self._groups[chat_id] = window
        return window

    def acquire(self, chat_id: int, kind: ChatKind) -> int | None:
        """Take one message slot; None when allowed, else ``retry_after`` seconds.

        A refused message consumes nothing, so a bot that waits the advised
        time is let through.
        """
        now = self.clock()
        chat = self._chat_limit(chat_id, kind, now)
        wait = max(self._global.wait_time(now), chat.wait_time(now))
        if wait > 0:
            return max(1, math.ceil(wait))
        self._global.take(now)
        chat.take(now)
        return None


@dataclass(slots=True)
class _Flood:
    retry_after: int
    remaining: int | None
    until: float | None
    methods: frozenset[str] | None  # None: every method


class FloodSwitch:
    """Forced 429s for tests: the next N matching calls, or all of them for T seconds."""

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self.clock = clock
        self._flood: _Flood | None = None

    def set(
        self,
        *,
        count: int | None = None,
        seconds: float | None = None,
        retry_after: int = 1,
        methods: Collection[str] | Literal["sending", "all"] = "sending",
    ) -> None:
        if count is None and seconds is None:
            raise ValueError("flood needs count= or seconds=")
        if retry_after < 1:
            raise ValueError("retry_after is a whole number of seconds >= 1")
        if methods == "all":
            chosen: frozenset[str] | None = None
        elif methods == "sending":
            chosen = SENDING_METHODS
        else:
            chosen = frozenset(m.lower() for m in methods)
        self._flood = _Flood(
            retry_after=retry_after,
            remaining=count,
            until=None if seconds is None else self.clock() + seconds,
            methods=chosen,
        )

    def clear(self) -> None:
        self._flood = None

    @property
    def active(self) -> bool:
        return self._flood is not None

    def check(self, method: str) -> int | None:
        """``retry_after`` when this call must be refused, else None."""
        flood = self._flood
        if flood is None:
            return None
        if flood.until is not None and self.clock() >= flood.until:
            self._flood = None
            return None
        if flood.methods is not None and method.lower() not in flood.methods:
            return None
        if flood.remaining is not None:
            flood.remaining -= 1
            if flood.remaining <= 0:
                self._flood = None
        return flood.retry_after
