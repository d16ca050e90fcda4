"""Callback-data codec: short, versioned, and never trusted.

Format: ``<version>:<action>:<arg>:<arg>…`` within Telegram's 64-byte limit.
Decoding only checks the shape; every handler re-checks on the server that the
presser may act on the object the arguments name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
_ARG = re.compile(r"^[A-Za-z0-9_\-+/.=]*$")


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
        value = self.arg(index)
        if not re.fullmatch(r"-?\d{1,19}", value):
            raise BadCallbackData(f"argument {index} of {self.action} is not an integer")
        return int(value)


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
