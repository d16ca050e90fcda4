"""Onboarding, language, time zone and help screens."""

from __future__ import annotations

from decimal import Decimal

from bot.db.models import Team
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.services.users import OnboardingResult
from bot.shipped import SHIPPED_LOCALES
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
JOINED = "j"  # the time zone question to someone who just joined a team


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
        (checked(_.zone_place(zone), zone == current), encode("tz", zone, context))
        for zone in COMMON_TIMEZONES
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
        (checked(_.percent(Decimal(pct).scaleb(-2)), pct == current_pct), encode("margin", pct))
        for pct in TARGET_MARGINS
    ]
    return text, keyboard(chunk(buttons, 3))


def onboarding_done(_: Translator, result: OnboardingResult) -> Rendered:
    """The end of /start: what it set for the person, and which team — if any — it set up
    (only their own new personal team); any other team keeps its settings."""
    lines = [
        _(
            "✅ All set.\n\nFor you, in every team:\nLanguage: {language}\nTime zone: {timezone}",
            language=LANGUAGE_NAMES[_.locale],
            timezone=h(_.zone(result.user.timezone or _.timezone)),
        ),
        "",
    ]
    team = result.set_up
    if team is not None:
        lines.append(
            _(
                "Set for your personal team <b>{team}</b>:\nCost currency: {currency}\n"
                "Target margin: {margin}",
                team=h(team.name),
                currency=h(team.cost_currency),
                margin=_.percent(team.target_margin),
            )
        )
        if result.active.id != team.id:
            lines.append("")
            lines.append(working_in(_, result.active))
        lines.append("")
        lines.append(
            _(
                "Next: add a sales channel with <code>/channel add temu-us-semi</code>, then "
                "your SKUs. /settings changes team settings; /help shows everything."
            )
        )
    else:
        active = result.active
        lines.append(
            _(
                "No team settings were changed: <b>{team}</b> keeps cost currency {currency} "
                "and target margin {margin}. /settings shows and changes them (admins and "
                "owners).",
                team=h(active.name),
                currency=h(active.cost_currency),
                margin=_.percent(active.target_margin),
            )
        )
    return "\n".join(lines), None


def working_in(_: Translator, team: Team) -> str:
    return _(
        "You are working in <b>{team}</b>, which keeps its own settings (/settings).",
        team=h(team.name),
    )


def joined_timezone_picker(_: Translator, team: Team) -> Rendered:
    """Asked of someone who joined through an invite and never chose a zone: the team's
    zone first, then the usual ones."""
    text = _(
        "Which time zone are you in? I show you dates and send you reminders in it. "
        "<b>{team}</b> works in {zone}. Pick one, or send its name, like "
        "<code>Europe/Paris</code>.",
        team=h(team.name),
        zone=h(_.zone(team.timezone)),
    )
    rows = [
        [
            (
                _("Like the team: {zone}", zone=_.zone_place(team.timezone)),
                encode("tz", team.timezone, JOINED),
            )
        ]
    ]
    others = [
        (_.zone_place(zone), encode("tz", zone, JOINED))
        for zone in COMMON_TIMEZONES
        if zone != team.timezone
    ]
    return text, keyboard(rows + chunk(others, 2))


def joined_timezone_saved(_: Translator, timezone: str) -> Rendered:
    return (
        _(
            "Done — your time zone is {timezone}. /language changes your language; /help "
            "shows what I can do.",
            timezone=h(_.zone(timezone)),
        ),
        None,
    )


def language_saved(_: Translator) -> Rendered:
    return _("Done — I will speak {language} with you.", language=LANGUAGE_NAMES[_.locale]), None


def timezone_saved(_: Translator, timezone: str) -> Rendered:
    return _("Done — your time zone is {timezone}.", timezone=h(_.zone(timezone))), None


def help_text(_: Translator, bot_username: str) -> str:
    return _(
        "<b>Campaign planner</b> — discount and voucher floors for your campaigns.\n\n"
        "<b>Start</b>\n"
        "/start — set your language and time zone (and your new personal team's cost "
        "currency and target margin)\n"
        "/language, /timezone — change yours\n\n"
        "<b>Team</b>\n"
        "/team — members, roles and an invite link\n"
        "/settings — the team's cost currency, target margin, FX buffer, time zone and notice "
        "language (<code>{settings_example}</code>)\n"
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
        # a literal "20%" in the text would make gettext tools treat it as a %-format string
        settings_example="/settings margin=20% cost_currency=KRW",
    )
