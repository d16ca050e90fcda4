"""From database rows to the pricing engine's inputs — the one place that maps them.

The floor card, the plan, the exports and the margin warnings all price through
these functions, so they always agree. Stored numbers enter the engine within the input
bounds (`bot.limits.stored_*`): a row written before the bounds existed gives absurd
figures for its own SKU, not an error for the whole team.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import func, select

from bot.db import models
from bot.db.uow import UnitOfWork
from bot.limits import MAX_STORED_DUTY, stored_amount, stored_fraction, stored_rate
from bot.pricing import (
    CampaignRules,
    FxRate,
    FxTable,
    Listing,
    PricingContext,
    ReferenceRule,
    RunSettings,
    SkuCost,
    Subsidy,
)
from bot.pricing import Channel as ChannelParams
from bot.pricing.fields import parse_price_endings
from bot.pricing.fx import ECB_SOURCE, MANUAL_SOURCE

LOWEST_PRICE_WINDOW = timedelta(days=30)


class SkuCostRow(Protocol):
    """The cost columns of a SKU: an ORM row or a lighter row read for a plan."""

    @property
    def code(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def unit_cost(self) -> Decimal: ...
    @property
    def cost_currency(self) -> str: ...
    @property
    def packaging(self) -> Decimal: ...
    @property
    def first_mile(self) -> Decimal: ...
    @property
    def other_cost(self) -> Decimal: ...
    @property
    def duty_rate(self) -> Decimal: ...


def sku_cost(row: SkuCostRow) -> SkuCost:
    amount, fraction = stored_amount, stored_fraction
    return SkuCost(
        sku=row.code,
        name=row.name or None,
        unit_cost=amount(row.unit_cost),
        cost_currency=row.cost_currency,
        packaging=amount(row.packaging),
        first_mile=amount(row.first_mile),
        other_cost=amount(row.other_cost),
        duty_rate=fraction(row.duty_rate, MAX_STORED_DUTY),
    )


def channel_params(row: models.Channel) -> ChannelParams:
    return ChannelParams(
        currency=row.currency,
        platform=row.platform,
        market=row.market,
        mode=row.mode,  # type: ignore[arg-type]
        vat_rate=stored_fraction(row.vat_rate),
        prices_include_vat=row.prices_include_vat,
        fees_on=row.fees_on,  # type: ignore[arg-type]
        commission=stored_fraction(row.commission),
        payment_rate=stored_fraction(row.payment_rate),
        returns_rate=stored_fraction(row.returns_rate),
        ads_rate=stored_fraction(row.ads_rate),
        payment_fixed=stored_amount(row.payment_fixed),
        fulfilment_fee=stored_amount(row.fulfilment_fee),
        other_channel_fee=stored_amount(row.other_channel_fee),
        duty_basis=row.duty_basis,  # type: ignore[arg-type]
        discount_step=row.discount_step,
        price_step=row.price_step,
        price_endings=parse_price_endings(row.price_endings or ""),
    )


def channel_columns(params: ChannelParams) -> dict[str, Any]:
    """The `Channel` row's pricing columns for engine parameters (a preset's, say):
    the inverse of `channel_params`."""
    return {
        "platform": params.platform,
        "market": params.market,
        "mode": params.mode.value,
        "currency": params.currency,
        "vat_rate": params.vat_rate,
        "prices_include_vat": bool(params.prices_include_vat),
        "fees_on": params.fees_on.value,
        "commission": params.commission,
        "payment_rate": params.payment_rate,
        "returns_rate": params.returns_rate,
        "ads_rate": params.ads_rate,
        "payment_fixed": params.payment_fixed,
        "fulfilment_fee": params.fulfilment_fee,
        "other_channel_fee": params.other_channel_fee,
        "duty_basis": params.duty_basis.value if params.duty_basis else "fob",
        "discount_step": params.discount_step,
        "price_step": params.price_step,
        "price_endings": params.grid.endings_text() or None,
    }


def run_settings(team: models.Team, margin_override: Decimal | None = None) -> RunSettings:
    margin = margin_override if margin_override is not None else team.target_margin
    return RunSettings(target_margin=margin, fx_buffer=stored_fraction(team.fx_buffer))


def campaign_subsidy(campaign: models.Campaign) -> Subsidy:
    value, cap = campaign.subsidy_value, campaign.subsidy_cap
    if campaign.subsidy_kind == "fixed" and value is not None:
        return Subsidy.fixed(stored_amount(value))
    if campaign.subsidy_kind == "share" and value is not None:
        return Subsidy.share_of_discount(
            stored_fraction(value), None if cap is None else stored_amount(cap)
        )
    return Subsidy.none()


def campaign_rules(campaign: models.Campaign) -> CampaignRules:
    return CampaignRules(
        min_discount=stored_fraction(campaign.min_discount or Decimal(0)),
        reference_rule=ReferenceRule(campaign.reference_rule),
    )


async def load_fx_table(uow: UnitOfWork, team_id: int | None) -> FxTable:
    """The latest published (ECB, EUR-based) rates plus the team's manual overrides."""
    latest = (
        select(models.FxRate.quote, func.max(models.FxRate.rate_date).label("day"))
        .where(models.FxRate.source == ECB_SOURCE, models.FxRate.base == "EUR")
        .group_by(models.FxRate.quote)
        .subquery()
    )
    published = (
        await uow.session.scalars(
            select(models.FxRate)
            .join(
                latest,
                (models.FxRate.quote == latest.c.quote) & (models.FxRate.rate_date == latest.c.day),
            )
            .where(models.FxRate.source == ECB_SOURCE, models.FxRate.base == "EUR")
        )
    ).all()
    reference = [
        FxRate(r.base, r.quote, r.rate, r.rate_date, ECB_SOURCE)
        for r in published
        if stored_rate(r.rate) is not None  # a rate beyond the bounds is no rate
    ]
    overrides: list[FxRate] = []
    if team_id is not None:
        rows = (
            await uow.session.scalars(
                select(models.FxOverride)
                .where(models.FxOverride.team_id == team_id)
                .order_by(models.FxOverride.set_at)
            )
        ).all()
        overrides = [
            FxRate(r.base, r.quote, r.rate, r.set_at.date(), MANUAL_SOURCE)
            for r in rows
            if stored_rate(r.rate) is not None
        ]
    return FxTable(reference, overrides, base="EUR")


