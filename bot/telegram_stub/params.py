"""Bot API request parameters, decoded the way Telegram reads them.

Clients such as python-telegram-bot send form fields (multipart when a file is
attached): strings raw, everything else JSON-encoded. So a field is
JSON-decoded unless the Bot API declares it a String — ``text="123"`` must
stay the string ``"123"``. JSON bodies arrive already typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from bot.telegram_stub.errors import bad_request

# Top-level parameters the Bot API types as String (or "InputFile or String",
# where the string is a file_id, URL or attach:// reference).
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "caption_parse_mode",
        "callback_query_id",
        "inline_message_id",
        "url",
        "file_id",
        "action",
        "language_code",
        "secret_token",
        "ip_address",
        "title",
        "description",
        "short_description",
        "name",
        "emoji",
        "query",
        "business_connection_id",
        "message_effect_id",
        "custom_title",
        "sticker_set_name",
        "invite_link",
        "document",
        "photo",
        "audio",
        "video",
        "animation",
        "voice",
        "video_note",
        "sticker",
        "thumbnail",
        "certificate",
        "question",
        "explanation",
        "payload",
        "currency",
        "start_parameter",
        "provider_token",
        "first_name",
        "last_name",
        "vcard",
        "address",
        "foursquare_id",
        "google_place_id",
    }
)


@dataclass(frozen=True, slots=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    data: bytes


def decode_form_value(name: str, raw: str) -> Any:
    if name in STRING_PARAMS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw  # e.g. chat_id="@channelname"


@dataclass(slots=True)
class Params:
    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, Upload] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None or name in self.files

    def get(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise bad_request(f"{name} is empty")  # approximate for most names
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        if not isinstance(value, str):
            raise bad_request(f'field "{name}" must be of type String')  # approximate
        return value

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise bad_request(f"{name} is empty")  # approximate
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")  # approximate
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
        raise bad_request(f"invalid {name} specified")  # approximate

    def get_bool(self, name: str) -> bool:
        value = self.values.get(name)
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        if isinstance(value, int):
            return value != 0
        return False

    def get_json(self, name: str) -> Any:
        """An object or array; tolerate a JSON string even inside a JSON body."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {name} JSON object") from None
        return value

    def chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, bool):
            raise bad_request("chat not found")
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                if value.startswith("@"):
                    return value
        raise bad_request("chat not found")
