"""The plan of a campaign (SPEC §3.4–3.6): every enrolled SKU priced under the campaign's
rules from the current costs, FX and fees — recomputed every time, never cached.

Batched: one `PricingContext` per campaign, the SKUs, listings and price history in a
few column-level queries, floors and deepest discounts through
`PricingContext.evaluate_many`, and the margin at the planned price from the same FX quote
and fees by `MarginCalculator` (the engine's formula, exact; tests check it against
`PricingContext.margin_at` and `eligibility`). 5,000 SKUs price in about 0.1 s.

Planned customer price P by enrolment mode (`Enrolment.price_mode`):

* ``suggested`` — the campaign's minimum discount off the reference price, rounded down
  to the channel's price grid so the discount is at least the minimum (the engine's
  `Eligibility.suggested_price`); recomputed from the current listing;
* ``max`` — the deepest safe discount: the customer price floor on the price grid
  (`DiscountResult.customer_floor`), recomputed from current costs, FX and fees;
* ``discount`` — a fixed percentage off the reference price (price derived, rounded down
  to the price grid);
* ``price`` — a fixed customer price (the seller's own: not moved to the grid).

The floor shown (`PlanRow.floor`) and the lowest safe price are on the price grid (SPEC
§3.8); whether a planned price keeps the margin is judged against the exact floor
(`PlanRow.raw_floor`), and so are the vouchers.

Seller price R = P + the platform's subsidy on the discount (list price − P); the margin is
the margin on net revenue at R.

Statuses (eligible SKUs first): ok; misses the minimum discount (a fixed price or discount
above the rule's maximum price); cannot reach the minimum discount (the minimum would
break the floor); no grid price (no price on the channel's price grid lies between the
customer price floor and the rule's maximum price); below floor (the planned seller
price, or the list price itself, is under the exact floor); no list price; no FX rate; no
price (fees plus margin reach 100 %).
The plan also prices the team's SKUs listed on the channel but not enrolled (their
eligibility and suggested price), so the team sees what it could still add.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal, localcontext
from enum import StrEnum
from operator import attrgetter
from typing import Any, NamedTuple

from sqlalchemy import and_, func, select

from bot import limits
from bot.db import bulk, models
from bot.db.uow import UnitOfWork
from bot.pricing import (
    CampaignRules,
    DutyBasis,
    FeesOn,
    FxTable,
    Listing,
    Mode,
    PricingContext,
    ReferenceRule,
    SkuCost,
    Status,
    Subsidy,
    VoucherFunding,
    VoucherLine,
    VoucherResult,
    VoucherStatus,
    currency_digits,
    largest_voucher,
    minimum_threshold,
    voucher_line,
)
from bot.pricing._exact import EXACT, floor_to_minor
from bot.pricing.landed import buffer_for
from bot.runtime.cooperative import in_slices
from bot.services import pricing_inputs

_ZERO = Decimal(0)
_ONE = Decimal(1)
MARGIN_DIGITS = 4  # margins to 0.01 % (half up)
DISCOUNT_DIGITS = 4  # discounts to 0.01 % (rounded down: a discount is never overstated)
QUERY_CHUNK = 500  # ids per IN (…) list: the loop gets a turn between queries


class PriceMode(StrEnum):
    SUGGESTED = "suggested"
    MAX = "max"
    PRICE = "price"
    DISCOUNT = "discount"


class PlanStatus(StrEnum):
    OK = "ok"
    MISSES_MIN_DISCOUNT = "misses_min_discount"  # the planned price is above the rule's maximum
    CANNOT_REACH_MIN_DEPTH = "cannot_reach_min_depth"  # the minimum discount breaks the floor
    NO_GRID_PRICE = "no_grid_price"  # no grid price between the floor and the rule's maximum
    BELOW_FLOOR = "below_floor"  # the planned price (or the list price) is under the floor
    NO_LIST_PRICE = "no_list_price"
    NO_FX_RATE = "no_fx_rate"
    NO_PRICE = "no_price"  # fees plus the target margin reach 100 %


STATUS_ORDER: tuple[PlanStatus, ...] = tuple(PlanStatus)


@dataclass(frozen=True, slots=True)
class PriceChoice:
    mode: PriceMode
    price: Decimal | None = None  # PRICE
    discount: Decimal | None = None  # DISCOUNT (a fraction)


@dataclass(frozen=True, slots=True)
class SkuData:
    """The SKU columns the engine needs (read without building ORM objects)."""

    id: int
    code: str
    name: str
    unit_cost: Decimal
    cost_currency: str
    packaging: Decimal
    first_mile: Decimal
    other_cost: Decimal
    duty_rate: Decimal

    def cost(self) -> SkuCost:
        return pricing_inputs.sku_cost(self)


class ListingPrices(NamedTuple):
    """A SKU's prices on the campaign's channel: the list price and the lowest price of the
    30 days before the campaign starts (SPEC §3.5)."""

    list_price: Decimal | None
    lowest_30d: Decimal | None


@dataclass(frozen=True, slots=True)
class PlanItem:
    sku: SkuData
    listing: ListingPrices | Listing | None
    choice: PriceChoice | None  # None: not enrolled


@dataclass(frozen=True, slots=True)
class PlanRow:
    sku_id: int
    code: str
    name: str
    enrolled: bool
    mode: PriceMode | None
    eligible: bool  # joins at the campaign's minimum discount (SPEC §3.5)
    status: PlanStatus
    list_price: Decimal | None = None
    reference_price: Decimal | None = None
    max_customer_price: Decimal | None = None  # reference × (1 − minimum discount), rounded down
    planned_price: Decimal | None = None  # P
    discount: Decimal | None = None  # 1 − P / reference (fraction, rounded down to 0.01 %)
    subsidy: Decimal | None = None  # per unit, exact
    seller_price: Decimal | None = None  # R = P + subsidy, exact
    floor: Decimal | None = None  # R_floor on the price grid
    customer_floor: Decimal | None = None  # the deepest safe customer price on the grid
    landed_cost: Decimal | None = None
    margin: Decimal | None = None  # at R, a fraction rounded half up to 0.01 %
    under_floor_accepted: bool = False  # enrolled under the floor after a warning
    raw_floor: Decimal | None = None  # the exact R_floor, to the minor unit

    @property
    def margin_floor(self) -> Decimal | None:
        """The floor a seller price is judged against: the exact one."""
        return self.raw_floor if self.raw_floor is not None else self.floor


@dataclass(frozen=True, slots=True)
class CampaignPricing:
    """Everything fixed for one campaign: the engine context, rules and subsidy."""

    campaign: models.Campaign
    channel: models.Channel
    team: models.Team
    context: PricingContext
    rules: CampaignRules
    subsidy: Subsidy

    @property
    def currency(self) -> str:
        return self.channel.currency

    @property
    def digits(self) -> int:
        return currency_digits(self.channel.currency)

    @property
    def target_margin(self) -> Decimal:
        return self.context.run.target_margin


async def campaign_pricing(
    uow: UnitOfWork,
    team: models.Team,
    campaign: models.Campaign,
    *,
    fx: FxTable | None = None,
) -> CampaignPricing:
    channel = await uow.session.get(models.Channel, campaign.channel_id)
    assert channel is not None  # RESTRICT: a channel with campaigns cannot be deleted
    subsidy = pricing_inputs.campaign_subsidy(campaign)
    context = await pricing_inputs.pricing_context(
        uow, team, channel, margin_override=campaign.target_margin, subsidy=subsidy, fx=fx
    )
    return CampaignPricing(
        campaign, channel, team, context, pricing_inputs.campaign_rules(campaign), subsidy
    )


# -- loading -------------------------------------------------------------------------------

_SKU_COLUMNS = (
    models.Sku.id,
    models.Sku.code,
    models.Sku.name,
    models.Sku.unit_cost,
    models.Sku.cost_currency,
    models.Sku.packaging,
    models.Sku.first_mile,
    models.Sku.other_cost,
    models.Sku.duty_rate,
)


def _sku(row: Sequence[object]) -> SkuData:
    return SkuData(*row[:9])  # type: ignore[arg-type]


def _choice(mode: str, price: Decimal | None, discount: Decimal | None) -> PriceChoice:
    try:
        kind = PriceMode(mode)
    except ValueError:
        kind = PriceMode.SUGGESTED
    return PriceChoice(  # stored before the input bounds, maybe beyond them (SPEC §4.2)
        kind,
        None if price is None else limits.stored_amount(price),
        None if discount is None else limits.stored_fraction(discount),
    )


async def enrolled_items(
    uow: UnitOfWork, campaign: models.Campaign, sku_ids: Iterable[int] | None = None
) -> list[tuple[SkuData, PriceChoice]]:
    statement = (
        select(
            *_SKU_COLUMNS,
            models.Enrolment.price_mode,
            models.Enrolment.planned_price,
            models.Enrolment.planned_discount,
        )
        .join(models.Sku, models.Sku.id == models.Enrolment.sku_id)
        .where(models.Enrolment.campaign_id == campaign.id)
        .order_by(models.Sku.code)
    )
    rows: list[Any] = []
    for chunk in _chunks(sku_ids):
        query = statement if chunk is None else statement.where(models.Enrolment.sku_id.in_(chunk))
        rows += await bulk.fetch_all(uow.session, query)
    items: list[tuple[SkuData, PriceChoice]] = []
    async for batch in in_slices(rows, 256):
        items += [(_sku(row), _choice(row[9], row[10], row[11])) for row in batch]
    return items


async def listed_not_enrolled(
    uow: UnitOfWork, team_id: int, campaign: models.Campaign
) -> list[SkuData]:
    """The team's SKUs with a listing on the campaign's channel that are not enrolled."""
    statement = (
        select(*_SKU_COLUMNS)
        .join(models.Listing, models.Listing.sku_id == models.Sku.id)
        .outerjoin(
            models.Enrolment,
            and_(
                models.Enrolment.sku_id == models.Sku.id,
                models.Enrolment.campaign_id == campaign.id,
            ),
        )
        .where(
            models.Listing.channel_id == campaign.channel_id,
            models.Sku.team_id == team_id,
            models.Enrolment.id.is_(None),
        )
        .order_by(models.Sku.code)
    )
    return [_sku(row) for row in await bulk.fetch_all(uow.session, statement)]


async def team_skus(
    uow: UnitOfWork, team_id: int, *, codes: Iterable[str] | None = None
) -> list[SkuData]:
    """The team's SKUs (those whose code matches one of `codes`, any case, when given)."""
    statement = select(*_SKU_COLUMNS).where(models.Sku.team_id == team_id)
    if codes is not None:
        lowered = list({code.lower() for code in codes})
        statement = statement.where(func.lower(models.Sku.code).in_(lowered))
    rows = (await uow.session.execute(statement.order_by(models.Sku.code))).all()
    return [_sku(row) for row in rows]


