"""Campaigns: create, edit, delete (audited), list, the card, and enrolment of SKUs.

Every use case takes the caller's `TeamAccess` (already checked for the action) and
works only inside `access.team_id`; a campaign id from another team is "not found".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select

from bot.db import models
from bot.db.uow import UnitOfWork
from bot.domain.campaigns import (
    CAMPAIGN_KEYS,
    REQUIRED_KEYS,
    Bound,
    SubsidySpec,
    check_keys,
    check_order,
    deadline_passed,
    parse_margin,
    parse_min_discount,
    parse_moment,
    parse_name,
    parse_reference_rule,
    parse_subsidy,
    parse_timezone,
)
from bot.domain.enums import ReferenceRule, SubsidyKind
from bot.domain.errors import N_, Conflict, NotFound, UserInputError
from bot.domain.numbers import reader_style
from bot.pricing import currency_digits
from bot.services import margins, pending, reminders
from bot.services.access import TeamAccess
from bot.services.plan import (
    CampaignPricing,
    PlanItem,
    PlanRow,
    PlanStatus,
    PriceChoice,
    PriceMode,
    SkuData,
    build_plan,
    campaign_pricing,
    enrolled_items,
    enrolments_by_sku,
    listed_not_enrolled,
    listings,
    price_items,
    price_many,
    sort_rows,
    team_skus,
)

MAX_CODES_SHOWN = 10


class Phase(StrEnum):
    UPCOMING = "upcoming"
    RUNNING = "running"
    ENDED = "ended"


def phase_of(campaign: models.Campaign, now: datetime) -> Phase:
    if now < campaign.starts_at:
        return Phase.UPCOMING
    if now < campaign.ends_at:
        return Phase.RUNNING
    return Phase.ENDED


# things worth saying about accepted dates (they are not refused)
STARTED = N_("This campaign has already started: reminders before the start are skipped.")
DEADLINE_PASSED = N_("The registration deadline has already passed.")
ENDED = N_("This campaign has already ended.")


class PastDeadline(Exception):
    """An edit would store a registration deadline that has already passed for a campaign
    still to start: nothing is written until the seller confirms it."""

    def __init__(self, deadline: datetime, zone: str) -> None:
        super().__init__("the registration deadline has already passed")
        self.deadline = deadline
        self.zone = zone


def needs_confirmation(values: CampaignValues, now: datetime) -> bool:
    """A new campaign whose registration deadline has passed while its start has not:
    created only once the seller confirms."""
    return deadline_passed(values.deadline, values.starts_at, now)


# -- channels ------------------------------------------------------------------------------


async def team_channels(uow: UnitOfWork, team_id: int) -> list[models.Channel]:
    return list(
        (
            await uow.session.scalars(
                select(models.Channel)
                .where(models.Channel.team_id == team_id)
                .order_by(models.Channel.name)
            )
        ).all()
    )


async def find_channel(uow: UnitOfWork, team_id: int, name: str | None) -> models.Channel:
    """The team's channel by name (any case); with no name, the team's only channel."""
    channels = await team_channels(uow, team_id)
    if not channels:
        raise UserInputError(
            N_(
                "This team has no sales channel yet. Add one first, like "
                "<code>/channel add temu-us-semi</code>."
            )
        )
    if name is None or not name.strip():
        if len(channels) == 1:
            return channels[0]
        raise UserInputError(
            N_("Which channel? Add <code>channel=…</code>, one of: {choices}."),
            choices=", ".join(c.name for c in channels),
        )
    wanted = name.strip().lower()
    for channel in channels:
        if channel.name.lower() == wanted:
            return channel
    raise UserInputError(
        N_("This team has no channel “{value}”. Its channels are: {choices}."),
        value=name.strip()[:64],
        choices=", ".join(c.name for c in channels),
    )


async def channel_by_id(uow: UnitOfWork, team_id: int, channel_id: int) -> models.Channel | None:
    channel = await uow.session.get(models.Channel, channel_id)
    return channel if channel is not None and channel.team_id == team_id else None


# -- reading -------------------------------------------------------------------------------


async def get_campaign(uow: UnitOfWork, team_id: int, campaign_id: int) -> models.Campaign:
    """The campaign, only if it belongs to this team (else NotFound, never a leak)."""
    campaign = await uow.session.get(models.Campaign, campaign_id)
    if campaign is None or campaign.team_id != team_id:
        raise NotFound(
            N_("There is no campaign #{id} in this team. /campaigns lists them."), id=campaign_id
        )
    return campaign


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    campaign: models.Campaign
    channel_name: str
    phase: Phase
    enrolled: int


async def list_campaigns(uow: UnitOfWork, team_id: int, now: datetime) -> list[CampaignSummary]:
    counts = (
        select(models.Enrolment.campaign_id, func.count().label("n"))
        .group_by(models.Enrolment.campaign_id)
        .subquery()
    )
    rows = (
        await uow.session.execute(
            select(models.Campaign, models.Channel.name, counts.c.n)
            .join(models.Channel, models.Channel.id == models.Campaign.channel_id)
            .outerjoin(counts, counts.c.campaign_id == models.Campaign.id)
            .where(models.Campaign.team_id == team_id)
            .order_by(models.Campaign.starts_at, models.Campaign.id)
        )
    ).all()
    return [
        CampaignSummary(campaign, channel_name, phase_of(campaign, now), n or 0)
        for campaign, channel_name, n in rows
    ]


@dataclass(frozen=True, slots=True)
class CampaignCard:
    campaign: models.Campaign
    channel: models.Channel
    phase: Phase
    target_margin: Decimal
    margin_overridden: bool
    enrolled: int
    counts: dict[PlanStatus, int]
    listed: int  # SKUs listed on the channel and not enrolled
    eligible: int  # of those, eligible at the campaign's minimum discount
    vouchers: int


async def campaign_card(
    uow: UnitOfWork, team: models.Team, campaign: models.Campaign, now: datetime
) -> CampaignCard:
    plan = await build_plan(uow, team, campaign, now, margins=False)
    return CampaignCard(
        campaign=campaign,
        channel=plan.channel,
        phase=phase_of(campaign, now),
        target_margin=plan.pricing.target_margin,
        margin_overridden=campaign.target_margin is not None,
        enrolled=len(plan.rows),
        counts=plan.counts,
        listed=len(plan.others),
        eligible=plan.eligible_others,
        vouchers=len(plan.vouchers),
    )


# -- values from key=value input ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignValues:
    """Validated values, ready to store."""

    name: str
    channel: models.Channel
    timezone: str
    deadline: datetime | None
    starts_at: datetime
    ends_at: datetime
    min_discount: Decimal | None
    reference_rule: ReferenceRule
    subsidy: SubsidySpec
    target_margin: Decimal | None
    festival: str | None = None


def date_warnings(
    deadline: datetime | None, start: datetime, end: datetime, now: datetime
) -> list[str]:
    notes: list[str] = []
    if end <= now:
        notes.append(ENDED)
    elif start <= now:
        notes.append(STARTED)
    elif deadline is not None and deadline <= now:
        notes.append(DEADLINE_PASSED)
    return notes


async def campaign_values(
    uow: UnitOfWork,
    team_id: int,
    options: dict[str, str],
    now: datetime,
    *,
    festival: str | None = None,
    locale: str | None = None,
) -> tuple[CampaignValues, list[str]]:
    """Parse and check the one-line form (or the guided flow's answers) for a new campaign.

    Dates are read in the channel market's zone unless `tz` is given. An end that has
    already passed is refused; a past start is accepted with a warning, and a past deadline
    with a warning once confirmed (`needs_confirmation`: the caller asks first). Numbers
    and dates are read as the reader (`locale`) writes them."""
    style = reader_style(locale)
    check_keys(options, CAMPAIGN_KEYS)
    missing = [key for key in REQUIRED_KEYS if not options.get(key)]
    if missing:
        raise UserInputError(
            N_(
                'Missing: {keys}. Write it like <code>/newcampaign name="Black Friday" '
                "channel=temu-us start=2026-11-27 end=2026-11-30 deadline=2026-11-20T12:00 "
                "subsidy=share:30%:cap:5 min_discount=20%</code>, or send /newcampaign alone "
                "and I will ask step by step."
            ),
            keys=", ".join(missing),
        )
    channel = await find_channel(uow, team_id, options.get("channel"))
    digits = currency_digits(channel.currency)
    zone = parse_timezone(options["tz"]) if options.get("tz") else channel.timezone
    name = parse_name(options["name"])
    start = parse_moment(options["start"], zone, Bound.START, locale)
    end = parse_moment(options["end"], zone, Bound.END, locale)
    deadline = None
    if options.get("deadline") and options["deadline"].strip().lower() not in ("none", "-"):
        deadline = parse_moment(options["deadline"], zone, Bound.DEADLINE, locale)
    check_order(deadline, start, end)
    if end <= now:
        raise UserInputError(
            N_(
                "This campaign would already be over (it ends before now). Check the end "
                "date — and the year."
            )
        )
    values = CampaignValues(
        name=name,
        channel=channel,
        timezone=zone,
        deadline=deadline,
        starts_at=start,
        ends_at=end,
        min_discount=parse_min_discount(options["min_discount"], style)
        if options.get("min_discount")
        else None,
        reference_rule=parse_reference_rule(options["ref"])
        if options.get("ref")
        else ReferenceRule.LIST,
        subsidy=parse_subsidy(options["subsidy"], digits, style)
        if options.get("subsidy")
        else SubsidySpec(SubsidyKind.NONE),
        target_margin=parse_margin(options["margin"], style) if options.get("margin") else None,
        festival=festival,
    )
    return values, date_warnings(deadline, start, end, now)


# -- create, edit, delete ----------------------------------------------------------------------

AUDITED = (
    "name",
    "channel_id",
    "timezone",
    "registration_deadline",
    "starts_at",
    "ends_at",
    "min_discount",
    "reference_rule",
    "subsidy_kind",
    "subsidy_value",
    "subsidy_cap",
    "target_margin",
)


def _plain(value: object) -> Any:
    """A JSON-friendly form of a column value for the audit trail."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")  # 0.20 and 0.2 are the same value
    return str(value)


