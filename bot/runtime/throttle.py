"""Per-person throttling (SPEC §6.2): someone sending commands faster than a person types
is slowed down for themselves only; a non-member's commands in a group get one refusal,
then silence for a while.

Decided when an update arrives, before it joins its chat's queue (`bot.runtime.updates`),
in constant time and without the database:

* every person has a bucket of `burst` commands that refills at `per_second`; a command
  that finds it empty is **dropped** — not queued: a queue would only answer the flood
  later, still in front of the person's next real question. The first dropped command of
  an episode becomes one notice ("you are sending commands faster than I can read them")
  in the reader's language; the episode ends when the bucket is full again;
* after the bot refused a non-member in a group (the refusal is the handler's), that
  person's updates in that chat are dropped without a word for `silence_seconds`
  (`/link` excepted, which an admin of another team may run in a forum topic), and
  forgiven when the person opens the private chat with /start (how an invite is taken).

State is per process and in memory: a restart forgives everyone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum


class Verdict(Enum):
    PASS = "pass"
    NOTIFY = "notify"  # throttled: drop it, and say so (once per episode)
    DROP = "drop"  # throttled again, or silenced: drop it without a word


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    burst: int = 6  # commands at once
    per_second: float = 1.0  # then one a second
    silence_seconds: float = 300.0  # a refused non-member, per group
    sweep_every: int = 2048  # forget calm people after this many decisions


class _Person:
    __slots__ = ("notified", "tokens", "updated")

    def __init__(self, tokens: float, now: float) -> None:
        self.tokens = tokens
        self.updated = now
        self.notified = False


class Throttle:
    def __init__(
        self, limits: ThrottleLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or ThrottleLimits()
        self.clock = clock
        self._people: dict[int, _Person] = {}
        self._silenced: dict[tuple[int, int], float] = {}
        self._decisions = 0
        self.dropped = 0

    def _refill(self, person: _Person, now: float) -> None:
        limits = self.limits
        person.tokens = min(
            float(limits.burst), person.tokens + (now - person.updated) * limits.per_second
        )
        person.updated = now
        if person.tokens >= limits.burst:
            person.notified = False  # calm again: the next episode gets its own notice

    def decide(
        self, user_id: int, chat_id: int | None, *, counted: bool, silenceable: bool = True
    ) -> Verdict:
        """What to do with one update from `user_id` in `chat_id`. `counted`: it is a
        command, a button press or a message to the bot (what a person types);
        `silenceable`: a refused non-member's silence applies to it."""
        now = self.clock()
        self._decisions += 1
        if self._decisions % self.limits.sweep_every == 0:
            self.sweep(now)
        if chat_id is not None and silenceable:
            until = self._silenced.get((chat_id, user_id))
            if until is not None:
                if now < until:
                    self.dropped += 1
                    return Verdict.DROP
                del self._silenced[(chat_id, user_id)]
        if not counted:
            return Verdict.PASS
        person = self._people.get(user_id)
        if person is None:
            person = self._people[user_id] = _Person(float(self.limits.burst), now)
        else:
            self._refill(person, now)
        if person.tokens >= 1.0:
            person.tokens -= 1.0
            return Verdict.PASS
        self.dropped += 1
        if person.notified:
            return Verdict.DROP
        person.notified = True
        return Verdict.NOTIFY

    def silence(self, chat_id: int, user_id: int) -> None:
        """`user_id` was refused in `chat_id` as a non-member: ignore them there a while."""
        self._silenced[(chat_id, user_id)] = self.clock() + self.limits.silence_seconds

    def forgive(self, user_id: int) -> None:
        """Lift every silence on `user_id` (they may have joined a team)."""
        for key in [key for key in self._silenced if key[1] == user_id]:
            del self._silenced[key]

    def is_silenced(self, chat_id: int, user_id: int) -> bool:
        return self._silenced.get((chat_id, user_id), 0.0) > self.clock()

    def sweep(self, now: float | None = None) -> None:
        """Forget people whose bucket is full again and silences that ended."""
        now = self.clock() if now is None else now
        for user_id, person in list(self._people.items()):
            self._refill(person, now)
            if person.tokens >= self.limits.burst:
                del self._people[user_id]
        for key in [key for key, until in self._silenced.items() if until <= now]:
            del self._silenced[key]

    def tracked(self) -> int:
        return len(self._people) + len(self._silenced)
