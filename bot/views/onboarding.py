"""Onboarding, language, time zone and help screens."""

from __future__ import annotations

from decimal import Decimal

from bot.config import SHIPPED_LOCALES
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.views.callbacks import encode
from bot.views.common import Rendered, checked, chunk, h, keyboard

COMMON_TIMEZONES = (
    "Asia/Shanghai",
    "Asia/Hong_Kong",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Europe/Berlin",
    "Europe/London",
    "Europe/Madrid",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Africa/Johannesburg",
    "UTC",
)
COST_CURRENCIES = ("CNY", "USD", "EUR", "HKD", "GBP", "KRW", "JPY", "BRL")
TARGET_MARGINS = ("10", "15", "20", "25", "30", "40")

ONBOARDING = "o"  # the picker is a step of /start
STANDALONE = "s"  # the picker was opened by /language or /timezone


def language_picker(_: Translator, current: str | None, context: str) -> Rendered:
    if context == ONBOARDING:
        text = _(
            "👋 Welcome! I help you plan Black Friday-style campaigns: how deep each SKU can "
            "go, which voucher is safe, and when to act — without selling below your landed "
            "cost plus margin.\n\nFirst, choose your language:"
        )
    else:
        text = _("Choose your language:")
    buttons = [
        (checked(LANGUAGE_NAMES[loc], loc == current), encode("lang", loc, context))
        for loc in SHIPPED_LOCALES
    ]
    return text, keyboard(chunk(buttons, 2))


def timezone_picker(_: Translator, current: str | None, context: str) -> Rendered:
    text = _(
        "Which time zone should I use for your reminders and dates? Pick one, or send its "
        "name, like <code>Europe/Paris</code>."
    )
    buttons = [
        (checked(zone, zone == current), encode("tz", zone, context)) for zone in COMMON_TIMEZONES
    ]
    return text, keyboard(chunk(buttons, 2))


def currency_picker(_: Translator, current: str | None) -> Rendered:
    text = _(
        "In which currency do you pay for your goods (your cost currency)? Pick one, or send "
        "its three-letter code."
    )
    buttons = [(checked(code, code == current), encode("ccy", code)) for code in COST_CURRENCIES]
    return text, keyboard(chunk(buttons, 4))


def margin_picker(_: Translator, current: Decimal | None) -> Rendered:
    text = _(
        "What margin do you need to keep on net revenue? Floors are computed for it. Pick "
        "one, or send a number like <code>18%</code>."
    )
    current_pct = None if current is None else str((current * 100).normalize())
    buttons = [
        (checked(f"{pct} %", pct == current_pct), encode("margin", pct)) for pct in TARGET_MARGINS
    ]
    return text, keyboard(chunk(buttons, 3))


def onboarding_done(_: Translator, timezone: str, currency: str, margin: Decimal) -> Rendered:
    text = _(
        "✅ All set.\n\nLanguage: {language}\nTime zone: {timezone}\nCost currency: "
        "{currency}\nTarget margin: {margin}\n\nNext: add a sales channel with "
        "<code>/channel add temu-us-semi</code>, then your SKUs. /help shows everything.",
        language=LANGUAGE_NAMES[_.locale],
        timezone=h(timezone),
        currency=h(currency),
        margin=_.percent(margin),
    )
    return text, None


def language_saved(_: Translator) -> Rendered:
    return _("Done — I will speak {language} with you.", language=LANGUAGE_NAMES[_.locale]), None


def timezone_saved(_: Translator, timezone: str) -> Rendered:
    return _("Done — your time zone is {timezone}.", timezone=h(timezone)), None


def help_text(_: Translator, bot_username: str) -> str:
    return _(
        "<b>Campaign planner</b> — discount and voucher floors for your campaigns.\n\n"
        "<b>Start</b>\n"
        "/start — set language, time zone, cost currency and target margin\n"
        "/language, /timezone — change them\n\n"
        "<b>Team</b>\n"
        "/team — members, roles and an invite link\n"
        "/link in a group — send the team's notices there (/unlink undoes it)\n\n"
        "<b>Catalogue</b>\n"
        "/channels, <code>/channel add temu-us-semi</code> — your sales channels\n"
        "<code>/sku add A1 unit_cost=35 first_mile=4</code> — add a SKU (or send a CSV/XLSX "
        "file: /import; /export)\n"
        "<code>/sku A1 list_price@temu-us-semi=19.99</code> — its list price on a channel; "
        "/skus lists them\n"
        "<code>/floor A1</code> — landed cost, break-even, floor and deepest discount\n\n"
        "<b>Campaigns</b>\n"
        "/calendar — upcoming shopping festivals\n"
        "<code>/newcampaign</code> — create a campaign step by step\n"
        "<code>/enroll 1 A1 A2 discount=max</code>, <code>/plan 1</code>, "
        "<code>/voucher 1 value=5</code>\n"
        "/fx — exchange rates; /reminders — what I will remind you of\n\n"
        "/cancel leaves any guided step. In a group, write commands as "
        "<code>/help@{bot}</code>.",
        bot=h(bot_username),
    )
