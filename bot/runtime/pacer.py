"""One pacer per bot for every message it sends — replies and notices alike (SPEC §5).

Telegram allows a bot about 30 messages a second in total, 20 messages in any rolling
60 seconds in one group and about one message a second in one chat. Each limit is a
**sliding window**, read strictly: at most ``count`` sends in any ``length`` seconds —
not a refilling bucket, which would let a group take 20 at once and then one every 3 s
(up to 39 in some 60 s).

Telegram counts a message when it arrives, somewhere between the moment we grant the
send and the moment its answer comes back; we know neither exactly. So a window counts
every send **from its grant until `length` seconds after its answer came back** (a send
in flight counts as present). The rule — grant a send only when fewer than ``count``
sends are counted — keeps every ``length``-second window at Telegram at ``count`` or
fewer whatever the network delay: take any window and, among the sends that arrived in
it, the one granted last at ``g``; every other one arrived at or after the window's
start ``w > g - length``, so its answer came back after ``g - length``, and it was
therefore counted when ``g`` was granted. With ``count`` = 1 (one chat's limit) sends
to a chat are sequential and at least `length` apart on Telegram's side.

Windows: global (``per_second`` a second, or one per ``1/per_second`` seconds below 1),
per chat (1 a second) and per group (negative ids: 20 in 60 s) on top. `retry_after`
from Telegram pauses everything for that long, and the chat it named.

**Fair ordering.** Sends wait in one FIFO queue per kind (`Kind.REPLY`,
`Kind.NOTICE`); when a slot frees, the kinds take turns, each taking the oldest send
whose chat may receive now. A flood of replies therefore cannot starve the reminders,
nor a backlog of reminders the replies; and one chat that must wait (its group window
is full) does not hold up sends to other chats.

Replies reach the pacer through `PacedRateLimiter`, the Application's PTB rate limiter
(every request of the bot goes through it: sending methods are paced, the others only
wait out a `retry_after` pause). Notices use `Pacer.slot` in the dispatcher directly
(their Bot has no rate limiter: the dispatcher wants a `RetryAfter` at once, to put
the notice back in the outbox).

Time comes from a `Timer`: `RealTimer` is the monotonic clock; tests run the pacer and
the Bot API stand-in's limiter on one `VirtualTimer`, where sleeping moves the shared
clock instead of waiting.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.runtime.updates import outside_run_slot

log = logging.getLogger(__name__)

INF = float("inf")
PACER_KEY = "pacer"  # Runtime.extras: the process's one Pacer
SWEEP_EVERY = 1024  # sends between forgetting the windows of quiet chats

# Methods that post a message (what Telegram's flood limits count). Edits, callback
# answers, getFile … are not paced; they only respect a retry_after pause.
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
        "sendpaidmedia",
        "sendinvoice",
        "sendgame",
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }
)


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


class Kind(StrEnum):
    REPLY = "reply"
    NOTICE = "notice"


@dataclass(frozen=True, slots=True)
class PacerLimits:
    per_second: float = 30.0  # messages a second in total (fractions: one per 1/rate s)
    chat_count: int = 1  # in any `chat_seconds`, to one chat
    chat_seconds: float = 1.0
    group_count: int = 20  # in any `group_seconds`, to one group
    group_seconds: float = 60.0
    in_flight: int = 16  # the dispatcher's notices in flight at once (its own bound)

    def global_window(self) -> tuple[int, float]:
        if self.per_second >= 1:
            return math.floor(self.per_second), 1.0
        return 1, 1.0 / self.per_second


class Window:
    """At most `count` sends in any `length` seconds, a send counting from its grant
    until `length` after it completed (see the module's docstring)."""

    __slots__ = ("count", "done", "in_flight", "length")

    def __init__(self, count: int, length: float) -> None:
        if count < 1 or length <= 0:
            raise ValueError("a window needs a count >= 1 and a positive length")
        self.count = count
        self.length = length
        self.in_flight = 0
        self.done: deque[float] = deque()  # completion times, ascending

    def _expire(self, now: float) -> None:
        done = self.done
        while done and done[0] <= now - self.length:
            done.popleft()

    def wait(self, now: float) -> float:
        """Seconds until one more send may be granted: 0 now, `INF` until a send in
        flight completes."""
        self._expire(now)
        excess = self.in_flight + len(self.done) - self.count
        if excess < 0:
            return 0.0
        if self.in_flight >= self.count:
            return INF
        return self.done[excess] + self.length - now

    def start(self) -> None:
        self.in_flight += 1

    def finish(self, now: float) -> None:
        self.in_flight -= 1
        if not self.done or self.done[-1] <= now:
            self.done.append(now)
        else:  # a virtual clock may hand out the same instant: keep the order anyway
            bisect.insort(self.done, now)

    def idle(self, now: float) -> bool:
        self._expire(now)
        return self.in_flight == 0 and not self.done


def is_group_chat(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; private chats positive ones."""
    return chat_id < 0


@dataclass(slots=True)
class _Waiter:
    chat_id: int | None
    kind: Kind
    future: asyncio.Future[_Grant]


@dataclass(slots=True)
class _Grant:
    windows: tuple[Window, ...]
    released: bool = False


@dataclass(slots=True)
class _Queue:
    """One kind's waiters: per chat in order of arrival, chats in order of their head."""

    by_chat: dict[int | None, deque[tuple[int, _Waiter]]] = field(default_factory=dict)

    def add(self, seq: int, waiter: _Waiter) -> None:
        self.by_chat.setdefault(waiter.chat_id, deque()).append((seq, waiter))

    def remove(self, waiter: _Waiter) -> None:
        queue = self.by_chat.get(waiter.chat_id)
        if queue is None:
            return
        for item in queue:
            if item[1] is waiter:
                queue.remove(item)
                break
        if not queue:
            del self.by_chat[waiter.chat_id]

    def pop(self, chat_id: int | None) -> _Waiter:
        queue = self.by_chat[chat_id]
        _, waiter = queue.popleft()
        if not queue:
            del self.by_chat[chat_id]
        return waiter

    def __bool__(self) -> bool:
        return bool(self.by_chat)


class Pacer:
    """Grants sends under the global, per-chat and per-group windows, fairly between
    replies and notices. One per bot (per process)."""

    def __init__(self, limits: PacerLimits | None = None, timer: Timer | None = None) -> None:
        self.limits = limits or PacerLimits()
        self.timer: Timer = timer or RealTimer()
        self._global = Window(*self.limits.global_window())
        self._chats: dict[int, Window] = {}
        self._groups: dict[int, Window] = {}
        self._paused_until = 0.0
        self._chat_blocked: dict[int, float] = {}
        self._queues: dict[Kind, _Queue] = {kind: _Queue() for kind in Kind}
        self._turn = 0  # index into `Kind` of the kind that goes first next time
        self._seq = 0
        self._sleeper: asyncio.Task[None] | None = None
        self._sleep_until = INF
        self.granted: dict[Kind, int] = dict.fromkeys(Kind, 0)
        self.retry_afters = 0  # flood-control answers received (bot.web.metrics reads it)
        self._releases = 0

    def use_timer(self, timer: Timer) -> None:
        """Switch the clock (tests, before anything was sent)."""
        self.timer = timer

    def now(self) -> float:
        return self.timer.monotonic()

    # -- the windows ---------------------------------------------------------------------

    def _windows(self, chat_id: int | None) -> tuple[Window, ...]:
        if chat_id is None:
            return (self._global,)
        limits = self.limits
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Window(limits.chat_count, limits.chat_seconds)
        if not is_group_chat(chat_id):
            return (self._global, chat)
        group = self._groups.get(chat_id)
        if group is None:
            group = self._groups[chat_id] = Window(limits.group_count, limits.group_seconds)
        return (self._global, chat, group)

    def chat_wait(self, chat_id: int, now: float | None = None) -> float:
        """Seconds until one more message may go to this chat as far as its own windows
        and pauses go (0: now). A send in flight to it counts as its window's length."""
        return self._chat_wait(chat_id, self.now() if now is None else now, strict=False)

    def _chat_wait(self, chat_id: int, now: float, *, strict: bool) -> float:
        """`strict`: `INF` while sends in flight fill one of the chat's windows."""
        wait = max(self._chat_blocked.get(chat_id, 0.0) - now, 0.0)
        for window in self._windows(chat_id)[1:]:
            found = window.wait(now)
            if found == INF and not strict:
                found = window.length
            wait = max(wait, found)
        return wait

    def global_wait(self, now: float | None = None) -> float:
        """Seconds until the next global slot (0: now; `INF`: when a send completes)."""
        now = self.now() if now is None else now
        return max(self._global.wait(now), self._paused_until - now, 0.0)

    def pause(self, seconds: float, chat_id: int | None = None) -> None:
        """Telegram said `retry_after`: nothing more for `seconds` (globally, and for the
        chat, which may have its own flood limit)."""
        self.retry_afters += 1
        until = self.now() + seconds
        self._paused_until = max(self._paused_until, until)
        if chat_id is not None:
            self._chat_blocked[chat_id] = max(self._chat_blocked.get(chat_id, 0.0), until)
        self._pump()

    async def unpaused(self) -> None:
        """Wait out a `retry_after` pause (requests that are not paced themselves)."""
        while (wait := self._paused_until - self.now()) > 0:
            await self.timer.sleep(wait)

    def forget_idle(self) -> None:
        """Drop the windows of chats with nothing counted (they would start empty anyway)."""
        now = self.now()
        for windows in (self._chats, self._groups):
            for chat_id in [c for c, w in windows.items() if w.idle(now)]:
                del windows[chat_id]
        for chat_id in [c for c, until in self._chat_blocked.items() if until <= now]:
            del self._chat_blocked[chat_id]

    def tracked(self) -> int:
        """Chats with windows or pauses remembered."""
        return len(self._chats) + len(self._groups) + len(self._chat_blocked)

    def waiting(self) -> int:
        return sum(len(q) for queue in self._queues.values() for q in queue.by_chat.values())

    # -- granting ----------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def slot(self, chat_id: int | None, kind: Kind = Kind.REPLY) -> AsyncIterator[None]:
        """Wait for a slot to send one message to `chat_id`, send inside the block; the
        send counts until its window's length after the block ends."""
        grant = await self._acquire(chat_id, kind)
        try:
            yield
        finally:
            self._release(grant)

    async def _acquire(self, chat_id: int | None, kind: Kind) -> _Grant:
        future: asyncio.Future[_Grant] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(chat_id, kind, future)
        self._seq += 1
        self._queues[kind].add(self._seq, waiter)
        self._pump()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(future.result())  # granted just as we were cancelled
            else:
                self._queues[kind].remove(waiter)
                self._pump()
            raise

    def _release(self, grant: _Grant) -> None:
        if grant.released:
            return
        grant.released = True
        now = self.now()
        for window in grant.windows:
            window.finish(now)
        self._releases += 1
        if self._releases % SWEEP_EVERY == 0:
            self.forget_idle()  # one window per chat ever written to would pile up
        self._pump()

    def _pump(self) -> None:
        """Grant whatever may go now, kinds taking turns; then sleep until the soonest
        moment something else may go (a completion also wakes us)."""
        kinds = list(Kind)
        while True:
            now = self.now()
            global_wait = self.global_wait(now)
            if global_wait > 0:
                self._wake_in(global_wait)
                return
            soonest = INF
            granted = False
            for offset in range(len(kinds)):
                kind = kinds[(self._turn + offset) % len(kinds)]
                chat, wait = self._ready_chat(self._queues[kind], now)
                if wait > 0:
                    soonest = min(soonest, wait)
                    continue
                waiter = self._queues[kind].pop(chat)
                windows = self._windows(waiter.chat_id)
                for window in windows:
                    window.start()
                self.granted[kind] += 1
                waiter.future.set_result(_Grant(windows))
                self._turn = (kinds.index(kind) + 1) % len(kinds)
                granted = True
                break
            if not granted:
                self._wake_in(soonest)
                return

    def _ready_chat(self, queue: _Queue, now: float) -> tuple[int | None, float]:
        """The chat whose head waiter came first among those that may send now, or the
        seconds until one may."""
        best: tuple[int, int | None] | None = None
        soonest = INF
        for chat_id, waiters in queue.by_chat.items():
            seq = waiters[0][0]
            if best is not None and seq > best[0]:
                continue
            wait = 0.0 if chat_id is None else self._chat_wait(chat_id, now, strict=True)
            if wait > 0:
                soonest = min(soonest, wait)
            elif best is None or seq < best[0]:
                best = (seq, chat_id)
        if best is None:
            return None, soonest
        return best[1], 0.0

    def _wake_in(self, seconds: float) -> None:
        if seconds == INF or not any(self._queues.values()):
            return
        at = self.now() + seconds
        if self._sleeper is not None and not self._sleeper.done():
            if self._sleep_until <= at:
                return
            self._sleeper.cancel()
        self._sleep_until = at
        self._sleeper = asyncio.get_running_loop().create_task(self._sleep(seconds))

    async def _sleep(self, seconds: float) -> None:
        await self.timer.sleep(seconds)
        self._sleep_until = INF
        self._pump()


def retry_after_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PTB 22.2+ warns about the int form
        value: object = error.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)  # type: ignore[arg-type]


def _chat_id(data: Mapping[str, Any]) -> int | None:
    value = data.get("chat_id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return -1  # "@channelusername": a channel (a group's limits are the safe guess)


class PacedRateLimiter(BaseRateLimiter[Mapping[str, Any]]):
    """PTB's rate limiter for the Application's Bot: every sending request waits for a
    slot in the shared `Pacer` (kind `Kind.REPLY` unless ``rate_limit_args`` say
    ``{"kind": "notice"}``); a `RetryAfter` pauses the pacer and the request is tried
    again, up to `max_retries` times (``{"retries": n}`` overrides)."""

    def __init__(self, pacer: Pacer, max_retries: int = 5) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Mapping[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        options = rate_limit_args or {}
        kind = Kind(options.get("kind", Kind.REPLY))
        retries = int(options.get("retries", self.max_retries))
        paced = endpoint.lower() in SENDING_METHODS
        chat_id = _chat_id(data) if paced else None
        attempt = 0
        while True:
            try:
                if paced:  # waiting for Telegram's windows is not work: no run slot held
                    async with outside_run_slot(), self.pacer.slot(chat_id, kind):
                        return await callback(*args, **kwargs)
                await self.pacer.unpaused()
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_after_seconds(exc)
                self.pacer.pause(seconds, chat_id)
                if attempt >= retries:
                    raise
                attempt += 1
                log.info("Telegram asked to wait %.0f s (%s); trying again", seconds, endpoint)