async def listings(
    uow: UnitOfWork, campaign: models.Campaign, sku_ids: Iterable[int]
) -> dict[int, ListingPrices]:
    """The SKUs' prices on the campaign's channel, by SKU id.

    The same rule as `pricing_inputs.listings_for` — the listing's manual `lowest_30d`
    when set, else the lowest price of the 30 days before the start from the price
    history (`pricing_inputs.lowest_in_window`) — read as plain columns for speed, and
    the history only when the campaign's reference rule needs it."""
    need_history = campaign.reference_rule == ReferenceRule.LOWEST_30D
    rows: list[Any] = []
    for chunk in _chunks(list(sku_ids)):
        assert chunk is not None
        rows += (
            await uow.session.execute(
                select(
                    models.Listing.sku_id,
                    models.Listing.id,
                    models.Listing.list_price,
                    models.Listing.lowest_30d,
                ).where(
                    models.Listing.channel_id == campaign.channel_id,
                    models.Listing.sku_id.in_(chunk),
                )
            )
        ).all()
    history: dict[int, list[tuple[datetime, Decimal]]] = {}
    wanted = [row[1] for row in rows if row[3] is None] if need_history else []
    for chunk in _chunks(wanted):
        assert chunk is not None
        history.update(await pricing_inputs.price_changes(uow, chunk, campaign.starts_at))
    found: dict[int, ListingPrices] = {}
    async for batch in in_slices(rows, 256):
        for sku_id, listing_id, list_price, lowest in batch:
            if need_history and lowest is None:
                lowest = pricing_inputs.lowest_in_window(
                    history.get(listing_id, []), campaign.starts_at
                )
            found[sku_id] = ListingPrices(_positive(list_price), _positive(lowest))
    return found


