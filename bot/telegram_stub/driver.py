"""The driver API: build a little Telegram, act as its users, read what the bot did.

A test (or the demo's terminal chat) owns one :class:`BotApiStub`. The bot —
in the same process or another one — reaches it only over HTTP via
``base_url`` / ``base_file_url``. Driver calls that change the world are
synchronous and must run on the event loop that serves the stub; waiting
calls are coroutines.

    stub = BotApiStub()
    await stub.start()
    alice = stub.create_user("Alice", language_code="zh-hans")
    stub.send_message(alice, "/start")
    menu = await stub.wait_for_message(alice)
    stub.press_button(alice, menu, text="한국어")
    edited = await stub.wait_for_edit(menu)
"""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Literal, NamedTuple, Self

from bot.telegram_stub.errors import DriverError
from bot.telegram_stub.methods import BotApi, CallbackAnswer, ChatAction
from bot.telegram_stub.ratelimit import Clock, FloodSwitch, RateLimiter, RateLimits
from bot.telegram_stub.server import ApiCall, StubServer
from bot.telegram_stub.validation import detect_entities
from bot.telegram_stub.world import (
    ADMIN,
    JSON,
    PRESENT,
    CallbackQueryRecord,
    Chat,
    StoredMessage,
    User,
    World,
)

ChatRef = Chat | User | int


class Button(NamedTuple):
    """An inline button: its label and its callback_data (or URL for link buttons)."""

    text: str
    data: str | None


@dataclass(frozen=True, slots=True)
class StubDocument:
    file_name: str | None
    mime_type: str | None
    content: bytes
    file_id: str

    def text(self, encoding: str = "utf-8") -> str:
        return self.content.decode(encoding)


@dataclass(frozen=True, slots=True)
class StubPhoto:
    """A photo as sent: the image bytes and the pixel size the stand-in read from them."""

    content: bytes
    width: int
    height: int
    file_id: str


@dataclass(frozen=True, slots=True)
class StubMessage:
    """A snapshot of one message as it was when read (see ``version``)."""

    chat_id: int
    message_id: int
    thread_id: int | None
    text: str  # the plain text, or the caption of a document ("" when none)
    entities: list[JSON]
    source: str | None  # text/caption exactly as the bot sent it (e.g. with HTML tags)
    parse_mode: str | None
    buttons: list[list[Button]]
    reply_keyboard: list[list[str]]
    document: StubDocument | None
    reply_to_message_id: int | None
    sender_id: int
    from_bot: bool
    date: int
    edited: bool
    deleted: bool
    version: int
    raw: JSON  # the Bot API Message object
    request: JSON = field(default_factory=dict)  # the bot's parameters when it sent it
    photo: StubPhoto | None = None  # `text` is then the caption

    @property
    def button_texts(self) -> list[str]:
        return [b.text for row in self.buttons for b in row]

    def button(self, text: str) -> Button:
        for row in self.buttons:
            for candidate in row:
                if candidate.text == text:
                    return candidate
        raise KeyError(f"no button {text!r}; buttons are {self.button_texts}")


def snapshot(message: StoredMessage) -> StubMessage:
    markup = message.reply_markup or {}
    buttons = [
        [Button(b["text"], b.get("callback_data", b.get("url"))) for b in row]
        for row in markup.get("inline_keyboard", [])
    ]
    keyboard = [
        [b if isinstance(b, str) else b["text"] for b in row] for row in markup.get("keyboard", [])
    ]
    document = None
    if message.document is not None:
        document = StubDocument(
            file_name=message.document.file_name,
            mime_type=message.document.mime_type,
            content=message.document.content,
            file_id=message.document.file_id,
        )
    photo = None
    if message.photo is not None:
        photo = StubPhoto(
            content=message.photo.file.content,
            width=message.photo.width,
            height=message.photo.height,
            file_id=message.photo.file.file_id,
        )
    text = message.text if message.text is not None else (message.caption or "")
    entities = message.entities if message.text is not None else message.caption_entities
    return StubMessage(
        chat_id=message.chat.id,
        message_id=message.message_id,
        thread_id=message.thread_id,
        text=text,
        entities=list(entities),
        source=message.source_text,
        parse_mode=message.parse_mode,
        buttons=buttons,
        reply_keyboard=keyboard,
        document=document,
        reply_to_message_id=message.reply_to.message_id if message.reply_to else None,
        sender_id=message.sender.id,
        from_bot=message.from_bot,
        date=message.date,
        edited=message.edit_date is not None,
        deleted=message.deleted,
        version=message.version,
        raw=message.to_api(),
        request=dict(message.request),
        photo=photo,
    )


