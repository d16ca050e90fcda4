"""Long messages in pieces Telegram accepts: the one helper every reply goes through.

Telegram refuses a text over 4096 characters and a caption over 1024 ("message is too
long"), counted after the HTML is parsed, in UTF-16 code units. `split_html` cuts a
Telegram-HTML text into parts within a limit: at line breaks where it can, else at a
space, else anywhere — but never inside a tag or an entity (`&amp;`). A tag open at a
cut (a `<b>` or `<pre>` spanning lines) is closed at the end of one part and opened
again at the start of the next, so each part is valid HTML on its own.

Pure: no Telegram.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = ["CAPTION_LIMIT", "TEXT_LIMIT", "fit_caption", "split_html", "visible_length"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024

_TOKEN = re.compile(
    r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9-]*)(?P<attrs>[^>]*)>"  # a tag
    r"|&(?:#[0-9]{1,8}|#[xX][0-9A-Fa-f]{1,8}|[A-Za-z][A-Za-z0-9]{1,31});"  # an entity
    r"|[^<&]"  # one character
    r"|[<&]",  # a stray '<' or '&' (counted as text)
    re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class _Token:
    raw: str
    width: int  # visible UTF-16 code units
    tag: str | None = None  # a tag's name
    closing: bool = False


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        raw = match.group(0)
        name = match.group("name")
        if name is not None:
            tokens.append(_Token(raw, 0, name.lower(), bool(match.group("close"))))
        elif raw.startswith("&") and len(raw) > 1:
            tokens.append(_Token(raw, _utf16(html.unescape(raw))))
        else:
            tokens.append(_Token(raw, _utf16(raw)))
    return tokens


def visible_length(text: str) -> int:
    """The length Telegram checks: UTF-16 code units of the text without its tags."""
    return sum(token.width for token in _tokens(text))


def _apply(stack: list[_Token], token: _Token) -> None:
    """Track which tags are open after `token`."""
    if token.tag is None:
        return
    if token.closing:
        for index in range(len(stack) - 1, -1, -1):
            if stack[index].tag == token.tag:
                del stack[index:]
                return
    else:
        stack.append(token)


def _closing(stack: list[_Token]) -> str:
    return "".join(f"</{token.tag}>" for token in reversed(stack))


def _cut(tokens: list[_Token], start: int, limit: int) -> int:
    """The end (exclusive) of the part that starts at `start`: as far as `limit` allows,
    pulled back to the last line break, else the last space, within that reach."""
    budget = limit
    index = start
    newline = space = -1
    while index < len(tokens) and tokens[index].width <= budget:
        token = tokens[index]
        budget -= token.width
        if token.raw == "\n":
            newline = index
        elif token.raw == " ":
            space = index
        index += 1
    if index >= len(tokens):
        return index
    if newline > start:
        return newline + 1
    if space > start:
        return space + 1
    return max(index, start + 1)  # no break point: cut here (a lone wide token still moves on)


def split_html(text: str, limit: int = TEXT_LIMIT, *, first_limit: int | None = None) -> list[str]:
    """`text` as parts of at most `limit` visible characters each (the first part: at most
    `first_limit`, e.g. a caption's 1024 before text messages' 4096); one part when it
    fits. Parts that would hold nothing visible are dropped; an empty text stays one empty
    part, for the caller to refuse as it always would."""
    first = limit if first_limit is None else first_limit
    if _utf16(text) <= first:  # tags and entities only shrink: most replies stop here
        return [text]
    tokens = _tokens(text)
    if sum(token.width for token in tokens) <= first:
        return [text]
    parts: list[str] = []
    stack: list[_Token] = []
    start = 0
    while start < len(tokens):
        end = _cut(tokens, start, first if not parts else limit)
        opening = "".join(token.raw for token in stack)
        body = tokens[start:end]
        for token in body:
            _apply(stack, token)
        part = opening + "".join(token.raw for token in body) + _closing(stack)
        if "".join(token.raw for token in body if token.tag is None).strip():
            parts.append(part)
        start = end
    return parts or [text]


def fit_caption(text: str) -> tuple[str, list[str]]:
    """A caption within Telegram's 1024, and whatever did not fit as text messages (4096
    each) to send after the file."""
    parts = split_html(text, TEXT_LIMIT, first_limit=CAPTION_LIMIT)
    return parts[0], parts[1:]