def _positive(price: Decimal | None) -> Decimal | None:
    return price if price is not None and price > 0 else None


def _chunks(ids: Iterable[int] | None) -> list[list[int] | None]:
    return [None] if ids is None else list(chunked(list(ids)))


async def enrolments_by_sku(
    uow: UnitOfWork, campaign_id: int, sku_ids: Sequence[int]
) -> dict[int, models.Enrolment]:
    """The campaign's enrolments of these SKUs, by SKU id."""
    found: dict[int, models.Enrolment] = {}
    for chunk in chunked(sku_ids):
        enrolments = await uow.session.scalars(
            select(models.Enrolment).where(
                models.Enrolment.campaign_id == campaign_id,
                models.Enrolment.sku_id.in_(chunk),
            )
        )
        found.update((e.sku_id, e) for e in enrolments)
    return found


def chunked(ids: Sequence[int]) -> list[list[int]]:
    """Ids in IN (…) lists of QUERY_CHUNK."""
    return [list(ids[i : i + QUERY_CHUNK]) for i in range(0, len(ids), QUERY_CHUNK)]


# -- pricing -------------------------------------------------------------------------------


class MarginCalculator:
    """The margin on net revenue at a seller price (SPEC §3.2), for many SKUs of one
    campaign — the engine's `PricingContext.margin_at` without the full breakdown, as an
    exact fraction rounded half up to 0.01 %:

        margin(R) = 1 − c·m − (F + L)·(1 + v) / R,   m = 1 + v (fees on gross) or 1 (net)

    with L = cost × rate × (1 + buffer) from the context's own FX quote and buffer."""

    def __init__(self, context: PricingContext) -> None:
        channel = context.channel
        self._context = context
        with localcontext(EXACT):
            self._g = _ONE + channel.effective_vat_rate
            share = channel.percent_fees * (self._g if channel.fees_on is FeesOn.GROSS else _ONE)
            self._keep = _ONE - share
        self._fixed = channel.fixed_fees
        self._cif = channel.duty_basis is DutyBasis.CIF
        self._duty = channel.mode is not Mode.FULL
        self._factors: dict[str, tuple[Decimal, Decimal] | None] = {}

    def _factor(self, currency: str) -> tuple[Decimal, Decimal] | None:
        if currency not in self._factors:
            quote = self._context.quote(currency)
            if quote is None:
                self._factors[currency] = None
            else:
                buffer = buffer_for(quote, self._context.run.fx_buffer)
                with localcontext(EXACT):
                    self._factors[currency] = (
                        quote.numerator * (_ONE + buffer),
                        quote.denominator,
                    )
        return self._factors[currency]

    def margin(self, sku: SkuData, seller_price: Decimal) -> Decimal | None:
        factor = self._factor(sku.cost_currency)
        if factor is None or seller_price <= 0:
            return None
        k_num, k_den = factor
        with localcontext(EXACT):
            total = sku.unit_cost + sku.packaging + sku.first_mile + sku.other_cost
            if self._duty and sku.duty_rate:
                total += sku.duty_rate * (
                    sku.unit_cost + sku.first_mile if self._cif else sku.unit_cost
                )
            denominator = k_den * seller_price
            numerator = denominator * self._keep - (self._fixed * k_den + total * k_num) * self._g
            return half_up(numerator, denominator, MARGIN_DIGITS)


