"""Who is acting, and where: plain data taken from a Telegram update."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int
    chat_id: int
    chat_type: str  # private | group | supergroup | channel
    thread_id: int = 0  # forum topic, 0 for none
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None

    @property
    def in_private(self) -> bool:
        return self.chat_type == "private"
