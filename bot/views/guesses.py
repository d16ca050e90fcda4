"""Answers to near-misses: unknown commands and subcommands."""

from __future__ import annotations

from bot.i18n import Translator
from bot.services.arguments import shown
from bot.views.common import h


def unknown_command(_: Translator, typed: str, suggestion: str | None, rest: str) -> str:
    command = h(shown("/" + typed))
    if suggestion is None:
        return _(
            "I do not know the command <code>{command}</code>. /help lists the commands "
            "I know, with examples.",
            command=command,
        )
    return _(
        "I do not know the command <code>{command}</code>. Did you mean <code>{suggestion}</code>?",
        command=command,
        suggestion=h(shown(f"/{suggestion} {rest}".strip())),
    )
