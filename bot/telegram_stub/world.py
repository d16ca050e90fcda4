"""The stand-in's state: users, chats, messages, files and the update queue.

Everything here is plain synchronous data manipulated on one event loop, so no
locks are needed; waiting is done through :class:`Notifier`. Objects are
rendered to Bot API JSON on demand, so an edit is visible in every later
answer (getUpdates, callback queries, driver reads) at once.
"""

from __future__ import annotations

import asyncio
import itertools
import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from bot.telegram_stub.validation import detect_entities, entity_text

JSON = dict[str, Any]
T = TypeVar("T")

ChatType = Literal["private", "group", "supergroup"]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]
PRESENT = frozenset({"creator", "administrator", "member"})
ADMIN = frozenset({"creator", "administrator"})

ALL_UPDATE_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "message_reaction",
        "message_reaction_count",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
# What a bot gets when it never said otherwise (or passed an empty list).
DEFAULT_UPDATE_TYPES = ALL_UPDATE_TYPES - {
    "chat_member",
    "message_reaction",
    "message_reaction_count",
}

# Service messages reach a bot even in privacy mode.
SERVICE_FIELDS = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "group_chat_created",
        "supergroup_chat_created",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "forum_topic_created",
        "forum_topic_closed",
        "forum_topic_reopened",
        "pinned_message",
    }
)


class Notifier:
    """Wake everyone waiting for "something changed" (updates, bot messages, edits)."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._waiters.clear()

    async def wait_for(self, probe: Callable[[], T | None], timeout: float) -> T | None:
        """Return the first non-None ``probe()``; None when ``timeout`` passes first."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = probe()
            if value is not None:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.add(waiter)
            try:
                await asyncio.wait({waiter}, timeout=remaining)
            finally:
                self._waiters.discard(waiter)


@dataclass(eq=False)
class User:
    id: int
    first_name: str
    is_bot: bool = False
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code and not self.is_bot:
            data["language_code"] = self.language_code
        if self.is_premium:
            data["is_premium"] = True
        return data

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}" if self.last_name else self.first_name


@dataclass(eq=False)
class StoredFile:
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    content: bytes
    file_path: str

    @property
    def size(self) -> int:
        return len(self.content)

    def to_document(self) -> JSON:
        data: JSON = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }
        if self.file_name:
            data["file_name"] = self.file_name
        if self.mime_type:
            data["mime_type"] = self.mime_type
        return data

    def to_file(self) -> JSON:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
            "file_path": self.file_path,
        }


@dataclass(eq=False)
class StoredPhoto:
    """A photo the bot sent: the uploaded image and its pixel size. Telegram keeps several
    sizes (thumbnails); the stand-in keeps the original only, as one PhotoSize."""

    file: StoredFile
    width: int
    height: int

    def to_api(self) -> list[JSON]:
        return [
            {
                "file_id": self.file.file_id,
                "file_unique_id": self.file.file_unique_id,
                "width": self.width,
                "height": self.height,
                "file_size": self.file.size,
            }
        ]


@dataclass(eq=False)
class Chat:
    id: int
    type: ChatType
    title: str | None = None
    user: User | None = None  # the other party of a private chat
    is_forum: bool = False
    username: str | None = None
    members: dict[int, MemberStatus] = field(default_factory=dict)
    topics: dict[int, str] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    migrated_to: int | None = None
    migrated_from: int | None = None
    started: bool = False  # private chat: the user has written to the bot at least once

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    @property
    def kind_name(self) -> str:
        """How Telegram names the chat in 403 descriptions."""
        return "supergroup chat" if self.type == "supergroup" else "group chat"

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    def status_of(self, user_id: int) -> MemberStatus:
        return self.members.get(user_id, "left")

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            assert self.user is not None
            data["first_name"] = self.user.first_name
            if self.user.last_name:
                data["last_name"] = self.user.last_name
            if self.user.username:
                data["username"] = self.user.username
        else:
            data["title"] = self.title
            if self.username:
                data["username"] = self.username
            if self.is_forum:
                data["is_forum"] = True
        return data


