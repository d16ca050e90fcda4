"""The plan's batch pricing agrees with the engine's one-SKU API (eligibility, suggested
price, floors, subsidy, margin) on every preset, subsidy kind and reference rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from bot.db import models
from bot.pricing import (
    CampaignRules,
    FxTable,
    Listing,
    PricingContext,
    ReferenceRule,
    RunSettings,
    Status,
    Subsidy,
    get_preset,
    minor_unit,
    preset_names,
)
from bot.services.plan import (
    CampaignPricing,
    ListingPrices,
    MarginCalculator,
    PlanItem,
    PlanStatus,
    PriceChoice,
    PriceMode,
    SkuData,
    half_up,
    price_items,
)

FX = FxTable.from_base_rates(
    {
        "USD": Decimal("1.08"),
        "CNY": Decimal("7.71"),
        "GBP": Decimal("0.84"),
        "JPY": Decimal("162.3"),
        "KRW": Decimal("1466.5"),
        "ZAR": Decimal("19.7"),
    }
)
PRESETS = [name for name in preset_names() if name != "custom"]
QUARTER = Decimal("0.0001")


def sku_data(
    code: str, cost: Decimal, packaging: Decimal, duty: Decimal, currency: str = "CNY"
) -> SkuData:
    return SkuData(
        id=1,
        code=code,
        name=code,
        unit_cost=cost,
        cost_currency=currency,
        packaging=packaging,
        first_mile=Decimal("3.5"),
        other_cost=Decimal(0),
        duty_rate=duty,
    )


def pricing_for(preset: str, subsidy: Subsidy, rules: CampaignRules) -> CampaignPricing:
    params = get_preset(preset).channel
    context = PricingContext(params, RunSettings(Decimal("0.18"), Decimal("0.02")), FX, subsidy)
    channel = models.Channel(name=preset, currency=params.currency)
    campaign = models.Campaign(name="test")
    team = models.Team(name="t")
    return CampaignPricing(campaign, channel, team, context, rules, subsidy)


subsidies = st.sampled_from(
    [
        Subsidy.none(),
        Subsidy.fixed(Decimal(2)),
        Subsidy.share_of_discount(Decimal("0.3"), Decimal(5)),
        Subsidy.share_of_discount(Decimal("0.5")),
    ]
)


@settings(max_examples=150, deadline=None)
@given(
    preset=st.sampled_from(PRESETS),
    subsidy=subsidies,
    min_discount=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.2"), Decimal("0.35")]),
    lowest_rule=st.booleans(),
    cost=st.integers(min_value=100, max_value=40_000),
    ratio=st.integers(min_value=30, max_value=120),
    lowest_cut=st.integers(min_value=0, max_value=30),
    duty=st.sampled_from([Decimal(0), Decimal("0.075"), Decimal("0.25")]),
)
def test_suggested_prices_equal_the_engines_eligibility(
    preset: str,
    subsidy: Subsidy,
    min_discount: Decimal,
    lowest_rule: bool,
    cost: int,
    ratio: int,
    lowest_cut: int,
    duty: Decimal,
) -> None:
    rules = CampaignRules(
        min_discount, ReferenceRule.LOWEST_30D if lowest_rule else ReferenceRule.LIST
    )
    pricing = pricing_for(preset, subsidy, rules)
    currency = pricing.currency
    unit = minor_unit(currency)
    sku = sku_data("A1", Decimal(cost) / 100, Decimal("1.2"), duty)
    # a list price around the floor, on the currency's minor unit
    floor = pricing.context.floor(sku.cost()).floor
    base = floor.amount if floor is not None else Decimal(50)
    list_price = (base * ratio / 40).quantize(unit)
    lowest = (list_price * (100 - lowest_cut) / 100).quantize(unit)
    if list_price <= 0 or lowest <= 0:
        return
    listing = Listing(list_price, lowest)
    (row,) = price_items(
        pricing,
        [PlanItem(sku, ListingPrices(list_price, lowest), PriceChoice(PriceMode.SUGGESTED))],
    )
    engine = pricing.context.eligibility(sku.cost(), listing, rules)
    event(engine.status.value)
    if engine.status is Status.NO_PRICE:
        assert row.status is PlanStatus.NO_PRICE
        return
    assert row.floor == engine.discount.floor.floor.amount  # type: ignore[union-attr]
    assert row.eligible is engine.eligible
    assert row.status.value == engine.status.value
    if engine.reference_price is not None:
        assert row.reference_price == engine.reference_price.amount
    if engine.discount.customer_floor is not None:
        assert row.customer_floor == engine.discount.customer_floor.amount
    if engine.eligible:
        assert engine.suggested_price is not None and engine.at_suggested is not None
        assert row.planned_price == engine.suggested_price.amount
        assert row.seller_price == engine.at_suggested.seller_price.amount
        assert engine.at_suggested.margin is not None
        assert row.margin == engine.at_suggested.margin.quantize(QUARTER, ROUND_HALF_UP)
        assert row.discount is not None and row.discount >= min_discount


@settings(max_examples=200, deadline=None)
@given(
    preset=st.sampled_from(PRESETS),
    cost=st.integers(min_value=1, max_value=100_000),
    price=st.integers(min_value=1, max_value=100_000),
    duty=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("1.45")]),
    currency=st.sampled_from(["CNY", "USD"]),
)
def test_margin_calculator_equals_the_engines_margin(
    preset: str, cost: int, price: int, duty: Decimal, currency: str
) -> None:
    params = get_preset(preset).channel
    context = PricingContext(params, RunSettings(Decimal("0.15"), Decimal("0.03")), FX)
    sku = sku_data("B2", Decimal(cost) / 100, Decimal("0.8"), duty, currency)
    seller_price = Decimal(price) / 100
    engine = context.margin_at(sku.cost(), seller_price)
    mine = MarginCalculator(context).margin(sku, seller_price)
    assert engine is not None and mine is not None
    assert mine == engine.quantize(QUARTER, ROUND_HALF_UP)


def test_no_fx_rate_means_no_margin() -> None:
    context = PricingContext(get_preset("amazon-us").channel, RunSettings(), FxTable())
    sku = sku_data("C3", Decimal(10), Decimal(0), Decimal(0))
    assert MarginCalculator(context).margin(sku, Decimal(20)) is None


def test_modes_and_statuses() -> None:
    subsidy = Subsidy.share_of_discount(Decimal("0.3"), Decimal(5))
    rules = CampaignRules(Decimal("0.2"))
    pricing = pricing_for("temu-us-semi", subsidy, rules)
    sku = sku_data("D4", Decimal(100), Decimal(0), Decimal(0))
    floor = pricing.context.floor(sku.cost()).floor
    assert floor is not None
    listing = ListingPrices(Decimal("39.99"), None)
    choices = {
        "suggested": PriceChoice(PriceMode.SUGGESTED),
        "max": PriceChoice(PriceMode.MAX),
        "d25": PriceChoice(PriceMode.DISCOUNT, discount=Decimal("0.25")),
        "d5": PriceChoice(PriceMode.DISCOUNT, discount=Decimal("0.05")),
        "cheap": PriceChoice(PriceMode.PRICE, price=Decimal("1.00")),
    }
    rows = {
        name: price_items(pricing, [PlanItem(sku, listing, choice)])[0]
        for name, choice in choices.items()
    }
    assert rows["suggested"].planned_price == Decimal("31.99")  # 39.99 × 0.8, rounded down
    assert rows["suggested"].status is PlanStatus.OK
    assert rows["max"].planned_price == rows["max"].customer_floor
    assert rows["max"].status is PlanStatus.OK
    assert rows["d25"].planned_price == Decimal("29.99")
    assert rows["d5"].status is PlanStatus.MISSES_MIN_DISCOUNT  # 5 % < the 20 % minimum
    assert rows["cheap"].status is PlanStatus.BELOW_FLOOR
    no_list = price_items(pricing, [PlanItem(sku, ListingPrices(None, None), choices["max"])])
    assert no_list[0].status is PlanStatus.NO_LIST_PRICE and no_list[0].floor == floor.amount
    not_enrolled = price_items(pricing, [PlanItem(sku, listing, None)])[0]
    assert not not_enrolled.enrolled and not_enrolled.planned_price == Decimal("31.99")


def test_half_up_rounds_ties_away_from_zero() -> None:
    assert half_up(Decimal(1), Decimal(8), 2) == Decimal("0.13")  # 0.125
    assert half_up(Decimal(-1), Decimal(8), 2) == Decimal("-0.13")
    assert half_up(Decimal(1), Decimal(3), 4) == Decimal("0.3333")
    assert half_up(Decimal(-1), Decimal(1000), 2) == Decimal("0.00")


GRIDS = {
    "USD": [(None, ""), (None, "0.99"), (None, "0.49,0.99"), ("0.05", ""), ("5", "4.99")],
    "EUR": [(None, "0.99"), ("0.10", "")],
    "GBP": [(None, "0.99"), ("1", "")],
    "JPY": [("10", ""), ("1000", "980")],
    "KRW": [("10", ""), ("100", ""), ("1000", "900")],
    "ZAR": [(None, "0.99"), ("5", "")],
}


@settings(max_examples=400, deadline=None)
@example(  # a list price under the grid floor, over the exact one; the deepest discount
    preset="amazon-de",
    grid_index=0,
    subsidy=Subsidy.none(),
    min_discount=Decimal("0.2"),
    cost=146,
    ratio=38,
    mode=PriceMode.MAX,
)
@given(
    preset=st.sampled_from(PRESETS),
    grid_index=st.integers(min_value=0, max_value=4),
    subsidy=subsidies,
    min_discount=st.sampled_from([Decimal(0), Decimal("0.1"), Decimal("0.2")]),
    cost=st.integers(min_value=100, max_value=40_000),
    ratio=st.integers(min_value=38, max_value=120),
    mode=st.sampled_from([PriceMode.SUGGESTED, PriceMode.MAX, None]),
)
def test_the_plan_prices_on_the_channels_grid_like_the_engine(
    preset: str,
    grid_index: int,
    subsidy: Subsidy,
    min_discount: Decimal,
    cost: int,
    ratio: int,
    mode: PriceMode | None,
) -> None:
    """With a price grid, the plan's suggested and deepest prices lie on it, never under the
    customer price floor, and agree with the engine's eligibility (no_grid_price included)."""
    import dataclasses

    from bot.pricing import apply_channel_overrides

    params = get_preset(preset).channel
    options = GRIDS[params.currency]
    step, endings = options[grid_index % len(options)]
    params = apply_channel_overrides(
        params, {"price_step": step or "none", "price_endings": endings or "none"}
    )
    rules = CampaignRules(min_discount)
    base = pricing_for(preset, subsidy, rules)
    context = PricingContext(params, base.context.run, FX, subsidy)
    pricing = dataclasses.replace(base, context=context)
    grid = params.grid
    sku = sku_data("G1", Decimal(cost) / 100, Decimal("1.2"), Decimal(0))
    floor = context.floor(sku.cost())
    if floor.floor is None:
        return
    list_price = (floor.floor.amount * ratio / 40).quantize(minor_unit(params.currency))
    choice = None if mode is None else PriceChoice(mode)
    (row,) = price_items(pricing, [PlanItem(sku, ListingPrices(list_price, None), choice)])
    engine = context.eligibility(sku.cost(), Listing(list_price), rules)
    event(f"{engine.status.value}, grid {'default' if grid.is_minor_unit else 'coarse'}")
    assert row.floor == floor.floor.amount and grid.contains(row.floor)
    assert row.raw_floor == floor.raw_floor.amount  # type: ignore[union-attr]
    assert row.eligible is engine.eligible
    assert row.status.value == engine.status.value or (mode is None and engine.status is Status.OK)
    if row.customer_floor is not None:
        assert grid.contains(row.customer_floor)
    if engine.eligible:
        assert engine.suggested_price is not None and row.planned_price is not None
        assert grid.contains(row.planned_price)
        assert engine.discount.raw_customer_floor is not None
        assert row.planned_price >= engine.discount.raw_customer_floor.amount
        if mode is PriceMode.MAX:
            assert row.planned_price == row.customer_floor
        else:
            assert row.planned_price == engine.suggested_price.amount
        assert row.status is PlanStatus.OK
        assert row.margin is not None and row.margin >= Decimal("0.18")


