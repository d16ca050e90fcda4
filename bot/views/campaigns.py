"""Campaign screens: list, card, creation flow, edit, delete, reminders.

Also the one place for what the campaign features share: the callback actions of every
campaign screen (one table, so the short codes stay unique) and the formatting helpers
used by bot/views/enrolment.py, bot/views/vouchers.py, plan.py and exports.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_time
from telegram import InlineKeyboardMarkup

from bot.db import models
from bot.domain.campaigns import Bound, SubsidySpec, local_example
from bot.domain.enums import ReferenceRule, Role, SubsidyKind
from bot.domain.errors import N_
from bot.domain.permissions import Action, is_allowed
from bot.i18n import Translator
from bot.limits import shorten
from bot.pricing import currency_digits
from bot.services.campaigns import (
    DEADLINE_PASSED,
    CampaignCard,
    CampaignSummary,
    CampaignValues,
    EditResult,
    Phase,
)
from bot.services.plan import PlanStatus, PriceMode
from bot.views.callbacks import encode, stamp
from bot.views.common import Button, Rendered, chunk, h, keyboard

# callback actions (short: callback data is at most 64 bytes)
CARD = "cpc"  # id
PLAN = "cpp"  # id
PICK = "cpk"  # id, page, mode, stamp
TOGGLE = "cpt"  # id, sku id, page, mode, stamp
ENROL_ALL = "cpa"  # id, mode, stamp
UNDER_FLOOR = "cpu"  # pending id, y|n: enrol under the floor anyway, or leave out
VOUCHERS = "cpv"  # id, stamp
SAVE_VOUCHER = "cpw"  # id, threshold, value, share, cap|-, stamp
REMINDERS = "cpr"  # id
EXPORT = "cpx"  # id
# buttons that change or delete a campaign carry its stamp last (bot/views/callbacks.py)
EDIT = "cpe"  # id, stamp
EDIT_FIELD = "cpf"  # id, field, stamp
EDIT_VALUE = "cpg"  # id, field, value, stamp
EDIT_CONFIRM = "cpq"  # id, y|n, stamp: save an edit that sets a past deadline
DELETE = "cpd"  # id, stamp
DELETE_YES = "cpy"  # id, stamp
NEW = "ncf"  # step, choice
SHARE_CHOICES = ("20", "30", "50", "100")  # the subsidy share buttons, in percent
_EXAMPLE_AMOUNT = Decimal("2.5")
NO_MODE = "-"  # the picker has not been told how to price yet

STATUS_LABELS: dict[PlanStatus, str] = {
    PlanStatus.OK: N_("ok"),
    PlanStatus.MISSES_MIN_DISCOUNT: N_("misses the minimum discount"),
    PlanStatus.CANNOT_REACH_MIN_DEPTH: N_("cannot reach the minimum discount"),
    PlanStatus.NO_GRID_PRICE: N_("no price on the price grid fits"),
    PlanStatus.BELOW_FLOOR: N_("below floor"),
    PlanStatus.NO_LIST_PRICE: N_("no list price"),
    PlanStatus.NO_FX_RATE: N_("no FX rate"),
    PlanStatus.NO_PRICE: N_("no price reaches the margin"),
}
STATUS_ICONS: dict[PlanStatus, str] = {
    PlanStatus.OK: "✅",
    PlanStatus.MISSES_MIN_DISCOUNT: "⚠️",
    PlanStatus.CANNOT_REACH_MIN_DEPTH: "⚠️",
    PlanStatus.NO_GRID_PRICE: "⚠️",
    PlanStatus.BELOW_FLOOR: "⛔",
    PlanStatus.NO_LIST_PRICE: "❔",
    PlanStatus.NO_FX_RATE: "❔",
    PlanStatus.NO_PRICE: "⛔",
}
MODE_LABELS: dict[PriceMode, str] = {
    PriceMode.SUGGESTED: N_("minimum discount"),
    PriceMode.MAX: N_("deepest safe discount"),
    PriceMode.PRICE: N_("fixed price"),
    PriceMode.DISCOUNT: N_("fixed discount"),
}
PHASE_LABELS: dict[Phase, str] = {
    Phase.UPCOMING: N_("Upcoming"),
    Phase.RUNNING: N_("Running"),
    Phase.ENDED: N_("Ended"),
}
# the fields the edit screen offers, with the label of each
EDIT_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", N_("Name")),
    ("deadline", N_("Registration deadline")),
    ("start", N_("Start")),
    ("end", N_("End")),
    ("min_discount", N_("Minimum discount")),
    ("ref", N_("Reference price")),
    ("subsidy", N_("Subsidy")),
    ("margin", N_("Target margin")),
)
LISTED_SHOWN = 20  # running or upcoming campaigns listed by /campaigns (a message has 4096 chars)
ENDED_SHOWN = 5


# -- formatting helpers --------------------------------------------------------------------


def when(_: Translator, moment: datetime, market_zone: str) -> str:
    """A moment in the reader's zone, with the market's beside it when they differ."""
    mine = _.datetime(moment)
    if market_zone == _.timezone:
        return mine
    return _("{reader} ({market})", reader=mine, market=_.datetime(moment, market_zone))


def rule_text(_: Translator, rule: str) -> str:
    if rule == ReferenceRule.LOWEST_30D:
        return _("the lowest price of the 30 days before the start")
    return _("the list price")


def subsidy_text(_: Translator, spec: SubsidySpec, currency: str) -> str:
    if spec.kind is SubsidyKind.FIXED and spec.value is not None:
        return _("the platform pays {amount} per unit", amount=_.money(spec.value, currency))
    if spec.kind is SubsidyKind.SHARE and spec.value is not None:
        if spec.cap is None:
            return _("the platform pays {share} of the discount", share=_.percent(spec.value))
        return _(
            "the platform pays {share} of the discount, at most {cap} per unit",
            share=_.percent(spec.value),
            cap=_.money(spec.cap, currency),
        )
    return _("none")


def campaign_subsidy(campaign: models.Campaign) -> SubsidySpec:
    return SubsidySpec(
        SubsidyKind(campaign.subsidy_kind), campaign.subsidy_value, campaign.subsidy_cap
    )


def rules_lines(
    _: Translator,
    campaign: models.Campaign,
    currency: str,
    target_margin: Decimal,
    overridden: bool,
) -> list[str]:
    lines = []
    if campaign.min_discount:
        lines.append(
            _(
                "Minimum discount: {discount} off {reference}",
                discount=_.percent(campaign.min_discount),
                reference=rule_text(_, campaign.reference_rule),
            )
        )
    else:
        lines.append(
            _(
                "Minimum discount: none (discounts are measured from {reference})",
                reference=rule_text(_, campaign.reference_rule),
            )
        )
    lines.append(
        _("Subsidy: {subsidy}", subsidy=subsidy_text(_, campaign_subsidy(campaign), currency))
    )
    margin = _.percent(target_margin)
    lines.append(
        _("Target margin: {margin} (this campaign)", margin=margin)
        if overridden
        else _("Target margin: {margin} (the team's)", margin=margin)
    )
    return lines


def date_lines(_: Translator, campaign: models.Campaign) -> list[str]:
    zone = campaign.timezone
    lines = []
    if campaign.registration_deadline is not None:
        lines.append(
            _("Registration deadline: {when}", when=when(_, campaign.registration_deadline, zone))
        )
    lines.append(_("Starts: {when}", when=when(_, campaign.starts_at, zone)))
    lines.append(_("Ends: {when}", when=when(_, campaign.ends_at, zone)))
    return lines


def status_label(_: Translator, status: PlanStatus) -> str:
    return _(STATUS_LABELS[status])


def status_counts(_: Translator, counts: dict[PlanStatus, int]) -> str:
    parts = [
        f"{STATUS_ICONS[status]} {status_label(_, status)}: {counts[status]}"
        for status in PlanStatus
        if counts.get(status)
    ]
    return " · ".join(parts)


# -- list and card -------------------------------------------------------------------------


def campaign_list(_: Translator, summaries: Sequence[CampaignSummary]) -> Rendered:
    if not summaries:
        return (
            _(
                "No campaigns yet. Create one with /newcampaign, or start from a shopping "
                "festival with /calendar."
            ),
            None,
        )
    lines = [_("<b>Campaigns</b>")]
    buttons: list[Button] = []
    example: int | None = None  # the hint names a campaign the reader can open
    for phase in (Phase.RUNNING, Phase.UPCOMING, Phase.ENDED):
        group = [s for s in summaries if s.phase is phase]
        hidden = 0
        if phase is Phase.ENDED:
            group = group[-ENDED_SHOWN:]  # the latest ones
        elif len(group) > LISTED_SHOWN:
            hidden, group = len(group) - LISTED_SHOWN, group[:LISTED_SHOWN]
        if not group:
            continue
        lines.append("")
        lines.append(f"<b>{h(_(PHASE_LABELS[phase]))}</b>")
        for summary in group:
            campaign = summary.campaign
            example = campaign.id if example is None else example
            lines.append(
                _(
                    "#{id} {name} · {channel} · {start} → {end} · {enrolled}",
                    id=campaign.id,
                    name=h(shorten(campaign.name)),
                    channel=h(summary.channel_name),
                    start=_.date(_local_day(campaign.starts_at, campaign)),
                    end=_.date(_local_day(campaign.ends_at, campaign)),
                    enrolled=_.ngettext("{n} SKU", "{n} SKUs", summary.enrolled),
                )
            )
            if phase is not Phase.ENDED:
                label = shorten(f"#{campaign.id} {campaign.name}")
                buttons.append((label, encode(CARD, campaign.id)))
        if hidden:
            lines.append(_("… and {n} more", n=hidden))
    lines.append("")
    lines.append(
        _(
            "Open one with <code>/campaign {id}</code> (its number).",
            id=example if example is not None else summaries[0].campaign.id,
        )
    )
    return "\n".join(lines), keyboard(chunk(buttons[:12], 2)) if buttons else None


def _zone(campaign: models.Campaign) -> ZoneInfo:
    return ZoneInfo(campaign.timezone)


def _local_day(moment: datetime, campaign: models.Campaign) -> date:
    """The campaign's day in its zone (the UTC day for a moment the zone cannot hold:
    year 9999, stored before the bounds existed)."""
    try:
        return moment.astimezone(_zone(campaign)).date()
    except (OverflowError, ValueError):
        return moment.date()


def campaign_card(
    _: Translator, card: CampaignCard, *, role: Role, header: str | None = None
) -> Rendered:
    campaign, channel = card.campaign, card.channel
    lines = []
    if header:
        lines += [header, ""]
    lines.append(
        _(
            "<b>{name}</b> · #{id} · {phase}",
            name=h(campaign.name),
            id=campaign.id,
            phase=_(PHASE_LABELS[card.phase]).lower(),
        )
    )
    lines.append(
        _("Channel: {channel} ({currency})", channel=h(channel.name), currency=channel.currency)
    )
    lines += date_lines(_, campaign)
    lines += rules_lines(_, campaign, channel.currency, card.target_margin, card.margin_overridden)
    lines.append("")
    lines.append(_("Enrolled: {skus}", skus=_.ngettext("{n} SKU", "{n} SKUs", card.enrolled)))
    if card.counts:
        lines.append(status_counts(_, card.counts))
    lines.append(
        _(
            "Not enrolled yet: {listed} listed on this channel, {eligible} of them eligible",
            listed=card.listed,
            eligible=card.eligible,
        )
    )
    if card.vouchers:
        lines.append(_("Saved vouchers: {n}", n=card.vouchers))
    return "\n".join(lines), card_keyboard(_, campaign, role)


def card_keyboard(_: Translator, campaign: models.Campaign, role: Role) -> InlineKeyboardMarkup:
    """The card's buttons: only those the reader's role may use (the handlers check again)."""
    campaign_id, mark = campaign.id, stamp(campaign.created_at)
    edits = is_allowed(role, Action.EDIT_CAMPAIGN)
    buttons: list[Button] = [(_("📋 Plan"), encode(PLAN, campaign_id))]
    if edits:
        buttons.append((_("➕ Enrol"), encode(PICK, campaign_id, 0, NO_MODE, mark)))
    buttons += [
        (_("🎟 Vouchers"), encode(VOUCHERS, campaign_id, mark)),
        (_("⏰ Reminders"), encode(REMINDERS, campaign_id)),
        (_("📤 Export"), encode(EXPORT, campaign_id)),
    ]
    if edits:
        buttons.append((_("✏️ Edit"), encode(EDIT, campaign_id, mark)))
    rows = chunk(buttons, 2)
    if is_allowed(role, Action.DELETE_CAMPAIGN):
        rows.append([(_("🗑 Delete"), encode(DELETE, campaign_id, mark))])
    return keyboard(rows)


def back_button(_: Translator, campaign_id: int) -> Button:
    return (_("« Campaign"), encode(CARD, campaign_id))


def created(_: Translator, card: CampaignCard, warnings: Sequence[str], role: Role) -> Rendered:
    header = _("✅ Campaign created.")
    for note in warnings:
        header += "\n⚠️ " + _(note)
    return campaign_card(_, card, role=role, header=header)


# -- edit and delete -------------------------------------------------------------------------


def edit_menu(_: Translator, campaign: models.Campaign) -> Rendered:
    text = _(
        "What do you want to change in <b>{name}</b>? Or write it in one line, like "
        "<code>/campaign {id} end=2026-12-01 min_discount=25%</code>.",
        name=h(campaign.name),
        id=campaign.id,
    )
    mark = stamp(campaign.created_at)
    buttons = [(_(label), encode(EDIT_FIELD, campaign.id, key, mark)) for key, label in EDIT_FIELDS]
    rows = chunk(buttons, 2)
    rows.append([back_button(_, campaign.id)])
    return text, keyboard(rows)


def edit_prompt(_: Translator, campaign: models.Campaign, field: str) -> Rendered:
    zone = h(_.zone(campaign.timezone))
    prompts = {
        "name": _("Send the new name."),
        "deadline": _(
            "Send the new registration deadline, like <code>{local}</code> or "
            "<code>{iso}</code> ({zone}), or <code>none</code>.",
            local=h(local_example(Bound.DEADLINE, _.locale)),
            iso="2026-11-20T12:00",
            zone=zone,
        ),
        "start": _(
            "Send the new start, like <code>{local}</code> or <code>{iso}</code> ({zone}).",
            local=h(local_example(Bound.START, _.locale)),
            iso="2026-11-27",
            zone=zone,
        ),
        "end": _(
            "Send the new end, like <code>{local}</code> or <code>{iso}</code> ({zone}); a date "
            "alone means the end of that day.",
            local=h(local_example(Bound.END, _.locale)),
            iso="2026-11-30",
            zone=zone,
        ),
        "min_discount": _(
            "Send the minimum discount, like <code>20%</code>, or <code>none</code>."
        ),
        "ref": _("Which price are discounts measured from?"),
        "subsidy": _(
            "Send the subsidy: <code>none</code>, <code>fixed:2</code> or "
            "<code>share:30%:cap:5</code>."
        ),
        "margin": _(
            "Send this campaign's target margin, like <code>18%</code>, or <code>team</code> "
            "for the team's."
        ),
    }
    rows: list[list[Button]] = []
    mark = stamp(campaign.created_at)
    if field == "ref":
        rows.append(
            [
                (_("List price"), encode(EDIT_VALUE, campaign.id, "ref", "list", mark)),
                (
                    _("Lowest of 30 days"),
                    encode(EDIT_VALUE, campaign.id, "ref", "lowest_30d", mark),
                ),
            ]
        )
    elif field == "subsidy":
        rows.append([(_("No subsidy"), encode(EDIT_VALUE, campaign.id, "subsidy", "none", mark))])
    elif field == "margin":
        rows.append([(_("The team's"), encode(EDIT_VALUE, campaign.id, "margin", "team", mark))])
    elif field in ("min_discount", "deadline"):
        rows.append([(_("None"), encode(EDIT_VALUE, campaign.id, field, "none", mark))])
    rows.append([back_button(_, campaign.id)])
    return prompts[field], keyboard(rows)


FIELD_NAMES: dict[str, str] = {
    "name": N_("name"),
    "channel_id": N_("channel"),
    "timezone": N_("time zone"),
    "registration_deadline": N_("registration deadline"),
    "starts_at": N_("start"),
    "ends_at": N_("end"),
    "min_discount": N_("minimum discount"),
    "reference_rule": N_("reference price"),
    "subsidy_kind": N_("subsidy"),
    "subsidy_value": N_("subsidy"),
    "subsidy_cap": N_("subsidy cap"),
    "target_margin": N_("target margin"),
}


def edited(_: Translator, result: EditResult, card: CampaignCard, role: Role) -> Rendered:
    if not result.changes:
        return campaign_card(_, card, role=role, header=_("Nothing changed."))
    names = list(dict.fromkeys(_(FIELD_NAMES[key]) for key in result.changes))
    header = _("✅ Saved: {fields}.", fields=", ".join(names))
    for note in result.warnings:
        header += "\n⚠️ " + _(note)
    return campaign_card(_, card, role=role, header=header)


def delete_confirm(_: Translator, campaign: models.Campaign, enrolled: int) -> Rendered:
    text = _(
        "Delete <b>{name}</b> (#{id}) with its {skus} and saved vouchers? This cannot be undone.",
        name=h(campaign.name),
        id=campaign.id,
        skus=_.ngettext("{n} enrolled SKU", "{n} enrolled SKUs", enrolled),
    )
    return text, keyboard(
        [
            [
                (_("🗑 Yes, delete"), encode(DELETE_YES, campaign.id, stamp(campaign.created_at))),
                back_button(_, campaign.id),
            ]
        ]
    )


def edit_past_deadline(
    _: Translator, campaign: models.Campaign, deadline: datetime, zone: str
) -> Rendered:
    """An edit that would set a registration deadline already past: asked, not saved."""
    text = _(
        "⚠️ The new registration deadline of <b>{name}</b>, {when}, has already passed — "
        "registration on the platform is probably closed. Save it anyway?",
        name=h(campaign.name),
        when=when(_, deadline, zone),
    )
    mark = stamp(campaign.created_at)
    return text, keyboard(
        [
            [
                (_("✅ Save anyway"), encode(EDIT_CONFIRM, campaign.id, "y", mark)),
                (_("✖ Cancel"), encode(EDIT_CONFIRM, campaign.id, "n", mark)),
            ]
        ]
    )


def deleted(_: Translator, name: str) -> Rendered:
    return _("Deleted the campaign {name}.", name=h(name)), None


# -- reminders -------------------------------------------------------------------------------


REMINDER_LABELS: dict[str, str] = {
    "deadline": N_("before the registration deadline"),
    "start": N_("around the start"),
    "end": N_("before the end"),
    "summary": N_("summary after the end"),
}


def reminders_text(
    _: Translator, campaign: models.Campaign, due: Sequence[tuple[datetime, str]]
) -> Rendered:
    """The reminders still to come for this campaign: (when, event) in due order."""
    lines = [_("⏰ <b>Reminders for {name}</b>", name=h(campaign.name))]
    if due:
        for moment, event in due:
            label = _(REMINDER_LABELS[event]) if event in REMINDER_LABELS else event
            lines.append(f"• {when(_, moment, campaign.timezone)} — {label}")
    else:
        lines.append(_("Nothing more is due for this campaign."))
    lines.append("")
    lines.append(_("/reminders shows the settings and everything that will be sent."))
    return "\n".join(lines), keyboard([[back_button(_, campaign.id)]])


# -- creation flow ---------------------------------------------------------------------------


def flow_question(
    _: Translator,
    step: str,
    *,
    defaults: dict[str, str],
    channels: Sequence[models.Channel] = (),
    zone: str = "UTC",
    team_margin: Decimal | None = None,
    market_zone: str | None = None,
    currency: str = "USD",
) -> Rendered:
    """One question of /newcampaign, with its buttons (a prefilled answer is offered).
    Dates are read in `zone`: the market's (`market_zone`), or another the seller chose."""
    rows: list[list[Button]] = []
    digits = currency_digits(currency)
    default = defaults.get(step)
    if default:
        rows.append([(_("Use {value}", value=default)[:60], encode(NEW, step, "use"))])
    if market_zone is None or zone == market_zone:
        zone_note = _("Times are in the market's zone, {zone}.", zone=h(_.zone(zone)))
    else:
        zone_note = _("Times are in {zone}, as you chose.", zone=h(_.zone(zone)))
    if step == "template":
        text = _("New campaign. Start from a shopping festival, or from scratch?")
        rows.append(
            [
                (_("📅 From the calendar"), encode(NEW, step, "cal")),
                (_("Blank"), encode(NEW, step, "blank")),
            ]
        )
    elif step == "channel":
        text = _("Which sales channel is the campaign on?")
        rows += chunk([(c.name, encode(NEW, step, c.id)) for c in channels], 2)
    elif step == "name":
        text = _("What is the campaign's name? For example <code>Black Friday 2026</code>.")
    elif step == "deadline":
        text = (
            _(
                "When does registration close? Write the date and time as you usually do, "
                "like <code>{local}</code>, or as <code>{iso}</code>.",
                local=h(local_example(Bound.DEADLINE, _.locale)),
                iso="2026-11-20T12:00",
            )
            + "\n"
            + zone_note
        )
        rows.append([(_("No deadline"), encode(NEW, step, "skip"))])
    elif step == "start":
        text = (
            _(
                "When does the campaign start? Like <code>{local}</code> or <code>{iso}</code>; "
                "add a time if it does not start at midnight.",
                local=h(local_example(Bound.START, _.locale)),
                iso="2026-11-27",
            )
            + "\n"
            + zone_note
        )
    elif step == "end":
        text = (
            _(
                "When does it end? Like <code>{local}</code> or <code>{iso}</code>; a date "
                "alone means the end of that day.",
                local=h(local_example(Bound.END, _.locale)),
                iso="2026-11-30",
            )
            + "\n"
            + zone_note
        )
    elif step == "min_discount":
        text = _(
            "What minimum discount does the platform require? Pick one or write it, like "
            "<code>20%</code>."
        )
        rows.append([(_("None"), encode(NEW, step, "none"))])
        rows += chunk(
            [
                (_.percent(Decimal(p).scaleb(-2)), encode(NEW, step, p))
                for p in ("10", "15", "20", "30", "50")
            ],
            5,
        )
    elif step == "ref":
        text = _("Which price is the discount measured from?")
        rows.append([(_("List price"), encode(NEW, step, "list"))])
        rows.append([(_("Lowest price of the last 30 days"), encode(NEW, step, "lowest_30d"))])
    elif step == "subsidy":
        text = _(
            "Does the platform fund part of the discount? Pick one; you can also write it in "
            "one go, like <code>{fixed}</code> or <code>{share}</code>.",
            fixed="fixed:2",
            share="share:30%:cap:5",
        )
        rows.append([(_("No subsidy"), encode(NEW, step, "none"))])
        rows.append([(_("A fixed amount per unit"), encode(NEW, step, "fixed"))])
        rows.append([(_("A share of the discount (with a cap)"), encode(NEW, step, "share"))])
    elif step == "subsidy_fixed":
        text = _(
            "How much does the platform pay per unit sold, in {currency}? Write the amount, "
            "like <code>{example}</code>.",
            currency=currency,
            example=_.number(_EXAMPLE_AMOUNT if digits else Decimal(500), digits),
        )
    elif step == "subsidy_share":
        text = _(
            "Which share of each discount does the platform fund? Pick one or write it, like "
            "<code>{example}</code>.",
            example=_.percent(Decimal("0.3")),
        )
        rows += chunk(
            [(_.percent(Decimal(p).scaleb(-2)), encode(NEW, step, p)) for p in SHARE_CHOICES], 4
        )
    elif step == "subsidy_cap":
        text = _(
            "At most how much per unit does the platform pay, in {currency}? Write the cap, "
            "like <code>{example}</code>, or choose no cap.",
            currency=currency,
            example=_.number(_EXAMPLE_AMOUNT if digits else Decimal(500), digits),
        )
        rows.append([(_("No cap"), encode(NEW, step, "skip"))])
    elif step == "margin":
        team = "" if team_margin is None else _.percent(team_margin)
        text = _(
            "Which target margin should the floors use for this campaign? Write it like "
            "<code>18%</code>, or keep the team's."
        )
        rows.append([(_("The team's ({margin})", margin=team), encode(NEW, step, "team"))])
        rows += chunk(
            [
                (_.percent(Decimal(p).scaleb(-2)), encode(NEW, step, p))
                for p in ("10", "15", "20", "25", "30")
            ],
            5,
        )
    else:
        raise ValueError(f"unknown step {step!r}")
    return text, keyboard(rows) if rows else None


