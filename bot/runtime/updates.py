"""The update processor: updates of different chats run concurrently, updates of one chat
in the order they arrived (SPEC §6.2).

PTB hands every update to `do_process_update` in its own task, in arrival order. Each
update has **ordering keys** — its chat, and for a button press also the presser (so one
person's presses run in order wherever they are) — and waits until every earlier update
sharing a key has finished; then it waits for one of `max_running` slots. The waiting
costs nothing but memory: it holds neither a slot nor the event loop, so a chat with a
backlog never delays another chat. Nothing can deadlock: an update only ever waits for
earlier ones.

Why it is safe for the handlers: a guided flow's state lives in the database per
person and chat, and one chat's updates still run one at a time, so a flow sees its
steps in order; each handler opens its own unit of work (no session is shared between
updates); `bot_data` holds only the runtime wired at start-up (settings, the unit of
work factory, the clock, the dispatcher), nothing an update writes. Two updates of one
person in two chats may now run at once; what they both write (the user row, from the
per-update setup) is an idempotent upsert.

Before an update queues, `Throttle` (`bot.runtime.throttle`) decides on it, at arrival
time and in O(1): a throttled or silenced update is dropped here and never queues; the
first throttled update of an episode is let through marked, so that the per-update
setup can tell the person once, in their language (`take_notice`).

PTB's own semaphore (`BaseUpdateProcessor.max_concurrent_updates`) is taken *before*
`do_process_update`, so it bounds the updates admitted (running or waiting for their
chat), not the running ones: it is set to `max_admitted`.

A handler that waits for the pacer (`bot.runtime.pacer`: a group's 20-in-60-s window may
be full for most of a minute) gives its run slot back meanwhile (`outside_run_slot`,
used by the Bot's rate limiter) and takes one again when its message is sent: waiting
for Telegram is not work, and a few busy groups must not take every slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Hashable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import BaseUpdateProcessor

from bot.runtime.throttle import Throttle, Verdict

log = logging.getLogger(__name__)

MAX_RUNNING = 16  # handlers at work at once (PostgreSQL's default pool is 5 + 10 overflow)
MAX_ADMITTED = 4096  # running or waiting for their chat; more wait in PTB's queue
NEVER_SILENCED = frozenset({"link"})  # an admin of another team may bind a forum topic


def ordering_keys(update: object) -> tuple[Hashable, ...]:
    """The keys an update is ordered by: its chat; a button press also its presser."""
    if not isinstance(update, Update):
        return ()
    keys: list[Hashable] = []
    chat = update.effective_chat
    if chat is not None:
        keys.append(("chat", chat.id))
    query = update.callback_query
    if query is not None:
        keys.append(("presses", query.from_user.id))
    elif chat is None and update.effective_user is not None:
        keys.append(("user", update.effective_user.id))  # inline queries and the like
    return tuple(keys)


def command_name(update: Update) -> str | None:
    """`help` for "/help" or "/help@bot …" at the start of a message, else None."""
    message = update.message
    if message is None or not message.text or not message.entities:
        return None
    entity = message.entities[0]
    if entity.type != MessageEntityType.BOT_COMMAND or entity.offset != 0:
        return None
    return message.text[1 : entity.length].split("@", 1)[0].lower()


def is_counted(update: Update) -> bool:
    """What a person types or presses for the bot: every message in a private chat; in a
    group, commands and replies to a bot (a non-admin bot sees little else, an admin bot
    sees the whole conversation, which is not addressed to it). Button presses anywhere.
    Edits and membership updates are not counted."""
    if update.callback_query is not None:
        return True
    message = update.message
    if message is None:
        return False
    if message.chat.type == ChatType.PRIVATE:
        return True
    if command_name(update) is not None:
        return True
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.is_bot


class _RunSlot:
    __slots__ = ("held", "processor")

    def __init__(self, processor: ChatOrderedProcessor) -> None:
        self.processor = processor
        self.held = True


_RUN_SLOT: ContextVar[_RunSlot | None] = ContextVar("run_slot", default=None)


@contextlib.asynccontextmanager
async def outside_run_slot() -> AsyncIterator[None]:
    """Inside an update's handler: give its run slot back for the block (waiting on
    something that is not work) and take one again after it. Elsewhere: nothing."""
    slot = _RUN_SLOT.get()
    if slot is None or not slot.held:
        yield
        return
    slot.held = False
    slot.processor._leave()
    try:
        yield
    finally:
        await slot.processor._enter()
        slot.held = True


class ChatOrderedProcessor(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat, at most `max_running` at work."""

    def __init__(
        self,
        max_running: int = MAX_RUNNING,
        *,
        throttle: Throttle | None = None,
        max_admitted: int = MAX_ADMITTED,
    ) -> None:
        if max_running < 1:
            raise ValueError("max_running must be at least 1")
        super().__init__(max(max_admitted, max_running, 2))  # > 1: PTB runs tasks
        self.max_running = max_running
        self.throttle = throttle
        self._running: asyncio.Semaphore | None = None
        self._tails: dict[Hashable, asyncio.Future[None]] = {}
        self._notices: set[int] = set()
        self.active = 0  # running now
        self.peak = 0  # the most that ever ran at once

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self.max_running)

    async def shutdown(self) -> None:
        self._tails.clear()
        self._notices.clear()

    # -- throttling -------------------------------------------------------------------------

    def verdict(self, update: object) -> Verdict:
        if self.throttle is None or not isinstance(update, Update):
            return Verdict.PASS
        user = update.effective_user
        if user is None or user.is_bot:
            return Verdict.PASS
        chat = update.effective_chat
        command = command_name(update)
        if chat is not None and chat.type == ChatType.PRIVATE and command == "start":
            self.throttle.forgive(user.id)  # an invite is taken with /start in private
        return self.throttle.decide(
            user.id,
            chat.id if chat is not None else None,
            counted=is_counted(update),
            silenceable=command not in NEVER_SILENCED,
        )

    def take_notice(self, update: object) -> bool:
        """True once for an update let through only to say "slow down" (then drop it)."""
        if not isinstance(update, Update) or update.update_id not in self._notices:
            return False
        self._notices.discard(update.update_id)
        return True

    # -- ordering ----------------------------------------------------------------------------

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        verdict = self.verdict(update)
        if verdict is Verdict.DROP:
            _close(coroutine)
            return
        if verdict is Verdict.NOTIFY and isinstance(update, Update):
            self._notices.add(update.update_id)
        keys = ordering_keys(update)
        earlier = {self._tails[key] for key in keys if key in self._tails}
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        for key in keys:
            self._tails[key] = done
        try:
            if earlier:
                await asyncio.wait(earlier)  # never cancels them, even if we are cancelled
            await self._enter()
            slot = _RunSlot(self)
            token = _RUN_SLOT.set(slot)
            try:
                await coroutine
            finally:
                _RUN_SLOT.reset(token)
                if slot.held:
                    slot.held = False
                    self._leave()
        finally:
            _close(coroutine)  # not awaited if we were cancelled while waiting
            if verdict is Verdict.NOTIFY and isinstance(update, Update):
                self._notices.discard(update.update_id)
            done.set_result(None)
            for key in keys:
                if self._tails.get(key) is done:
                    del self._tails[key]

    async def _enter(self) -> None:
        if self._running is None:
            await self.initialize()
        assert self._running is not None
        await self._running.acquire()
        self.active += 1
        self.peak = max(self.peak, self.active)

    def _leave(self) -> None:
        assert self._running is not None
        self.active -= 1
        self._running.release()

    def waiting_chats(self) -> int:
        return len(self._tails)

    def busy(self, chat_id: int) -> bool:
        """Whether an update of this chat is running or waiting (its answer may not be
        complete yet: a chart follows the text of /floor and /plan)."""
        return ("chat", chat_id) in self._tails


def _close(coroutine: Awaitable[Any]) -> None:
    close = getattr(coroutine, "close", None)
    if close is not None:
        close()
