"""Expected failures that end in a localized reply rather than in the error handler.

The message is the English source text (a gettext msgid) with ``{name}``
placeholders; the chat layer translates it in the reader's language and fills
the placeholders. Mark literal messages with ``N_`` so extraction finds them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


def N_(message: str) -> str:
    """Mark a string for translation without translating it here."""
    return message


class Msg(str):
    """A parameter that is itself a msgid: translated when the message is rendered, its
    own placeholders filled from `params` (rendered the same way)."""

    params: dict[str, Any]

    def __new__(cls, message: str, /, **params: Any) -> Msg:
        made = super().__new__(cls, message)
        made.params = params
        return made


class Percent(Decimal):
    """A parameter that is a fraction shown as a percentage, the reader's way (100% in
    English, 100 % in German)."""

    __slots__ = ()


class Count(int):
    """A parameter that is a quantity: written with the reader's digit grouping (50,000 in
    English, 50.000 in German). Plain ints (ids, row numbers) are left as they are."""

    __slots__ = ()


class UserFacingError(Exception):
    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


class UserInputError(UserFacingError):
    """The user wrote something we cannot use; the message says how to write it."""


class NotAllowed(UserFacingError):
    """The user may not do this here (role, team or chat)."""


class NotFound(UserFacingError):
    """The object named does not exist (or is not visible to this user)."""


class Conflict(UserFacingError):
    """The request clashes with the current state (duplicate, last owner …)."""