def half_up(numerator: Decimal, denominator: Decimal, digits: int) -> Decimal:
    """numerator / denominator (denominator > 0) rounded half away from zero, exactly."""
    step = denominator.scaleb(-digits)
    quotient, remainder = divmod(numerator.copy_abs(), step)
    if remainder + remainder >= step:
        quotient += 1
    result: Decimal = quotient.scaleb(-digits)
    return -result if numerator < 0 and quotient else result


def price_items(
    pricing: CampaignPricing, items: Sequence[PlanItem], *, margins: bool = True
) -> list[PlanRow]:
    """Price many SKUs under the campaign: one batch through the engine, then the rules."""
    context = pricing.context
    floors = context.evaluate_many(
        (
            item.sku.unit_cost,
            item.sku.packaging,
            item.sku.first_mile,
            item.sku.other_cost,
            item.sku.duty_rate,
            item.sku.cost_currency,
            None if item.listing is None else item.listing.list_price,
        )
        for item in items
    )
    digits = pricing.digits
    grid = context.grid
    min_discount = pricing.rules.min_discount
    lowest_rule = pricing.rules.reference_rule is ReferenceRule.LOWEST_30D
    per_unit = pricing.subsidy.per_unit
    calculator = MarginCalculator(context) if margins else None
    ok, below, too_shallow, no_grid = (
        PlanStatus.OK,
        PlanStatus.BELOW_FLOOR,
        PlanStatus.CANNOT_REACH_MIN_DEPTH,
        PlanStatus.NO_GRID_PRICE,
    )
    deep_modes = (PriceMode.SUGGESTED, PriceMode.MAX)
    rows: list[PlanRow] = []
    append = rows.append
    with localcontext(EXACT):
        for item, floor_row in zip(items, floors, strict=True):
            sku, choice = item.sku, item.choice
            mode = None if choice is None else choice.mode
            head = (sku.id, sku.code, sku.name, choice is not None, mode)
            if floor_row.status is Status.NO_FX_RATE:
                append(PlanRow(*head, False, PlanStatus.NO_FX_RATE))
                continue
            listing = item.listing
            list_price = None if listing is None else listing.list_price
            floor = floor_row.floor_price
            raw_floor = floor_row.raw_floor
            if floor_row.status is Status.NO_PRICE or floor is None or raw_floor is None:
                append(
                    PlanRow(
                        *head,
                        False,
                        PlanStatus.NO_PRICE,
                        list_price=list_price,
                        landed_cost=floor_row.landed_cost,
                    )
                )
                continue
            if listing is None or list_price is None:
                append(
                    PlanRow(
                        *head,
                        False,
                        PlanStatus.NO_LIST_PRICE,
                        planned_price=None if choice is None else choice.price,
                        floor=floor,
                        landed_cost=floor_row.landed_cost,
                        raw_floor=raw_floor,
                    )
                )
                continue
            reference = list_price
            if lowest_rule and listing.lowest_30d is not None:
                reference = min(list_price, listing.lowest_30d)
            raw_customer_floor = floor_row.raw_customer_floor  # None under BELOW_FLOOR
            customer_floor = floor_row.customer_floor  # on the grid; None without a grid price
            max_price = floor_to_minor(reference * (_ONE - min_discount), _ONE, digits)
            suggested: Decimal | None = None
            if raw_customer_floor is None:
                status = below
            elif max_price < raw_customer_floor:
                status = too_shallow
            else:
                suggested = grid.highest_between(raw_customer_floor, max_price)
                status = ok if suggested is not None else no_grid
            eligible = suggested is not None
            if customer_floor is None and raw_customer_floor is not None:
                customer_floor = grid.up(raw_customer_floor)  # above the list price
            planned: Decimal | None
            if choice is None:  # not enrolled: its eligibility, priced at the suggestion
                planned = suggested
            else:
                planned = planned_price(
                    choice, reference, max_price, customer_floor, digits, grid.down
                )
                if mode is PriceMode.MAX and planned is not None and planned > list_price:
                    planned = None  # no grid price up to the list price: nothing to plan
            item_subsidy = seller_price = discount = margin = None
            if planned is not None and raw_customer_floor is not None:
                item_subsidy = per_unit(list_price - planned if list_price > planned else _ZERO)
                seller_price = planned + item_subsidy
                discount = floor_to_minor(reference - planned, reference, DISCOUNT_DIGITS)
                if choice is not None:
                    if mode in deep_modes and not eligible:
                        status = too_shallow if max_price < raw_customer_floor else no_grid
                    elif seller_price < raw_floor:
                        status = below
                    elif min_discount and planned > max_price:
                        status = PlanStatus.MISSES_MIN_DISCOUNT
                    else:
                        status = ok
                if calculator is not None:
                    margin = calculator.margin(sku, seller_price)
            elif choice is not None and raw_customer_floor is None:
                status = below  # nothing to price against: even the list price is under
            append(
                PlanRow(
                    *head,
                    eligible,
                    status,
                    list_price,
                    reference,
                    max_price,
                    planned,
                    discount,
                    item_subsidy,
                    seller_price,
                    floor,
                    customer_floor,
                    floor_row.landed_cost,
                    margin,
                    raw_floor=raw_floor,
                )
            )
    return rows


