"""The plan's batch pricing agrees with the engine's one-SKU API (eligibility, suggested
price, floors, subsidy, margin) on every preset, subsidy kind and reference rule."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from hypothesis import event, given, settings
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
