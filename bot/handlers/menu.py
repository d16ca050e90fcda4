"""Command menus, set per scope (private, groups) and per language."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeAllPrivateChats
from telegram.error import TelegramError

from bot.domain.errors import N_
from bot.i18n import Translator
from bot.shipped import SHIPPED_LOCALES

log = logging.getLogger(__name__)

PRIVATE, GROUP = "private", "group"

# (command, description, scopes) — the order is the menu's order
COMMANDS: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("start", N_("Set up language, time zone, currency and margin"), frozenset({PRIVATE})),
    ("help", N_("What I can do, with examples"), frozenset({PRIVATE, GROUP})),
    ("campaigns", N_("Your campaigns"), frozenset({PRIVATE, GROUP})),
    ("newcampaign", N_("Create a campaign"), frozenset({PRIVATE, GROUP})),
    ("plan", N_("The plan of a campaign"), frozenset({PRIVATE, GROUP})),
    ("floor", N_("Floor price of a SKU"), frozenset({PRIVATE, GROUP})),
    ("skus", N_("Your SKU catalogue"), frozenset({PRIVATE, GROUP})),
    ("channels", N_("Your sales channels"), frozenset({PRIVATE, GROUP})),
    ("import", N_("How to import SKUs from a CSV or XLSX file"), frozenset({PRIVATE, GROUP})),
    ("export", N_("Your catalogue as XLSX and CSV"), frozenset({PRIVATE, GROUP})),
    ("calendar", N_("Upcoming shopping festivals"), frozenset({PRIVATE, GROUP})),
    ("fx", N_("Exchange rates in use"), frozenset({PRIVATE, GROUP})),
    ("reminders", N_("What I will remind you of"), frozenset({PRIVATE, GROUP})),
    ("team", N_("Members, roles and invites"), frozenset({PRIVATE, GROUP})),
    (
        "settings",
        N_("Team settings: currency, margin, FX buffer, zone"),
        frozenset({PRIVATE, GROUP}),
    ),
    ("link", N_("Send this team's notices to this chat"), frozenset({GROUP})),
    ("language", N_("Change your language"), frozenset({PRIVATE, GROUP})),
    ("timezone", N_("Change your time zone"), frozenset({PRIVATE, GROUP})),
    ("cancel", N_("Leave the current guided step"), frozenset({PRIVATE, GROUP})),
)


def menu(locale: str, scope: str) -> list[BotCommand]:
    _ = Translator(locale)
    return [BotCommand(name, _(text)) for name, text, scopes in COMMANDS if scope in scopes]


def telegram_language_code(locale: str) -> str:
    """Telegram keys command menus by two-letter ISO 639-1 codes."""
    return locale.split("_", 1)[0]


async def set_command_menus(bot: Bot, default_locale: str) -> None:
    scopes = {PRIVATE: BotCommandScopeAllPrivateChats(), GROUP: BotCommandScopeAllGroupChats()}
    try:
        for scope_name, scope in scopes.items():
            await bot.set_my_commands(menu(default_locale, scope_name), scope=scope)
            for locale in SHIPPED_LOCALES:
                await bot.set_my_commands(
                    menu(locale, scope_name),
                    scope=scope,
                    language_code=telegram_language_code(locale),
                )
    except TelegramError as exc:  # a menu is a convenience; never block start-up on it
        log.warning("could not set command menus: %s", exc)