async def price_many(
    pricing: CampaignPricing, items: Sequence[PlanItem], *, margins: bool = True
) -> list[PlanRow]:
    """`price_items` for a whole campaign, in slices, so other chats run in between."""
    rows: list[PlanRow] = []
    async for batch in in_slices(items):
        rows += price_items(pricing, batch, margins=margins)
    return rows


def planned_price(
    choice: PriceChoice,
    reference: Decimal,
    max_price: Decimal,
    customer_floor: Decimal | None,
    digits: int,
    to_grid: Callable[[Decimal], Decimal | None] | None = None,
) -> Decimal | None:
    """The planned customer price P for an enrolment mode (see the module docstring);
    `to_grid` rounds a derived price down to the channel's price grid."""

    def on_grid(price: Decimal) -> Decimal:
        rounded = None if to_grid is None else to_grid(price)
        return price if rounded is None else rounded

    if choice.mode is PriceMode.SUGGESTED:
        return on_grid(max_price)
    if choice.mode is PriceMode.MAX:
        return customer_floor
    if choice.mode is PriceMode.DISCOUNT:
        assert choice.discount is not None
        with localcontext(EXACT):
            return on_grid(floor_to_minor(reference * (_ONE - choice.discount), _ONE, digits))
    return choice.price


def sort_rows(rows: Iterable[PlanRow]) -> list[PlanRow]:
    """Eligible first; then by status (ok first), then by SKU code."""
    order = {status: index for index, status in enumerate(STATUS_ORDER)}
    groups: dict[tuple[bool, int], list[PlanRow]] = {}
    for row in rows:  # a group per (eligible, status), each sorted by code in C
        groups.setdefault((not row.eligible, order[row.status]), []).append(row)
    return [row for key in sorted(groups) for row in sorted(groups[key], key=_CODE)]


