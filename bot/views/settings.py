"""/settings: a team's settings card, the question for one setting, and what a change did."""

from __future__ import annotations

from decimal import Decimal

from bot.db.models import Team
from bot.domain.errors import N_
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.services.settings import (
    EXAMPLE,
    Setting,
    SettingsChange,
    SettingValue,
    TeamSettings,
)
from bot.shipped import SHIPPED_LOCALES
from bot.views.callbacks import encode, stamp
from bot.views.common import Button, Rendered, checked, chunk, h, keyboard
from bot.views.onboarding import COMMON_TIMEZONES, COST_CURRENCIES, TARGET_MARGINS

# callback actions; every one carries the team id first and the team's stamp last
CARD = "sts"  # team id, stamp
ASK = "stk"  # team id, setting, stamp
SET = "stv"  # team id, setting, value, stamp

# short names of the settings in callback data (64 bytes at most)
CODES: dict[Setting, str] = {
    Setting.COST_CURRENCY: "ccy",
    Setting.MARGIN: "mg",
    Setting.FX_BUFFER: "fx",
    Setting.TIMEZONE: "tz",
    Setting.LANGUAGE: "lang",
}
BY_CODE: dict[str, Setting] = {code: setting for setting, code in CODES.items()}
FX_BUFFERS = ("0", "1", "2", "3", "5")

LABELS: dict[Setting, str] = {
    Setting.COST_CURRENCY: N_("Cost currency"),
    Setting.MARGIN: N_("Target margin"),
    Setting.FX_BUFFER: N_("FX buffer"),
    Setting.TIMEZONE: N_("Time zone"),
    Setting.LANGUAGE: N_("Notice language"),
}
HINTS: dict[Setting, str] = {
    Setting.COST_CURRENCY: N_("the default for new SKUs"),
    Setting.MARGIN: N_("floors keep it unless a campaign sets its own"),
    Setting.FX_BUFFER: N_("added to converted costs against rate moves"),
    Setting.TIMEZONE: N_("the daily digest at 09:00, dates typed without a zone"),
    Setting.LANGUAGE: N_("notices to the team's groups and channels"),
}


def value_text(_: Translator, setting: Setting, value: SettingValue) -> str:
    if setting in (Setting.MARGIN, Setting.FX_BUFFER):
        assert isinstance(value, Decimal)
        return _.percent(value)
    if setting is Setting.LANGUAGE:
        return LANGUAGE_NAMES.get(str(value), str(value))
    if setting is Setting.TIMEZONE:
        return h(_.zone(str(value)))
    return h(value)


def _mark(team: Team) -> str:
    return stamp(team.created_at)


def settings_card(_: Translator, view: TeamSettings, header: str | None = None) -> Rendered:
    team = view.team
    lines = [header, ""] if header else []
    lines.append(_("⚙️ Settings of <b>{team}</b>", team=h(team.name)))
    for setting, value in view.values.items():
        lines.append(
            _(
                "{setting}: <b>{value}</b> — {hint}",
                setting=_(LABELS[setting]),
                value=value_text(_, setting, value),
                hint=_(HINTS[setting]),
            )
        )
    lines.append("")
    if view.can_change:
        lines.append(
            _(
                "Change one with the buttons, or several in one line, like <code>{example}</code>.",
                example=h(EXAMPLE),
            )
        )
    else:
        lines.append(
            _(
                "Admins and owners change them; your role in this team is {role}.",
                role=_(view.role.label),
            )
        )
    lines.append(_("Your own language and time zone: /language, /timezone."))
    if not view.can_change:
        return "\n".join(lines), None
    mark = _mark(team)
    buttons = [(_(LABELS[s]), encode(ASK, team.id, CODES[s], mark)) for s in view.values]
    return "\n".join(lines), keyboard(chunk(buttons, 2))