@dataclass(eq=False)
class StoredMessage:
    chat: Chat
    message_id: int
    sender: User
    date: int
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[JSON] = field(default_factory=list)
    document: StoredFile | None = None
    photo: StoredPhoto | None = None
    reply_markup: JSON | None = None
    thread_id: int | None = None
    reply_to: StoredMessage | None = None
    service: JSON = field(default_factory=dict)
    extra: JSON = field(default_factory=dict)
    source_text: str | None = None  # the text or caption exactly as the bot sent it
    parse_mode: str | None = None
    edit_date: int | None = None
    deleted: bool = False
    version: int = 0
    history: list[JSON] = field(default_factory=list)  # earlier states, oldest first
    request: JSON = field(default_factory=dict)  # the bot's parameters when it sent this

    @property
    def from_bot(self) -> bool:
        return self.sender.is_bot

    def to_api(self, *, nested: bool = False) -> JSON:
        data: JSON = {
            "message_id": self.message_id,
            "date": self.date,
            "chat": self.chat.to_api(),
            "from": self.sender.to_api(),
        }
        if self.thread_id is not None:
            data["message_thread_id"] = self.thread_id
            if self.chat.is_forum:
                data["is_topic_message"] = True
        if not nested:
            reply = self.reply_to
            if reply is None and self.chat.is_forum and self.thread_id is not None:
                # In a forum every topic message answers the topic's creation message.
                root = self.chat.messages.get(self.thread_id)
                reply = root if root is not self else None
            if reply is not None:
                data["reply_to_message"] = reply.to_api(nested=True)
        if self.text is not None:
            data["text"] = self.text
            if self.entities:
                data["entities"] = self.entities
        if self.document is not None:
            data["document"] = self.document.to_document()
        if self.photo is not None:
            data["photo"] = self.photo.to_api()
        if self.caption:
            data["caption"] = self.caption
            if self.caption_entities:
                data["caption_entities"] = self.caption_entities
        if self.reply_markup is not None and "inline_keyboard" in self.reply_markup:
            data["reply_markup"] = self.reply_markup  # only inline keyboards are echoed back
        if self.edit_date is not None:
            data["edit_date"] = self.edit_date
        data.update(self.extra)
        data.update(self.service)
        return data


@dataclass(eq=False)
class CallbackQueryRecord:
    id: str
    user: User
    message: StoredMessage
    data: str | None
    answered: bool = False


CommandKey = tuple[str, int | None, int | None, str]  # scope type, chat id, user id, language


