"""A real python-telegram-bot ``Bot`` against the stand-in: objects and exceptions."""

from __future__ import annotations

import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
)
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.telegram_stub import BotApiStub, RateLimits


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d) for t, d in pairs]])


async def test_send_edit_delete_roundtrip(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    sent = await bot.send_message(
        alice.id,
        "<b>Pick</b> a language",
        parse_mode=ParseMode.HTML,
        reply_markup=keyboard(("English", "lang:en"), ("한국어", "lang:ko")),
    )
    assert sent.text == "Pick a language"
    assert sent.from_user is not None and sent.from_user.id == stub.bot_id
    assert sent.chat.id == alice.id
    assert sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "lang:ko"

    edited = await bot.edit_message_text(
        "Language: 한국어",
        chat_id=alice.id,
        message_id=sent.message_id,
        reply_markup=keyboard(("Back", "lang:back")),
    )
    assert isinstance(edited, telegram.Message)
    assert edited.edit_date is not None
    view = stub.message(alice, sent.message_id)
    assert (view.text, view.edited, view.buttons) == (
        "Language: 한국어",
        True,
        [[("Back", "lang:back")]],
    )

    assert await bot.delete_message(alice.id, sent.message_id) is True
    assert stub.message(alice, sent.message_id).deleted
    with pytest.raises(BadRequest, match="Message to delete not found"):
        await bot.delete_message(alice.id, sent.message_id)


async def test_edit_without_markup_drops_the_keyboard(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    sent = await bot.send_message(alice.id, "x", reply_markup=keyboard(("a", "a")))
    await bot.edit_message_text("y", chat_id=alice.id, message_id=sent.message_id)
    assert stub.message(alice, sent.message_id).buttons == []


async def test_identical_edit_is_not_modified(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    markup = keyboard(("a", "a"))
    sent = await bot.send_message(alice.id, "same", reply_markup=markup)
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "same", chat_id=alice.id, message_id=sent.message_id, reply_markup=markup
        )
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=markup)
    # Same text but different formatting is a modification.
    await bot.edit_message_text(
        "<b>same</b>",
        chat_id=alice.id,
        message_id=sent.message_id,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
    )
    assert stub.message(alice, sent.message_id).version == 1


async def test_answer_callback_query(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    sent = await bot.send_message(alice.id, "x", reply_markup=keyboard(("Go", "go:1")))
    query_id = stub.press_button(
        alice, {"chat": {"id": alice.id}, "message_id": sent.message_id}, text="Go"
    )
    updates = await bot.get_updates()
    query = updates[-1].callback_query
    assert query is not None
    assert (query.id, query.data, query.from_user.id) == (query_id, "go:1", alice.id)
    assert query.message is not None and query.message.message_id == sent.message_id
    assert await query.answer("Done", show_alert=True) is True
    answer = stub.callback_answers[-1]
    assert (answer.query_id, answer.text, answer.show_alert) == (query_id, "Done", True)
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query_id)


async def test_document_upload_and_download(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    content = "sku,name\nA1,Café\n".encode()
    sent = await bot.send_document(
        alice.id,
        document=InputFile(content, filename="floors.csv"),
        caption="<i>Floors</i>",
        parse_mode=ParseMode.HTML,
    )
    assert sent.document is not None
    assert (sent.document.file_name, sent.document.file_size) == ("floors.csv", len(content))
    assert sent.caption == "Floors"
    view = stub.messages(alice)[-1]
    assert view.document is not None
    assert view.document.content == content
    assert view.document.mime_type == "text/csv"

    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == content


async def test_bot_downloads_a_users_upload(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    stub.send_document(alice, filename="skus.csv", content=b"a,b\n", caption="/import")
    update = (await bot.get_updates())[-1]
    assert update.message is not None and update.message.document is not None
    assert update.message.caption == "/import"
    assert update.message.caption_entities[0].type == "bot_command"
    file = await update.message.document.get_file()
    assert bytes(await file.download_as_bytearray()) == b"a,b\n"


RETRY_AFTER_INT = pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")


@RETRY_AFTER_INT
async def test_retry_after_on_flood(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    stub.flood(1, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "x")
    assert caught.value.retry_after == 3
    assert (await bot.send_message(alice.id, "y")).text == "y"


@RETRY_AFTER_INT
async def test_retry_after_from_the_private_chat_limit(bot: telegram.Bot, stub: BotApiStub) -> None:
    stub.set_rate_limits(RateLimits(private_burst=1, private_per_second=1))
    alice = stub.create_user("Alice", started=True)
    await bot.send_message(alice.id, "one")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.id, "two")
    assert caught.value.retry_after == 1


async def test_forbidden_when_blocked_and_before_start(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    with pytest.raises(Forbidden, match="can't initiate conversation"):
        await bot.send_message(alice.id, "hi")
    stub.send_message(alice, "/start")
    await bot.send_message(alice.id, "hi")
    stub.block_bot(alice)
    with pytest.raises(Forbidden, match="Forbidden: bot was blocked by the user"):
        await bot.send_message(alice.id, "hi")
    update = (await bot.get_updates())[-1]
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == ChatMemberStatus.BANNED
    stub.unblock_bot(alice)
    assert (await bot.send_message(alice.id, "back")).text == "back"


async def test_forbidden_after_removal_from_group(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    group = stub.create_group("Team", admins=[alice])
    with pytest.raises(Forbidden, match="not a member of the group chat"):
        await bot.send_message(group.id, "x")
    stub.add_bot_to_group(group, by=alice)
    await bot.send_message(group.id, "hello team")
    stub.remove_bot_from_group(group, by=alice)
    with pytest.raises(Forbidden, match="Forbidden: bot was kicked from the group chat"):
        await bot.send_message(group.id, "x")
    kinds = [
        u.my_chat_member.new_chat_member.status for u in await bot.get_updates() if u.my_chat_member
    ]
    assert kinds == [ChatMemberStatus.MEMBER, ChatMemberStatus.BANNED]


async def test_chat_migrated(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    group = stub.create_group("Team", admins=[alice], with_bot=True)
    new_id = stub.migrate_to_supergroup(group)
    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(group.id, "x")
    assert caught.value.new_chat_id == new_id
    sent = await bot.send_message(new_id, "moved")
    assert sent.chat.type == "supergroup"
    messages = [u.message for u in await bot.get_updates() if u.message]
    assert messages[0].migrate_to_chat_id == new_id
    assert messages[1].migrate_from_chat_id == group.id


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"text": "<b>bold", "parse_mode": ParseMode.HTML}, "Can't parse entities"),
        (
            {"text": "a <tag> b", "parse_mode": ParseMode.HTML},
            'unsupported start tag "tag" at byte offset 2',
        ),
        ({"text": "x" * 4097}, "Message is too long"),
        ({"text": "x", "reply_markup": keyboard(("a", "d" * 65))}, "Button_data_invalid"),
        ({"text": "x", "message_thread_id": 1}, "Message thread not found"),
    ],
)
async def test_bad_requests(
    bot: telegram.Bot, stub: BotApiStub, kwargs: dict[str, object], match: str
) -> None:
    alice = stub.create_user("Alice", started=True)
    with pytest.raises(BadRequest, match=match):
        await bot.send_message(alice.id, **kwargs)  # type: ignore[arg-type]


async def test_forum_topics(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    forum = stub.create_group("Shop", admins=[alice], forum=True, with_bot=True)
    topic = stub.create_topic(forum, "Campaigns")
    stub.send_message(alice, "/help", chat=forum, thread_id=topic)
    update = (await bot.get_updates())[-1]
    incoming = update.message
    assert incoming is not None
    assert (incoming.message_thread_id, incoming.is_topic_message) == (topic, True)
    reply = await incoming.reply_text("in the topic")
    assert (reply.message_thread_id, reply.is_topic_message) == (topic, True)
    assert stub.messages(forum, thread_id=topic)[-1].text == "in the topic"
    general = await bot.send_message(forum.id, "general")
    assert general.message_thread_id is None
    # Replying to a topic message without a thread id still lands in the topic.
    quoted = await bot.send_message(
        forum.id, "quoted", reply_parameters=ReplyParameters(incoming.message_id)
    )
    assert quoted.message_thread_id == topic


async def test_chat_and_members(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", username="alice")
    bob = stub.create_user("Bob")
    group = stub.create_group(
        "Team", members=[bob], admins=[alice], supergroup=True, bot_admin=True
    )
    chat = await bot.get_chat(group.id)
    assert (chat.title, chat.type) == ("Team", "supergroup")
    admins = await bot.get_chat_administrators(group.id)
    assert {(m.user.id, m.status) for m in admins} == {
        (alice.id, ChatMemberStatus.OWNER),
        (stub.bot_id, ChatMemberStatus.ADMINISTRATOR),
    }
    assert (await bot.get_chat_member(group.id, bob.id)).status == ChatMemberStatus.MEMBER
    stranger = stub.create_user("Carol")
    assert (await bot.get_chat_member(group.id, stranger.id)).status == ChatMemberStatus.LEFT
    assert await bot.get_chat_member_count(group.id) == 3
    with pytest.raises(BadRequest, match="no administrators in the private chat"):
        await bot.get_chat_administrators(alice.id)
    assert await bot.send_chat_action(group.id, "typing") is True
    assert stub.chat_actions[-1].action == "typing"
    assert await bot.leave_chat(group.id) is True
    with pytest.raises(Forbidden):
        await bot.send_message(group.id, "x")


async def test_commands_per_scope_and_language(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", language_code="ko")
    group = stub.create_group("Team", admins=[alice], with_bot=True)
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    await bot.set_my_commands(
        [BotCommand("start", "시작")], scope=BotCommandScopeAllPrivateChats(), language_code="ko"
    )
    await bot.set_my_commands(
        [BotCommand("help", "Group help")], scope=BotCommandScopeAllGroupChats()
    )
    await bot.set_my_commands([BotCommand("bind", "Bind")], scope=BotCommandScopeChat(group.id))
    assert stub.commands() == [("start", "Start"), ("help", "Help")]
    assert stub.commands("all_private_chats", "ko") == [("start", "시작")]
    assert stub.commands("all_private_chats") == []
    assert stub.commands("chat", chat=group) == [("bind", "Bind")]
    got = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="ko")
    assert [(c.command, c.description) for c in got] == [("start", "시작")]
    assert stub.menu_for(alice) == [("start", "시작")]
    assert stub.menu_for(alice, group) == [("bind", "Bind")]
    english = stub.create_user("Eve", language_code="en")
    assert stub.menu_for(english) == [("start", "Start"), ("help", "Help")]
    await bot.delete_my_commands(scope=BotCommandScopeChat(group.id))
    assert stub.menu_for(alice, group) == [("help", "Group help")]
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("start", "x")], language_code="pt-br")
    with pytest.raises(BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "x")])
