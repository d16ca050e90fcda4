"""Callback-data codec: short, versioned, and never trusted.

Format: ``<version>:<action>:<arg>:<arg>…`` within Telegram's 64-byte limit.
Decoding checks the shape; each argument is read with the bounds of `bot.limits` (an id
the database cannot hold names nothing) or with the very parser typed input goes through
(`parsed`), and every handler re-checks on the server that the presser may act on the
object the arguments name. Anything that does not read is `BadCallbackData`: the presser
is told the button is no longer valid.

Stamps: a button that names an object by id also carries a short stamp of that object
(`stamp(created_at)`, four characters of a hash of its creation time). Ids are never
reused (SQLite AUTOINCREMENT, PostgreSQL sequences), but a database restored from a backup
or migrated after ids were already freed could still hand an old id to a new object; the
press checks the stamp (`Callback.check_stamp`) and answers "this button is out of date"
instead of acting on the newer object.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

from bot import limits
from bot.domain.errors import N_, Conflict, UserFacingError

VERSION = "1"
MAX_BYTES = 64
_ARG = re.compile(r"^[A-Za-z0-9_\-+/.=]*$")


T = TypeVar("T")


STAMP_LENGTH = 4  # 24 bits: two objects that share an id look alike once in 16 million


class BadCallbackData(ValueError):
    pass


class StaleButton(Conflict):
    """The button names an object by an id that now belongs to another object (or to none)."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This button is out of date: what it was made for is gone or was replaced. "
                "Nothing was changed."
            )
        )


def stamp(created_at: datetime) -> str:
    """A short fingerprint of an object's creation time, carried next to its id."""
    text = created_at.astimezone(UTC).isoformat(timespec="microseconds")
    digest = hashlib.sha256(text.encode()).digest()
    return base64.urlsafe_b64encode(digest)[:STAMP_LENGTH].decode()


def check_stamp(mark: str, created_at: datetime) -> None:
    """`mark` (from a button, or a guided flow a button started) was made for the object
    created at `created_at`; else the object behind the id is another one."""
    if mark != stamp(created_at):
        raise StaleButton()


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

    def stamp_arg(self, index: int) -> str:
        """The stamp at `index`, "" when the data has none (a forged or pre-stamp button:
        it matches no object). Read it as given; `check_stamp` compares it once the
        presser's right to the object is known."""
        return self.args[index] if index < len(self.args) else ""

    def check_stamp(self, index: int, created_at: datetime) -> None:
        """The object the button was made for is the one its id names now."""
        check_stamp(self.stamp_arg(index), created_at)

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