def _clock(moment: datetime, zone: str, locale: str) -> str:
    """The time of day in `zone`, as the locale writes it ("14:05", "2:05 PM")."""
    return format_time(moment.astimezone(ZoneInfo(zone)), "short", locale=locale)


def zone_question(
    _: Translator, channel: models.Channel, team_zone: str, now: datetime
) -> Rendered:
    """The guided flow asks which zone the platform's dates are in: the market's (where the
    channel sells) or the team's (a seller centre often states deadlines in the seller's
    own time). The buttons carry no zone: the press reads both from the database again."""
    market_zone = channel.timezone
    text = _(
        "In which time zone will you give the dates? The market of {channel} keeps {market} "
        "(now {market_now} there); your team keeps {team} (now {team_now}). Pick one, or "
        "write another zone like <code>Asia/Shanghai</code>.",
        channel=h(channel.name),
        market=h(_.zone(market_zone)),
        market_now=_clock(now, market_zone, _.locale),
        team=h(_.zone(team_zone)),
        team_now=_clock(now, team_zone, _.locale),
    )
    mark = stamp(channel.created_at)
    rows = [
        [
            (
                _("Market: {zone}", zone=_.zone_place(market_zone))[:60],
                encode(NEW, "zone", "m", channel.id, mark),
            )
        ],
        [
            (
                _("Team: {zone}", zone=_.zone_place(team_zone))[:60],
                encode(NEW, "zone", "t", channel.id, mark),
            )
        ],
    ]
    return text, keyboard(rows)


