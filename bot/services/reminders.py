"""Campaign reminders in the notification outbox (SPEC §5).

Called in the same transaction as the change that causes them: campaign created or
edited → its pending reminders are regenerated; deleted → cancelled; the team's
offsets edited → every upcoming campaign of the team regenerated.

Offsets are minutes relative to a moment, per event, in `Team.reminder_offsets`:
``deadline`` (registration deadline), ``start`` and ``end`` (negative = before;
``start`` 0 = when it starts) and ``summary`` (after the end). A reminder's key
holds the campaign, event, offset and the moment itself
(``campaign:42:deadline:-24h:20261120T2000Z``), so moving a date gives fresh
reminders while an edit of anything else leaves the queued ones (and the sent
ones) as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, select

from bot import limits
from bot.db.models import DEFAULT_REMINDER_OFFSETS, Campaign, Notification, Team
from bot.db.uow import UnitOfWork
from bot.domain.enums import NotificationStatus
from bot.domain.errors import N_, UserInputError
from bot.services.outbox import NoticeKind, cancel_pending, enqueue, team_targets

EVENTS: tuple[str, ...] = ("deadline", "start", "end", "summary")
MAX_OFFSET_MINUTES = 30 * 24 * 60
MAX_PER_EVENT = 6
SUMMARY_KEEP = timedelta(days=7)  # a summary sent late still makes sense for a week
EXAMPLE = "/reminders deadline=72h,24h,2h start=24h,1h,0 end=2h"
OFF_WORDS = frozenset({"off", "none", "no", "-"})
_DURATION = re.compile(r"^(\d{1,5})([dhm]?)$")
_UNIT_MINUTES = {"d": 24 * 60, "h": 60, "m": 1, "": 0}


@dataclass(frozen=True, slots=True)
class PlannedReminder:
    event: str
    offset: int  # minutes; negative = before the moment
    moment: datetime
    due_at: datetime
    expires_at: datetime
    base_key: str


def offset_label(minutes: int) -> str:
    """-1440 → '-24h', -90 → '-90m', 0 → '0', 4320 → '+72h'."""
    if minutes == 0:
        return "0"
    sign = "-" if minutes < 0 else "+"
    value = abs(minutes)
    return f"{sign}{value // 60}h" if value % 60 == 0 else f"{sign}{value}m"


def moment_stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%MZ")


def campaign_prefix(campaign_id: int) -> str:
    return f"campaign:{campaign_id}:"


def team_offsets(team: Team) -> dict[str, list[int]]:
    """The team's offsets, with the defaults for any event it has not set."""
    stored: Mapping[str, Any] = team.reminder_offsets or {}
    offsets: dict[str, list[int]] = {}
    for event in EVENTS:
        raw = stored.get(event, DEFAULT_REMINDER_OFFSETS[event])
        values = sorted({int(v) for v in raw if isinstance(v, int | float)})
        offsets[event] = values
    return offsets


def _expiry(event: str, offset: int, moment: datetime, campaign: Campaign) -> datetime:
    due = moment + timedelta(minutes=offset)
    if event == "deadline":
        return moment if offset < 0 else due + timedelta(hours=1)
    if event == "start":
        return campaign.starts_at if offset < 0 else campaign.ends_at
    if event == "end":
        return campaign.ends_at if offset < 0 else due + timedelta(days=1)
    return due + SUMMARY_KEEP


def plan_reminders(
    campaign: Campaign, offsets: Mapping[str, Sequence[int]]
) -> list[PlannedReminder]:
    """Every reminder the campaign's dates and the offsets give, in due order."""
    moments = {
        "deadline": campaign.registration_deadline,
        "start": campaign.starts_at,
        "end": campaign.ends_at,
        "summary": campaign.ends_at,
    }
    planned: list[PlannedReminder] = []
    for event in EVENTS:
        moment = moments[event]
        # a date outside the years the bot accepts (stored before the bounds existed,
        # year 9999) has nothing to remind of — and no room for an offset after it
        if moment is None or not limits.year_in_range(moment.year):
            continue
        for offset in offsets.get(event, ()):
            due = moment + timedelta(minutes=offset)
            expires = _expiry(event, offset, moment, campaign)
            if due >= expires:
                continue
            base = (
                f"{campaign_prefix(campaign.id)}{event}:{offset_label(offset)}:"
                f"{moment_stamp(moment)}"
            )
            planned.append(PlannedReminder(event, offset, moment, due, expires, base))
    planned.sort(key=lambda r: (r.due_at, r.base_key))
    return planned


