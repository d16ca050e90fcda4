"""What the terminal shows for a bot message, a button row or a callback answer.

Pure functions: a :class:`StubMessage` (or a callback answer) and where it is in,
terminal text out. With ``ansi`` the formatting Telegram shows (bold, italic,
code, links …) becomes terminal styles; without it the text is plain, as a
pipe or a log wants it. Telegram's entity offsets count UTF-16 code units, so
an emoji before a bold word does not shift the bold.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.domain.errors import N_
from bot.i18n import Translator

RESET = "\x1b[0m"
# entity type → SGR codes (the closest a terminal has to Telegram's look)
ENTITY_STYLES: Mapping[str, tuple[int, ...]] = {
    "bold": (1,),
    "italic": (3,),
    "underline": (4,),
    "strikethrough": (9,),
    "spoiler": (7,),
    "code": (36,),
    "pre": (36,),
    "blockquote": (2,),
    "expandable_blockquote": (2,),
    "url": (4, 34),
    "text_link": (4, 34),
    "email": (4, 34),
    "mention": (34,),
    "text_mention": (34,),
    "bot_command": (34,),
    "hashtag": (34,),
    "cashtag": (34,),
}
HEADER_STYLE = (1, 35)
BUTTON_STYLE = (36,)
ALERT_STYLE = (1, 33)
TOAST_STYLE = (33,)
NOTE_STYLE = (2,)
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")

PRIVATE_CHAT = N_("private chat · {name}")
GROUP_CHAT = N_("group “{title}”")
TOPIC_CHAT = N_("group “{title}” · topic “{topic}”")


@dataclass(frozen=True, slots=True)
class Place:
    """The chat a message is in, as the terminal names it."""

    kind: str  # private | group
    name: str  # the user's first name (private) or the group's title
    topic: str | None = None

    def label(self, _: Translator) -> str:
        if self.kind == "private":
            return _(PRIVATE_CHAT, name=self.name)
        if self.topic is not None:
            return _(TOPIC_CHAT, title=self.name, topic=self.topic)
        return _(GROUP_CHAT, title=self.name)


@dataclass(frozen=True, slots=True)
class ButtonView:
    """One inline button as the terminal offers it: press it with ``#number``."""

    number: int
    text: str
    callback_data: str | None
    url: str | None


def style(text: str, codes: Sequence[int], ansi: bool) -> str:
    if not ansi or not codes or not text:
        return text
    return f"\x1b[{';'.join(str(c) for c in codes)}m{text}{RESET}"


def strip_ansi(text: str) -> str:
    return _ANSI_ESCAPE.sub("", text)


def utf16_offsets(text: str) -> list[int]:
    """The UTF-16 offset at which each character of ``text`` starts."""
    offsets: list[int] = []
    position = 0
    for char in text:
        offsets.append(position)
        position += 2 if ord(char) > 0xFFFF else 1
    return offsets


def format_entities(text: str, entities: Sequence[Mapping[str, Any]], ansi: bool) -> str:
    """``text`` with Telegram's formatting entities as terminal styles.

    Nested and overlapping entities combine (bold inside a link is bold and
    underlined). A link whose address is not its text is followed by the
    address in angle brackets, styled or not, so it is never lost.
    """
    if not entities:
        return text
    starts = utf16_offsets(text)
    codes: list[set[int]] = [set() for _ in text]
    after: dict[int, list[str]] = {}  # character index → what to add after it
    for entity in entities:
        kind = str(entity.get("type", ""))
        begin = int(entity.get("offset", 0))
        end = begin + int(entity.get("length", 0))
        covered = [i for i, start in enumerate(starts) if begin <= start < end]
        if not covered:
            continue
        for index in covered:
            codes[index].update(ENTITY_STYLES.get(kind, ()))
        url = entity.get("url")
        if kind == "text_link" and url and url != text[covered[0] : covered[-1] + 1]:
            after.setdefault(covered[-1], []).append(f" <{url}>")
    pieces: list[str] = []
    run_start = 0
    for index in range(len(text)):
        last = index == len(text) - 1
        if last or index in after or codes[index + 1] != codes[index]:
            pieces.append(style(text[run_start : index + 1], sorted(codes[index]), ansi))
            for suffix in after.get(index, []):
                pieces.append(style(suffix, NOTE_STYLE, ansi))
            run_start = index + 1
    return "".join(pieces)


def inline_buttons(raw_message: Mapping[str, Any]) -> list[list[ButtonView]]:
    """The message's inline keyboard, numbered from 1 across its rows."""
    markup = raw_message.get("reply_markup") or {}
    rows: list[list[ButtonView]] = []
    number = 0
    for row in markup.get("inline_keyboard", []):
        views: list[ButtonView] = []
        for button in row:
            number += 1
            views.append(
                ButtonView(
                    number,
                    str(button.get("text", "")),
                    button.get("callback_data"),
                    button.get("url"),
                )
            )
        rows.append(views)
    return rows


def render_buttons(rows: Sequence[Sequence[ButtonView]], ansi: bool) -> str:
    """``[#1 English] [#2 简体中文]``, one line per keyboard row; ↗ marks a link."""
    lines = []
    for row in rows:
        labels = [
            style(f"[#{b.number} {b.text}{' ↗' if b.url else ''}]", BUTTON_STYLE, ansi) for b in row
        ]
        if labels:
            lines.append("  " + " ".join(labels))
    return "\n".join(lines)


def render_message(
    message: Any,
    place: Place,
    _: Translator,
    *,
    ansi: bool,
    saved_file: str | None = None,
) -> str:
    """One bot message as a block: a header naming the chat, the formatted text, the
    attached file (where the demo saved it) and the buttons."""
    notes = []
    if message.deleted:
        notes.append(_("deleted"))
    elif message.edited:
        notes.append(_("edited"))
    header = " · ".join([place.label(_), *notes])
    lines = [style(f"🤖 {header}", HEADER_STYLE, ansi)]
    if message.deleted:
        first = message.text.strip().splitlines()[0] if message.text.strip() else ""
        if first:
            lines.append(style(first, (9, 2), ansi) if ansi else f"({first})")
        return "\n".join(lines)
    if message.photo is not None:
        size = f"{message.photo.width}×{message.photo.height}"
        lines.append(f"🖼 {size}" + (f" → {saved_file}" if saved_file else ""))
    if message.text:
        lines.append(format_entities(message.text, message.entities, ansi))
    if message.document is not None:
        name = message.document.file_name or "file"
        lines.append(f"📎 {name}" + (f" → {saved_file}" if saved_file else ""))
    buttons = render_buttons(inline_buttons(message.raw), ansi)
    if buttons:
        lines.append(buttons)
    keyboard = [label for row in message.reply_keyboard for label in row]
    if keyboard:
        lines.append("  ⌨ " + " ".join(f"[{label}]" for label in keyboard))
    return "\n".join(lines)


def render_answer(text: str | None, show_alert: bool, _: Translator, *, ansi: bool) -> str | None:
    """A callback answer: Telegram shows it as a toast, or as an alert to dismiss."""
    if not text:
        return None
    if show_alert:
        return style(_("⚠ alert: {text}", text=text), ALERT_STYLE, ansi)
    return style(_("⚡ toast: {text}", text=text), TOAST_STYLE, ansi)
