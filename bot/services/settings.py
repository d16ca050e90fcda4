"""Team settings (SPEC §4.1): cost currency (the default for new SKUs), target margin, FX
buffer, time zone (digests, dates typed without a zone) and the language of the team's
group notices.

Everyone in the team reads them; admins and owners change them. A change is validated as a
whole before anything is written, audited (`team_audit`), carried to the team's linked
groups and channels (their notice language and zone), and — when it moves the floors
(target margin, FX buffer) — followed by the margin re-check every other edit triggers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select

from bot.db.models import ChatBinding, Team
from bot.db.uow import UnitOfWork
from bot.domain.enums import BindingStatus, Role
from bot.domain.errors import N_, UserInputError
from bot.domain.numbers import ambiguous_number, is_ambiguous, reader_style
from bot.domain.permissions import Action, is_allowed
from bot.pricing import InputError, NumberStyle
from bot.pricing.money import parse_percent
from bot.services import margins
from bot.services.access import TeamAccess
from bot.services.arguments import parse_arguments, unknown_key
from bot.services.users import (
    parse_currency,
    parse_locale,
    parse_target_margin,
    parse_timezone,
    plain,
    record_team_audit,
)

MAX_FX_BUFFER = Decimal("0.5")  # 50 %: beyond it, rather fix the rate (/fx set)
EXAMPLE = "/settings margin=20% cost_currency=KRW fx_buffer=2% timezone=Asia/Seoul language=ko"


class Setting(StrEnum):
    """The settings in the order /settings shows them; the value is the key users write."""

    COST_CURRENCY = "cost_currency"
    MARGIN = "margin"
    FX_BUFFER = "fx_buffer"
    TIMEZONE = "timezone"
    LANGUAGE = "language"


# the team's column behind each setting
COLUMNS: dict[Setting, str] = {
    Setting.COST_CURRENCY: "cost_currency",
    Setting.MARGIN: "target_margin",
    Setting.FX_BUFFER: "fx_buffer",
    Setting.TIMEZONE: "timezone",
    Setting.LANGUAGE: "locale",
}
# other names people write for them
ALIASES: dict[str, Setting] = {
    "currency": Setting.COST_CURRENCY,
    "target_margin": Setting.MARGIN,
    "buffer": Setting.FX_BUFFER,
    "tz": Setting.TIMEZONE,
    "zone": Setting.TIMEZONE,
    "lang": Setting.LANGUAGE,
    "locale": Setting.LANGUAGE,
}
# the settings that move floors: a change re-checks the team's planned prices
MOVES_FLOORS = frozenset({Setting.MARGIN, Setting.FX_BUFFER})

SettingValue = str | Decimal


def parse_fx_buffer(text: str, style: NumberStyle | None = None) -> Decimal:
    try:
        buffer = parse_percent(text, maximum=MAX_FX_BUFFER.scaleb(2), style=style)
    except InputError as exc:
        if is_ambiguous(exc):
            raise ambiguous_number(exc) from None
        raise UserInputError(
            N_(
                "“{value}” is not a usable FX buffer. Write a percentage from 0 to 50, like "
                "2 or 2%."
            ),
            value=text.strip()[:16],
        ) from None
    return buffer


PARSERS: dict[Setting, Callable[[str], SettingValue]] = {
    Setting.COST_CURRENCY: parse_currency,
    Setting.MARGIN: parse_target_margin,
    Setting.FX_BUFFER: parse_fx_buffer,
    Setting.TIMEZONE: parse_timezone,
    Setting.LANGUAGE: parse_locale,
}


def setting_named(key: str) -> Setting:
    name = key.strip().lower()
    if name in ALIASES:
        return ALIASES[name]
    try:
        return Setting(name)
    except ValueError:
        raise unknown_key(key, [s.value for s in Setting], EXAMPLE) from None


# the settings that are numbers, read as the reader writes them ('2,5 %')
NUMBER_PARSERS: dict[Setting, Callable[[str, NumberStyle | None], Decimal]] = {
    Setting.MARGIN: parse_target_margin,
    Setting.FX_BUFFER: parse_fx_buffer,
}


def parse_value(setting: Setting, text: str, locale: str | None = None) -> SettingValue:
    if setting in NUMBER_PARSERS:
        return NUMBER_PARSERS[setting](text, reader_style(locale))
    return PARSERS[setting](text)


def parse_changes(text: str, locale: str | None = None) -> dict[Setting, SettingValue]:
    """`margin=20% cost_currency=KRW …` → validated values; any bad one refuses them all.
    Numbers are read as the reader (`locale`) writes them."""
    arguments = parse_arguments(text, locale)
    if arguments.words:
        raise UserInputError(
            N_(
                "Write each change as name=value, like <code>{example}</code>. “{value}” has "
                "no name."
            ),
            example=EXAMPLE,
            value=arguments.words[0][:40],
        )
    values: dict[Setting, SettingValue] = {}
    for key, raw in arguments.pairs:
        setting = setting_named(key)
        if setting in values:
            raise UserInputError(
                N_("<b>{field}</b> is given twice. Give each field once."), field=setting.value
            )
        values[setting] = parse_value(setting, raw, locale)
    return values


def current(team: Team) -> dict[Setting, SettingValue]:
    return {setting: getattr(team, column) for setting, column in COLUMNS.items()}


@dataclass(frozen=True, slots=True)
class TeamSettings:
    team: Team
    values: dict[Setting, SettingValue]
    role: Role  # the reader's
    can_change: bool
    linked_chats: int  # active group, topic and channel bindings (they get the notices)


async def linked_chats(uow: UnitOfWork, team_id: int) -> list[ChatBinding]:
    rows = await uow.session.scalars(
        select(ChatBinding).where(
            ChatBinding.team_id == team_id, ChatBinding.status == BindingStatus.ACTIVE
        )
    )
    return list(rows)


async def team_settings(uow: UnitOfWork, access: TeamAccess) -> TeamSettings:
    access.require(Action.READ)
    return TeamSettings(
        access.team,
        current(access.team),
        access.role,
        is_allowed(access.role, Action.MANAGE_SETTINGS),
        len(await linked_chats(uow, access.team_id)),
    )


@dataclass(frozen=True, slots=True)
class SettingsChange:
    team: Team
    changes: dict[Setting, tuple[SettingValue, SettingValue]]  # setting → (old, new)
    rechecked: margins.MarginCheck | None  # when the change moved floors
    linked_chats: int  # bindings whose notice language or zone followed the change


async def change_settings(
    uow: UnitOfWork,
    access: TeamAccess,
    values: Mapping[Setting, SettingValue],
    now: datetime,
) -> SettingsChange:
    access.require(Action.MANAGE_SETTINGS)
    team = access.team
    before = current(team)
    changes = {
        setting: (before[setting], value)
        for setting, value in values.items()
        if before[setting] != value
    }
    if not changes:
        return SettingsChange(team, {}, None, 0)
    for setting, (_old, new) in changes.items():
        setattr(team, COLUMNS[setting], new)
    team.updated_at = now
    record_team_audit(
        uow,
        team.id,
        access.user.id,
        now,
        "settings",
        {setting.value: [plain(old), plain(new)] for setting, (old, new) in changes.items()},
    )
    followed = 0
    if Setting.LANGUAGE in changes or Setting.TIMEZONE in changes:
        for binding in await linked_chats(uow, team.id):
            if Setting.LANGUAGE in changes:
                binding.locale = team.locale
            if Setting.TIMEZONE in changes:
                binding.timezone = team.timezone
            followed += 1
    await uow.flush()
    rechecked = None
    if MOVES_FLOORS & changes.keys():
        rechecked = await margins.recheck_margins(uow, team.id, now)
    return SettingsChange(team, changes, rechecked, followed)