_CODE = attrgetter("code")


# -- the whole plan ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoucherCheck:
    """A saved voucher re-checked against the current plan."""

    id: int
    threshold: Decimal
    value: Decimal
    share: Decimal
    cap: Decimal | None
    result: VoucherResult  # minimum threshold for this value, now

    @property
    def safe(self) -> bool:
        minimum = self.result.threshold
        return (
            self.result.status is VoucherStatus.OK
            and minimum is not None
            and self.threshold >= minimum.amount
        )


@dataclass(frozen=True, slots=True)
class Plan:
    pricing: CampaignPricing
    rows: list[PlanRow]  # enrolled SKUs, eligible first
    others: list[PlanRow]  # listed on the channel, not enrolled
    vouchers: list[VoucherCheck]
    computed_at: datetime
    counts: dict[PlanStatus, int] = field(default_factory=dict)

    @property
    def campaign(self) -> models.Campaign:
        return self.pricing.campaign

    @property
    def channel(self) -> models.Channel:
        return self.pricing.channel

    @property
    def currency(self) -> str:
        return self.pricing.currency

    def worst(self, limit: int = 5) -> list[PlanRow]:
        """The enrolled SKUs with the lowest margins at the planned price."""
        priced = [row for row in self.rows if row.margin is not None]
        return sorted(priced, key=lambda r: (r.margin, r.code))[:limit]

    @property
    def eligible_others(self) -> int:
        return sum(1 for row in self.others if row.eligible)