class World:
    """All state of one bot's Telegram."""

    def __init__(
        self,
        bot: User,
        *,
        privacy_mode: bool = True,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.bot = bot
        self.privacy_mode = privacy_mode
        self.wall_clock = wall_clock
        self.users: dict[int, User] = {bot.id: bot}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.files_by_path: dict[str, StoredFile] = {}
        self.updates: list[JSON] = []  # queued, not yet confirmed by the bot
        self.update_log: list[JSON] = []  # every update ever queued, for assertions
        self.next_update_id = 10_000
        self.allowed_updates: frozenset[str] = DEFAULT_UPDATE_TYPES
        self.webhook: JSON = {}
        self.commands: dict[CommandKey, list[JSON]] = {}
        self.bot_texts: dict[tuple[str, str], str] = {}  # (field, language) → name/descriptions
        self.callback_queries: dict[str, CallbackQueryRecord] = {}
        self.notifier = Notifier()
        self._user_ids = itertools.count(7_000_000_001)  # > 2**31 like real ids
        self._group_ids = itertools.count(4_000_000_001)
        self._supergroup_ids = itertools.count(2_000_000_001)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)

    # -- time and ids ---------------------------------------------------------

    def now(self) -> int:
        return int(self.wall_clock())

    def new_user_id(self) -> int:
        return next(self._user_ids)

    def new_group_id(self, supergroup: bool) -> int:
        if supergroup:
            return -1_000_000_000_000 - next(self._supergroup_ids)
        return -next(self._group_ids)

    def new_query_id(self) -> str:
        return f"{self.bot.id}{next(self._query_ids):08d}"

    # -- lookups --------------------------------------------------------------

    def chat_for_user(self, user: User) -> Chat:
        chat = self.chats.get(user.id)
        if chat is None:
            chat = Chat(id=user.id, type="private", user=user)
            chat.members = {user.id: "member", self.bot.id: "member"}
            self.chats[user.id] = chat
        return chat

    def chat_by_username(self, username: str) -> Chat | None:
        wanted = username.lstrip("@").lower()
        for chat in self.chats.values():
            name = chat.username if chat.is_group else (chat.user.username if chat.user else None)
            if name and name.lower() == wanted:
                return chat
        return None

    # -- files ----------------------------------------------------------------

    def store_file(
        self, content: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        number = next(self._file_ids)
        if not mime_type or mime_type == "application/octet-stream":
            guessed = mimetypes.guess_type(file_name or "")[0]
            mime_type = guessed or mime_type or "application/octet-stream"
        suffix = ""
        if file_name and "." in file_name:
            suffix = "." + file_name.rsplit(".", 1)[1]
        stored = StoredFile(
            file_id=f"BQACAgIAAxkBAAI{number:06d}stub",
            file_unique_id=f"AgAD{number:06d}",
            file_name=file_name,
            mime_type=mime_type,
            content=content,
            file_path=f"documents/file_{number}{suffix}",
        )
        self.files[stored.file_id] = stored
        self.files_by_path[stored.file_path] = stored
        return stored

    # -- messages and updates ---------------------------------------------------

    def add_message(
        self,
        chat: Chat,
        sender: User,
        *,
        text: str | None = None,
        entities: list[JSON] | None = None,
        thread_id: int | None = None,
        reply_to: StoredMessage | None = None,
        **fields: Any,
    ) -> StoredMessage:
        message = StoredMessage(
            chat=chat,
            message_id=chat.take_message_id(),
            sender=sender,
            date=self.now(),
            text=text,
            entities=entities or [],
            thread_id=thread_id,
            reply_to=reply_to,
            **fields,
        )
        chat.messages[message.message_id] = message
        self.notifier.notify()
        return message

    def push_update(self, kind: str, payload: JSON) -> JSON | None:
        """Queue an update unless the bot's allowed_updates filter it out.

        Telegram applies the filter when the update is created, so changing
        allowed_updates later does not resurrect dropped updates.
        """
        if kind not in self.allowed_updates:
            return None
        update: JSON = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        self.update_log.append(update)
        self.notifier.notify()
        return update

    def bot_receives(self, message: StoredMessage) -> bool:
        """Whether Telegram would forward a user's message to the bot."""
        chat = message.chat
        if not chat.is_group:
            return True
        if chat.status_of(self.bot.id) not in PRESENT:
            return False
        if any(key in SERVICE_FIELDS for key in message.service):
            return True
        if not self.privacy_mode or chat.status_of(self.bot.id) in ADMIN:
            return True
        # Privacy mode: commands for this bot (or for no bot in particular),
        # @mentions of it, and replies to its messages.
        if message.reply_to is not None and message.reply_to.from_bot:
            return True
        body = message.text if message.text is not None else (message.caption or "")
        entities = message.entities if message.text is not None else message.caption_entities
        me = (self.bot.username or "").lower()
        for entity in entities:
            value = entity_text(body, entity)
            if entity["type"] == "bot_command":
                _, _, target = value.partition("@")
                if not target or target.lower() == me:
                    return True
            elif entity["type"] == "mention" and value[1:].lower() == me:
                return True
        return False

    def deliver(self, message: StoredMessage) -> None:
        if self.bot_receives(message):
            self.push_update("message", message.to_api())

    def user_message(
        self,
        user: User,
        chat: Chat,
        *,
        text: str | None = None,
        thread_id: int | None = None,
        reply_to: StoredMessage | None = None,
        document: StoredFile | None = None,
        caption: str | None = None,
    ) -> StoredMessage:
        fields: JSON = {}
        if document is not None:
            fields["document"] = document
            if caption:
                fields["caption"] = caption
                fields["caption_entities"] = detect_entities(caption)
        message = self.add_message(
            chat,
            user,
            text=text,
            entities=detect_entities(text) if text is not None else None,
            thread_id=thread_id,
            reply_to=reply_to,
            **fields,
        )
        self.deliver(message)
        return message

    def service_message(
        self, chat: Chat, sender: User, *, thread_id: int | None = None, **service: Any
    ) -> StoredMessage:
        message = self.add_message(chat, sender, thread_id=thread_id, service=service)
        self.deliver(message)
        return message

    # -- membership ------------------------------------------------------------

    def member_api(self, chat: Chat, user: User) -> JSON:
        """A ChatMember object as getChatMember and chat member updates return it."""
        status = chat.status_of(user.id)
        data: JSON = {"status": status, "user": user.to_api()}
        if status == "creator":
            data["is_anonymous"] = False
        elif status == "administrator":
            rights = {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
            if chat.is_forum:
                rights["can_manage_topics"] = True
            data.update(rights)
        elif status == "kicked":
            data["until_date"] = 0
        return data

    def set_member_status(
        self, chat: Chat, user: User, status: MemberStatus, *, by: User | None = None
    ) -> None:
        """Change membership and emit my_chat_member / chat_member like Telegram."""
        old = self.member_api(chat, user)
        chat.members[user.id] = status
        new = self.member_api(chat, user)
        if old["status"] == new["status"]:
            return
        payload: JSON = {
            "chat": chat.to_api(),
            "from": (by or user).to_api(),
            "date": self.now(),
            "old_chat_member": old,
            "new_chat_member": new,
        }
        if user is self.bot:
            self.push_update("my_chat_member", payload)
        elif chat.is_group and chat.status_of(self.bot.id) in ADMIN:
            # chat_member updates need the bot to be an administrator there.
            self.push_update("chat_member", payload)

    # -- updates for getUpdates ----------------------------------------------------

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates = self.updates[offset:]
