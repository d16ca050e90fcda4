"""Texts of the notices the dispatcher sends, in the reader's language and time zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_timedelta

from bot.i18n import Translator
from bot.limits import shorten
from bot.services.rate_sources import sources_from_json
from bot.views import rates
from bot.views.common import h

MAX_LINES = 20  # SKUs listed in a summary, digest or margin notice before "… and N more"
TEXT_BUDGET = 3800  # a notice's text stays under Telegram's 4,096 characters


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


def fraction(value: Decimal | str | None) -> Decimal | None:
    """A fraction from a notice's payload (stored as text); shown with `Translator.percent`."""
    return None if value is None else Decimal(value)


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
                margin=_.margin(fraction(line.margin)),
            )
        )
    if len(lines) > MAX_LINES:
        parts.append(_("… and {n} more.", n=len(lines) - MAX_LINES))
    parts += ["", _("Details: /campaign {id}", id=data.campaign_id)]
    return "\n".join(parts)


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        found = Decimal(str(value))
    except ArithmeticError:
        return None
    return found if found.is_finite() and found > 0 else None


def _fx_moved(_: Translator, cause: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """'FX moved from 1 USD = 7.23956 CNY (ECB reference rate of Nov 9, 2026) to 6.64641 CNY
    (ECB reference rate of Nov 10, 2026); 1 CNY = 0.13813 → 0.150457 USD' — in the
    direction the seller quotes, the other one after it, each rate with its source."""
    currency = str(payload.get("currency") or "")
    pair = cause.get("pair") or [payload.get("cost_currency") or currency, currency]
    old, new = _decimal(cause.get("from")), _decimal(cause.get("to"))
    if old is None or new is None:
        return ""
    old_q = rates.seller_direction(
        str(pair[0]), str(pair[1]), old, _decimal(cause.get("from_inverse"))
    )
    new_q = rates.seller_direction(
        str(pair[0]), str(pair[1]), new, _decimal(cause.get("to_inverse"))
    )
    if (old_q.base, old_q.quote) != (new_q.base, new_q.quote):  # the rate crossed 1: one way
        old_q = rates.Quoted(new_q.base, new_q.quote, old_q.other, old_q.rate)
    values = {
        "base": h(new_q.base),
        "quote": h(new_q.quote),
        "old": rates.rate_number(_, old_q.rate),
        "new": rates.rate_number(_, new_q.rate),
    }
    new_source = rates.sources_label(_, sources_from_json(cause.get("to_source")))
    old_source = rates.sources_label(_, sources_from_json(cause.get("from_source")))
    if new_source and old_source:
        text = _(
            "FX moved from 1 {base} = {old} {quote} ({old_source}) to {new} {quote} ({new_source})",
            old_source=old_source,
            new_source=new_source,
            **values,
        )
    else:
        text = _("FX moved from 1 {base} = {old} {quote} to {new} {quote}", **values)
        if new_source:
            text += f" ({new_source})"
    other = (
        f"1 {h(new_q.quote)} = {rates.rate_number(_, old_q.other)} → "
        f"{rates.rate_number(_, new_q.other)} {h(new_q.base)}"
    )
    return f"{text}; {other}"


def _fx_arrived(_: Translator, cause: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    currency = str(payload.get("currency") or "")
    pair = cause.get("pair") or [payload.get("cost_currency") or currency, currency]
    new = _decimal(cause.get("to"))
    if new is None:
        return ""
    quoted = rates.seller_direction(
        str(pair[0]), str(pair[1]), new, _decimal(cause.get("to_inverse"))
    )
    rate = rates.quoted_text(_, quoted)
    source = rates.sources_label(_, sources_from_json(cause.get("to_source")))
    if source:
        return _(
            "the exchange rate it was planned without is now known: {rate}, {source}",
            rate=rate,
            source=source,
        )
    return _("the exchange rate it was planned without is now known: {rate}", rate=rate)


def cause_text(_: Translator, cause: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    """One cause in the reader's words ("" for one this version does not know)."""
    kind = cause.get("kind")
    old, new = cause.get("from"), cause.get("to")
    currency = str(cause.get("currency") or payload.get("currency") or "")
    cost_currency = str(cause.get("currency") or payload.get("cost_currency") or currency)
    if kind == "fx":
        return _fx_moved(_, cause, payload)
    if kind == "fx_arrived":
        return _fx_arrived(_, cause, payload)
    if kind == "cost":
        return _(
            "unit costs changed from {old} to {new}",
            old=money(_, old, cost_currency),
            new=money(_, new, cost_currency),
        )
    if kind == "duty":
        return _(
            "duty changed from {old} to {new}",
            old=_.percent(fraction(old)),
            new=_.percent(fraction(new)),
        )
    if kind == "fees":
        return _(
            "channel fees changed from {old} to {new}",
            old=_.percent(fraction(old)),
            new=_.percent(fraction(new)),
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
            "target margin changed from {old} to {new}",
            old=_.percent(fraction(old)),
            new=_.percent(fraction(new)),
        )
    if kind == "buffer":
        return _(
            "FX buffer changed from {old} to {new}",
            old=_.percent(fraction(old)),
            new=_.percent(fraction(new)),
        )
    if kind == "subsidy":
        return _("the platform subsidy changed")
    if kind == "grid":
        return _("the channel's price grid changed")
    return ""


# -- margin warnings: one notice per campaign and cause, naming every SKU ------------------------


def margin_payload(payload: Mapping[str, Any]) -> dict[str, Any]:
    """The grouped form (``skus``, ``causes``, ``shared``) of a margin notice's payload; a
    row queued before grouping (one SKU at the top level) is read as a group of one."""
    if isinstance(payload.get("skus"), list):
        return dict(payload)
    found = payload.get("causes")
    listed = [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []
    return {
        **payload,
        "causes": listed,
        "shared": list(range(len(listed))),
        "skus": [
            {
                "sku": payload.get("sku") or "",
                "name": payload.get("sku_name") or "",
                "below": bool(payload.get("below")),
                "status": payload.get("status"),
                "planned": payload.get("planned"),
                "floor": payload.get("floor"),
                "margin": payload.get("margin"),
                "causes": [],
            }
        ],
    }


def _entries(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [e for e in data.get("skus") or [] if isinstance(e, Mapping)]


class CauseTexts:
    """The causes of a grouped notice in one reader's words, each worded once however
    many SKUs share it (a notice may name thousands)."""

    def __init__(self, _: Translator, data: Mapping[str, Any]) -> None:
        self._ = _
        self.data = data
        found = data.get("causes")
        self.causes = (
            [c for c in found if isinstance(c, Mapping)] if isinstance(found, list) else []
        )
        self._words: dict[int, str] = {}
        self.shared = self.texts(data.get("shared"))

    def texts(self, indices: object) -> list[str]:
        if not isinstance(indices, list):
            return []
        found = []
        for index in indices:
            if not isinstance(index, int) or not 0 <= index < len(self.causes):
                continue
            if index not in self._words:
                self._words[index] = cause_text(self._, self.causes[index], self.data)
            if self._words[index]:
                found.append(self._words[index])
        return found

    def of(self, entry: Mapping[str, Any], *, shared: bool) -> list[str]:
        """One SKU's causes: its own, after the shared ones if asked."""
        own = self.texts(entry.get("causes"))
        return [*self.shared, *own] if shared else own


def _values(data: Mapping[str, Any], entry: Mapping[str, Any], _: Translator) -> dict[str, str]:
    currency = str(data.get("currency") or "")
    return {
        "sku": h(entry.get("sku") or ""),
        "campaign": h(data.get("campaign") or ""),
        "price": money(_, entry.get("planned"), currency),
        "floor": money(_, entry.get("floor"), currency),
        "margin": _.margin(fraction(entry.get("margin"))),
        "target": _.percent(fraction(data.get("target"))),
    }


def _single(_: Translator, data: Mapping[str, Any], entry: Mapping[str, Any]) -> str:
    """One SKU: the headline names it, the prices and the cause follow."""
    values = _values(data, entry, _)
    if entry.get("below"):
        lines = [_("⚠️ <b>{sku}</b> in <b>{campaign}</b> is now planned under its floor.", **values)]
        status = entry.get("status")
        if status == "no_price":
            lines.append(
                _(
                    "Fees plus the target margin reach {limit}: no price keeps the margin now.",
                    limit=_.percent(Decimal(1)),
                )
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
    found = CauseTexts(_, data).of(entry, shared=True)
    if found:
        lines.append(_("Cause: {causes}.", causes="; ".join(found)))
    lines += ["", _("Plan: /plan {id}", id=data.get("campaign_id"))]
    return "\n".join(lines)


def _sku_line(
    _: Translator, data: Mapping[str, Any], entry: Mapping[str, Any], causes: CauseTexts
) -> str:
    values = _values(data, entry, _)
    line = _(
        "<b>{sku}</b>: planned {price}, lowest safe {floor}, margin {margin}",
        sku=values["sku"],
        price=values["price"],
        floor=values["floor"],
        margin=values["margin"],
    )
    notes = []
    status = entry.get("status")
    if entry.get("below") and status == "no_price":
        notes.append(_("no price keeps the margin"))
    elif entry.get("below") and status == "cannot_reach_min_depth":
        notes.append(_("the minimum discount takes it under the floor"))
    notes += causes.of(entry, shared=False)
    if notes:
        line += " — " + "; ".join(notes)
    return ("⚠️ " if entry.get("below") else "✅ ") + line


def _grouped(_: Translator, data: Mapping[str, Any], limit: int) -> tuple[str, int]:
    """Several SKUs: who went under, who came back, at most `limit` lines in all; returns
    the text and how many SKUs it names."""
    entries = _entries(data)
    under = [e for e in entries if e.get("below")]
    back = [e for e in entries if not e.get("below")]
    campaign = h(data.get("campaign") or "")
    causes = CauseTexts(_, data)
    lines: list[str] = []
    shown = 0
    room = limit
    for group, below in ((under, True), (back, False)):
        if not group:
            continue
        if lines:
            lines.append("")
        if below:
            lines.append(
                _.ngettext(
                    "⚠️ {n} SKU in <b>{campaign}</b> is now planned under its floor:",
                    "⚠️ {n} SKUs in <b>{campaign}</b> are now planned under their floor:",
                    len(group),
                    campaign=campaign,
                )
            )
        else:
            lines.append(
                _.ngettext(
                    "✅ {n} SKU in <b>{campaign}</b> is back above its floor:",
                    "✅ {n} SKUs in <b>{campaign}</b> are back above their floor:",
                    len(group),
                    campaign=campaign,
                )
            )
        listed = group[: max(room, 0)]
        lines += [_sku_line(_, data, entry, causes) for entry in listed]
        shown += len(listed)
        room -= len(listed)
        if len(group) > len(listed):
            lines.append(
                _(
                    "… and {n} more — the attached file lists them all.",
                    n=_.number(len(group) - len(listed)),
                )
            )
    lines.append(_("Target margin: {target}.", target=_.percent(fraction(data.get("target")))))
    found = causes.shared
    if found:
        lines.append(_("Cause: {causes}.", causes="; ".join(found)))
    lines += ["", _("Plan: /plan {id}", id=data.get("campaign_id"))]
    return "\n".join(lines), shown


def margin_notice(_: Translator, payload: Mapping[str, Any]) -> tuple[str, int, int]:
    """The text of a margin notice, how many SKUs it names and how many there are (when
    fewer are named, the dispatcher attaches the file of `margin_files`)."""
    data = margin_payload(payload)
    entries = _entries(data)
    if len(entries) == 1:
        return _single(_, data, entries[0]), 1, 1
    limit = MAX_LINES
    while True:
        text, shown = _grouped(_, data, limit)
        if len(text) <= TEXT_BUDGET or limit <= 1:
            return text, shown, len(entries)
        limit = max(1, min(limit - 1, limit * TEXT_BUDGET // len(text)))


def margin_change(_: Translator, payload: Mapping[str, Any]) -> str:
    return margin_notice(_, payload)[0]


def margin_file_caption(_: Translator, payload: Mapping[str, Any]) -> str:
    data = margin_payload(payload)
    return _.ngettext(
        "All {n} SKU of this notice about <b>{campaign}</b>, with prices and causes.",
        "All {n} SKUs of this notice about <b>{campaign}</b>, with prices and causes.",
        len(_entries(data)),
        campaign=h(shorten(str(data.get("campaign") or ""))),
    )


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
                margin=_.margin(fraction(line.margin)),
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