async def voucher_lines(pricing: CampaignPricing, rows: Sequence[PlanRow]) -> list[VoucherLine]:
    """The enrolled SKUs with a planned price, as the voucher module wants them (in
    slices: ~10 µs a SKU)."""
    lines = []
    async for batch in in_slices(rows, 256):
        for row in batch:
            if (
                row.enrolled
                and row.planned_price is not None
                and row.planned_price > 0
                and row.list_price is not None
                and row.margin_floor is not None
            ):
                lines.append(
                    voucher_line(
                        row.code,
                        row.list_price,
                        row.planned_price,
                        row.margin_floor,
                        pricing.subsidy,
                    )
                )
    return lines


async def build_plan(
    uow: UnitOfWork,
    team: models.Team,
    campaign: models.Campaign,
    now: datetime,
    *,
    include_others: bool = True,
    margins: bool = True,
) -> Plan:
    pricing = await campaign_pricing(uow, team, campaign)
    enrolled = await enrolled_items(uow, campaign)
    others = await listed_not_enrolled(uow, team.id, campaign) if include_others else []
    found = await listings(uow, campaign, [s.id for s, _ in enrolled] + [s.id for s in others])
    items = [
        PlanItem(sku, found.get(sku.id), choice)
        async for batch in in_slices(enrolled, 256)
        for sku, choice in batch
    ]
    other_items = [
        PlanItem(sku, found.get(sku.id), None)
        async for batch in in_slices(others, 256)
        for sku in batch
    ]
    accepted = set(
        (
            await uow.session.scalars(
                select(models.Enrolment.sku_id).where(
                    models.Enrolment.campaign_id == campaign.id,
                    models.Enrolment.under_floor_accepted_at.is_not(None),
                )
            )
        ).all()
    )
    rows = sort_rows(
        replace(row, under_floor_accepted=True) if row.sku_id in accepted else row
        for row in await price_many(pricing, items, margins=margins)
    )
    other_rows = sort_rows(await price_many(pricing, other_items, margins=margins))
    saved = (
        await uow.session.scalars(
            select(models.Voucher)
            .where(models.Voucher.campaign_id == campaign.id)
            .order_by(models.Voucher.threshold, models.Voucher.id)
        )
    ).all()
    lines = await voucher_lines(pricing, rows)
    checks = [_voucher_check(v, lines, pricing.currency) for v in saved]
    counts: dict[PlanStatus, int] = {}
    for row in rows:
        counts[row.status] = counts.get(row.status, 0) + 1
    return Plan(pricing, rows, other_rows, checks, now, counts)