def snapshot(campaign: models.Campaign) -> dict[str, Any]:
    return {name: _plain(getattr(campaign, name)) for name in AUDITED}


def audit(
    uow: UnitOfWork,
    campaign_id: int,
    team_id: int,
    user_id: int | None,
    now: datetime,
    action: str,
    changes: dict[str, Any],
) -> None:
    uow.session.add(
        models.CampaignAudit(
            campaign_id=campaign_id,
            team_id=team_id,
            user_id=user_id,
            at=now,
            action=action,
            changes=changes,
        )
    )


def _apply(campaign: models.Campaign, values: CampaignValues) -> None:
    campaign.name = values.name
    campaign.channel_id = values.channel.id
    campaign.timezone = values.timezone
    campaign.registration_deadline = values.deadline
    campaign.starts_at = values.starts_at
    campaign.ends_at = values.ends_at
    campaign.min_discount = values.min_discount
    campaign.reference_rule = values.reference_rule.value
    campaign.subsidy_kind = values.subsidy.kind.value
    campaign.subsidy_value = values.subsidy.value
    campaign.subsidy_cap = values.subsidy.cap
    campaign.target_margin = values.target_margin


async def create_campaign(
    uow: UnitOfWork, access: TeamAccess, values: CampaignValues, now: datetime
) -> models.Campaign:
    campaign = models.Campaign(
        team_id=access.team_id,
        festival=values.festival,
        created_by=access.user.id,
        created_at=now,
        updated_at=now,
    )
    _apply(campaign, values)
    uow.session.add(campaign)
    await uow.session.flush()
    audit(
        uow,
        campaign.id,
        access.team_id,
        access.user.id,
        now,
        "create",
        {key: [None, value] for key, value in snapshot(campaign).items() if value is not None},
    )
    await reminders.schedule_campaign_notices(uow, campaign, now)
    return campaign


