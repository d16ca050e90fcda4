"""One user cannot hurt the others (SPEC §6.2), end to end: the real Application over
HTTP against the Bot API stand-in, on SQLite and PostgreSQL.

Regression tests for the security review's findings: (2) one person's flood stalled
everyone; (15) every update wrote the user row, so a write-locked database failed even
/help. Finding (7), start-up errors, is in test_startup.py."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import pytest
from sqlalchemy import text

from bot.clock import Clock
from bot.db.engine import create_engine
from bot.runtime.updates import ChatOrderedProcessor
from bot.telegram_stub import BotApiStub, User
from tests.conftest import TestDatabase
from tests.e2e.conftest import BotHarness, make_settings
from tests.notifications_fixtures import add_team, add_user, bind

HELP = "/newcampaign"  # in the /help text, in every language
SLOW_DOWN = "faster than I can read them"
NOT_A_MEMBER = "only members of the team linked to this chat"


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    """The stand-in with Telegram's own limits (the shared fixture relaxes private chats)."""
    async with BotApiStub() as running:
        yield running


@pytest.fixture
async def bot(stub: BotApiStub, database: TestDatabase, clock: Clock) -> AsyncIterator[BotHarness]:
    """The bot with its own throttling and pacing limits (the shared harness relaxes them)."""
    found = BotHarness(stub, make_settings(stub, database), clock, throttle=None, pacing=None)
    await found.start()
    try:
        yield found
    finally:
        await found.close()


def processor(harness: BotHarness) -> ChatOrderedProcessor:
    assert harness.app is not None
    found = harness.app.update_processor
    assert isinstance(found, ChatOrderedProcessor) and found.throttle is not None
    return found


def sent_to(stub: BotApiStub, chat_id: int) -> list[int]:
    """Positions, in the stand-in's call log, of the messages the bot sent to a chat."""
    return [
        i
        for i, call in enumerate(stub.requests)
        if call.ok and call.method.lower() == "sendmessage" and call.params["chat_id"] == chat_id
    ]


async def quiet(stub: BotApiStub, chat: object, seconds: float = 1.5) -> list[str]:
    await asyncio.sleep(seconds)
    return [m.text for m in stub.unread(chat)]  # type: ignore[arg-type]


async def test_a_flood_by_one_user_neither_stalls_another_nor_gets_an_answer_each(
    bot: BotHarness,
) -> None:
    harness = bot
    stub = harness.stub
    burst = processor(harness).throttle.limits.burst  # type: ignore[union-attr]
    flooder = stub.create_user("Flo", language_code="de", started=True)
    other = stub.create_user("Otto", started=True)
    for _ in range(60):
        stub.send_message(flooder, "/help")
    answer = await harness.ask(other, "/help")
    assert HELP in answer.text
    # Otto was answered before the flood was through (the old bot answered him only
    # after all 60), and the flood is cut to a person's pace plus one notice.
    flood = sent_to(stub, flooder.id)
    assert len(flood) < burst + 1
    received = await stub.wait_for_messages(flooder, burst + 1, timeout=30)
    assert await quiet(stub, flooder) == []
    assert sent_to(stub, other.id)[0] < sent_to(stub, flooder.id)[-1]
    helps, notice = received[:burst], received[burst]
    assert all(HELP in m.text for m in helps)
    assert "schneller" in notice.text  # once, in the flooder's language
    assert all("schneller" not in m.text for m in helps)
    # slowed, not banned: at a person's pace the bot answers again
    await asyncio.sleep(1.1)
    assert HELP in (await harness.ask(flooder, "/help")).text


async def test_a_non_member_gets_one_refusal_then_silence(bot: BotHarness) -> None:
    harness = bot
    stub = harness.stub
    alice = stub.create_user("Alice", started=True)
    stranger = stub.create_user("Mallory", started=True)
    group = stub.create_group("Sellers", members=[alice, stranger], with_bot=True)
    async with harness.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, name="Acme", members=[(owner, "owner")])
        await bind(uow, team, group.id, title="Sellers")
        await uow.commit()
    mention = f"/help@{stub.bot_username}"
    for _ in range(45):
        stub.send_message(stranger, mention, chat=group)
    refusal, answer = await harness.send(alice, mention, chat=group, replies=2, timeout=15)
    assert NOT_A_MEMBER in refusal.text
    assert HELP in answer.text
    assert await quiet(stub, group) == []  # exactly one refusal for 45 commands
    # still silent a while later, for any command; the members are answered meanwhile
    stub.send_message(stranger, f"/skus@{stub.bot_username}", chat=group)
    (later,) = await harness.send(alice, f"/skus@{stub.bot_username}", chat=group)
    assert NOT_A_MEMBER not in later.text
    assert await quiet(stub, group, 1.0) == []
    # in private, the stranger is someone like anyone else
    assert HELP in (await harness.ask(stranger, "/help")).text


@contextmanager
def sqlite_write_lock(url: str) -> Iterator[None]:
    connection = sqlite3.connect(url.split(":///", 1)[1], timeout=1, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("UPDATE users SET updated_at = updated_at")
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


@asynccontextmanager
async def postgres_write_lock(url: str) -> AsyncIterator[None]:
    """Writes to `users` wait (EXCLUSIVE conflicts with every row write); reads go on."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            transaction = await connection.begin()
            await connection.execute(text("LOCK TABLE users IN EXCLUSIVE MODE"))
            try:
                yield
            finally:
                await transaction.rollback()
    finally:
        await engine.dispose()


async def test_help_is_answered_while_another_connection_holds_the_write_lock(
    harness: BotHarness, database: TestDatabase
) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", started=True)
    assert HELP in (await harness.ask(alice, "/help")).text  # Alice is known from here
    await asyncio.sleep(1.0)  # one message a second to a chat
    if database.backend == "sqlite":
        with sqlite_write_lock(database.url):
            # the old bot wrote the user row on every update: blocked 30 s, then failed
            answer = await harness.ask(alice, "/help", timeout=10)
    else:
        async with postgres_write_lock(database.url):
            answer = await harness.ask(alice, "/help", timeout=10)
    assert HELP in answer.text
    # a change is still written once the lock is gone
    renamed = User(
        id=alice.id, first_name="Alicia", is_bot=False, language_code="en", username="alicia"
    )
    await asyncio.sleep(1.0)
    assert HELP in (await harness.ask(renamed, "/help")).text
    async with harness.uow_factory() as uow:
        row = await uow.session.execute(
            text("SELECT first_name, username FROM users WHERE id = :id"), {"id": alice.id}
        )
        assert tuple(row.one()) == ("Alicia", "alicia")