def _voucher_check(
    voucher: models.Voucher, lines: Sequence[VoucherLine], currency: str
) -> VoucherCheck:
    """A saved voucher checked against the floors now. Its numbers enter the check — and
    the plan's files — within the input bounds (SPEC §4.2): one saved before the bounds
    with a share of 1E-999999999 is a share of 0, not a billion-digit number."""
    cap = voucher.platform_cap
    threshold = limits.stored_amount(voucher.threshold)
    value = limits.stored_amount(voucher.value)
    share = limits.stored_fraction(voucher.platform_share)
    cap = None if cap is None else limits.stored_amount(cap)
    result = minimum_threshold(lines, value, currency, VoucherFunding(share, cap))
    return VoucherCheck(voucher.id, threshold, value, share, cap, result)


# -- vouchers (SPEC §3.6) --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VoucherQuestion:
    value: Decimal | None = None
    threshold: Decimal | None = None
    share: Decimal = _ZERO
    cap: Decimal | None = None

    @property
    def funding(self) -> VoucherFunding:
        return VoucherFunding(self.share, self.cap)


@dataclass(frozen=True, slots=True)
class VoucherAnswer:
    question: VoucherQuestion
    result: VoucherResult
    lines: int  # how many SKUs were checked

    @property
    def verdict(self) -> bool | None:
        """With both a threshold and a value given: is that pair safe? Else None."""
        q = self.question
        if q.value is None or q.threshold is None:
            return None
        minimum = self.result.threshold
        return (
            self.result.status is VoucherStatus.OK
            and minimum is not None
            and q.threshold >= minimum.amount
        )

    @property
    def pair(self) -> tuple[Decimal, Decimal] | None:
        """The (threshold, value) to save: the one asked, else the one computed."""
        result = self.result
        if result.status is not VoucherStatus.OK:
            return None
        threshold = self.question.threshold
        if threshold is None and result.threshold is not None:
            threshold = result.threshold.amount
        value = self.question.value
        if value is None and result.voucher is not None:
            value = result.voucher.amount
        if threshold is None or value is None or value <= 0:
            return None
        return threshold, value


async def answer_voucher(
    uow: UnitOfWork, team: models.Team, campaign: models.Campaign, question: VoucherQuestion
) -> VoucherAnswer:
    pricing = await campaign_pricing(uow, team, campaign)
    enrolled = await enrolled_items(uow, campaign)
    found = await listings(uow, campaign, [s.id for s, _ in enrolled])
    items = [PlanItem(sku, found.get(sku.id), choice) for sku, choice in enrolled]
    lines = await voucher_lines(pricing, await price_many(pricing, items, margins=False))
    return VoucherAnswer(question, solve_voucher(lines, pricing.currency, question), len(lines))


def solve_voucher(
    lines: Sequence[VoucherLine], currency: str, question: VoucherQuestion
) -> VoucherResult:
    if question.value is not None:
        return minimum_threshold(lines, question.value, currency, question.funding)
    assert question.threshold is not None
    return largest_voucher(lines, question.threshold, currency, question.funding)


async def save_voucher(
    uow: UnitOfWork,
    campaign: models.Campaign,
    threshold: Decimal,
    value: Decimal,
    share: Decimal,
    cap: Decimal | None,
    now: datetime,
) -> models.Voucher:
    """Save a voucher on the campaign; saving the same one twice keeps one row."""
    saved = await uow.session.scalars(
        select(models.Voucher).where(models.Voucher.campaign_id == campaign.id)
    )
    existing = next((v for v in saved if (v.threshold, v.value) == (threshold, value)), None)
    if existing is not None:
        existing.platform_share, existing.platform_cap = share, cap
        return existing
    voucher = models.Voucher(
        campaign_id=campaign.id,
        threshold=threshold,
        value=value,
        platform_share=share,
        platform_cap=cap,
        created_at=now,
    )
    uow.session.add(voucher)
    await uow.session.flush()
    return voucher