@dataclass(frozen=True, slots=True)
class EditResult:
    campaign: models.Campaign
    changes: dict[str, list[Any]]  # field → [old, new]
    warnings: list[str] = field(default_factory=list)


async def edit_campaign(
    uow: UnitOfWork,
    access: TeamAccess,
    campaign: models.Campaign,
    options: dict[str, str],
    now: datetime,
    *,
    confirmed: bool = False,
    locale: str | None = None,
) -> EditResult:
    """Change some fields (the same keys as the one-line create). Dates are read in `tz`
    when given, else in the campaign's zone; `tz` alone changes only the zone the dates
    are shown and read in (the moments stay). Nothing is written unless all is valid.

    A new registration deadline that has already passed (the campaign not yet started)
    raises `PastDeadline` unless `confirmed`: the caller asks the seller first. Numbers and
    dates are read as the reader (`locale`) writes them."""
    style = reader_style(locale)
    check_keys(options, CAMPAIGN_KEYS)
    if not options:
        raise UserInputError(
            N_(
                "Say what to change, like <code>/campaign {id} end=2026-12-01 "
                "min_discount=25%</code>."
            ),
            id=campaign.id,
        )
    channel = await uow.session.get(models.Channel, campaign.channel_id)
    assert channel is not None
    if options.get("channel"):
        new_channel = await find_channel(uow, access.team_id, options["channel"])
        if new_channel.id != channel.id:
            enrolled = await uow.session.scalar(
                select(func.count())
                .select_from(models.Enrolment)
                .where(models.Enrolment.campaign_id == campaign.id)
            )
            if enrolled:
                raise Conflict(
                    N_(
                        "This campaign has enrolled SKUs, so its channel cannot change. "
                        "Create a new campaign for the other channel."
                    )
                )
        channel = new_channel
    digits = currency_digits(channel.currency)
    zone = parse_timezone(options["tz"]) if options.get("tz") else campaign.timezone
    deadline = campaign.registration_deadline
    if "deadline" in options:
        raw = options["deadline"].strip().lower()
        deadline = (
            None
            if raw in ("", "none", "-")
            else parse_moment(options["deadline"], zone, Bound.DEADLINE, locale)
        )
    start = (
        parse_moment(options["start"], zone, Bound.START, locale)
        if options.get("start")
        else campaign.starts_at
    )
    end = (
        parse_moment(options["end"], zone, Bound.END, locale)
        if options.get("end")
        else campaign.ends_at
    )
    check_order(deadline, start, end)
    subsidy = SubsidySpec(
        SubsidyKind(campaign.subsidy_kind), campaign.subsidy_value, campaign.subsidy_cap
    )
    values = CampaignValues(
        name=parse_name(options["name"]) if "name" in options else campaign.name,
        channel=channel,
        timezone=zone,
        deadline=deadline,
        starts_at=start,
        ends_at=end,
        min_discount=parse_min_discount(options["min_discount"], style)
        if "min_discount" in options
        else campaign.min_discount,
        reference_rule=parse_reference_rule(options["ref"])
        if "ref" in options
        else ReferenceRule(campaign.reference_rule),
        subsidy=parse_subsidy(options["subsidy"], digits, style)
        if "subsidy" in options
        else subsidy,
        target_margin=parse_margin(options["margin"], style)
        if "margin" in options
        else campaign.target_margin,
    )
    if (
        not confirmed
        and deadline != campaign.registration_deadline
        and deadline_passed(deadline, start, now)
    ):
        assert deadline is not None
        raise PastDeadline(deadline, zone)
    before = snapshot(campaign)
    _apply(campaign, values)
    after = snapshot(campaign)
    changes = {key: [before[key], after[key]] for key in AUDITED if before[key] != after[key]}
    if changes:
        campaign.updated_at = now
        audit(uow, campaign.id, access.team_id, access.user.id, now, "edit", changes)
        await reminders.schedule_campaign_notices(uow, campaign, now)
        await margins.recheck_margins(uow, access.team_id, now, campaign_ids=[campaign.id])
    warnings = date_warnings(deadline, start, end, now) if changes else []
    return EditResult(campaign, changes, warnings)


