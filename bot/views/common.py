"""Small rendering helpers shared by the views."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

Button = tuple[str, str]  # (label, callback data)
Rendered = tuple[str, InlineKeyboardMarkup | None]


def keyboard(rows: Iterable[Sequence[Button]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def chunk(buttons: Sequence[Button], per_row: int) -> list[list[Button]]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


def h(value: object) -> str:
    """Escape user data for Telegram HTML."""
    return escape(str(value), quote=False)


def checked(label: str, selected: bool) -> str:
    return f"✅ {label}" if selected else label
