"""End-to-end harness: the real Application, over real HTTP, against the Bot API stand-in,
on a real database (each test runs on SQLite and on PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.app import BotApplication, build_application, start_polling, stop_polling
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.db.engine import create_engine, create_session_factory
from bot.db.uow import UnitOfWorkFactory
from bot.runtime.pacer import PacerLimits
from bot.runtime.throttle import Throttle, ThrottleLimits
from bot.runtime.updates import ChatOrderedProcessor
from bot.telegram_stub import BotApiStub, StubMessage, User
from bot.telegram_stub.ratelimit import RateLimits
from tests.conftest import TestDatabase

# Feature tests act at machine speed (a dozen presses in a second); the per-person
# throttle has its own tests (test_isolation.py), which keep the bot's real limits.
# A refused non-member's silence stays on everywhere.
MACHINE_SPEED = ThrottleLimits(burst=1_000_000, per_second=1_000_000.0)
# Likewise feature tests do not wait a second between two replies in one chat: the
# stand-in allows 50 a second per private chat (FAST_CHATS) and the bot's pacer keeps
# to that with the same strict windows. Telegram's real limits (1/s per chat, 20 per
# 60 s per group) are kept by the pacing and delivery tests, which pass `pacing=None`
# and a stand-in with its default limits. Group windows stay Telegram's everywhere.
MACHINE_PACE = PacerLimits(chat_count=1, chat_seconds=0.02)
FAST_CHATS = RateLimits(private_per_second=50.0, private_burst=3)


# How long a test waits for the bot: generous, since four test workers share two cores and
# a first file job starts a worker process; only a failing test ever waits this long.
WAIT = 30.0


class BotHarness:
    """Drives the bot the way a user meets it: send, press, read."""

    def __init__(
        self,
        stub: BotApiStub,
        settings: Settings,
        clock: Clock,
        *,
        throttle: ThrottleLimits | None = MACHINE_SPEED,
        pacing: PacerLimits | None = MACHINE_PACE,
    ) -> None:
        self.stub = stub
        self.settings = settings
        self.clock = clock
        self.throttle = throttle  # None: the bot's own limits
        self.pacing = pacing  # None: the bot's own limits (Telegram's)
        self.app: BotApplication | None = None
        self._engine = create_engine(settings.database_url)
        self.uow_factory = UnitOfWorkFactory(create_session_factory(self._engine))

    async def start(self) -> None:
        app = build_application(self.settings, clock=self.clock, pacing=self.pacing)
        processor = app.update_processor
        if self.throttle is not None and isinstance(processor, ChatOrderedProcessor):
            processor.throttle = Throttle(self.throttle)
        await start_polling(app, poll_timeout=2)
        self.app = app

    async def stop(self) -> None:
        if self.app is None:
            return
        app, self.app = self.app, None
        await stop_polling(app)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def close(self) -> None:
        await self.stop()
        await self._engine.dispose()

    # -- acting as a user ----------------------------------------------------------------

    async def send(
        self,
        user: User,
        text: str,
        *,
        chat: Any = None,
        thread_id: int | None = None,
        replies: int = 1,
        timeout: float = WAIT,
    ) -> list[StubMessage]:
        """`user` writes `text`; returns the bot's next `replies` messages in that chat."""
        target = chat if chat is not None else user
        await self.settle(target)
        self.stub.mark_read(target)
        self.stub.send_message(user, text, chat=chat, thread_id=thread_id)
        return await self.stub.wait_for_messages(
            target, replies, timeout=timeout, thread_id=thread_id
        )

    async def settle(self, chat: Any, timeout: float = WAIT) -> None:
        """Wait until the bot has finished with this chat's earlier updates, so that what it
        still sends for them (the chart after a /floor or /plan text) is not taken for the
        answer to what comes next."""
        import asyncio

        processor = self.app.update_processor if self.app is not None else None
        if not isinstance(processor, ChatOrderedProcessor):
            return
        chat_id = self.stub.chat(chat).id
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:  # polled: the processor has no event to wait on
            if not processor.busy(chat_id) or loop.time() >= deadline:
                return
            await asyncio.sleep(0.02)

    async def ask(self, user: User, text: str, **kwargs: Any) -> StubMessage:
        return (await self.send(user, text, **kwargs))[0]

    async def press(
        self, user: User, message: StubMessage, text: str, *, timeout: float = WAIT
    ) -> StubMessage:
        """`user` presses the button labelled `text`; returns the edited message (or the
        bot's next message when it answers with a new one)."""
        chat = message.chat_id
        await self.settle(chat)
        self.stub.mark_read(chat)
        self.stub.press_button(user, message, text=text)
        return await self._edit_or_new(message, chat, timeout)

    async def press_alert(
        self, user: User, message: StubMessage, text: str, *, timeout: float = WAIT
    ) -> str:
        """Press a button that is answered with an alert (a refusal); returns its text."""
        query_id = self.stub.press_button(user, message, text=text)
        answer = await self.stub.wait_for_callback_answer(query_id, timeout=timeout)
        return answer.text or ""

    async def press_data(
        self, user: User, message: StubMessage, data: str, *, timeout: float = WAIT
    ) -> str:
        """Press a forged or raw callback; returns the callback answer's text."""
        query_id = self.stub.press_button(user, message, data=data)
        answer = await self.stub.wait_for_callback_answer(query_id, timeout=timeout)
        return answer.text or ""

    async def _edit_or_new(self, message: StubMessage, chat: int, timeout: float) -> StubMessage:
        import asyncio

        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            current = self.stub.message(chat, message.message_id)
            if current.version != message.version:
                return current
            unread = self.stub.unread(chat)
            if unread:
                return (await self.stub.wait_for_messages(chat, 1))[0]
            await asyncio.sleep(0.02)
        raise TimeoutError(f"the bot neither edited message {message.message_id} nor replied")


async def eventually(check: Any, *, timeout: float = WAIT, interval: float = 0.05) -> Any:
    """Poll an async `check()` until it returns something truthy (the bot works in the
    background: an update is confirmed before its handler has finished)."""
    import asyncio

    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s (last: {result!r})")
        await asyncio.sleep(interval)


def make_settings(stub: BotApiStub, database: TestDatabase, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": stub.token,
        "bot_api_base_url": stub.base_url,
        "bot_api_file_url": stub.base_file_url,
        "database_url": database.url,
        "default_locale": "en",
        "default_timezone": "UTC",
        "dispatch_interval_seconds": 0.2,
        # never the real ECB from a test: the FX job finds nothing listening here
        "ecb_url": "http://127.0.0.1:9/eurofxref-daily.xml",
        # charts off: a chart worker per test is seconds of CPU on a shared machine, and the
        # feature tests read text; tests/e2e/test_charts.py turns them on
        "chart_workers": 0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    async with BotApiStub(rate_limits=FAST_CHATS) as running:
        yield running


@pytest.fixture
def clock() -> Clock:
    return SystemClock()


@pytest.fixture
async def harness(
    stub: BotApiStub, database: TestDatabase, clock: Clock
) -> AsyncIterator[BotHarness]:
    bot = BotHarness(stub, make_settings(stub, database), clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.close()


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
