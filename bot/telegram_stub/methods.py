"""The Bot API methods the stand-in implements, over :class:`World`.

Each method checks what Telegram checks, in roughly Telegram's order: the chat
exists and has not migrated (400), the bot may write there (403), the content
is valid (400), the flood limits allow it (429) — and only then changes state.
A refused call changes nothing and consumes no rate-limit budget.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.telegram_stub.errors import (
    ApiError,
    bad_request,
    conflict,
    forbidden,
    not_found,
    too_many_requests,
)
from bot.telegram_stub.params import Params
from bot.telegram_stub.ratelimit import FloodSwitch, RateLimiter
from bot.telegram_stub.validation import (
    MAX_CALLBACK_ANSWER_LENGTH,
    SCOPE_TYPES,
    check_commands,
    check_language_code,
    check_reply_markup,
    prepare_text,
)
from bot.telegram_stub.world import (
    ADMIN,
    ALL_UPDATE_TYPES,
    DEFAULT_UPDATE_TYPES,
    JSON,
    PRESENT,
    Chat,
    CommandKey,
    StoredFile,
    StoredMessage,
    StoredPhoto,
    World,
)

MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # sendDocument limit for bots
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # getFile limit for bots
MAX_PHOTO_BYTES = 10 * 1024 * 1024  # sendPhoto: "The photo must be at most 10 MB in size"
MAX_PHOTO_SIDES = 10_000  # "The photo's width and height must not exceed 10000 in total"
MAX_PHOTO_RATIO = 20  # "Width and height ratio must be at most 20"
MAX_POLL_TIMEOUT = 50.0

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    query_id: str
    text: str | None
    show_alert: bool
    url: str | None
    cache_time: int | None


@dataclass(frozen=True, slots=True)
class ChatAction:
    chat_id: int
    action: str
    thread_id: int | None


@dataclass(slots=True)
class _Conflict:
    pass


@dataclass(slots=True)
class MethodLog:
    callback_answers: list[CallbackAnswer] = field(default_factory=list)
    chat_actions: list[ChatAction] = field(default_factory=list)
    unknown_methods: list[str] = field(default_factory=list)
    count_429: int = 0


class BotApi:
    def __init__(self, world: World, *, limiter: RateLimiter | None, flood: FloodSwitch) -> None:
        self.world = world
        self.limiter = limiter
        self.flood = flood
        self.log = MethodLog()
        self.closing = False
        self._poll_generation = 0
        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getme": self.get_me,
            "logout": lambda p: True,
            "close": lambda p: True,
            "deletewebhook": self.delete_webhook,
            "setwebhook": self.set_webhook,
            "getwebhookinfo": self.get_webhook_info,
            "setmycommands": self.set_my_commands,
            "getmycommands": self.get_my_commands,
            "deletemycommands": self.delete_my_commands,
            "setmydescription": lambda p: self._set_bot_text(p, "description"),
            "getmydescription": lambda p: self._get_bot_text(p, "description"),
            "setmyshortdescription": lambda p: self._set_bot_text(p, "short_description"),
            "getmyshortdescription": lambda p: self._get_bot_text(p, "short_description"),
            "setmyname": lambda p: self._set_bot_text(p, "name"),
            "getmyname": lambda p: self._get_bot_text(p, "name"),
            "sendmessage": self.send_message,
            "senddocument": self.send_document,
            "sendphoto": self.send_photo,
            "editmessagetext": self.edit_message_text,
            "editmessagecaption": self.edit_message_caption,
            "editmessagereplymarkup": self.edit_message_reply_markup,
            "deletemessage": self.delete_message,
            "deletemessages": self.delete_messages,
            "answercallbackquery": self.answer_callback_query,
            "getfile": self.get_file,
            "getchat": self.get_chat,
            "getchatmember": self.get_chat_member,
            "getchatadministrators": self.get_chat_administrators,
            "getchatmembercount": self.get_chat_member_count,
            "sendchataction": self.send_chat_action,
            "leavechat": self.leave_chat,
        }

    # -- dispatch -------------------------------------------------------------

    async def call(self, method: str, params: Params) -> Any:
        key = method.lower()
        try:
            if key != "getupdates" and key not in self._handlers:
                self.log.unknown_methods.append(method)
                raise not_found()
            retry_after = self.flood.check(key)
            if retry_after is not None:
                raise too_many_requests(retry_after)
            if key == "getupdates":
                return await self.get_updates(params)
            return self._handlers[key](params)
        except ApiError as exc:
            if exc.code == 429:
                self.log.count_429 += 1
            raise

    # -- shared checks ----------------------------------------------------------

    def chat(self, params: Params, name: str = "chat_id") -> Chat:
        ref = params.chat_id(name)
        chat = (
            self.world.chats.get(ref) if isinstance(ref, int) else self.world.chat_by_username(ref)
        )
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=chat.migrated_to,
            )
        return chat

    def require_access(self, chat: Chat) -> None:
        status = chat.status_of(self.world.bot.id)
        if chat.type == "private":
            if status == "kicked":
                raise forbidden("bot was blocked by the user")
            if not chat.started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.kind_name}")
        if status not in PRESENT:
            raise forbidden(f"bot is not a member of the {chat.kind_name}")

    def thread(self, chat: Chat, params: Params) -> int | None:
        thread_id = params.get_int("message_thread_id")
        if thread_id is None:
            return None
        if thread_id not in chat.topics:
            # Also for 1 (the General topic): Telegram wants no thread id there.
            raise bad_request("message thread not found")
        return thread_id

    def reply_target(self, chat: Chat, params: Params) -> StoredMessage | None:
        spec = params.get_json("reply_parameters")
        if spec is None:
            message_id = params.get_int("reply_to_message_id")
            if message_id is None:
                return None
            spec = {
                "message_id": message_id,
                "allow_sending_without_reply": params.get_bool("allow_sending_without_reply"),
            }
        if not isinstance(spec, dict) or not isinstance(spec.get("message_id"), int):
            raise bad_request("can't parse reply parameters JSON object")  # approximate
        target_chat = chat
        if spec.get("chat_id") is not None:
            target_chat = self.chat(Params(values={"chat_id": spec["chat_id"]}))
        target = target_chat.messages.get(spec["message_id"])
        if target is None or target.deleted:
            if spec.get("allow_sending_without_reply"):
                return None
            raise bad_request("message to be replied not found")
        return target

    def rate(self, method: str, chat: Chat) -> None:
        if self.limiter is None or not self.limiter.counts(method):
            return
        retry_after = self.limiter.acquire(chat.id, "group" if chat.is_group else "private")
        if retry_after is not None:
            raise too_many_requests(retry_after)

    def input_file(self, params: Params, name: str) -> StoredFile:
        upload = params.files.get(name)
        value = params.get(name)
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = params.files.get(value.removeprefix("attach://"))
        if upload is not None:
            if len(upload.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            if not upload.data:
                raise bad_request("file must be non-empty")
            return self.world.store_file(upload.data, upload.filename, upload.content_type)
        if isinstance(value, str) and value:
            known = self.world.files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                raise bad_request("failed to get HTTP URL content")  # the stand-in has no network
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {name} in the request")

    # -- bot and updates -----------------------------------------------------------

    def get_me(self, params: Params) -> JSON:
        data = self.world.bot.to_api()
        data.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.world.privacy_mode,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return data

    async def get_updates(self, params: Params) -> list[JSON]:
        world = self.world
        if world.webhook.get("url"):
            raise conflict(
                "can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first"
            )
        offset = params.get_int("offset") or 0
        limit = min(max(params.get_int("limit") or 100, 1), 100)
        try:
            timeout = min(max(float(params.get("timeout") or 0), 0.0), MAX_POLL_TIMEOUT)
        except (TypeError, ValueError):
            raise bad_request("invalid timeout specified") from None  # approximate
        allowed = params.get_json("allowed_updates")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise bad_request("can't parse allowed_updates JSON array")  # approximate
            chosen = frozenset(allowed) & ALL_UPDATE_TYPES
            world.allowed_updates = chosen or DEFAULT_UPDATE_TYPES
        world.confirm(offset)

        # A newer poll ends an older one, like Telegram's "terminated by other getUpdates".
        self._poll_generation += 1
        generation = self._poll_generation
        world.notifier.notify()

        def probe() -> list[JSON] | _Conflict | None:
            if self.closing:
                return []
            if self._poll_generation != generation:
                return _Conflict()
            if world.updates:
                return world.updates[:limit]
            return None

        result: list[JSON] | _Conflict | None = await world.notifier.wait_for(probe, timeout)
        if isinstance(result, _Conflict):
            raise conflict(
                "terminated by other getUpdates request; "
                "make sure that only one bot instance is running"
            )
        return result or []

    def delete_webhook(self, params: Params) -> bool:
        if params.get_bool("drop_pending_updates"):
            self.world.updates.clear()
        self.world.webhook = {}
        return True

    def set_webhook(self, params: Params) -> bool:
        url = params.get_str("url") or ""
        if params.get_bool("drop_pending_updates"):
            self.world.updates.clear()
        if not url:
            self.world.webhook = {}
            return True
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        allowed = params.get_json("allowed_updates")
        if isinstance(allowed, list):
            chosen = frozenset(a for a in allowed if isinstance(a, str)) & ALL_UPDATE_TYPES
            self.world.allowed_updates = chosen or DEFAULT_UPDATE_TYPES
        # Stored only: the stand-in does not push updates to webhooks.
        self.world.webhook = {
            "url": url,
            "max_connections": params.get_int("max_connections") or 40,
            "secret_token": params.get_str("secret_token"),
        }
        return True

    def get_webhook_info(self, params: Params) -> JSON:
        hook = self.world.webhook
        info: JSON = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.world.updates),
        }
        if hook.get("url"):
            info["max_connections"] = hook["max_connections"]
            info["allowed_updates"] = sorted(self.world.allowed_updates)
        return info

    # -- commands and bot texts ---------------------------------------------------------

    def _command_key(self, params: Params) -> CommandKey:
        language = check_language_code(params.get_str("language_code"))
        scope = params.get_json("scope")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope JSON object")  # approximate
        kind: str = scope["type"]
        chat_id: int | None = None
        user_id: int | None = None
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self.chat(Params(values={"chat_id": scope.get("chat_id")}))
            chat_id = chat.id
            if kind == "chat_member":
                raw_user = scope.get("user_id")
                if not isinstance(raw_user, int) or chat.status_of(raw_user) not in PRESENT:
                    raise bad_request("user not found")
                user_id = raw_user
        return (kind, chat_id, user_id, language)

    def set_my_commands(self, params: Params) -> bool:
        commands = check_commands(params.get_json("commands"))
        key = self._command_key(params)
        if commands:
            self.world.commands[key] = commands
        else:
            self.world.commands.pop(key, None)
        return True

    def get_my_commands(self, params: Params) -> list[JSON]:
        return list(self.world.commands.get(self._command_key(params), []))

    def delete_my_commands(self, params: Params) -> bool:
        self.world.commands.pop(self._command_key(params), None)
        return True

    def _set_bot_text(self, params: Params, name: str) -> bool:
        language = check_language_code(params.get_str("language_code"))
        value = params.get_str(name) or ""
        if value:
            self.world.bot_texts[(name, language)] = value
        else:
            self.world.bot_texts.pop((name, language), None)
        return True

    def _get_bot_text(self, params: Params, name: str) -> JSON:
        language = check_language_code(params.get_str("language_code"))
        texts = self.world.bot_texts
        value = texts.get((name, language), texts.get((name, ""), ""))
        if name == "name" and not value:
            value = self.world.bot.first_name
        return {name: value}

    # -- sending ---------------------------------------------------------------------

    def send_message(self, params: Params) -> JSON:
        chat = self.chat(params)
        self.require_access(chat)
        thread_id = self.thread(chat, params)
        source = params.get_str("text")
        parse_mode = params.get_str("parse_mode")
        text, entities = prepare_text(source, parse_mode, params.get_json("entities"))
        markup = check_reply_markup(params.get_json("reply_markup"), chat_type=chat.type)
        reply_to = self.reply_target(chat, params)
        if thread_id is None and reply_to is not None and chat.is_forum:
            thread_id = reply_to.thread_id  # a reply lands in the replied message's topic
        self.rate("sendMessage", chat)
        extra: JSON = {}
        preview = params.get_json("link_preview_options")
        if isinstance(preview, dict) and preview:
            extra["link_preview_options"] = preview
        if params.get_bool("protect_content"):
            extra["has_protected_content"] = True
        message = self.world.add_message(
            chat,
            self.world.bot,
            text=text,
            entities=entities,
            thread_id=thread_id,
            reply_to=reply_to,
            reply_markup=markup,
            extra=extra,
            source_text=source,
            parse_mode=parse_mode,
            request=dict(params.values),
        )
        return message.to_api()

    def send_document(self, params: Params) -> JSON:
        return self._send_media(params, "sendDocument", "document")

    def send_photo(self, params: Params) -> JSON:
        """sendPhoto with Telegram's checks on the image: at most 10 MB, a PNG or JPEG it
        can read, width + height at most 10,000 and a side ratio at most 20; a caption at
        most 1,024 characters after entity parsing."""
        return self._send_media(params, "sendPhoto", "photo")

    def _send_media(self, params: Params, method: str, field: str) -> JSON:
        """sendDocument / sendPhoto: the file in `field`, a caption, a keyboard."""
        chat = self.chat(params)
        self.require_access(chat)
        thread_id = self.thread(chat, params)
        media: dict[str, Any] = (
            {"photo": self.input_photo(params)}
            if field == "photo"
            else {"document": self.input_file(params, field)}
        )
        source = params.get_str("caption")
        parse_mode = params.get_str("parse_mode")
        caption, caption_entities = prepare_text(
            source, parse_mode, params.get_json("caption_entities"), caption=True
        )
        markup = check_reply_markup(params.get_json("reply_markup"), chat_type=chat.type)
        reply_to = self.reply_target(chat, params)
        if thread_id is None and reply_to is not None and chat.is_forum:
            thread_id = reply_to.thread_id
        self.rate(method, chat)
        request = {k: v for k, v in params.values.items() if k != field}
        message = self.world.add_message(
            chat,
            self.world.bot,
            thread_id=thread_id,
            reply_to=reply_to,
            caption=caption or None,
            caption_entities=caption_entities,
            reply_markup=markup,
            source_text=source,
            parse_mode=parse_mode,
            request=request,
            **media,
        )
        return message.to_api()

    def input_photo(self, params: Params) -> StoredPhoto:
        """An uploaded image (or one sent before, by file_id), checked like Telegram does."""
        value = params.get("photo")
        upload = params.files.get("photo")
        if upload is None and isinstance(value, str) and value.startswith("attach://"):
            upload = params.files.get(value.removeprefix("attach://"))
        if upload is not None and len(upload.data) > MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")  # approximate: Telegram's for > 10 MB
        stored = self.input_file(params, "photo")
        size = image_size(stored.content)
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        if (
            width < 1
            or height < 1
            or width + height > MAX_PHOTO_SIDES
            or max(width, height) > MAX_PHOTO_RATIO * min(width, height)
        ):
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return StoredPhoto(stored, width, height)

    # -- editing and deleting ------------------------------------------------------------

    def editable(self, params: Params) -> StoredMessage:
        if params.has("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not simulated
        chat = self.chat(params)
        self.require_access(chat)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to edit not found")
        if not message.from_bot or message.service:
            raise bad_request("message can't be edited")
        return message

    def _apply_edit(self, message: StoredMessage, method: str, **changes: Any) -> JSON:
        self.rate(method, message.chat)
        message.history.append(message.to_api())
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = self.world.now()
        message.version += 1
        self.world.notifier.notify()
        return message.to_api()

    def edit_message_text(self, params: Params) -> JSON:
        message = self.editable(params)
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        source = params.get_str("text")
        parse_mode = params.get_str("parse_mode")
        text, entities = prepare_text(source, parse_mode, params.get_json("entities"))
        # Omitting reply_markup removes the keyboard — a classic surprise, kept on purpose.
        markup = self._inline_markup(params, message.chat.type)
        if text == message.text and entities == message.entities and markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(
            message,
            "editMessageText",
            text=text,
            entities=entities,
            reply_markup=markup,
            source_text=source,
            parse_mode=parse_mode,
        )

    def edit_message_caption(self, params: Params) -> JSON:
        message = self.editable(params)
        if message.document is None and message.photo is None:
            raise bad_request("there is no caption in the message to edit")
        source = params.get_str("caption")
        parse_mode = params.get_str("parse_mode")
        caption, entities = prepare_text(
            source, parse_mode, params.get_json("caption_entities"), caption=True
        )
        markup = self._inline_markup(params, message.chat.type)
        if (
            (caption or None) == message.caption
            and entities == message.caption_entities
            and markup == message.reply_markup
        ):
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(
            message,
            "editMessageCaption",
            caption=caption or None,
            caption_entities=entities,
            reply_markup=markup,
            source_text=source,
            parse_mode=parse_mode,
        )

    def edit_message_reply_markup(self, params: Params) -> JSON:
        message = self.editable(params)
        markup = self._inline_markup(params, message.chat.type)
        if markup == message.reply_markup:
            raise bad_request(NOT_MODIFIED)
        return self._apply_edit(message, "editMessageReplyMarkup", reply_markup=markup)

    def _inline_markup(self, params: Params, chat_type: str) -> JSON | None:
        markup = check_reply_markup(params.get_json("reply_markup"), chat_type=chat_type)
        if markup is not None and "inline_keyboard" not in markup:
            raise bad_request("inline keyboard expected")  # approximate
        return markup

    def delete_message(self, params: Params) -> bool:
        chat = self.chat(params)
        self.require_access(chat)
        message_id = params.get_int("message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        self._delete(chat, message_id)
        self.world.notifier.notify()
        return True

    def delete_messages(self, params: Params) -> bool:
        chat = self.chat(params)
        self.require_access(chat)
        ids = params.get_json("message_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) for i in ids):
            raise bad_request("message identifiers are not specified")  # approximate
        for message_id in ids:
            with contextlib.suppress(ApiError):  # deleteMessages skips what it cannot delete
                self._delete(chat, message_id)
        self.world.notifier.notify()
        return True

    def _delete(self, chat: Chat, message_id: int) -> None:
        message = chat.messages.get(message_id)
        if message is None or message.deleted:
            raise bad_request("message to delete not found")
        if (
            chat.is_group
            and not message.from_bot
            and chat.status_of(self.world.bot.id) not in ADMIN
        ):
            raise bad_request("message can't be deleted")
        message.deleted = True
        message.version += 1

    # -- callback queries and chat actions ---------------------------------------------------

    def answer_callback_query(self, params: Params) -> bool:
        query_id = params.get_str("callback_query_id")
        record = self.world.callback_queries.get(query_id or "")
        if record is None or record.answered:
            raise bad_request(QUERY_TOO_OLD)
        text = params.get_str("text")
        if text and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")  # approximate
        record.answered = True
        self.log.callback_answers.append(
            CallbackAnswer(
                query_id=record.id,
                text=text,
                show_alert=params.get_bool("show_alert"),
                url=params.get_str("url"),
                cache_time=params.get_int("cache_time"),
            )
        )
        self.world.notifier.notify()
        return True

    def send_chat_action(self, params: Params) -> bool:
        chat = self.chat(params)
        self.require_access(chat)
        thread_id = self.thread(chat, params)
        action = params.get_str("action")
        if action not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self.log.chat_actions.append(ChatAction(chat.id, action, thread_id))
        return True

    # -- files ---------------------------------------------------------------------------

    def get_file(self, params: Params) -> JSON:
        file_id = params.get_str("file_id")
        stored = self.world.files.get(file_id or "")
        if stored is None:
            raise bad_request("invalid file_id")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return stored.to_file()

    # -- chats and members -------------------------------------------------------------------

    def get_chat(self, params: Params) -> JSON:
        chat = self.chat(params)
        if chat.is_group:
            self.require_access(chat)
        data = chat.to_api()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        if chat.is_group:
            data["permissions"] = {
                "can_send_messages": True,
                "can_send_documents": True,
                "can_invite_users": True,
            }
        if chat.migrated_from is not None:
            data["migrated_from_chat_id"] = chat.migrated_from
        return data

    def get_chat_member(self, params: Params) -> JSON:
        chat = self.chat(params)
        if chat.is_group:
            self.require_access(chat)
        user_id = params.get_int("user_id")
        user = self.world.users.get(user_id) if user_id is not None else None
        if user is None:
            raise bad_request("user not found")
        return self.world.member_api(chat, user)

    def get_chat_administrators(self, params: Params) -> list[JSON]:
        chat = self.chat(params)
        if not chat.is_group:
            raise bad_request("there are no administrators in the private chat")
        self.require_access(chat)
        return [
            self.world.member_api(chat, self.world.users[user_id])
            for user_id, status in chat.members.items()
            if status in ADMIN
        ]

    def get_chat_member_count(self, params: Params) -> int:
        chat = self.chat(params)
        if chat.is_group:
            self.require_access(chat)
        return sum(1 for status in chat.members.values() if status in PRESENT)

    def leave_chat(self, params: Params) -> bool:
        chat = self.chat(params)
        if not chat.is_group:
            raise bad_request("chat member status can't be changed in private chats")
        self.require_access(chat)
        self.world.set_member_status(chat, self.world.bot, "left", by=self.world.bot)
        return True


def image_size(content: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, read from its header; None for anything else."""
    if content.startswith(b"\x89PNG\r\n\x1a\n") and content[12:16] == b"IHDR":
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content.startswith(b"\xff\xd8"):
        index = 2
        while index + 9 < len(content):
            if content[index] != 0xFF:
                return None
            marker = content[index + 1]
            length = int.from_bytes(content[index + 2 : index + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header
                height = int.from_bytes(content[index + 5 : index + 7], "big")
                width = int.from_bytes(content[index + 7 : index + 9], "big")
                return width, height
            index += 2 + length
    return None
