"""Texts of the notices the dispatcher sends, in the reader's language and time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_timedelta

from bot.i18n import Translator
from bot.limits import shorten
from bot.views.common import h

MAX_LINES = 20  # SKUs listed in a summary or digest before "… and N more"


@dataclass(frozen=True, slots=True)
class ReminderData:
    campaign_id: int
    name: str
    channel: str
    event: str  # deadline | start | end | summary
    offset: int
    moment: datetime
    market_zone: str  # the zone the campaign's dates were given in
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True, slots=True)
class SkuLine:
    code: str
    currency: str
    planned: Decimal | None
    floor: Decimal | None
    margin: Decimal | None
    problem: bool


def when(_: Translator, moment: datetime, market_zone: str | None = None) -> str:
    """The moment in the reader's zone, and in the market's when that differs."""
    text = _.datetime(moment)
    if market_zone and market_zone != _.timezone:
        text += f" ({_.datetime(moment, market_zone)})"
    return text


def duration(_: Translator, moment: datetime, now: datetime) -> str:
    """'3 days', '24 hours', '2 hours' in the reader's language."""
    delta = max(moment - now, timedelta(0))
    # threshold 2: "24 hours", "23 hours", "3 days" (a unit is used from two of it)
    return format_timedelta(delta, threshold=2, locale=_.locale)


def money(_: Translator, amount: Decimal | str | None, currency: str) -> str:
    if amount is None:
        return "—"
    return _.money(Decimal(amount), currency)


def percent(_: Translator, fraction: Decimal | str | None) -> str:
    if fraction is None:
        return "—"
    return _.percent(Decimal(fraction), 1)


def reminder(_: Translator, data: ReminderData, now: datetime) -> str:
    name = h(data.name)
    channel = h(data.channel)
    at = when(_, data.moment, data.market_zone)
    if data.event == "deadline":
        if data.moment > now:
            head = _(
                "⏰ Registration for <b>{campaign}</b> ({channel}) closes in {left}.",
                campaign=name,
                channel=channel,
                left=duration(_, data.moment, now),
            )
        else:
            head = _(
                "⏰ Registration for <b>{campaign}</b> ({channel}) has closed.",
                campaign=name,
                channel=channel,
            )
        body = _("Deadline: {when}", when=at)
    elif data.event == "start" and data.moment > now:
        head = _(
            "🚀 <b>{campaign}</b> ({channel}) starts in {left}.",
            campaign=name,
            channel=channel,
            left=duration(_, data.moment, now),
        )
        body = _("Start: {when}", when=at)
    elif data.event == "start":
        head = _("🚀 <b>{campaign}</b> ({channel}) has started.", campaign=name, channel=channel)
        body = _("It ends {when}.", when=when(_, data.ends_at, data.market_zone))
    elif data.moment > now:
        head = _(
            "⏳ <b>{campaign}</b> ({channel}) ends in {left}.",
            campaign=name,
            channel=channel,
            left=duration(_, data.moment, now),
        )
        body = _("End: {when}", when=at)
    else:
        head = _("⏳ <b>{campaign}</b> ({channel}) has ended.", campaign=name, channel=channel)
        body = _("End: {when}", when=at)
    footer = _("Details: /campaign {id}", id=data.campaign_id)
    return f"{head}\n{body}\n\n{footer}"


def summary(_: Translator, data: ReminderData, lines: Sequence[SkuLine]) -> str:
    head = _(
        "🏁 <b>{campaign}</b> ({channel}) has ended ({when}).",
        campaign=h(data.name),
        channel=h(data.channel),
        when=when(_, data.ends_at, data.market_zone),
    )
    if not lines:
        return head + "\n" + _("No SKUs were enrolled.")
    parts = [head, _.ngettext("{n} SKU was enrolled:", "{n} SKUs were enrolled:", len(lines))]
    for line in lines[:MAX_LINES]:
        mark = "⚠️ " if line.problem else "• "
        parts.append(
            mark
            + _(
                "<b>{sku}</b>: planned {price}, margin {margin}",
                sku=h(line.code),
                price=money(_, line.planned, line.currency),
                margin=percent(_, line.margin),
            )
        )
    if len(lines) > MAX_LINES:
        parts.append(_("… and {n} more.", n=len(lines) - MAX_LINES))
    parts += ["", _("Details: /campaign {id}", id=data.campaign_id)]
    return "\n".join(parts)


def _rate(value: Decimal) -> Decimal:
    """Six significant digits: 0.150457, 7.62470 → 7.6247."""
    if not value:
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - 5)).normalize()


