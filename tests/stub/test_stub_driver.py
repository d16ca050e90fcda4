"""The driver API's own promises: read cursors, waits, world building, misuse caught."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram_stub import BotApiStub, DriverError


async def test_wait_for_messages_returns_exactly_count_and_keeps_the_rest(
    bot: telegram.Bot, stub: BotApiStub
) -> None:
    alice = stub.create_user("Alice", started=True)
    for text in ("one", "two", "three"):
        await bot.send_message(alice.id, text)
    first = await stub.wait_for_messages(alice, 2)
    assert [m.text for m in first] == ["one", "two"]
    assert [m.text for m in stub.unread(alice)] == ["three"]
    assert (await stub.wait_for_message(alice)).text == "three"
    assert stub.unread(alice) == []


async def test_wait_for_message_waits_for_a_later_send(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    waiter = asyncio.create_task(stub.wait_for_message(alice, timeout=3))
    await asyncio.sleep(0.1)
    assert not waiter.done()
    await bot.send_message(alice.id, "late")
    assert (await waiter).text == "late"


async def test_timeout_explains_what_went_wrong(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    with pytest.raises(telegram.error.BadRequest):
        await bot.send_message(alice.id, "<oops>", parse_mode="HTML")
    with pytest.raises(TimeoutError) as caught:
        await stub.wait_for_message(alice, timeout=0.2)
    message = str(caught.value)
    assert "got 0" in message
    assert "sendMessage → 400 Bad Request: can't parse entities" in message


async def test_mark_read_skips_old_messages(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    await bot.send_message(alice.id, "old")
    stub.mark_read()
    await bot.send_message(alice.id, "new")
    assert (await stub.wait_for_message(alice)).text == "new"


async def test_wait_for_edit_sees_edits_already_made(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    sent = await bot.send_message(alice.id, "v1")
    seen = await stub.wait_for_message(alice)
    await bot.edit_message_text("v2", chat_id=alice.id, message_id=sent.message_id)
    edited = await stub.wait_for_edit(seen)  # the edit happened before the wait started
    assert (edited.text, edited.version) == ("v2", 1)
    with pytest.raises(TimeoutError, match="was not edited"):
        await stub.wait_for_edit(edited, timeout=0.1)
    await bot.delete_message(alice.id, sent.message_id)
    assert (await stub.wait_for_edit(edited)).deleted


async def test_press_button_finds_labels_and_refuses_mistakes(
    bot: telegram.Bot, stub: BotApiStub
) -> None:
    alice = stub.create_user("Alice", started=True)
    bob = stub.create_user("Bob")
    markup = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes", callback_data="v1:yes")],
            [InlineKeyboardButton("Docs", url="https://example.com")],
        ]
    )
    await bot.send_message(alice.id, "Sure?", reply_markup=markup)
    message = await stub.wait_for_message(alice)
    assert message.buttons == [[("Yes", "v1:yes")], [("Docs", "https://example.com")]]
    with pytest.raises(DriverError, match=r"no button 'No'.*\['Yes', 'Docs'\]"):
        stub.press_button(alice, message, text="No")
    with pytest.raises(DriverError, match="not a callback button"):
        stub.press_button(alice, message, text="Docs")
    with pytest.raises(DriverError, match="cannot see"):
        stub.press_button(bob, message, text="Yes")
    forged = stub.press_button(alice, message, data="v1:admin")
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    assert (query.id, query.data) == (forged, "v1:admin")


async def test_group_misuse_is_caught(stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    outsider = stub.create_user("Mallory")
    group = stub.create_group("Team", admins=[alice], with_bot=True)
    with pytest.raises(DriverError, match="not a member"):
        stub.send_message(outsider, "hi", chat=group)
    with pytest.raises(DriverError, match="not a forum"):
        stub.create_topic(group, "Nope")
    with pytest.raises(DriverError, match="no topic 9"):
        stub.send_message(alice, "hi", chat=group, thread_id=9)
    new_id = stub.migrate_to_supergroup(group)
    with pytest.raises(DriverError, match=f"migrated to {new_id}"):
        stub.send_message(alice, "hi", chat=group)
    stub.send_message(alice, "/start", chat=new_id)
    assert stub.history(new_id)[-1].text == "/start"


async def test_migration_tells_the_bot_in_both_chats(stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    bob = stub.create_user("Bob")
    group = stub.create_group("Team", admins=[alice], members=[bob], with_bot=True)
    new_id = stub.migrate_to_supergroup(group)
    messages = [u["message"] for u in stub.updates]
    assert [(m["chat"]["id"], m["chat"]["type"]) for m in messages] == [
        (group.id, "group"),
        (new_id, "supergroup"),
    ]
    assert messages[0]["migrate_to_chat_id"] == new_id
    assert messages[1]["migrate_from_chat_id"] == group.id
    assert stub.chat(new_id).status_of(bob.id) == "member"


async def test_writing_to_a_blocked_bot_unblocks_it(stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    stub.send_message(alice, "/start")
    stub.block_bot(alice)
    stub.send_message(alice, "/start")
    statuses = [
        u["my_chat_member"]["new_chat_member"]["status"]
        for u in stub.updates
        if "my_chat_member" in u
    ]
    assert statuses == ["kicked", "member"]
    assert stub.updates[-1]["message"]["text"] == "/start"


async def test_chat_member_updates_need_an_admin_bot(stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    bob = stub.create_user("Bob")
    carol = stub.create_user("Carol")
    stub.world.allowed_updates = stub.world.allowed_updates | {"chat_member"}
    plain = stub.create_group("Plain", admins=[alice], with_bot=True)
    admin = stub.create_group("Admin", admins=[alice], bot_admin=True)
    stub.add_member(plain, bob, by=alice)
    stub.add_member(admin, carol, by=alice)
    chat_members = [u["chat_member"] for u in stub.updates if "chat_member" in u]
    assert [(c["chat"]["id"], c["new_chat_member"]["user"]["id"]) for c in chat_members] == [
        (admin.id, carol.id)
    ]


async def test_topic_messages_answer_the_topic_root(stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    forum = stub.create_group("Shop", admins=[alice], forum=True, with_bot=True)
    topic = stub.create_topic(forum, "Deals")
    message = stub.send_message(alice, "/help", chat=forum, thread_id=topic)
    assert message["message_thread_id"] == topic
    assert message["is_topic_message"] is True
    assert message["reply_to_message"]["forum_topic_created"]["name"] == "Deals"
    general = stub.send_message(alice, "/help", chat=forum)
    assert "message_thread_id" not in general


async def test_wait_for_call(bot: telegram.Bot, stub: BotApiStub) -> None:
    before = len(stub.requests)
    task = asyncio.create_task(stub.wait_for_call("setMyCommands", after=before, timeout=3))
    await asyncio.sleep(0.05)
    await bot.set_my_commands([("start", "Start")])
    call = await task
    assert call.ok
    assert call.params["commands"] == [{"command": "start", "description": "Start"}]


async def test_ports_are_ephemeral_and_distinct() -> None:
    async with BotApiStub() as one, BotApiStub() as two:
        assert one.port != two.port
        assert one.base_url == f"http://127.0.0.1:{one.port}/bot"
        assert one.base_file_url == f"http://127.0.0.1:{one.port}/file/bot"


async def test_changes_feed_reports_new_edited_and_deleted(
    bot: telegram.Bot, stub: BotApiStub
) -> None:
    alice = stub.create_user("Alice", started=True)
    first = await bot.send_message(alice.id, "one")
    await bot.send_message(alice.id, "two")
    assert [m.text for m in await stub.wait_for_changes(alice)] == ["one", "two"]
    assert stub.changes(alice) == []
    await bot.edit_message_text("one!", chat_id=alice.id, message_id=first.message_id)
    [edited] = stub.changes()
    assert (edited.text, edited.edited) == ("one!", True)
    await bot.delete_message(alice.id, first.message_id)
    [deleted] = stub.changes(alice)
    assert deleted.deleted
    assert await stub.wait_for_changes(alice, timeout=0.1) == []


async def test_user_edits_reach_the_bot(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    bob = stub.create_user("Bob")
    original = stub.send_message(alice, "/price 10")
    stub.edit_message(alice, original, "/price 12")
    with pytest.raises(DriverError, match="own text messages"):
        stub.edit_message(bob, original, "hijack")
    updates = await bot.get_updates()
    edited = updates[-1].edited_message
    assert edited is not None
    assert (edited.message_id, edited.text) == (original["message_id"], "/price 12")
    assert stub.history(alice)[-1].text == "/price 12"