async def delete_campaign(
    uow: UnitOfWork, access: TeamAccess, campaign: models.Campaign, now: datetime
) -> None:
    campaign_id = campaign.id
    audit(uow, campaign_id, access.team_id, access.user.id, now, "delete", snapshot(campaign))
    await reminders.cancel_campaign_notices(uow, campaign_id, now)
    await uow.session.execute(
        delete(models.Enrolment).where(models.Enrolment.campaign_id == campaign_id)
    )
    await uow.session.execute(
        delete(models.Voucher).where(models.Voucher.campaign_id == campaign_id)
    )
    await uow.session.delete(campaign)
    await uow.session.flush()


async def saved_vouchers(uow: UnitOfWork, campaign_id: int) -> list[models.Voucher]:
    return list(
        (
            await uow.session.scalars(
                select(models.Voucher)
                .where(models.Voucher.campaign_id == campaign_id)
                .order_by(models.Voucher.threshold, models.Voucher.id)
            )
        ).all()
    )


async def audit_trail(uow: UnitOfWork, campaign_id: int) -> list[models.CampaignAudit]:
    return list(
        (
            await uow.session.scalars(
                select(models.CampaignAudit)
                .where(models.CampaignAudit.campaign_id == campaign_id)
                .order_by(models.CampaignAudit.at, models.CampaignAudit.id)
            )
        ).all()
    )