QUESTIONS: dict[Setting, str] = {
    Setting.COST_CURRENCY: N_(
        "In which currency do you buy the goods of <b>{team}</b>? New SKUs get it unless "
        "they name their own; SKUs already added keep theirs. Pick one, or send its "
        "three-letter code."
    ),
    Setting.MARGIN: N_(
        "Which margin on net revenue should the floors of <b>{team}</b> keep? Pick one, or "
        "send a number like <code>18%</code>."
    ),
    Setting.FX_BUFFER: N_(
        "How much should converted costs of <b>{team}</b> carry against exchange-rate moves? "
        "Pick one, or send a percentage like <code>2%</code>."
    ),
    Setting.TIMEZONE: N_(
        "Which time zone does <b>{team}</b> work in? Pick one, or send its name, like "
        "<code>Europe/Paris</code>."
    ),
    Setting.LANGUAGE: N_(
        "In which language should I post the notices of <b>{team}</b> in its groups and "
        "channels? Private messages stay in each member's own language."
    ),
}


def question(_: Translator, team: Team, setting: Setting, value: SettingValue) -> Rendered:
    """One setting's question: the choices as buttons (the current one marked)."""
    mark, code = _mark(team), CODES[setting]
    per_row = 3
    options: list[tuple[str, str]]
    if setting is Setting.COST_CURRENCY:
        options = [(c, c) for c in COST_CURRENCIES]
        per_row = 4
    elif setting is Setting.MARGIN:
        options = [(_.percent(Decimal(pct).scaleb(-2)), pct) for pct in TARGET_MARGINS]
    elif setting is Setting.FX_BUFFER:
        options = [(_.percent(Decimal(pct).scaleb(-2)), pct) for pct in FX_BUFFERS]
    elif setting is Setting.TIMEZONE:
        zones = list(COMMON_TIMEZONES)
        if str(value) not in zones:
            zones.insert(0, str(value))
        options = [(_.zone_place(zone), zone) for zone in zones]
        per_row = 2
    else:
        options = [(LANGUAGE_NAMES[loc], loc) for loc in SHIPPED_LOCALES]
        per_row = 2
    current = _choice_key(setting, value)
    buttons: list[Button] = [
        (checked(label, key == current), encode(SET, team.id, code, key, mark))
        for label, key in options
    ]
    rows = chunk(buttons, per_row)
    rows.append([(_("« Settings"), encode(CARD, team.id, mark))])
    return _(QUESTIONS[setting], team=h(team.name)), keyboard(rows)


def _choice_key(setting: Setting, value: SettingValue) -> str:
    if isinstance(value, Decimal):
        return format((value * 100).normalize(), "f")
    return str(value)


def saved(_: Translator, change: SettingsChange, view: TeamSettings) -> Rendered:
    if not change.changes:
        header = _(
            "Nothing changed: those are already the settings of <b>{team}</b>.",
            team=h(change.team.name),
        )
        return settings_card(_, view, header)
    lines = [_("✅ Saved for <b>{team}</b>:", team=h(change.team.name))]
    for setting, (old, new) in change.changes.items():
        lines.append(
            _(
                "{setting}: {old} → <b>{new}</b>",
                setting=_(LABELS[setting]),
                old=value_text(_, setting, old),
                new=value_text(_, setting, new),
            )
        )
    if change.rechecked is not None and change.rechecked.checked:
        check = change.rechecked
        lines.append(
            _.ngettext(
                "Planned prices re-checked: {n} enrolled SKU.",
                "Planned prices re-checked: {n} enrolled SKUs.",
                check.checked,
            )
        )
        if check.warned:
            lines.append(
                _.ngettext(
                    "⚠️ {n} SKU is now under its floor; a warning follows.",
                    "⚠️ {n} SKUs are now under their floor; a warning follows.",
                    check.warned,
                )
            )
        if check.recovered:
            lines.append(
                _.ngettext(
                    "{n} SKU is back above its floor.",
                    "{n} SKUs are back above their floor.",
                    check.recovered,
                )
            )
    if change.linked_chats:
        lines.append(
            _.ngettext(
                "{n} linked chat gets the team's notices in this language and zone from now on.",
                "{n} linked chats get the team's notices in this language and zone from now on.",
                change.linked_chats,
            )
        )
    return settings_card(_, view, "\n".join(lines))