async def pricing_context(
    uow: UnitOfWork,
    team: models.Team,
    channel: models.Channel,
    *,
    margin_override: Decimal | None = None,
    subsidy: Subsidy | None = None,
    fx: FxTable | None = None,
) -> PricingContext:
    return PricingContext(
        channel_params(channel),
        run_settings(team, margin_override),
        fx if fx is not None else await load_fx_table(uow, team.id),
        subsidy,
    )


def lowest_in_window(
    changes: Sequence[tuple[datetime, Decimal]], window_end: datetime
) -> Decimal | None:
    """The lowest price in effect during the 30 days before `window_end`.

    `changes` are (effective_at, price), oldest first. The price in effect when the
    window opens counts too: it was applied during the window until the next change."""
    window_start = window_end - LOWEST_PRICE_WINDOW
    in_effect: Decimal | None = None
    lowest: Decimal | None = None
    for moment, price in changes:
        if moment >= window_end:
            break
        if moment <= window_start:
            in_effect = price
            continue
        lowest = price if lowest is None else min(lowest, price)
    candidates = [p for p in (in_effect, lowest) if p is not None]
    return min(candidates) if candidates else None


async def price_changes(
    uow: UnitOfWork, listing_ids: Sequence[int], before: datetime
) -> dict[int, list[tuple[datetime, Decimal]]]:
    """Each listing's list-price changes before `before`, oldest first (for
    `lowest_in_window`). One query; callers with very many ids pass them in chunks."""
    changes = await uow.session.execute(
        select(
            models.PriceHistory.listing_id,
            models.PriceHistory.effective_at,
            models.PriceHistory.price,
        )
        .where(
            models.PriceHistory.listing_id.in_(listing_ids),
            models.PriceHistory.effective_at < before,
        )
        .order_by(models.PriceHistory.listing_id, models.PriceHistory.effective_at)
    )
    history: dict[int, list[tuple[datetime, Decimal]]] = defaultdict(list)
    for listing_id, moment, price in changes:
        history[listing_id].append((moment, price))
    return history


async def listings_for(
    uow: UnitOfWork, channel_id: int, sku_ids: Iterable[int], as_of: datetime
) -> dict[int, Listing]:
    """Pricing listings for the SKUs on one channel, by SKU id, in two queries.

    `lowest_30d` is the listing's manual value when set, else the lowest price of the
    30 days before `as_of` taken from the price history."""
    ids = list(sku_ids)
    if not ids:
        return {}
    rows = (
        await uow.session.scalars(
            select(models.Listing).where(
                models.Listing.channel_id == channel_id, models.Listing.sku_id.in_(ids)
            )
        )
    ).all()
    by_listing = {row.id: row for row in rows}
    history = await price_changes(uow, list(by_listing), as_of) if by_listing else {}
    result: dict[int, Listing] = {}
    for row in rows:
        lowest = row.lowest_30d
        if lowest is None:
            lowest = lowest_in_window(history.get(row.id, []), as_of)
        price = row.list_price
        result[row.sku_id] = Listing(
            list_price=None if price is None else stored_amount(price),
            lowest_30d=None if lowest is None else stored_amount(lowest),
        )
    return result