# -- enrolment -------------------------------------------------------------------------------


def default_choice(campaign: models.Campaign) -> PriceChoice:
    """Without a price or discount: the minimum discount off the reference price. With no
    minimum set, the seller chooses."""
    if not campaign.min_discount:
        raise UserInputError(
            N_(
                "This campaign has no minimum discount, so choose the price: add "
                "<code>discount=max</code> (the deepest safe discount), <code>discount=15%</code> "
                "or <code>price=19.99</code>."
            )
        )
    return PriceChoice(PriceMode.SUGGESTED)


@dataclass(frozen=True, slots=True)
class EnrolResult:
    rows: list[PlanRow]  # the SKUs enrolled or re-priced now, priced as planned
    added: int
    updated: int
    # `all`: the listed SKUs not enrolled, priced at the choice, with the reason (status)
    left_out: list[PlanRow] = field(default_factory=list)
    # named SKUs whose planned price would be under the floor: held, asked about first
    held: list[PlanRow] = field(default_factory=list)
    pending_id: int | None = None  # the held enrolment to confirm
    target_margin: Decimal | None = None


def under_floor(row: PlanRow) -> bool:
    """Would this planned price lose the target margin? The planned seller price is under
    the floor, or the list price itself is, or no price reaches the margin at all. (A SKU
    priced at its floor that misses the campaign's minimum discount is not under it.)"""
    if row.status in (PlanStatus.BELOW_FLOOR, PlanStatus.NO_PRICE):
        return True
    return (
        row.status is PlanStatus.CANNOT_REACH_MIN_DEPTH
        and row.seller_price is not None
        and row.floor is not None
        and row.seller_price < row.floor
    )


