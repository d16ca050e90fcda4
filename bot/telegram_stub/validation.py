"""What Telegram checks before it accepts text, markup and commands.

The HTML parser follows the rules of TDLib's ``parse_html`` (which the Bot API
server uses): a fixed set of tags, a stack of open tags where ``</>`` closes
the innermost one, only ``&lt; &gt; &amp; &quot;`` and numeric character
references decoded (any other ``&`` stays literal), errors reported with a
UTF-8 byte offset. Entity offsets and lengths are in UTF-16 code units, as in
the Bot API; length limits count Unicode code points.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bot.telegram_stub.errors import ApiError, bad_request

JSON = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_INLINE_BUTTONS = 100
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_COMMANDS = 100

_SPACES = " \t\r\n\v\f"

_SUPPORTED_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)

_SIMPLE_TAG_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8"))


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode ``&...;`` at ``pos``; None leaves the ampersand as a literal."""
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        value = 0
        if end < n and text[end] == "x":
            end += 1
            start = end
            while end < n and text[end] in "0123456789abcdefABCDEF":
                end += 1
            if end > start:
                value = int(text[start:end], 16)
        else:
            start = end
            while end < n and text[end].isdigit() and text[end].isascii():
                end += 1
            if end > start:
                value = int(text[start:end])
        if value == 0 or value >= 0x10FFFF or end - pos >= 10 or 0xD800 <= value <= 0xDFFF:
            return None
        char = chr(value)
    else:
        start = end
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        found = _NAMED_ENTITIES.get(text[start:end])
        if found is None:
            return None
        char = found
    if end < n and text[end] == ";":
        end += 1
    return char, end


def is_valid_url(url: str) -> bool:
    """Roughly what Telegram accepts as a link target (it adds http:// to bare hosts)."""
    if not url or any(c in url for c in _SPACES):
        return False
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme in ("tg", "ton"):
        return bool(parts.netloc or parts.path)
    if parts.scheme not in ("http", "https", "ftp"):
        return False
    host = parts.hostname or ""
    return host == "localhost" or ("." in host and not host.startswith("."))


@dataclass(slots=True)
class _OpenTag:
    name: str
    argument: str
    utf16_start: int
    byte_pos: int


