"""A real ``telegram.ext.Application`` polling the stand-in, driven by the driver API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
)

from bot.telegram_stub import BotApiStub
from tests.stub.conftest import TOKEN

Context = ContextTypes.DEFAULT_TYPE
App = Application[Any, Any, Any, Any, Any, Any]


def build_app(stub: BotApiStub, *, rate_limiter: bool = False) -> tuple[App, list[int]]:
    joined: list[int] = []

    async def start(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        buttons = [
            InlineKeyboardButton("English", callback_data="lang:en"),
            InlineKeyboardButton("한국어", callback_data="lang:ko"),
        ]
        await update.effective_message.reply_text(
            "<b>Language?</b>", reply_markup=InlineKeyboardMarkup([buttons]), parse_mode="HTML"
        )

    async def echo(update: Update, context: Context) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(" ".join(context.args or []) or "(nothing)")

    async def chosen(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("OK")
        await query.edit_message_text(f"Chosen: {query.data}")

    async def member(update: Update, context: Context) -> None:
        assert update.my_chat_member is not None
        if update.my_chat_member.new_chat_member.status == "member":
            joined.append(update.my_chat_member.chat.id)

    builder = ApplicationBuilder().token(TOKEN)
    builder = builder.base_url(stub.base_url).base_file_url(stub.base_file_url)
    app: App = (
        builder.rate_limiter(AIORateLimiter(max_retries=5)).build()
        if rate_limiter
        else builder.build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("echo", echo))
    app.add_handler(CallbackQueryHandler(chosen))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    return app, joined


@asynccontextmanager
async def polling(app: App) -> AsyncIterator[None]:
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    try:
        yield
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_private_chat_command_button_and_edit(stub: BotApiStub) -> None:
    app, _ = build_app(stub)
    async with polling(app):
        alice = stub.create_user("Alice", language_code="zh-hans")
        stub.send_message(alice, "/start")
        menu = await stub.wait_for_message(alice)
        assert menu.text == "Language?"
        assert menu.source == "<b>Language?</b>"
        assert menu.button_texts == ["English", "한국어"]

        query_id = stub.press_button(alice, menu, text="한국어")
        edited = await stub.wait_for_edit(menu)
        assert edited.text == "Chosen: lang:ko"
        assert edited.buttons == []
        assert (await stub.wait_for_callback_answer(query_id)).text == "OK"

        stub.send_message(alice, "/echo 123")
        assert (await stub.wait_for_message(alice)).text == "123"
        await stub.wait_until_consumed()
    calls = [c.method for c in stub.requests]
    assert calls[:3] == ["getMe", "deleteWebhook", "getUpdates"]
    assert stub.calls("getUpdates")[0].params["allowed_updates"] == list(Update.ALL_TYPES)
    # Shutting down leaves nothing unconfirmed and no failure except the dropped long poll.
    assert stub.world.updates == []
    assert all(c.method == "getUpdates" and c.status == 409 for c in stub.errors)


async def test_group_privacy_mode_and_membership_updates(stub: BotApiStub) -> None:
    app, joined = build_app(stub)
    async with polling(app):
        alice = stub.create_user("Alice")
        bob = stub.create_user("Bob")
        group = stub.create_group("Team", admins=[alice], members=[bob])
        stub.add_bot_to_group(group, by=alice)
        stub.send_message(bob, "/echo@OtherBot not for us", chat=group)
        stub.send_message(bob, "just chatting", chat=group)
        question = stub.send_message(bob, "/echo@CampaignPlannerBot hi", chat=group)
        reply = await stub.wait_for_message(group)
        assert reply.text == "hi"
        assert reply.reply_to_message_id == question["message_id"]  # PTB quotes in groups
        await stub.wait_until_consumed()
        assert stub.unread(group) == []
        assert joined == [group.id]
        # Privacy mode: only the service message and the command for this bot reached it.
        delivered = [u["message"] for u in stub.updates if "message" in u]
        assert [m.get("text") for m in delivered] == [None, "/echo@CampaignPlannerBot hi"]
        assert delivered[0]["new_chat_members"][0]["id"] == stub.bot_id


async def test_forum_topic_reply_stays_in_topic(stub: BotApiStub) -> None:
    app, _ = build_app(stub)
    async with polling(app):
        alice = stub.create_user("Alice")
        forum = stub.create_group("Shop", admins=[alice], forum=True, with_bot=True)
        topic = stub.create_topic(forum, "Campaigns")
        stub.send_message(alice, "/echo@CampaignPlannerBot topic", chat=forum, thread_id=topic)
        reply = await stub.wait_for_message(forum, thread_id=topic)
        assert (reply.text, reply.thread_id) == ("topic", topic)


@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")
async def test_flood_is_waited_out_and_nothing_is_lost(stub: BotApiStub) -> None:
    app, _ = build_app(stub, rate_limiter=True)
    async with polling(app):
        alice = stub.create_user("Alice")
        stub.flood(2, retry_after=1)
        stub.send_message(alice, "/echo one")
        stub.send_message(alice, "/echo two")
        replies = await stub.wait_for_messages(alice, 2, timeout=10)
        assert sorted(r.text for r in replies) == ["one", "two"]
        assert stub.count_429 == 2
        assert len(stub.messages(alice)) == 2  # nothing duplicated either


@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")
async def test_polling_survives_429_on_get_updates(stub: BotApiStub) -> None:
    app, _ = build_app(stub)
    async with polling(app):
        alice = stub.create_user("Alice")
        stub.flood(1, retry_after=1, methods=["getUpdates"])
        stub.send_message(alice, "/echo still here")
        assert (await stub.wait_for_message(alice, timeout=10)).text == "still here"
        assert stub.count_429 == 1
