"""Users, their preferences and their personal team (onboarding)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from bot.config import is_valid_timezone
from bot.db.models import Membership, Team, TeamAudit, User
from bot.db.uow import UnitOfWork
from bot.db.upsert import dialect_insert
from bot.domain.enums import Role
from bot.domain.errors import N_, UserInputError
from bot.domain.numbers import ambiguous_number, is_ambiguous
from bot.pricing import InputError, NumberStyle
from bot.pricing.money import is_known_currency, parse_percent
from bot.services.actor import Actor
from bot.shipped import SHIPPED_LOCALES

MAX_TARGET_MARGIN = Decimal("0.95")


@dataclass(frozen=True, slots=True)
class Reader:
    """What the per-update setup needs to speak to this user."""

    user_id: int
    locale: str | None  # the user's own choice, None until they choose
    timezone: str | None
    onboarded: bool


async def touch_user(uow: UnitOfWork, actor: Actor, now: datetime) -> Reader:
    """Record the user's Telegram names and language code; return their preferences.

    A read first, and a write only when something changed (or the user is new): the
    common update writes nothing, so it is answered even while another process holds
    the database's write lock. The write is an upsert that only rewrites what changed,
    so two updates of a new user at once both succeed."""
    table = User.__table__
    first_name = actor.first_name[:256]
    known = (
        await uow.session.execute(
            select(
                table.c.first_name,
                table.c.username,
                table.c.language_code,
                table.c.locale,
                table.c.timezone,
                table.c.onboarded_at,
            ).where(table.c.id == actor.user_id)
        )
    ).one_or_none()
    if known is not None and (known.first_name, known.username, known.language_code) == (
        first_name,
        actor.username,
        actor.language_code,
    ):
        return Reader(actor.user_id, known.locale, known.timezone, known.onboarded_at is not None)
    insert = dialect_insert(uow.session, table).values(
        id=actor.user_id,
        first_name=first_name,
        username=actor.username,
        language_code=actor.language_code,
        created_at=now,
        updated_at=now,
    )
    statement = insert.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={
            "first_name": insert.excluded.first_name,
            "username": insert.excluded.username,
            "language_code": insert.excluded.language_code,
        },
    ).returning(table.c.locale, table.c.timezone, table.c.onboarded_at)
    row = (await uow.session.execute(statement)).one()
    return Reader(actor.user_id, row.locale, row.timezone, row.onboarded_at is not None)


async def peek_reader(uow: UnitOfWork, user_id: int) -> Reader:
    """The user's preferences without recording anything (a stranger's are all None):
    for updates the bot only answers with a hint, which must not create rows."""
    table = User.__table__
    known = (
        await uow.session.execute(
            select(table.c.locale, table.c.timezone, table.c.onboarded_at).where(
                table.c.id == user_id
            )
        )
    ).one_or_none()
    if known is None:
        return Reader(user_id, None, None, False)
    return Reader(user_id, known.locale, known.timezone, known.onboarded_at is not None)


async def get_user(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.session.get(User, user_id)
    if user is None:
        raise LookupError(f"user {user_id} was not recorded by the per-update setup")
    return user


async def personal_team(uow: UnitOfWork, user_id: int) -> Team | None:
    return await uow.session.scalar(
        select(Team)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user_id, Team.is_personal.is_(True))
        .order_by(Team.id)
        .limit(1)
    )


async def ensure_personal_team(uow: UnitOfWork, user: User, now: datetime) -> Team:
    """Every user owns a personal team, made by their first command that needs one.

    It becomes the active team only when the user has none: the team a user works in never
    changes behind their back (someone whose first command was `/team new Acme` stays in
    Acme when a later /start makes their personal team)."""
    existing = await personal_team(uow, user.id)
    if existing is not None:
        if user.active_team_id is None:
            user.active_team_id = existing.id
        return existing
    team = Team(
        name=user.first_name or (user.username or str(user.id)),
        is_personal=True,
        timezone=user.timezone or "UTC",
        locale=user.locale or "en",
        created_at=now,
        updated_at=now,
    )
    uow.session.add(team)
    await uow.session.flush()
    uow.session.add(Membership(team_id=team.id, user_id=user.id, role=Role.OWNER, joined_at=now))
    if user.active_team_id is None:
        user.active_team_id = team.id
    await uow.session.flush()
    return team


async def active_team(uow: UnitOfWork, user: User, now: datetime) -> Team:
    if user.active_team_id is not None:
        team = await uow.session.get(Team, user.active_team_id)
        if team is not None:
            return team
    return await ensure_personal_team(uow, user, now)


def parse_locale(text: str) -> str:
    key = text.strip().lower().replace("-", "_")
    for locale in SHIPPED_LOCALES:
        if locale.lower() == key:
            return locale
    raise UserInputError(
        N_("“{value}” is not a language I speak. Choose one of: {choices}."),
        value=text.strip()[:40],
        choices=", ".join(SHIPPED_LOCALES),
    )


def parse_timezone(text: str) -> str:
    name = text.strip()
    if not is_valid_timezone(name):
        raise UserInputError(
            N_(
                "“{value}” is not a time zone I know. Write it as Area/City from the IANA "
                "database, for example Asia/Shanghai, Europe/Berlin, America/New_York or "
                "Asia/Seoul."
            ),
            value=name[:64],
        )
    return name


def parse_currency(text: str) -> str:
    code = text.strip().upper()
    if len(code) != 3 or not is_known_currency(code):
        raise UserInputError(
            N_(
                "“{value}” is not an ISO 4217 currency code. Write three letters, like CNY, "
                "USD or EUR."
            ),
            value=text.strip()[:16],
        )
    return code


def parse_target_margin(text: str, style: NumberStyle | None = None) -> Decimal:
    """A target margin from 0 to 95 % (exclusive), written as the reader writes numbers."""
    try:
        margin = parse_percent(text, style=style)
    except InputError as exc:
        if is_ambiguous(exc):
            raise ambiguous_number(exc) from None
        margin = None
    if margin is None or margin >= MAX_TARGET_MARGIN:
        raise UserInputError(
            N_(
                "“{value}” is not a usable target margin. Write a percentage from 0 to 95, "
                "like 15 or 15%."
            ),
            value=text.strip()[:16],
        )
    return margin


async def set_locale(uow: UnitOfWork, user_id: int, locale: str) -> None:
    user = await get_user(uow, user_id)
    user.locale = locale


async def set_timezone(uow: UnitOfWork, user_id: int, timezone: str) -> None:
    user = await get_user(uow, user_id)
    user.timezone = timezone


@dataclass(frozen=True, slots=True)
class OnboardingPlan:
    """What a /start may change: always the person's language and time zone; the settings
    of their personal team only while that team is new (they have never finished /start)."""

    personal_team_id: int
    sets_team: bool


async def begin_onboarding(uow: UnitOfWork, user_id: int, now: datetime) -> OnboardingPlan:
    user = await get_user(uow, user_id)
    team = await ensure_personal_team(uow, user, now)
    return OnboardingPlan(team.id, sets_team=user.onboarded_at is None)


@dataclass(frozen=True, slots=True)
class TeamSetup:
    """The answers of a first /start that go to the new personal team."""

    team_id: int
    cost_currency: str
    target_margin: Decimal


@dataclass(frozen=True, slots=True)
class OnboardingResult:
    user: User
    set_up: Team | None  # the personal team whose settings this /start set, if any
    active: Team  # the team the user works in (unchanged by /start)


async def finish_onboarding(
    uow: UnitOfWork, user_id: int, now: datetime, setup: TeamSetup | None = None
) -> OnboardingResult:
    """Record that the person finished /start; with `setup`, write the answers to their own
    new personal team (its zone and notice language follow the person's) and audit it.
    No other team is touched."""
    user = await get_user(uow, user_id)
    set_up = None
    if setup is not None:
        team = await uow.session.get(Team, setup.team_id)
        member = await uow.session.get(Membership, (setup.team_id, user_id))
        if team is None or not team.is_personal or member is None or member.role != Role.OWNER:
            raise LookupError(f"team {setup.team_id} is not the personal team of {user_id}")
        before = {name: getattr(team, name) for name in SETUP_FIELDS}
        team.cost_currency = setup.cost_currency
        team.target_margin = setup.target_margin
        team.timezone = user.timezone or team.timezone
        team.locale = user.locale or team.locale
        changes = {
            name: [plain(before[name]), plain(getattr(team, name))]
            for name in SETUP_FIELDS
            if before[name] != getattr(team, name)
        }
        if changes:
            team.updated_at = now
            record_team_audit(uow, team.id, user_id, now, "setup", changes)
        set_up = team
    if user.onboarded_at is None:
        user.onboarded_at = now
    active = await _active_or_personal(uow, user, now)
    return OnboardingResult(user, set_up, active)


SETUP_FIELDS = ("cost_currency", "target_margin", "timezone", "locale")


async def _active_or_personal(uow: UnitOfWork, user: User, now: datetime) -> Team:
    if user.active_team_id is not None:
        member = await uow.session.get(Membership, (user.active_team_id, user.id))
        team = await uow.session.get(Team, user.active_team_id)
        if member is not None and team is not None:
            return team
    team = await ensure_personal_team(uow, user, now)
    user.active_team_id = team.id
    return team


# -- the audit trail of team settings -----------------------------------------------------------


def plain(value: object) -> Any:
    """A JSON-friendly form of a setting for the audit trail (0.20 and 0.2 are one value)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def record_team_audit(
    uow: UnitOfWork,
    team_id: int,
    user_id: int | None,
    now: datetime,
    action: str,
    changes: dict[str, Any],
) -> None:
    """Who changed which team settings, from what to what (`{setting: [old, new]}`)."""
    uow.session.add(
        TeamAudit(team_id=team_id, user_id=user_id, at=now, action=action, changes=changes)
    )