async def _price_for(
    uow: UnitOfWork,
    pricing: CampaignPricing,
    skus: Sequence[SkuData],
    choice: PriceChoice | None,
    *,
    margins_too: bool = True,
) -> list[PlanRow]:
    found = await listings(uow, pricing.campaign, [s.id for s in skus])
    items = [PlanItem(s, found.get(s.id), choice) for s in skus]
    return await price_many(pricing, items, margins=margins_too)


def _choice_payload(choice: PriceChoice) -> dict[str, Any]:
    return {
        "mode": choice.mode.value,
        "price": None if choice.price is None else format(choice.price, "f"),
        "discount": None if choice.discount is None else format(choice.discount, "f"),
    }


def _choice_from(payload: dict[str, Any]) -> PriceChoice:
    price, discount = payload.get("price"), payload.get("discount")
    return PriceChoice(
        PriceMode(payload["mode"]),
        None if price is None else Decimal(price),
        None if discount is None else Decimal(discount),
    )


async def enrol(
    uow: UnitOfWork,
    access: TeamAccess,
    campaign: models.Campaign,
    codes: Sequence[str] | None,
    choice: PriceChoice | None,
    now: datetime,
    *,
    picker: dict[str, Any] | None = None,
) -> EnrolResult:
    """Enrol SKUs (by code) or, with `codes=None`, every listed SKU not yet enrolled that
    is eligible at `choice` (the others are `left_out`, with their reasons). Explicitly
    named SKUs are enrolled even when they do not fit (the reply and the plan say why) —
    except under the floor: those are held (`held`, `pending_id`) until the seller
    confirms. `picker` (its page and mode) is kept with a held change, to return to it.
    An unknown code writes nothing."""
    if choice is None:
        choice = default_choice(campaign)
    pricing = await campaign_pricing(uow, access.team, campaign)
    left_out: list[PlanRow] = []
    held: list[PlanRow] = []
    if codes is None:
        candidates = await listed_not_enrolled(uow, access.team_id, campaign)
        rows: list[PlanRow] = []
        for row in await _price_for(uow, pricing, candidates, choice):
            (rows if row.status is PlanStatus.OK else left_out).append(row)
    else:
        wanted = list(dict.fromkeys(codes))
        skus = await _skus_by_code(uow, access.team_id, wanted)
        rows = await _price_for(uow, pricing, skus, choice)
        if choice.mode is PriceMode.PRICE:
            assert choice.price is not None
            too_high = [r.code for r in rows if r.list_price and choice.price > r.list_price]
            if too_high:
                raise UserInputError(
                    N_(
                        "The price {price} is above the list price of {codes}. A campaign "
                        "price is a discount: write a lower price or a discount."
                    ),
                    price=str(choice.price),
                    codes=", ".join(too_high[:MAX_CODES_SHOWN]),
                )
        held = [row for row in rows if under_floor(row)]
        rows = [row for row in rows if not under_floor(row)]
    added, updated = await _write_enrolments(uow, access, campaign, rows, choice, now)
    pending_id = None
    if held:
        payload = {
            "campaign_id": campaign.id,
            "sku_ids": [row.sku_id for row in held],
            "choice": _choice_payload(choice),
            "picker": picker,
        }
        pending_id = await pending.hold(uow, access, pending.ENROLMENT, payload, now)
    return EnrolResult(
        sort_rows(rows),
        added,
        updated,
        sort_rows(left_out),
        sort_rows(held),
        pending_id,
        pricing.target_margin,
    )