def past_deadline_question(_: Translator, deadline: datetime, zone: str) -> Rendered:
    """The guided flow's deadline step, answered with a moment already past."""
    text = _(
        "⚠️ {when} has already passed — registration on the platform is probably closed. "
        "Keep this deadline anyway, or send another one.",
        when=when(_, deadline, zone),
    )
    return text, keyboard(
        [
            [
                (_("Keep it anyway"), encode(NEW, "deadline", "keep")),
                (_("No deadline"), encode(NEW, "deadline", "skip")),
            ]
        ]
    )


def flow_confirm(
    _: Translator,
    values: CampaignValues,
    team_margin: Decimal,
    warnings: Sequence[str],
    *,
    past_deadline: bool = False,
    other_zone: str | None = None,
) -> Rendered:
    """The summary before creating; with `past_deadline`, it leads with the warning that
    registration has closed and asks to create the campaign anyway. The deadline is shown
    in the zone it was given in and in `other_zone` (the market's or the team's, whichever
    was not chosen)."""
    channel = values.channel
    zone = values.timezone
    if past_deadline:
        assert values.deadline is not None
        lines = [
            _(
                "⚠️ The registration deadline, {when}, has already passed — registration on "
                "the platform is probably closed. Create this campaign anyway?",
                when=when(_, values.deadline, zone),
            ),
            "",
        ]
        warnings = [note for note in warnings if note != DEADLINE_PASSED]
    else:
        lines = [_("Create this campaign?"), ""]
    lines.append(f"<b>{h(values.name)}</b>")
    lines.append(
        _("Channel: {channel} ({currency})", channel=h(channel.name), currency=channel.currency)
    )
    if values.deadline is not None:
        deadline = when(_, values.deadline, zone)
        if other_zone and other_zone != zone:
            deadline = _(
                "{reader} ({market})",
                reader=_.datetime(values.deadline, zone),
                market=_.datetime(values.deadline, other_zone),
            )
        lines.append(_("Registration deadline: {when}", when=deadline))
    lines.append(_("Starts: {when}", when=when(_, values.starts_at, zone)))
    lines.append(_("Ends: {when}", when=when(_, values.ends_at, zone)))
    if values.min_discount:
        lines.append(
            _(
                "Minimum discount: {discount} off {reference}",
                discount=_.percent(values.min_discount),
                reference=rule_text(_, values.reference_rule),
            )
        )
    else:
        lines.append(
            _(
                "Minimum discount: none (discounts are measured from {reference})",
                reference=rule_text(_, values.reference_rule),
            )
        )
    lines.append(_("Subsidy: {subsidy}", subsidy=subsidy_text(_, values.subsidy, channel.currency)))
    if values.target_margin is not None:
        lines.append(
            _("Target margin: {margin} (this campaign)", margin=_.percent(values.target_margin))
        )
    else:
        lines.append(_("Target margin: {margin} (the team's)", margin=_.percent(team_margin)))
    for note in warnings:
        lines.append("⚠️ " + _(note))
    return "\n".join(lines), keyboard(
        [
            [
                (
                    _("✅ Create anyway") if past_deadline else _("✅ Create"),
                    encode(NEW, "confirm", "create"),
                ),
                (_("✖ Cancel"), encode(NEW, "confirm", "cancel")),
            ]
        ]
    )


def no_channels(_: Translator) -> Rendered:
    return (
        _(
            "This team has no sales channel yet. Add one first, like "
            "<code>/channel add temu-us-semi</code>."
        ),
        None,
    )


def flow_cancelled(_: Translator) -> Rendered:
    return _("Cancelled."), None