async def schedule_campaign_notices(uow: UnitOfWork, campaign: Campaign, now: datetime) -> None:
    """(Re)generate the campaign's pending reminders from its dates and the team's offsets.

    A reminder already due (the campaign was created or moved late) is not created;
    one that is queued and overdue (the bot was down) is kept. Pending reminders that
    no longer fit (dates or offsets changed, the team linked a group since) are
    cancelled."""
    team = await uow.session.get(Team, campaign.team_id)
    if team is None:
        return
    await uow.flush()  # a campaign created in this transaction needs its id
    prefix = campaign_prefix(campaign.id)
    reminders_of_campaign = and_(
        Notification.key.like(f"{prefix}%"), Notification.kind == NoticeKind.REMINDER
    )
    queued = set(
        (
            await uow.session.scalars(
                select(Notification.key).where(
                    reminders_of_campaign, Notification.status == NotificationStatus.PENDING
                )
            )
        ).all()
    )
    targets = await team_targets(uow, team.id)
    kept: list[str] = []
    for reminder in plan_reminders(campaign, team_offsets(team)):
        if reminder.expires_at <= now:
            continue
        keys = [f"{reminder.base_key}:{t.suffix()}" for t in targets]
        if reminder.due_at < now and not queued.intersection(keys):
            continue
        kept += await enqueue(
            uow,
            base_key=reminder.base_key,
            team_id=team.id,
            kind=NoticeKind.REMINDER,
            payload={
                "campaign_id": campaign.id,
                "event": reminder.event,
                "offset": reminder.offset,
                "moment": reminder.moment.isoformat(),
            },
            due_at=reminder.due_at,
            expires_at=reminder.expires_at,
            now=now,
            targets=targets,
            revive=True,
        )
    await cancel_pending(uow, reminders_of_campaign, now, "campaign changed", keep=kept)


async def cancel_campaign_notices(uow: UnitOfWork, campaign_id: int, now: datetime) -> None:
    """Cancel the campaign's pending reminders and margin warnings (the campaign was
    deleted)."""
    await cancel_pending(
        uow, Notification.key.like(f"{campaign_prefix(campaign_id)}%"), now, "campaign deleted"
    )


async def reschedule_team(uow: UnitOfWork, team_id: int, now: datetime) -> int:
    """Regenerate the reminders of every campaign of the team that is not over."""
    campaigns = (
        await uow.session.scalars(
            select(Campaign).where(
                Campaign.team_id == team_id, Campaign.ends_at > now - SUMMARY_KEEP
            )
        )
    ).all()
    for campaign in campaigns:
        await schedule_campaign_notices(uow, campaign, now)
    return len(campaigns)


# -- /reminders ---------------------------------------------------------------------------


def parse_duration(text: str) -> int:
    """'72h' → 4320, '30m' → 30, '3d' → 4320, '0' → 0 (minutes)."""
    match = _DURATION.match(text.strip().lower())
    if match is None or (match.group(2) == "" and match.group(1).strip("0")):
        raise UserInputError(
            N_(
                "“{value}” is not a time: write hours like 24h, days like 3d or minutes "
                "like 30m.\nWrite it like <code>{example}</code>"
            ),
            value=text[:40],
            example=EXAMPLE,
        )
    minutes = int(match.group(1)) * _UNIT_MINUTES[match.group(2)]
    if minutes > MAX_OFFSET_MINUTES:
        raise UserInputError(
            N_("“{value}” is too far from the moment: at most 30 days."), value=text[:40]
        )
    return minutes


