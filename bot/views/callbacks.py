"""Callback-data codec: short, versioned, and never trusted.

Format: ``<version>:<action>:<arg>:<arg>…`` within Telegram's 64-byte limit.
Decoding checks the shape; each argument is read with the bounds of `bot.limits` (an id
the database cannot hold names nothing) or with the very parser typed input goes through
(`parsed`), and every handler re-checks on the server that the presser may act on the
object the arguments name. Anything that does not read is `BadCallbackData`: the presser
is told the button is no longer valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from bot import limits
from bot.domain.errors import UserFacingError

VERSION = "1"
MAX_BYTES = 64
_ARG = re.compile(r"^[A-Za-z0-9_\-+/.=]*$")


T = TypeVar("T")


class BadCallbackData(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Callback:
    action: str
    args: tuple[str, ...]

    def arg(self, index: int) -> str:
        try:
            return self.args[index]
        except IndexError:
            raise BadCallbackData(f"missing argument {index} for {self.action}") from None

    def int_arg(self, index: int) -> int:
        """A signed 64-bit integer (a Telegram user or chat id)."""
        value = limits.parse_int64(self.arg(index))
        if value is None:
            raise BadCallbackData(f"argument {index} of {self.action} is not a 64-bit integer")
        return value

    def id_arg(self, index: int) -> int:
        """A row id (team, channel, SKU, campaign …): one the id column can hold."""
        value = limits.parse_id(self.arg(index))
        if value is None:
            raise BadCallbackData(f"argument {index} of {self.action} is not a row id")
        return value

    def page_arg(self, index: int) -> int:
        """A 0-based page number of a list."""
        value = limits.parse_page(self.arg(index))
        if value is None:
            raise BadCallbackData(f"argument {index} of {self.action} is not a page")
        return value

    def parsed(self, index: int, parser: Callable[[str], T]) -> T:
        """An argument read by the same parser as the typed form of the value, with the
        same bounds; a refusal means the data was forged or is stale."""
        text = self.arg(index)
        try:
            return parser(text)
        except (UserFacingError, ValueError, ArithmeticError) as exc:
            raise BadCallbackData(f"argument {index} of {self.action}: {exc!r:.120}") from None


def encode(action: str, *args: object) -> str:
    parts = [VERSION, action, *(str(a) for a in args)]
    for part in parts[1:]:
        if ":" in part or not _ARG.match(part):
            raise ValueError(f"callback part {part!r} has characters outside the codec")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def decode(data: str | None) -> Callback:
    if not data or len(data.encode()) > MAX_BYTES:
        raise BadCallbackData("empty or oversized callback data")
    version, _, rest = data.partition(":")
    if version != VERSION or not rest:
        raise BadCallbackData(f"unknown callback version in {data!r}")
    action, *args = rest.split(":")
    if not action or not all(_ARG.match(a) for a in [action, *args]):
        raise BadCallbackData(f"malformed callback data {data!r}")
    return Callback(action, tuple(args))


def pattern(action: str) -> str:
    """A regex for CallbackQueryHandler that routes one action."""
    return rf"^{VERSION}:{re.escape(action)}(:|$)"