def parse_html(text: str) -> tuple[str, list[JSON]]:
    """Turn Telegram-HTML into plain text and entities, or raise "can't parse entities"."""

    def fail(message: str) -> ApiError:
        return bad_request(f"can't parse entities: {message}")

    out: list[str] = []
    utf16 = 0
    entities: list[JSON] = []
    stack: list[_OpenTag] = []
    n = len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                utf16 += utf16_len(decoded[0])
                i = decoded[1]
                continue
        if c != "<":
            out.append(c)
            utf16 += utf16_len(c)
            i += 1
            continue

        begin = i
        i += 1
        if i < n and text[i] == "/":
            i += 1
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
            start = i
            while i < n and text[i] not in _SPACES and text[i] != ">":
                i += 1
            end_name = text[start:i].lower()
            while i < n and text[i] in _SPACES:
                i += 1
            if i >= n or text[i] != ">":
                raise fail(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            opened = stack.pop()
            if end_name and end_name != opened.name:
                raise fail(
                    f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                    f'expected "</{opened.name}>", found "</{end_name}>"'
                )
            _close_tag(opened, utf16, "".join(out), entities, stack)
            continue

        start = i
        while i < n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        tag = text[start:i].lower()
        if tag not in _SUPPORTED_TAGS:
            raise fail(f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}')
        argument, i = _parse_attributes(text, i, tag, begin, fail)
        if tag == "span" and argument != "spoiler":
            offset = _byte_offset(text, begin)
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        stack.append(_OpenTag(tag, argument, utf16, _byte_offset(text, begin)))

    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1].name}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_attributes(
    text: str, i: int, tag: str, begin: int, fail: Callable[[str], ApiError]
) -> tuple[str, int]:
    """Read attributes up to and including '>'; return the one argument that matters."""
    n = len(text)
    argument = ""
    while True:
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] == ">":
            return argument, i + 1
        name_start = i
        while i < n and text[i] not in _SPACES and text[i] not in "=>":
            i += 1
        name = text[name_start:i].lower()
        if not name:
            offset = _byte_offset(text, begin)
            raise fail(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n or text[i] != "=":
            # A bare attribute: only <blockquote expandable> gives it meaning.
            if tag == "blockquote" and name == "expandable":
                argument = "1"
            continue
        i += 1
        while i < n and text[i] in _SPACES:
            i += 1
        if i >= n:
            raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
        if text[i] not in "'\"":
            token_start = i
            while i < n and ((text[i].isalnum() and text[i].isascii()) or text[i] in ".-"):
                i += 1
            value = text[token_start:i].lower()
            if i >= n or (text[i] not in _SPACES and text[i] != ">"):
                raise fail(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, token_start)}"
                )
        else:
            quote = text[i]
            i += 1
            chars: list[str] = []
            while i < n and text[i] != quote:
                if text[i] == "&":
                    decoded = _decode_entity(text, i)
                    if decoded is not None:
                        chars.append(decoded[0])
                        i = decoded[1]
                        continue
                chars.append(text[i])
                i += 1
            if i >= n:
                raise fail(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            i += 1
            value = "".join(chars)
        if tag == "a" and name == "href":
            argument = value
        elif tag == "code" and name == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif tag == "span" and name == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif tag == "tg-emoji" and name == "emoji-id":
            argument = value
        elif tag == "blockquote" and name == "expandable":
            argument = "1"


def _close_tag(
    opened: _OpenTag, utf16: int, plain: str, entities: list[JSON], stack: list[_OpenTag]
) -> None:
    length = utf16 - opened.utf16_start
    if length <= 0:
        return
    offset = opened.utf16_start
    entity: JSON = {"offset": offset, "length": length}
    tag = opened.name
    if tag in _SIMPLE_TAG_TYPES:
        entity["type"] = _SIMPLE_TAG_TYPES[tag]
    elif tag == "a":
        url = opened.argument or _tail_utf16(plain, length)
        if not is_valid_url(url):
            return  # Telegram silently drops links it cannot use.
        entity.update(type="text_link", url=url if "://" in url else f"http://{url}")
    elif tag == "tg-emoji":
        if not opened.argument.isdigit() or int(opened.argument) == 0:
            raise bad_request("can't parse entities: Invalid custom emoji identifier specified")
        entity.update(type="custom_emoji", custom_emoji_id=opened.argument)
    elif tag == "blockquote":
        entity["type"] = "expandable_blockquote" if opened.argument else "blockquote"
    elif tag == "code":
        entity["type"] = "code"
        if stack and stack[-1].name == "pre" and opened.argument:
            # <pre><code class="language-x"> becomes one pre entity with a language.
            entity["language"] = opened.argument
    elif tag == "pre":
        entity["type"] = "pre"
        for other in entities:
            if other["type"] == "code" and other["offset"] == offset and other["length"] == length:
                entities.remove(other)
                if "language" in other:
                    entity["language"] = other["language"]
                break
    entities.append(entity)


def _tail_utf16(text: str, length: int) -> str:
    encoded = text.encode("utf-16-le")
    return encoded[len(encoded) - 2 * length :].decode("utf-16-le")


def strip_text(text: str, entities: list[JSON]) -> tuple[str, list[JSON]]:
    """Trim surrounding whitespace as Telegram does, keeping entities aligned."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    new_len = utf16_len(stripped)
    result: list[JSON] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, new_len)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def check_entities_param(value: Any, text: str) -> list[JSON]:
    """Explicit ``entities`` / ``caption_entities``: a list of well-formed entity objects."""
    if not isinstance(value, list):
        raise bad_request("can't parse entities JSON object")  # approximate wording
    total = utf16_len(text)
    result: list[JSON] = []
    for entity in value:
        if not (
            isinstance(entity, dict)
            and isinstance(entity.get("type"), str)
            and isinstance(entity.get("offset"), int)
            and isinstance(entity.get("length"), int)
        ):
            raise bad_request("can't parse MessageEntity: wrong entity")  # approximate
        if entity["offset"] < 0 or entity["length"] <= 0:
            continue
        if entity["offset"] + entity["length"] > total:
            continue  # Telegram clips or drops out-of-range entities silently.
        result.append(dict(entity))
    return result


def prepare_text(
    text: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool = False,
) -> tuple[str, list[JSON]]:
    """Parse, strip and length-check a message text or caption."""
    raw = text or ""
    if entities is not None:
        plain, parsed = raw, check_entities_param(entities, raw)
    elif parse_mode is None or parse_mode == "":
        plain, parsed = raw, []
    elif parse_mode.lower() == "html":
        plain, parsed = parse_html(raw)
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        # Not implemented: this project's bot speaks HTML. Refuse rather than guess.
        raise bad_request(f"parse_mode {parse_mode} is not supported by the local stand-in")
    else:
        raise bad_request("unsupported parse_mode")
    plain, parsed = strip_text(plain, parsed)
    if caption:
        if len(plain) > MAX_CAPTION_LENGTH:
            raise bad_request("message caption is too long")
    else:
        if not plain:
            raise bad_request("message text is empty")
        if len(plain) > MAX_TEXT_LENGTH:
            raise bad_request("message is too long")
    return plain, parsed


_BUTTON_KINDS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def check_reply_markup(markup: Any, *, chat_type: str | None = None) -> JSON | None:
    """Validate reply_markup as Telegram would; return it unchanged when fine. With the
    chat's type, also Telegram's rule that `web_app` buttons exist only in private chats
    (groups open a Mini App through a t.me link instead)."""
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"], chat_type)
    elif "keyboard" in markup:
        rows = markup["keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request('field "keyboard" must be an Array of Arrays')  # approximate
        for row in rows:
            for button in row:
                if isinstance(button, str):
                    continue
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad_request(
                        'can\'t parse keyboard button: Field "text" must be of type String'
                    )
    elif markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
        pass
    else:
        raise bad_request("can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_keyboard(rows: Any, chat_type: str | None = None) -> None:
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    count = 0
    for row in rows:
        for button in row:
            count += 1
            if not isinstance(button, dict):
                raise bad_request(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            if not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            kinds = [k for k in _BUTTON_KINDS if k in button]
            if not kinds:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if len(kinds) > 1:
                raise bad_request(  # approximate
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    "must be used"
                )
            if "callback_data" in button:
                data = button["callback_data"]
                if not isinstance(data, str) or not (
                    1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise bad_request("BUTTON_DATA_INVALID")
            if "url" in button:
                url = button["url"]
                if not isinstance(url, str) or not is_valid_url(url):
                    raise bad_request(
                        f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL"
                    )
            if "web_app" in button:
                _check_web_app(button["web_app"], chat_type)
    if count > MAX_INLINE_BUTTONS:
        raise bad_request("reply markup is too long")  # approximate


def _check_web_app(web_app: Any, chat_type: str | None) -> None:
    if chat_type is not None and chat_type != "private":
        raise bad_request("BUTTON_TYPE_INVALID")
    url = web_app.get("url") if isinstance(web_app, dict) else None
    if not isinstance(url, str):
        raise bad_request(  # approximate
            'can\'t parse inline keyboard button: Field "url" must be of type String'
        )
    if not url.lower().startswith("https://") or not is_valid_url(url):
        raise bad_request(
            f"inline keyboard button Web App URL '{url}' is invalid: Only HTTPS links are allowed"
        )


_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
SCOPE_TYPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


def check_commands(commands: Any) -> list[JSON]:
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")  # approximate
    if len(commands) > MAX_COMMANDS:
        raise bad_request("too many commands")  # approximate
    result: list[JSON] = []
    for item in commands:
        if not isinstance(item, dict) or not isinstance(item.get("command"), str):
            raise bad_request("can't parse BotCommand: Can't find field \"command\"")
        if not isinstance(item.get("description"), str):
            raise bad_request("can't parse BotCommand: Can't find field \"description\"")
        if not _COMMAND_RE.fullmatch(item["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(item["description"].strip()) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")  # approximate
        result.append({"command": item["command"], "description": item["description"]})
    return result


def check_language_code(code: Any) -> str:
    if code is None or code == "":
        return ""
    if not isinstance(code, str) or not _LANGUAGE_RE.fullmatch(code):
        # The Bot API takes two-letter ISO 639-1 codes only ("pt", not "pt-br").
        raise bad_request("invalid language code specified")  # approximate
    return code


# --- entities Telegram computes for messages that users type -------------------

_AUTO_ENTITY_RE = re.compile(
    r"(?P<bot_command>(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{4,32})"
    r"|(?P<hashtag>(?<![\w#])#\w*[^\W\d]\w*)"
    r"|(?P<url>\bhttps?://[^\s<>\"]+)"
)


def detect_entities(text: str) -> list[JSON]:
    """bot_command, mention, hashtag and url entities as a Telegram client would see them."""
    entities: list[JSON] = []
    for match in _AUTO_ENTITY_RE.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        entities.append(
            {
                "type": kind,
                "offset": utf16_len(text[: match.start()]),
                "length": utf16_len(match.group()),
            }
        )
    return entities


def entity_text(text: str, entity: JSON) -> str:
    encoded = text.encode("utf-16-le")
    start = 2 * entity["offset"]
    return encoded[start : start + 2 * entity["length"]].decode("utf-16-le")