async def _write_enrolments(
    uow: UnitOfWork,
    access: TeamAccess,
    campaign: models.Campaign,
    rows: Sequence[PlanRow],
    choice: PriceChoice,
    now: datetime,
    *,
    accepted_under_floor: bool = False,
) -> tuple[int, int]:
    """Enrol or re-price these priced SKUs; (added, updated)."""
    existing = await enrolments_by_sku(uow, campaign.id, [r.sku_id for r in rows])
    added = updated = 0
    for row in rows:
        enrolment = existing.get(row.sku_id)
        if enrolment is None:
            enrolment = models.Enrolment(
                campaign_id=campaign.id, sku_id=row.sku_id, enrolled_by=access.user.id
            )
            enrolment.created_at = now
            uow.session.add(enrolment)
            added += 1
        else:
            updated += 1
        enrolment.price_mode = choice.mode.value
        enrolment.planned_price = row.planned_price
        enrolment.planned_discount = choice.discount if choice.discount is not None else None
        accepted = accepted_under_floor and under_floor(row)
        enrolment.under_floor_accepted_at = now if accepted else None
        if accepted:  # the seller was just told: the margin check takes it in silently
            enrolment.last_inputs = None
        enrolment.updated_at = now
    await uow.session.flush()
    if rows:
        await margins.recheck_margins(uow, access.team_id, now, campaign_ids=[campaign.id])
    return added, updated


@dataclass(frozen=True, slots=True)
class HeldEnrolment:
    """A held enrolment under the floor, confirmed (`result`) or left out (`result` None)."""

    campaign: models.Campaign
    codes: list[str]  # the SKUs it was about
    result: EnrolResult | None
    picker: dict[str, Any] | None  # where the picker was (page, mode), when it came from it


async def settle_under_floor(
    uow: UnitOfWork, access: TeamAccess, pending_id: int, accept: bool, now: datetime
) -> HeldEnrolment | None:
    """Enrol the held SKUs under their floor after all (marked so in the plan, audited), or
    leave them out. Re-priced now; a SKU that is no longer under its floor is enrolled
    plainly. None: the held change is gone (used, stale, or someone else's)."""
    payload = await pending.take(uow, access, pending_id, pending.ENROLMENT, now)
    if payload is None:
        return None
    campaign = await get_campaign(uow, access.team_id, int(payload["campaign_id"]))
    sku_ids = [int(i) for i in payload["sku_ids"]]
    names = await uow.session.scalars(
        select(models.Sku.code).where(
            models.Sku.team_id == access.team_id, models.Sku.id.in_(sku_ids)
        )
    )
    skus = [s for s in await team_skus(uow, access.team_id, codes=names.all()) if s.id in sku_ids]
    codes = [s.code for s in skus]
    picker = payload.get("picker")
    if not accept or not skus:
        return HeldEnrolment(campaign, codes, None, picker)
    choice = _choice_from(payload["choice"])
    pricing = await campaign_pricing(uow, access.team, campaign)
    rows = await _price_for(uow, pricing, skus, choice)
    added, updated = await _write_enrolments(
        uow, access, campaign, rows, choice, now, accepted_under_floor=True
    )
    rows = [replace(row, under_floor_accepted=under_floor(row)) for row in rows]
    accepted = [row.code for row in rows if row.under_floor_accepted]
    if accepted:
        audit(
            uow,
            campaign.id,
            access.team_id,
            access.user.id,
            now,
            "under_floor",
            {"skus": accepted, **_choice_payload(choice)},
        )
    result = EnrolResult(sort_rows(rows), added, updated, target_margin=pricing.target_margin)
    return HeldEnrolment(campaign, codes, result, picker)


async def unenrol(
    uow: UnitOfWork,
    access: TeamAccess,
    campaign: models.Campaign,
    codes: Sequence[str],
    now: datetime,
) -> int:
    skus = await _skus_by_code(uow, access.team_id, list(dict.fromkeys(codes)))
    result = await uow.session.execute(
        delete(models.Enrolment).where(
            models.Enrolment.campaign_id == campaign.id,
            models.Enrolment.sku_id.in_([s.id for s in skus]),
        )
    )
    removed = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if removed:
        await margins.recheck_margins(uow, access.team_id, now, campaign_ids=[campaign.id])
    return removed