def test_modes_on_a_ten_won_grid() -> None:
    """A Korean channel from its preset (price step 10 won): every price the plan proposes
    ends in 0; a fixed price is the seller's own and stays as typed."""
    rules = CampaignRules(Decimal("0.2"))
    pricing = pricing_for("aliexpress-kr", Subsidy.none(), rules)
    sku = sku_data("K1", Decimal(60), Decimal(0), Decimal(0))
    listing = ListingPrices(Decimal(39900), None)
    choices = {
        "suggested": PriceChoice(PriceMode.SUGGESTED),
        "max": PriceChoice(PriceMode.MAX),
        "d23": PriceChoice(PriceMode.DISCOUNT, discount=Decimal("0.23")),
        "fixed": PriceChoice(PriceMode.PRICE, price=Decimal(31915)),
    }
    rows = {
        name: price_items(pricing, [PlanItem(sku, listing, choice)])[0]
        for name, choice in choices.items()
    }
    for name in ("suggested", "max", "d23"):
        row = rows[name]
        assert row.status is PlanStatus.OK, name
        assert row.planned_price is not None and row.planned_price % 10 == 0, name
        assert row.floor is not None and row.floor % 10 == 0
        assert row.customer_floor is not None and row.customer_floor % 10 == 0
    assert rows["suggested"].planned_price == Decimal(31920)  # 39900 × 0.8 = 31920
    assert rows["d23"].planned_price == Decimal(30720)  # 39900 × 0.77 = 30723 → 30720
    assert rows["fixed"].planned_price == Decimal(31915)
    assert rows["max"].planned_price == rows["max"].customer_floor