class BotApiStub:
    """A local Telegram for one bot: HTTP server plus driver API."""

    def __init__(
        self,
        token: str = "123456:TEST",
        *,
        bot_username: str = "CampaignPlannerBot",
        bot_name: str = "Campaign Planner",
        rate_limits: bool | RateLimits = True,
        privacy_mode: bool = True,
        clock: Clock = time.monotonic,
        wall_clock: Clock = time.time,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        bot_id = int(token.split(":", 1)[0])
        self.token = token
        self.bot = User(id=bot_id, first_name=bot_name, is_bot=True, username=bot_username)
        self.world = World(self.bot, privacy_mode=privacy_mode, wall_clock=wall_clock)
        self.clock = clock
        self.api = BotApi(self.world, limiter=None, flood=FloodSwitch(clock))
        self.set_rate_limits(rate_limits)
        self.requests: list[ApiCall] = []
        self.server = StubServer(self.api, token, host=host, port=port, on_call=self._log_call)
        self._read: set[tuple[int, int]] = set()
        self._seen_versions: dict[tuple[int, int], int] = {}  # for changes()

    def _log_call(self, call: ApiCall) -> None:
        self.requests.append(call)
        self.world.notifier.notify()

    # -- lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}"

    @property
    def base_url(self) -> str:
        """PTB's ``base_url``: it appends the token and the method."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def bot_id(self) -> int:
        return self.bot.id

    @property
    def bot_username(self) -> str:
        return self.bot.username or ""

    # -- limits and failures -----------------------------------------------------

    def set_rate_limits(self, limits: bool | RateLimits) -> None:
        """True: Telegram's limits; False: none; RateLimits(...): custom (fresh buckets)."""
        if limits is False:
            self.api.limiter = None
        else:
            chosen = RateLimits() if limits is True else limits
            self.api.limiter = RateLimiter(chosen, self.clock)

    def flood(
        self,
        count: int | None = None,
        *,
        seconds: float | None = None,
        retry_after: int = 1,
        methods: Collection[str] | Literal["sending", "all"] = "sending",
    ) -> None:
        """Answer 429 ``retry_after`` to the next ``count`` calls, or for ``seconds``.

        ``methods``: "sending" (send* methods, the default), "all", or method names.
        """
        self.api.flood.set(count=count, seconds=seconds, retry_after=retry_after, methods=methods)

    def stop_flood(self) -> None:
        self.api.flood.clear()

    @property
    def count_429(self) -> int:
        return self.api.log.count_429

    @property
    def callback_answers(self) -> list[CallbackAnswer]:
        return self.api.log.callback_answers

    @property
    def chat_actions(self) -> list[ChatAction]:
        return self.api.log.chat_actions

    @property
    def unknown_methods(self) -> list[str]:
        """Methods the bot called that the stand-in does not implement (answered 404)."""
        return self.api.log.unknown_methods

    @property
    def updates(self) -> list[JSON]:
        """Every update queued for the bot so far (confirmed or not), oldest first."""
        return self.world.update_log

    def calls(self, method: str) -> list[ApiCall]:
        wanted = method.lower()
        return [c for c in self.requests if c.method.lower() == wanted]

    @property
    def errors(self) -> list[ApiCall]:
        """Every call answered with ok=false, oldest first."""
        return [c for c in self.requests if not c.ok]

    # -- building the world ----------------------------------------------------------

    def create_user(
        self,
        first_name: str,
        *,
        language_code: str | None = None,
        username: str | None = None,
        last_name: str | None = None,
        is_premium: bool = False,
        started: bool = False,
    ) -> User:
        """A Telegram user. ``started``: has already opened a private chat with the bot.

        Until a user writes to the bot (or ``started=True``), the bot cannot
        message them privately (403 "bot can't initiate conversation").
        """
        user = User(
            id=self.world.new_user_id(),
            first_name=first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            is_premium=is_premium,
        )
        self.world.users[user.id] = user
        self.world.chat_for_user(user).started = started
        return user

    def private_chat(self, user: User) -> Chat:
        return self.world.chat_for_user(user)

    def create_group(
        self,
        title: str,
        *,
        members: Iterable[User] = (),
        admins: Iterable[User] = (),
        owner: User | None = None,
        supergroup: bool = False,
        forum: bool = False,
        username: str | None = None,
        with_bot: bool = False,
        bot_admin: bool = False,
    ) -> Chat:
        """A group (or supergroup / forum). The bot is not in it unless ``with_bot``.

        ``owner`` defaults to the first admin, else the first member. With
        ``with_bot`` the bot is silently a member already (no updates); use
        :meth:`add_bot_to_group` to have the bot told about it.
        """
        admin_list = list(admins)
        member_list = list(members)
        creator = (
            owner
            or (admin_list[0] if admin_list else None)
            or (member_list[0] if member_list else None)
        )
        is_super = supergroup or forum
        chat = Chat(
            id=self.world.new_group_id(is_super),
            type="supergroup" if is_super else "group",
            title=title,
            is_forum=forum,
            username=username,
        )
        for user in member_list:
            chat.members[user.id] = "member"
        for user in admin_list:
            chat.members[user.id] = "administrator"
        if creator is not None:
            chat.members[creator.id] = "creator"
        if with_bot or bot_admin:
            chat.members[self.bot.id] = "administrator" if bot_admin else "member"
        self.world.chats[chat.id] = chat
        return chat

    def create_topic(self, group: ChatRef, name: str, *, by: User | None = None) -> int:
        """A forum topic; returns its message_thread_id (the id of its creation message)."""
        chat = self._group(group)
        if not chat.is_forum:
            raise DriverError(f"{chat.title!r} is not a forum; create_group(..., forum=True)")
        creator = by or self._someone_in(chat)
        message = self.world.add_message(
            chat,
            creator,
            service={"forum_topic_created": {"name": name, "icon_color": 7322096}},
        )
        message.thread_id = message.message_id
        chat.topics[message.message_id] = name
        self.world.deliver(message)
        return message.message_id

    def add_bot_to_group(self, group: ChatRef, *, by: User, as_admin: bool = False) -> None:
        """``by`` adds the bot: my_chat_member plus a new_chat_members service message."""
        chat = self._group(group)
        self._require_member(chat, by)
        self.world.set_member_status(
            chat, self.bot, "administrator" if as_admin else "member", by=by
        )
        self.world.service_message(chat, by, new_chat_members=[self.bot.to_api()])

    def set_bot_admin(self, group: ChatRef, admin: bool = True, *, by: User) -> None:
        chat = self._group(group)
        if chat.status_of(self.bot.id) not in PRESENT:
            raise DriverError("the bot is not in this group")
        self.world.set_member_status(chat, self.bot, "administrator" if admin else "member", by=by)

    def remove_bot_from_group(self, group: ChatRef, *, by: User) -> None:
        """``by`` removes the bot; later sends there get 403 "bot was kicked"."""
        chat = self._group(group)
        if chat.status_of(self.bot.id) not in PRESENT:
            raise DriverError("the bot is not in this group")
        self.world.set_member_status(chat, self.bot, "kicked", by=by)

    def add_member(
        self, group: ChatRef, user: User, *, by: User | None = None, admin: bool = False
    ) -> None:
        chat = self._group(group)
        self.world.set_member_status(chat, user, "administrator" if admin else "member", by=by)
        self.world.service_message(chat, by or user, new_chat_members=[user.to_api()])

    def remove_member(self, group: ChatRef, user: User, *, by: User | None = None) -> None:
        chat = self._group(group)
        self.world.set_member_status(chat, user, "kicked" if by else "left", by=by)
        self.world.service_message(chat, by or user, left_chat_member=user.to_api())

    def block_bot(self, user: User) -> None:
        chat = self.world.chat_for_user(user)
        self.world.set_member_status(chat, self.bot, "kicked", by=user)

    def unblock_bot(self, user: User) -> None:
        chat = self.world.chat_for_user(user)
        self.world.set_member_status(chat, self.bot, "member", by=user)

    def migrate_to_supergroup(self, group: ChatRef, *, by: User | None = None) -> int:
        """Upgrade a basic group; returns the new -100… id.

        The bot gets ``migrate_to_chat_id`` in the old chat and
        ``migrate_from_chat_id`` in the new one; the old id then answers 400
        with ``parameters.migrate_to_chat_id``.
        """
        old = self._group(group)
        if old.type != "group":
            raise DriverError("only basic groups migrate")
        actor = by or self._someone_in(old)
        new = Chat(
            id=self.world.new_group_id(True),
            type="supergroup",
            title=old.title,
            members=dict(old.members),
            migrated_from=old.id,
        )
        self.world.chats[new.id] = new
        self.world.service_message(old, actor, migrate_to_chat_id=new.id)
        old.migrated_to = new.id
        self.world.service_message(new, actor, migrate_from_chat_id=old.id)
        return new.id

    def chat(self, ref: ChatRef) -> Chat:
        if isinstance(ref, Chat):
            return ref
        if isinstance(ref, User):
            return self.world.chat_for_user(ref)
        chat = self.world.chats.get(ref)
        if chat is None:
            raise DriverError(f"no chat {ref}")
        return chat

    def user(self, user_id: int) -> User:
        return self.world.users[user_id]

    # -- acting as users ------------------------------------------------------------------

    def send_message(
        self,
        user: User,
        text: str,
        *,
        chat: ChatRef | None = None,
        thread_id: int | None = None,
        reply_to: StubMessage | JSON | int | None = None,
    ) -> JSON:
        """``user`` writes ``text`` (private chat unless ``chat``); returns the Message JSON.

        Entities (bot_command incl. ``/cmd@Bot``, mentions, hashtags, URLs) are
        computed as a Telegram client would. Group privacy mode decides whether
        the bot gets the update.
        """
        target, thread, replied = self._where(user, chat, thread_id, reply_to)
        message = self.world.user_message(
            user, target, text=text, thread_id=thread, reply_to=replied
        )
        return message.to_api()

    def send_document(
        self,
        user: User,
        *,
        filename: str,
        content: bytes,
        mime_type: str | None = None,
        caption: str | None = None,
        chat: ChatRef | None = None,
        thread_id: int | None = None,
        reply_to: StubMessage | JSON | int | None = None,
    ) -> JSON:
        """``user`` uploads a file; the bot can getFile and download it."""
        target, thread, replied = self._where(user, chat, thread_id, reply_to)
        stored = self.world.store_file(
            content, filename, mime_type or mimetypes.guess_type(filename)[0]
        )
        message = self.world.user_message(
            user, target, thread_id=thread, reply_to=replied, document=stored, caption=caption
        )
        return message.to_api()

    def press_button(
        self,
        user: User,
        message: StubMessage | JSON,
        *,
        text: str | None = None,
        data: str | None = None,
    ) -> str:
        """``user`` presses the inline button labelled ``text`` (or sends raw ``data``,
        to forge a press). Returns the callback query id."""
        stored = self._stored(message)
        if stored.deleted:
            raise DriverError(f"message {stored.message_id} was deleted")
        chat = stored.chat
        if chat.is_group:
            self._require_member(chat, user)
        elif chat.user is not user:
            raise DriverError(f"{user.first_name} cannot see {chat.id}'s private chat")
        if (text is None) == (data is None):
            raise DriverError("press_button needs exactly one of text= or data=")
        if data is None:
            data = self._callback_data(stored, text or "")
        query = CallbackQueryRecord(
            id=self.world.new_query_id(), user=user, message=stored, data=data
        )
        self.world.callback_queries[query.id] = query
        self.world.push_update(
            "callback_query",
            {
                "id": query.id,
                "from": user.to_api(),
                "message": stored.to_api(),
                "chat_instance": str(abs(chat.id) * 31 + 7),
                "data": data,
            },
        )
        return query.id

    def edit_message(self, user: User, message: StubMessage | JSON, text: str) -> JSON:
        """``user`` edits their own text message; the bot gets an edited_message update."""
        stored = self._stored(message)
        if stored.sender is not user or stored.text is None:
            raise DriverError(f"{user.first_name} can only edit their own text messages")
        stored.history.append(stored.to_api())
        stored.text = text
        stored.entities = detect_entities(text)
        stored.edit_date = self.world.now()
        stored.version += 1
        if self.world.bot_receives(stored):
            self.world.push_update("edited_message", stored.to_api())
        self.world.notifier.notify()
        return stored.to_api()

    def inject_update(self, kind: str, payload: JSON) -> JSON | None:
        """Queue any raw update (``kind`` e.g. "message"); None if allowed_updates drop it."""
        return self.world.push_update(kind, payload)

    # -- reading what the bot did ----------------------------------------------------------

    def messages(self, chat: ChatRef, *, thread_id: int | None = None) -> list[StubMessage]:
        """All bot messages in ``chat`` (current state; deleted ones have ``deleted``)."""
        return [
            snapshot(m)
            for m in self.chat(chat).messages.values()
            if m.from_bot and (thread_id is None or m.thread_id == thread_id)
        ]

    def history(self, chat: ChatRef) -> list[StubMessage]:
        """Every message in ``chat``, users' and service ones included."""
        return [snapshot(m) for m in self.chat(chat).messages.values()]

    def message(self, chat: ChatRef, message_id: int) -> StubMessage:
        stored = self.chat(chat).messages.get(message_id)
        if stored is None:
            raise DriverError(f"no message {message_id} in chat {self.chat(chat).id}")
        return snapshot(stored)

    def unread(self, chat: ChatRef, *, thread_id: int | None = None) -> list[StubMessage]:
        """Bot messages not yet returned by wait_for_messages (deleted ones skipped)."""
        return [snapshot(m) for m in self._unread(self.chat(chat), thread_id)]

    def mark_read(self, chat: ChatRef | None = None) -> None:
        chats = [self.chat(chat)] if chat is not None else list(self.world.chats.values())
        for target in chats:
            for stored in target.messages.values():
                if stored.from_bot:
                    self._read.add((target.id, stored.message_id))

    async def wait_for_messages(
        self,
        chat: ChatRef,
        count: int = 1,
        *,
        timeout: float = 5.0,
        thread_id: int | None = None,
    ) -> list[StubMessage]:
        """The next ``count`` new bot messages in ``chat`` (oldest first); marks them read."""
        target = self.chat(chat)

        def probe() -> list[StoredMessage] | None:
            pending = self._unread(target, thread_id)
            return pending[:count] if len(pending) >= count else None

        found = await self.world.notifier.wait_for(probe, timeout)
        if found is None:
            got = self._unread(target, thread_id)
            raise TimeoutError(
                f"expected {count} new bot message(s) in chat {target.id}"
                f"{'' if thread_id is None else f' thread {thread_id}'} within {timeout}s, "
                f"got {len(got)}: {[m.text for m in got]}{self._recent_errors()}"
            )
        for stored in found:
            self._read.add((target.id, stored.message_id))
        return [snapshot(m) for m in found]

    async def wait_for_message(
        self, chat: ChatRef, *, timeout: float = 5.0, thread_id: int | None = None
    ) -> StubMessage:
        return (await self.wait_for_messages(chat, 1, timeout=timeout, thread_id=thread_id))[0]

    async def wait_for_edit(self, message: StubMessage, *, timeout: float = 5.0) -> StubMessage:
        """The message once it changed after ``message`` was read (edited or deleted)."""
        stored = self._stored(message)

        def probe() -> StoredMessage | None:
            return stored if stored.version > message.version else None

        found = await self.world.notifier.wait_for(probe, timeout)
        if found is None:
            raise TimeoutError(
                f"message {message.message_id} in chat {message.chat_id} was not edited "
                f"within {timeout}s{self._recent_errors()}"
            )
        return snapshot(found)

    async def wait_for_callback_answer(
        self, query_id: str, *, timeout: float = 5.0
    ) -> CallbackAnswer:
        def probe() -> CallbackAnswer | None:
            return next((a for a in self.callback_answers if a.query_id == query_id), None)

        found = await self.world.notifier.wait_for(probe, timeout)
        if found is None:
            raise TimeoutError(f"callback query {query_id} was not answered within {timeout}s")
        return found

    async def wait_for_call(self, method: str, *, timeout: float = 5.0, after: int = 0) -> ApiCall:
        """The first call of ``method`` at index >= ``after`` in :attr:`requests`."""
        wanted = method.lower()

        def probe() -> ApiCall | None:
            return next((c for c in self.requests[after:] if c.method.lower() == wanted), None)

        found = await self.world.notifier.wait_for(probe, timeout)
        if found is None:
            raise TimeoutError(f"the bot did not call {method} within {timeout}s")
        return found

    def changes(self, chat: ChatRef | None = None) -> list[StubMessage]:
        """Bot messages new, edited or deleted since the last ``changes()`` call.

        A feed for a terminal chat: print what ``changes()`` returns. It has
        its own cursor, independent of ``wait_for_messages``.
        """
        chats = [self.chat(chat)] if chat is not None else list(self.world.chats.values())
        found: list[StubMessage] = []
        for target in chats:
            for stored in target.messages.values():
                key = (target.id, stored.message_id)
                if not stored.from_bot or self._seen_versions.get(key) == stored.version:
                    continue
                if stored.deleted and key not in self._seen_versions:
                    self._seen_versions[key] = stored.version  # never shown, nothing to retract
                    continue
                self._seen_versions[key] = stored.version
                found.append(snapshot(stored))
        return found

    async def wait_for_changes(
        self, chat: ChatRef | None = None, *, timeout: float = 5.0
    ) -> list[StubMessage]:
        """Wait until :meth:`changes` has something (returns [] after ``timeout``)."""
        found = await self.world.notifier.wait_for(lambda: self.changes(chat) or None, timeout)
        return found or []

    async def wait_until_consumed(self, *, timeout: float = 5.0) -> None:
        """Wait until the bot has confirmed every injected update (its next getUpdates)."""
        found = await self.world.notifier.wait_for(
            lambda: True if not self.world.updates else None, timeout
        )
        if found is None:
            raise TimeoutError(
                f"{len(self.world.updates)} update(s) still unconfirmed after {timeout}s"
            )

    def commands(
        self,
        scope_type: str = "default",
        language_code: str = "",
        *,
        chat: ChatRef | None = None,
        user: User | None = None,
    ) -> list[tuple[str, str]]:
        """The command list set for exactly this scope and language (as getMyCommands)."""
        chat_id = self.chat(chat).id if chat is not None else None
        key = (scope_type, chat_id, user.id if user else None, language_code)
        return [(c["command"], c["description"]) for c in self.world.commands.get(key, [])]

    def menu_for(self, user: User, chat: ChatRef | None = None) -> list[tuple[str, str]]:
        """The command menu ``user`` would see in ``chat``, by Telegram's fallback order."""
        target = self.chat(chat) if chat is not None else self.world.chat_for_user(user)
        language = (user.language_code or "").split("-")[0].lower()
        is_admin = target.status_of(user.id) in ADMIN
        if target.is_group:
            scopes: list[tuple[str, int | None, int | None]] = [("chat_member", target.id, user.id)]
            if is_admin:
                scopes.append(("chat_administrators", target.id, None))
            scopes.append(("chat", target.id, None))
            if is_admin:
                scopes.append(("all_chat_administrators", None, None))
            scopes += [("all_group_chats", None, None), ("default", None, None)]
        else:
            scopes = [
                ("chat", target.id, None),
                ("all_private_chats", None, None),
                ("default", None, None),
            ]
        for kind, chat_id, user_id in scopes:
            for lang in ([language] if language else []) + [""]:
                found = self.world.commands.get((kind, chat_id, user_id, lang))
                if found:
                    return [(c["command"], c["description"]) for c in found]
        return []

    # -- helpers ------------------------------------------------------------------------

    def _unread(self, chat: Chat, thread_id: int | None) -> list[StoredMessage]:
        return [
            m
            for m in chat.messages.values()
            if m.from_bot
            and not m.deleted
            and (chat.id, m.message_id) not in self._read
            and (thread_id is None or m.thread_id == thread_id)
        ]

    def _recent_errors(self) -> str:
        failed = [c for c in self.errors[-5:] if c.method.lower() != "getupdates"]
        if not failed:
            return ""
        lines = "; ".join(f"{c.method} → {c.status} {c.description}" for c in failed)
        return f". Recent failed Bot API calls: {lines}"

    def _group(self, ref: ChatRef) -> Chat:
        chat = self.chat(ref)
        if not chat.is_group:
            raise DriverError(f"chat {chat.id} is not a group")
        if chat.migrated_to is not None:
            raise DriverError(f"group {chat.id} migrated to {chat.migrated_to}; use the new id")
        return chat

    def _someone_in(self, chat: Chat) -> User:
        for user_id, status in sorted(chat.members.items(), key=lambda kv: kv[1] != "creator"):
            if status in PRESENT and user_id != self.bot.id:
                return self.world.users[user_id]
        raise DriverError(f"group {chat.title!r} has no members")

    def _require_member(self, chat: Chat, user: User) -> None:
        if chat.status_of(user.id) not in PRESENT:
            raise DriverError(f"{user.first_name} is not a member of {chat.title!r}")

    def _where(
        self,
        user: User,
        chat: ChatRef | None,
        thread_id: int | None,
        reply_to: StubMessage | JSON | int | None,
    ) -> tuple[Chat, int | None, StoredMessage | None]:
        if chat is None or (isinstance(chat, User) and chat is user):
            target = self.world.chat_for_user(user)
        else:
            target = self._group(chat)
            self._require_member(target, user)
        if not target.is_group:
            target.started = True
            if target.status_of(self.bot.id) == "kicked":
                # Writing to a blocked bot means pressing "Restart" / unblocking first.
                self.unblock_bot(user)
        if thread_id is not None and thread_id not in target.topics:
            raise DriverError(f"no topic {thread_id} in {target.title!r}")
        replied: StoredMessage | None = None
        if reply_to is not None:
            if isinstance(reply_to, int):
                replied = target.messages.get(reply_to)
            else:
                replied = self._stored(reply_to)
            if replied is None or replied.chat is not target:
                raise DriverError(f"no message {reply_to!r} to reply to in {target.id}")
            if thread_id is None:
                thread_id = replied.thread_id
        return target, thread_id, replied

    def _stored(self, message: StubMessage | StoredMessage | JSON) -> StoredMessage:
        if isinstance(message, StoredMessage):
            return message
        if isinstance(message, StubMessage):
            chat_id, message_id = message.chat_id, message.message_id
        else:
            chat_id, message_id = message["chat"]["id"], message["message_id"]
        stored = self.chat(chat_id).messages.get(message_id)
        if stored is None:
            raise DriverError(f"no message {message_id} in chat {chat_id}")
        return stored

    @staticmethod
    def _callback_data(message: StoredMessage, text: str) -> str:
        rows: list[list[JSON]] = (message.reply_markup or {}).get("inline_keyboard", [])
        labels = [b.get("text") for row in rows for b in row]
        for row in rows:
            for button in row:
                if button.get("text") != text:
                    continue
                if "callback_data" not in button:
                    raise DriverError(f"button {text!r} is not a callback button: {button}")
                data: str = button["callback_data"]
                return data
        raise DriverError(f"no button {text!r} on message {message.message_id}; buttons: {labels}")


__all__ = [
    "BotApiStub",
    "Button",
    "CallbackAnswer",
    "ChatAction",
    "ChatRef",
    "StubDocument",
    "StubMessage",
    "StubPhoto",
    "snapshot",
]
