"""Rendering a queued notice at send time, from the current data, for one reader.

Returns None when there is nothing to say any more (the campaign is gone or moved,
no problem remains for a digest): the dispatcher then records the row cancelled.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.db import models
from bot.db.uow import UnitOfWork
from bot.i18n import Translator
from bot.services import plan
from bot.services.claims import INTERRUPTED
from bot.services.margins import PROBLEMS, current_problems
from bot.services.notifications import Attachment, NoticeBody, is_late
from bot.services.outbox import NoticeKind
from bot.views import margin_files
from bot.views import notifications as views

log = logging.getLogger(__name__)


async def render_notice(
    uow: UnitOfWork, row: models.Notification, reader: Translator, now: datetime
) -> str | NoticeBody | None:
    kind = row.kind
    attachment: Attachment | None = None
    if kind == NoticeKind.REMINDER:
        text = await _reminder(uow, row, reader, now)
    elif kind == NoticeKind.MARGIN:
        text, attachment = _margin(row, reader)
    elif kind == NoticeKind.DIGEST:
        text = await _digest(uow, row, reader, now)
    elif kind == NoticeKind.CHAT_GONE:
        text = views.chat_gone(reader, row.payload)
    else:
        log.warning("notice %s has an unknown kind %r", row.key, kind)
        return None
    if text is None:
        return None
    notes = []
    if row.last_error == INTERRUPTED:
        notes.append(views.repeat_note(reader))
    if is_late(row.due_at, now):
        notes.append(views.late_note(reader, row.due_at))
    if notes:
        text = "\n\n".join([text, *notes])
    return text if attachment is None else NoticeBody(text, attachment)


def _margin(row: models.Notification, reader: Translator) -> tuple[str | None, Attachment | None]:
    """One campaign's margin notice; with the file of every SKU when the text lists fewer
    (None: it names no SKU, there is nothing to say)."""
    text, shown, total = views.margin_notice(reader, row.payload)
    if not total:
        return None, None
    if shown >= total:
        return text, None
    stamp = row.due_at.strftime("%Y%m%d-%H%M")
    return text, Attachment(
        filename=margin_files.margin_filename(row.payload, stamp),
        caption=views.margin_file_caption(reader, row.payload),
        build=margin_files.margin_csv,
        args=(dict(row.payload), reader.locale, reader.timezone),
        heavy=total >= margin_files.HEAVY_ROWS,
    )


def _moment(campaign: models.Campaign, event: str) -> datetime | None:
    if event == "deadline":
        return campaign.registration_deadline
    if event == "start":
        return campaign.starts_at
    return campaign.ends_at


async def _reminder(
    uow: UnitOfWork, row: models.Notification, reader: Translator, now: datetime
) -> str | None:
    payload = row.payload
    campaign = await uow.session.get(models.Campaign, int(payload["campaign_id"]))
    if campaign is None:
        return None
    event = str(payload["event"])
    moment = _moment(campaign, event)
    if moment is None or moment != datetime.fromisoformat(str(payload["moment"])):
        return None  # the date moved: the regenerated reminder speaks for it
    channel = await uow.session.get(models.Channel, campaign.channel_id)
    data = views.ReminderData(
        campaign_id=campaign.id,
        name=campaign.name,
        channel=channel.name if channel is not None else "",
        event=event,
        offset=int(payload.get("offset", 0)),
        moment=moment,
        market_zone=campaign.timezone,
        starts_at=campaign.starts_at,
        ends_at=campaign.ends_at,
    )
    if event != "summary":
        return views.reminder(reader, data, now)
    team = await uow.session.get(models.Team, campaign.team_id)
    if team is None:
        return None
    pricing = await plan.campaign_pricing(uow, team, campaign)
    enrolled = await plan.enrolled_items(uow, campaign)
    found = await plan.listings(uow, campaign, [sku.id for sku, _ in enrolled])
    rows = await plan.price_many(
        pricing, [plan.PlanItem(sku, found.get(sku.id), choice) for sku, choice in enrolled]
    )
    lines = [
        views.SkuLine(
            r.code,
            pricing.currency,
            r.planned_price,
            r.customer_floor or r.floor,
            r.margin,
            r.status in PROBLEMS,
        )
        for r in rows
    ]
    return views.summary(reader, data, lines)


async def _digest(
    uow: UnitOfWork, row: models.Notification, reader: Translator, now: datetime
) -> str | None:
    if row.team_id is None:
        return None
    team = await uow.session.get(models.Team, row.team_id)
    if team is None:
        return None
    problems = await current_problems(uow, team.id, now)
    if not problems:
        return None
    lines = [
        views.DigestLine(
            p.campaign_id,
            p.campaign,
            views.SkuLine(
                p.row.code,
                p.currency,
                p.row.planned_price,
                p.row.customer_floor or p.row.floor,
                p.row.margin,
                True,
            ),
        )
        for p in problems
    ]
    return views.digest(reader, team.name, lines)