def test_no_grid_price_for_the_deepest_discount_plans_nothing() -> None:
    """A list price between the exact floor and the grid floor: the deepest discount has no
    grid price at or under the list price, so nothing is planned and the status says why."""
    import dataclasses

    from bot.pricing import apply_channel_overrides

    rules = CampaignRules()
    base = pricing_for("temu-us-semi", Subsidy.none(), rules)
    params = apply_channel_overrides(base.context.channel, {"price_endings": "0.99"})
    context = PricingContext(params, base.context.run, FX)
    pricing = dataclasses.replace(base, context=context)
    sku = sku_data("N1", Decimal(100), Decimal(0), Decimal(0))
    floor = context.floor(sku.cost())
    assert floor.raw_floor is not None and floor.floor is not None
    assert floor.raw_floor.amount % 1 != Decimal("0.99")  # the grid moves this floor
    listing = ListingPrices(floor.raw_floor.amount, None)  # keeps the margin, off the grid
    for mode in (PriceMode.MAX, PriceMode.SUGGESTED):
        (row,) = price_items(pricing, [PlanItem(sku, listing, PriceChoice(mode))])
        assert row.status is PlanStatus.NO_GRID_PRICE and not row.eligible
        assert row.customer_floor == floor.floor.amount  # shown: the lowest grid price
    (row,) = price_items(pricing, [PlanItem(sku, listing, PriceChoice(PriceMode.MAX))])
    assert row.planned_price is None
    (row,) = price_items(pricing, [PlanItem(sku, listing, None)])
    assert row.status is PlanStatus.NO_GRID_PRICE and row.planned_price is None
