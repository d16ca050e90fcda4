"""Delivery against the Bot API stand-in: what each Telegram answer means to the outbox (the
real PTB Bot over HTTP), and a group the bot was removed from falling back to private
chats through the running application."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from telegram import Bot
from telegram.request import HTTPXRequest

from bot.db import models
from bot.jobs.dispatcher import TelegramSender
from bot.services.notifications import Outcome
from bot.services.outbox import NoticeKind, enqueue
from bot.telegram_stub import BotApiStub
from tests.e2e.conftest import BotHarness, eventually
from tests.notifications_fixtures import add_team, add_user, bind


@pytest.fixture
async def sender(stub: BotApiStub) -> AsyncIterator[TelegramSender]:
    async with Bot(stub.token, base_url=stub.base_url) as bot:
        yield TelegramSender(bot)


async def test_telegram_answers_map_to_outcomes(stub: BotApiStub, sender: TelegramSender) -> None:
    alice = stub.create_user("Alice", started=True)
    stranger = stub.create_user("Stranger")  # never opened a chat with the bot
    blocker = stub.create_user("Blocker", started=True)
    stub.block_bot(blocker)
    group = stub.create_group("Shop", members=[alice], with_bot=True)
    gone = stub.create_group("Old shop", members=[alice], with_bot=True)
    stub.remove_bot_from_group(gone, by=alice)
    forum = stub.create_group("Forum", members=[alice], forum=True, with_bot=True)
    topic = stub.create_topic(forum, "Notices")
    basic = stub.create_group("Basic", members=[alice], with_bot=True)
    new_id = stub.migrate_to_supergroup(basic, by=alice)

    sent = await sender.send(alice.id, 0, "<b>hello</b>")
    assert sent.outcome is Outcome.SENT and sent.message_id is not None
    assert (await sender.send(forum.id, topic, "in the topic")).outcome is Outcome.SENT
    assert stub.messages(forum, thread_id=topic)[-1].text == "in the topic"
    assert (await sender.send(group.id, 0, "x")).outcome is Outcome.SENT
    assert (await sender.send(stranger.id, 0, "x")).outcome is Outcome.CANNOT_INITIATE
    assert (await sender.send(blocker.id, 0, "x")).outcome is Outcome.BLOCKED
    assert (await sender.send(gone.id, 0, "x")).outcome is Outcome.CHAT_GONE
    assert (await sender.send(forum.id, 999, "x")).outcome is Outcome.THREAD_GONE
    migrated = await sender.send(basic.id, 0, "x")
    assert (migrated.outcome, migrated.new_chat_id) == (Outcome.MIGRATED, new_id)
    assert (await sender.send(group.id, 0, "<b>broken")).outcome is Outcome.FAILED
    stub.flood(count=1, retry_after=3)
    flood = await sender.send(group.id, 0, "x")
    assert (flood.outcome, flood.retry_after) == (Outcome.RETRY_AFTER, 3.0)


async def test_a_notice_file_is_a_reply_to_its_text_and_maps_outcomes_the_same(
    stub: BotApiStub, sender: TelegramSender
) -> None:
    alice = stub.create_user("Alice", started=True)
    forum = stub.create_group("Forum", members=[alice], forum=True, with_bot=True)
    topic = stub.create_topic(forum, "Notices")
    gone = stub.create_group("Old shop", members=[alice], with_bot=True)
    stub.remove_bot_from_group(gone, by=alice)

    text = await sender.send(forum.id, topic, "⚠️ 25 SKUs …")
    assert text.outcome is Outcome.SENT and text.message_id is not None
    content = b"\xef\xbb\xbfsku\r\nS01\r\n"
    sent = await sender.send_document(
        forum.id, topic, "margins.csv", content, "All <b>25</b> SKUs", text.message_id
    )
    assert sent.outcome is Outcome.SENT
    attached = stub.messages(forum, thread_id=topic)[-1]
    assert attached.document is not None and attached.document.content == content
    assert attached.document.file_name == "margins.csv" and attached.text == "All 25 SKUs"
    assert attached.reply_to_message_id == text.message_id
    # the text is gone (deleted, or left behind in a group that migrated): sent anyway
    orphan = await sender.send_document(alice.id, 0, "m.csv", content, "", 999_999)
    assert orphan.outcome is Outcome.SENT
    assert stub.messages(alice)[-1].reply_to_message_id is None
    assert (await sender.send_document(gone.id, 0, "m.csv", content, "", None)).outcome is (
        Outcome.CHAT_GONE
    )
    stub.flood(count=1, retry_after=4)
    flood = await sender.send_document(forum.id, topic, "m.csv", content, "", None)
    assert (flood.outcome, flood.retry_after) == (Outcome.RETRY_AFTER, 4.0)


async def test_no_answer_is_uncertain_and_no_server_is_transient() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)  # take the request, never answer
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = HTTPXRequest(read_timeout=0.5, connect_timeout=0.5)
    try:
        bot = Bot("123:ABC", base_url=f"http://127.0.0.1:{port}/bot", request=request)
        result = await TelegramSender(bot).send(1, 0, "x")
        assert result.outcome is Outcome.UNCERTAIN and "ReadTimeout" in (result.error or "")
    finally:
        server.close()
        await server.wait_closed()
    nobody = Bot("123:ABC", base_url="http://127.0.0.1:9/bot", request=HTTPXRequest())
    assert (await TelegramSender(nobody).send(1, 0, "x")).outcome is Outcome.TRANSIENT


async def test_a_group_that_removed_the_bot_falls_back_to_private_chats(
    harness: BotHarness,
) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", started=True)
    bob = stub.create_user("Bob", language_code="de", started=True)
    group = stub.create_group("Sellers", members=[alice, bob], with_bot=True)
    now = harness.clock.now()
    async with harness.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        editor = await add_user(uow, bob.id, name="Bob", locale="de")
        team = await add_team(uow, name="Acme", members=[(owner, "owner"), (editor, "editor")])
        await bind(uow, team, group.id, title="Sellers")
        await uow.commit()
    # removed while the bot was not looking (no my_chat_member update reached it)
    group.members[stub.bot_id] = "kicked"
    async with harness.uow_factory() as uow:
        await enqueue(
            uow,
            base_key="campaign:1:margin:1:1",
            team_id=team.id,
            kind=NoticeKind.MARGIN,
            payload={
                "sku": "A1",
                "campaign": "BF",
                "campaign_id": 1,
                "below": True,
                "currency": "USD",
                "planned": "9.99",
                "floor": "10.24",
            },
            due_at=now - timedelta(seconds=1),
            expires_at=None,
            now=now,
        )
        await uow.commit()
    to_alice = await stub.wait_for_messages(alice, 2, timeout=10)
    (to_bob,) = await stub.wait_for_messages(bob, 1, timeout=10)
    texts = sorted(m.text for m in to_alice)
    assert any("A1" in t for t in texts) and "A1" in to_bob.text
    assert any("I can no longer post in Sellers" in t for t in texts)  # the owner, once

    async def unbound() -> bool:
        async with harness.uow_factory() as uow:
            binding = await uow.session.scalar(select(models.ChatBinding))
            return binding is not None and binding.status == "removed"

    await eventually(unbound)
    await asyncio.sleep(0.6)
    assert stub.unread(alice) == [] and stub.unread(bob) == []