def parse_offsets(
    args: Sequence[str], current: Mapping[str, Sequence[int]]
) -> dict[str, list[int]]:
    """`deadline=72h,24h,2h start=24h,1h,0 end=2h summary=0` (any subset; `off` for none)
    → minutes per event: before the moment for deadline, start and end, after the end
    for summary."""
    offsets = {event: list(current.get(event, ())) for event in EVENTS}
    if not args:
        raise UserInputError(N_("Write the reminders like <code>{example}</code>"), example=EXAMPLE)
    for arg in args:
        key, sep, value = arg.partition("=")
        event = key.strip().lower()
        if not sep or event not in EVENTS:
            raise UserInputError(
                N_(
                    "“{value}” is not a reminder setting: use deadline, start, end or "
                    "summary.\nWrite it like <code>{example}</code>"
                ),
                value=arg[:40],
                example=EXAMPLE,
            )
        if value.strip().lower() in OFF_WORDS:
            offsets[event] = []
            continue
        parts = [p for p in value.split(",") if p.strip()]
        if not parts:
            raise UserInputError(
                N_("Give at least one time for {event}, or <code>{event}=off</code>."),
                event=event,
            )
        if len(parts) > MAX_PER_EVENT:
            raise UserInputError(
                N_("At most {n} reminders for {event}."), n=MAX_PER_EVENT, event=event
            )
        minutes = [parse_duration(p) for p in parts]
        sign = 1 if event == "summary" else -1
        offsets[event] = sorted({sign * m for m in minutes})
    return offsets


async def set_offsets(
    uow: UnitOfWork, team: Team, offsets: Mapping[str, Sequence[int]], now: datetime
) -> int:
    """Store the team's offsets and regenerate its campaigns' reminders (same
    transaction). Returns how many campaigns were rescheduled."""
    team.reminder_offsets = {event: list(offsets.get(event, ())) for event in EVENTS}
    await uow.flush()
    return await reschedule_team(uow, team.id, now)


@dataclass(frozen=True, slots=True)
class QueuedNotice:
    due_at: datetime
    kind: str
    event: str | None
    offset: int | None
    campaign_id: int | None
    campaign: str | None
    status: str
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class RemindersOverview:
    team: Team
    offsets: dict[str, list[int]]
    upcoming: list[QueuedNotice]
    missed: list[QueuedNotice]  # expired, failed or uncertain in the last week
    bound: bool  # notices go to a bound chat (else to members privately)


async def overview(
    uow: UnitOfWork, team: Team, now: datetime, *, limit: int = 15
) -> RemindersOverview:
    """What will be sent when (one line per notice, whatever its number of targets)."""
    upcoming = await _notices(
        uow,
        team.id,
        Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
        order_desc=False,
        limit=limit,
    )
    missed = await _notices(
        uow,
        team.id,
        and_(
            Notification.status.in_(
                [
                    NotificationStatus.EXPIRED,
                    NotificationStatus.FAILED,
                    NotificationStatus.UNCERTAIN,
                ]
            ),
            Notification.due_at >= now - timedelta(days=7),
        ),
        order_desc=True,
        limit=5,
    )
    targets = await team_targets(uow, team.id)
    bound = any(t.user_id is None for t in targets)
    return RemindersOverview(team, team_offsets(team), upcoming, missed, bound)


async def _notices(
    uow: UnitOfWork, team_id: int, condition: Any, *, order_desc: bool, limit: int
) -> list[QueuedNotice]:
    order = Notification.due_at.desc() if order_desc else Notification.due_at
    rows = (
        await uow.session.scalars(
            select(Notification)
            .where(Notification.team_id == team_id, condition)
            .order_by(order, Notification.id)
            .limit(limit * 10)
        )
    ).all()
    seen: set[str] = set()
    picked: list[Notification] = []
    for row in rows:
        base = str(row.payload.get("base") or row.key)
        if base in seen:
            continue
        seen.add(base)
        picked.append(row)
        if len(picked) >= limit:
            break
    campaign_ids = {
        int(r.payload["campaign_id"]) for r in picked if r.payload.get("campaign_id") is not None
    }
    names: dict[int, str] = {}
    if campaign_ids:
        names = dict(
            (
                await uow.session.execute(
                    select(Campaign.id, Campaign.name).where(Campaign.id.in_(campaign_ids))
                )
            ).all()
        )
    result = []
    for row in picked:
        campaign_id = row.payload.get("campaign_id")
        cid = int(campaign_id) if campaign_id is not None else None
        result.append(
            QueuedNotice(
                due_at=row.due_at,
                kind=row.kind,
                event=row.payload.get("event"),
                offset=row.payload.get("offset"),
                campaign_id=cid,
                campaign=names.get(cid) if cid is not None else row.payload.get("campaign"),
                status=row.status,
                last_error=row.last_error,
            )
        )
    return result