def _cause(_: Translator, cause: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    kind = cause.get("kind")
    old, new = cause.get("from"), cause.get("to")
    currency = str(payload.get("currency") or "")
    cost_currency = str(payload.get("cost_currency") or currency)
    if kind == "fx":
        pair = cause.get("pair") or [cost_currency, currency]
        text = _(
            "FX moved from 1 {base} = {old} {quote} to {new} {quote}",
            base=h(pair[0]),
            quote=h(pair[1]),
            old=_.number(_rate(Decimal(str(old)))),
            new=_.number(_rate(Decimal(str(new)))),
        )
        if cause.get("date"):
            text += " " + _("(ECB, {date})", date=_.date(date.fromisoformat(str(cause["date"]))))
        return text
    if kind == "cost":
        return _(
            "unit costs changed from {old} to {new}",
            old=money(_, old, cost_currency),
            new=money(_, new, cost_currency),
        )
    if kind == "duty":
        return _("duty changed from {old} to {new}", old=percent(_, old), new=percent(_, new))
    if kind == "fees":
        return _(
            "channel fees changed from {old} to {new}", old=percent(_, old), new=percent(_, new)
        )
    if kind == "fees_fixed":
        return _(
            "fixed channel fees changed from {old} to {new}",
            old=money(_, old, currency),
            new=money(_, new, currency),
        )
    if kind == "list_price":
        return _(
            "list price changed from {old} to {new}",
            old=money(_, old, currency),
            new=money(_, new, currency),
        )
    if kind == "planned":
        return _(
            "planned price changed from {old} to {new}",
            old=money(_, old, currency),
            new=money(_, new, currency),
        )
    if kind == "target":
        return _(
            "target margin changed from {old} to {new}", old=percent(_, old), new=percent(_, new)
        )
    if kind == "buffer":
        return _("FX buffer changed from {old} to {new}", old=percent(_, old), new=percent(_, new))
    if kind == "subsidy":
        return _("the platform subsidy changed")
    if kind == "grid":
        return _("the channel's price grid changed")
    return ""


def margin_change(_: Translator, payload: Mapping[str, Any]) -> str:
    currency = str(payload.get("currency") or "")
    values = {
        "sku": h(payload.get("sku") or ""),
        "campaign": h(payload.get("campaign") or ""),
        "price": money(_, payload.get("planned"), currency),
        "floor": money(_, payload.get("floor"), currency),
        "margin": percent(_, payload.get("margin")),
        "target": percent(_, payload.get("target")),
    }
    if payload.get("below"):
        lines = [_("⚠️ <b>{sku}</b> in <b>{campaign}</b> is now planned under its floor.", **values)]
        status = payload.get("status")
        if status == "no_price":
            lines.append(
                _("Fees plus the target margin reach 100 %: no price keeps the margin now.")
            )
        else:
            if status == "cannot_reach_min_depth":
                lines.append(_("The campaign's minimum discount now takes it under the floor."))
            elif status == "no_grid_price":
                lines.append(
                    _(
                        "No price on the channel's price grid lies between its lowest safe "
                        "price and the price the minimum discount allows."
                    )
                )
            lines.append(
                _(
                    "Planned price {price}, lowest safe price {floor}; margin {margin} "
                    "(target {target}).",
                    **values,
                )
            )
    else:
        lines = [
            _("✅ <b>{sku}</b> in <b>{campaign}</b> is back above its floor.", **values),
            _(
                "Planned price {price}, lowest safe price {floor}; margin {margin} "
                "(target {target}).",
                **values,
            ),
        ]
    found = [c for c in (_cause(_, cause, payload) for cause in payload.get("causes") or []) if c]
    if found:
        lines.append(_("Cause: {causes}.", causes="; ".join(found)))
    lines += ["", _("Plan: /plan {id}", id=payload.get("campaign_id"))]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class DigestLine:
    campaign_id: int
    campaign: str
    line: SkuLine


def digest(_: Translator, team: str, lines: Sequence[DigestLine]) -> str:
    parts = [
        _("📋 <b>Daily margin check</b> — {team}", team=h(team)),
        _.ngettext(
            "{n} planned SKU is under its floor:",
            "{n} planned SKUs are under their floor:",
            len(lines),
        ),
    ]
    for item in lines[:MAX_LINES]:
        line = item.line
        parts.append(
            "⚠️ "
            + _(
                "<b>{sku}</b> in {campaign}: planned {price}, lowest safe {floor}, margin {margin}",
                sku=h(line.code),
                campaign=h(shorten(item.campaign)),
                price=money(_, line.planned, line.currency),
                floor=money(_, line.floor, line.currency),
                margin=percent(_, line.margin),
            )
        )
    if len(lines) > MAX_LINES:
        parts.append(_("… and {n} more.", n=len(lines) - MAX_LINES))
    campaigns = sorted({item.campaign_id for item in lines})
    parts += ["", _("Plans: {commands}", commands=", ".join(f"/plan {c}" for c in campaigns))]
    return "\n".join(parts)


def chat_gone(_: Translator, payload: Mapping[str, Any]) -> str:
    return _(
        "ℹ️ I can no longer post in {title}, so the notices of <b>{team}</b> now go to its "
        "members' private chats. Run /link in a group to choose a new one.",
        title=h(payload.get("title") or "?"),
        team=h(payload.get("team") or ""),
    )


def late_note(_: Translator, due_at: datetime) -> str:
    return _("<i>Sent late: this was due {when}; I was offline.</i>", when=_.datetime(due_at))


def repeat_note(_: Translator) -> str:
    return _(
        "<i>If you already got this message, ignore this copy: I restarted while sending it.</i>"
    )