async def _skus_by_code(uow: UnitOfWork, team_id: int, codes: Sequence[str]) -> list[SkuData]:
    """The team's SKUs by code (exact, else case-insensitive); unknown codes are refused."""
    found = await team_skus(uow, team_id, codes=codes)
    exact = {s.code: s for s in found}
    loose: dict[str, SkuData] = {}
    for item in found:
        loose.setdefault(item.code.lower(), item)
    result: list[SkuData] = []
    missing: list[str] = []
    seen: set[int] = set()
    for code in codes:
        sku = exact.get(code) or loose.get(code.lower())
        if sku is None:
            missing.append(code)
        elif sku.id not in seen:
            seen.add(sku.id)
            result.append(sku)
    if missing:
        raise UserInputError(
            N_("This team has no SKU {codes}. /skus lists the catalogue."),
            codes=", ".join(missing[:MAX_CODES_SHOWN]),
        )
    return result


# -- the SKU picker ----------------------------------------------------------------------------

PICKER_PAGE_SIZE = 8


@dataclass(frozen=True, slots=True)
class PickerPage:
    campaign: models.Campaign
    choice: PriceChoice
    rows: list[PlanRow]  # this page's SKUs; enrolled ones priced by their own mode
    page: int
    pages: int
    total: int
    eligible_to_add: int  # listed, not enrolled, fine at `choice`


async def picker_page(
    uow: UnitOfWork,
    team: models.Team,
    campaign: models.Campaign,
    choice: PriceChoice,
    page: int,
) -> PickerPage:
    pricing = await campaign_pricing(uow, team, campaign)
    enrolled = await enrolled_items(uow, campaign)
    others = await listed_not_enrolled(uow, team.id, campaign)
    everything: list[tuple[SkuData, PriceChoice | None]] = [*enrolled]
    everything += [(s, None) for s in others]
    everything.sort(key=lambda pair: pair[0].code)
    total = len(everything)
    pages = max(1, -(-total // PICKER_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    chunk = everything[page * PICKER_PAGE_SIZE : (page + 1) * PICKER_PAGE_SIZE]
    found = await listings(uow, campaign, [s.id for s, _ in chunk])
    enrolled_ids = {s.id for s, _ in enrolled}
    items = [
        PlanItem(sku, found.get(sku.id), own if own is not None else choice) for sku, own in chunk
    ]
    priced = price_items(pricing, items, margins=False)
    rows = [_with_enrolled(row, row.sku_id in enrolled_ids) for row in priced]
    candidates = await _price_for(uow, pricing, others, choice, margins_too=False)
    eligible = sum(1 for row in candidates if row.status is PlanStatus.OK)
    return PickerPage(campaign, choice, rows, page, pages, total, eligible)


def _with_enrolled(row: PlanRow, enrolled: bool) -> PlanRow:
    return replace(row, enrolled=enrolled)


async def toggle_enrolment(
    uow: UnitOfWork,
    access: TeamAccess,
    campaign: models.Campaign,
    sku_id: int,
    choice: PriceChoice,
    now: datetime,
    *,
    picker: dict[str, Any] | None = None,
) -> EnrolResult | None:
    """Enrol the SKU at `choice` (held when under its floor: see `enrol`), or remove it
    when enrolled (None)."""
    sku = await uow.session.get(models.Sku, sku_id)
    if sku is None or sku.team_id != access.team_id:
        raise NotFound(N_("That SKU is no longer in this team's catalogue."))
    existing = await uow.session.scalar(
        select(models.Enrolment).where(
            models.Enrolment.campaign_id == campaign.id, models.Enrolment.sku_id == sku_id
        )
    )
    if existing is not None:
        await uow.session.delete(existing)
        await uow.session.flush()
        await margins.recheck_margins(uow, access.team_id, now, campaign_ids=[campaign.id])
        return None
    return await enrol(uow, access, campaign, [sku.code], choice, now, picker=picker)


def codes_of(rows: Iterable[PlanRow]) -> list[str]:
    return [row.code for row in rows]
