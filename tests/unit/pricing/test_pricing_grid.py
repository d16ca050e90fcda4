"""The price grid (SPEC §3.8) and the deepest-discount pair (SPEC §3.4).

Properties are checked against an oracle written with `Fraction` from the definition —
grid prices are k × period + ending, k = 0, 1, 2 … — and SPEC §3.2's margin: every price
the engine proposes lies on the grid, the grid floor keeps the margin and the grid price
below it does not, a suggested price never falls under the customer price floor, and
`no_grid_price` is reported exactly when no grid price lies between.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from bot.pricing import (
    CampaignRules,
    Channel,
    FeesOn,
    InputError,
    InputProblem,
    Listing,
    PricingContext,
    RunSettings,
    SkuCost,
    Status,
    Subsidy,
    SubsidyKind,
    apply_channel_overrides,
    get_preset,
)
from bot.pricing._exact import EXACT
from bot.pricing.fields import parse_price_endings, parse_price_step
from bot.pricing.grid import MAX_PRICE_ENDINGS, PriceGrid, format_endings

D = Decimal
DIGITS = {"USD": 2, "EUR": 2, "KRW": 0, "JPY": 0}


# --- the oracle ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Oracle:
    """Grid prices straight from the definition, in exact fractions."""

    period: Fraction
    offsets: tuple[Fraction, ...]

    @classmethod
    def of(cls, grid: PriceGrid) -> Oracle:
        unit = Fraction(grid.unit)
        step = Fraction(grid.step)
        endings = tuple(Fraction(e) for e in grid.endings)
        period = step if not endings or step >= 1 else Fraction(1)
        assert period >= unit
        return cls(period, endings or (Fraction(0),))

    def on_grid(self, price: Fraction) -> bool:
        return any(
            price >= e and ((price - e) / self.period).denominator == 1 for e in self.offsets
        )

    def at_or_above(self, price: Fraction) -> Fraction:
        """The smallest grid price ≥ price."""
        return min(
            max(0, math.ceil((price - e) / self.period)) * self.period + e for e in self.offsets
        )

    def at_or_below(self, price: Fraction) -> Fraction | None:
        """The largest grid price ≤ price (None: none is that low)."""
        found = [
            math.floor((price - e) / self.period) * self.period + e
            for e in self.offsets
            if price >= e
        ]
        return max(found) if found else None

    def below(self, price: Fraction) -> Fraction | None:
        """The largest grid price < price."""
        found = [
            (math.ceil((price - e) / self.period) - 1) * self.period + e
            for e in self.offsets
            if price > e
        ]
        return max(found) if found else None


# --- strategies ------------------------------------------------------------------------------
def amounts(low: int, high: int, digits: int) -> st.SearchStrategy[Decimal]:
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-digits))


@st.composite
def grids(draw: st.DrawFn, currency: str) -> tuple[Decimal | None, tuple[Decimal, ...]]:
    """A valid (price_step, price_endings) for the currency."""
    digits = DIGITS[currency]
    if digits:
        step = draw(st.sampled_from([None, D("0.01"), D("0.05"), D("0.10"), D("0.25"), D(1), D(5)]))
    else:
        step = draw(st.sampled_from([None, D(1), D(10), D(50), D(100), D(1000)]))
    unit = Decimal(1).scaleb(-digits)
    step_value = unit if step is None else step
    period = step_value if step_value >= 1 else Decimal(1)
    units_in_period = int(period / unit)
    count = draw(st.integers(0, min(3, units_in_period)))
    picks = draw(
        st.lists(st.integers(0, units_in_period - 1), min_size=count, max_size=count, unique=True)
    )
    return step, tuple(Decimal(p) * unit for p in picks)


@dataclass(frozen=True)
class Case:
    sku: SkuCost
    channel: Channel
    run: RunSettings

    @property
    def unit(self) -> Fraction:
        return Fraction(1, 10 ** DIGITS[self.channel.currency])

    def margin(self, seller_price: Fraction) -> Fraction:
        """SPEC §3.2 on net revenue (costs in the sale currency: no FX)."""
        channel, sku = self.channel, self.sku
        v = Fraction(channel.effective_vat_rate)
        net = seller_price / (1 + v)
        fee_base = seller_price if channel.fees_on is FeesOn.GROSS else net
        landed = sum(Fraction(x) for x in (sku.unit_cost, sku.packaging, sku.other_cost))
        profit = net - Fraction(channel.percent_fees) * fee_base - Fraction(channel.fixed_fees)
        return (profit - landed) / net


@st.composite
def cases(draw: st.DrawFn) -> Case:
    currency = draw(st.sampled_from(sorted(DIGITS)))
    digits = DIGITS[currency]
    big = 1000 if digits == 0 else 1
    step, endings = draw(grids(currency))
    channel = Channel(
        currency,
        market=draw(st.sampled_from(["US", "DE", "KR", "JP"])),
        vat_rate=draw(st.sampled_from([D(0), D("0.1"), D("0.19")])),
        prices_include_vat=draw(st.booleans()),
        fees_on=draw(st.sampled_from(list(FeesOn))),
        commission=draw(amounts(0, 2500, 4)),
        ads_rate=draw(amounts(0, 1000, 4)),
        fulfilment_fee=draw(amounts(0, 500 * big, digits)),
        discount_step=draw(st.sampled_from([D("0.01"), D("0.05"), D("0.005")])),
        price_step=step,
        price_endings=endings,
    )
    sku = SkuCost(
        "S",
        draw(amounts(1, 300_000 * big, digits + 1)),
        currency,
        packaging=draw(amounts(0, 500 * big, digits)),
        other_cost=draw(amounts(0, 300 * big, digits)),
    )
    return Case(sku, channel, RunSettings(draw(amounts(0, 500, 3)), D(0)))


def subsidies(currency: str) -> st.SearchStrategy[Subsidy]:
    big = 1000 if DIGITS[currency] == 0 else 1
    amount = amounts(0, 2000 * big, DIGITS[currency])
    return st.one_of(
        st.just(Subsidy.none()),
        amount.map(Subsidy.fixed),
        st.builds(Subsidy.share_of_discount, amounts(0, 90, 2), st.one_of(st.none(), amount)),
    )


def seller_price(list_price: Fraction, customer_price: Fraction, subsidy: Subsidy) -> Fraction:
    discount = list_price - customer_price
    if subsidy.kind is SubsidyKind.FIXED:
        return customer_price + Fraction(subsidy.amount)
    if subsidy.kind is SubsidyKind.SHARE:
        funded = Fraction(subsidy.share) * discount
        if subsidy.cap is not None:
            funded = min(funded, Fraction(subsidy.cap))
        return customer_price + funded
    return customer_price


# --- the grid itself -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("currency", "step", "endings", "price", "up", "down"),
    [
        ("KRW", D(10), (), D(13515), D(13520), D(13510)),
        ("KRW", D(10), (), D(13510), D(13510), D(13510)),
        ("KRW", D(1000), (D(900),), D(13515), D(13900), D(12900)),
        ("JPY", D(1000), (D(980),), D(2000), D(2980), D(1980)),
        ("USD", None, (D("0.99"),), D("7.16"), D("7.99"), D("6.99")),
        ("USD", None, (D("0.99"), D("0.49")), D("7.16"), D("7.49"), D("6.99")),
        ("USD", None, (D("0.49"), D("0.99")), D("7.49"), D("7.49"), D("7.49")),
        ("USD", D("0.05"), (), D("7.16"), D("7.20"), D("7.15")),
        ("USD", D(5), (D("4.99"),), D("7.16"), D("9.99"), D("4.99")),
        ("USD", None, (D("0.99"),), D("0.50"), D("0.99"), None),
        ("USD", None, (), D("7.16"), D("7.16"), D("7.16")),
    ],
)
def test_grid_rounds_up_and_down(
    currency: str,
    step: Decimal | None,
    endings: tuple[Decimal, ...],
    price: Decimal,
    up: Decimal,
    down: Decimal | None,
) -> None:
    grid = PriceGrid.of(currency, step, endings)
    assert grid.up(price) == up
    assert grid.down(price) == down
    assert str(grid.up(price)) == str(up)  # the currency's digits, ready to print


@settings(max_examples=500, deadline=None)
@given(
    st.sampled_from(sorted(DIGITS)).flatmap(lambda c: st.tuples(st.just(c), grids(c))), st.data()
)
def test_grid_rounding_matches_the_definition(
    drawn: tuple[str, tuple[Decimal | None, tuple[Decimal, ...]]], data: st.DataObject
) -> None:
    currency, (step, endings) = drawn
    grid = PriceGrid.of(currency, step, endings)
    oracle = Oracle.of(grid)
    digits = DIGITS[currency]
    price = data.draw(amounts(0, 10**7, digits))
    up, down = grid.up(price), grid.down(price)
    assert Fraction(up) == oracle.at_or_above(Fraction(price))
    assert oracle.on_grid(Fraction(up)) and up >= price
    assert up.as_tuple().exponent == -digits
    expected_down = oracle.at_or_below(Fraction(price))
    if expected_down is None:
        assert down is None
    else:
        assert down is not None and Fraction(down) == expected_down and down <= price
        assert oracle.on_grid(Fraction(down))
    assert grid.contains(price) is oracle.on_grid(Fraction(price))
    with localcontext(EXACT):  # the batch loop's variant, and its digits
        assert str(grid.up_exact(price)) == str(up)
    assert grid.is_minor_unit is (grid.step == grid.unit and not grid.endings)


@pytest.mark.parametrize(
    ("currency", "step", "endings", "field", "problem"),
    [
        ("KRW", None, (D("0.99"),), "price_endings", InputProblem.TOO_MANY_DECIMALS),
        ("USD", D("0.005"), (), "price_step", InputProblem.TOO_MANY_DECIMALS),
        ("USD", D(0), (), "price_step", InputProblem.NOT_POSITIVE),
        ("USD", None, (D(1),), "price_endings", InputProblem.NOT_BELOW),
        ("USD", D(5), (D(5),), "price_endings", InputProblem.NOT_BELOW),
        ("KRW", D(10), (D(10),), "price_endings", InputProblem.NOT_BELOW),
        ("USD", None, (D("0.99"), D("0.990")), "price_endings", InputProblem.DUPLICATE),
        ("USD", None, (D("-0.01"),), "price_endings", InputProblem.NEGATIVE),
        ("USD", None, tuple(D(n) / 100 for n in range(11)), "price_endings",
         InputProblem.OVER_MAXIMUM),
    ],
)  # fmt: skip
def test_invalid_grids_name_the_field(
    currency: str,
    step: Decimal | None,
    endings: tuple[Decimal, ...],
    field: str,
    problem: InputProblem,
) -> None:
    with pytest.raises(InputError) as caught:
        Channel(currency, price_step=step, price_endings=endings)
    assert (caught.value.field, caught.value.problem) == (field, problem)


def test_endings_are_within_each_whole_unit_unless_the_step_is_larger() -> None:
    usd = PriceGrid.of("USD", None, (D("0.99"),))
    assert usd.period == D("1.00") and usd.step == D("0.01")
    # a step under one whole unit plays no part once endings are given
    assert PriceGrid.of("USD", D("0.05"), (D("0.99"),)).up(D("7.16")) == D("7.99")
    krw = PriceGrid.of("KRW", D(1000), (D(900),))
    assert krw.period == D(1000)
    assert PriceGrid.of("KRW", D(10)).period == D(10)


def test_field_parsers() -> None:
    assert parse_price_step("10") == D(10)
    assert parse_price_step(" none ") is None and parse_price_step("") is None
    assert parse_price_endings("0.49,0.99") == (D("0.49"), D("0.99"))
    assert parse_price_endings("0.99; 0.49") == (D("0.99"), D("0.49"))
    assert parse_price_endings("0,99") == (D("0.99"),)  # a lone decimal comma
    assert parse_price_endings("900") == (D(900),)
    assert parse_price_endings("none") == () and parse_price_endings("-") == ()
    for text, problem in [
        ("abc", InputProblem.NOT_A_NUMBER),
        ("0", InputProblem.NOT_POSITIVE),
        ("-5", InputProblem.NEGATIVE),
    ]:
        with pytest.raises(InputError) as caught:
            parse_price_step(text)
        assert caught.value.problem is problem
    with pytest.raises(InputError) as caught:
        parse_price_endings("0.99,0.99")
    assert caught.value.problem is InputProblem.DUPLICATE
    with pytest.raises(InputError) as caught:
        parse_price_endings(",".join(str(n) for n in range(MAX_PRICE_ENDINGS + 1)))
    assert caught.value.problem is InputProblem.OVER_MAXIMUM
    assert format_endings((D("0.990"), D("0.49"))) == "0.49,0.99"
    assert format_endings((D(900),)) == "900"


def test_channel_overrides_and_presets_carry_the_grid() -> None:
    kr = get_preset("aliexpress-kr").channel
    assert kr.price_step == D(10) and kr.grid.step == D(10)
    assert get_preset("amazon-jp").channel.grid.step == D(1)
    assert get_preset("temu-us-semi").channel.grid.is_minor_unit
    edited = apply_channel_overrides(get_preset("custom").channel, {"price_endings": "0.49,0.99"})
    assert edited.price_endings == (D("0.49"), D("0.99"))
    with pytest.raises(InputError) as caught:
        apply_channel_overrides(kr, {"price_endings": "0.99"})
    assert caught.value.field == "price_endings"
    # a currency change and a fitting step in one go
    moved = apply_channel_overrides(
        get_preset("custom").channel, {"currency": "KRW", "price_step": "100"}
    )
    assert moved.grid.up(D(13515)) == D(13600)


# --- the engine on a grid --------------------------------------------------------------------
@settings(max_examples=400, deadline=None)
@given(cases(), st.data())
def test_floors_discounts_and_suggestions_lie_on_the_grid(case: Case, data: st.DataObject) -> None:
    currency, unit = case.channel.currency, case.unit
    digits = DIGITS[currency]
    oracle = Oracle.of(case.channel.grid)
    m = Fraction(case.run.target_margin)
    floor_result = PricingContext(case.channel, case.run).floor(case.sku)
    assume(floor_result.floor is not None)
    assert floor_result.floor is not None and floor_result.raw_floor is not None
    assert floor_result.break_even is not None
    floor, raw = Fraction(floor_result.floor.amount), Fraction(floor_result.raw_floor.amount)
    # the raw floor and break-even stay exact to the minor unit
    assert case.margin(raw) >= m and (raw - unit <= 0 or case.margin(raw - unit) < m)
    be = Fraction(floor_result.break_even.amount)
    assert case.margin(be) >= 0 and (be - unit <= 0 or case.margin(be - unit) < 0)
    # the floor: on the grid, keeps the margin, and the grid price below it does not
    assert oracle.on_grid(floor) and floor == oracle.at_or_above(raw)
    assert case.margin(floor) >= m
    previous = oracle.below(floor)
    assert previous is None or previous <= 0 or previous < raw
    assert previous is None or previous <= 0 or case.margin(previous) < m
    assert floor_result.grid_moved_floor is (floor != raw)

    # a list price around the floor, a subsidy, a campaign rule
    offset = data.draw(st.integers(-(10 ** (digits + 1)), 10 ** (digits + 4)))
    list_price = floor_result.raw_floor.amount + Decimal(offset).scaleb(-digits)
    assume(list_price > 0)
    subsidy = data.draw(subsidies(currency))
    min_discount = data.draw(st.sampled_from([D(0), D("0.1"), D("0.2"), D("0.35")]))
    context = PricingContext(case.channel, case.run, subsidy=subsidy)
    result = context.discount(case.sku, Listing(list_price))
    lp = Fraction(list_price)
    event(result.status.value)
    if list_price < floor_result.raw_floor.amount:
        assert result.status is Status.BELOW_FLOOR
        return
    assert result.raw_customer_floor is not None and result.exact_max_discount is not None
    raw_cf = Fraction(result.raw_customer_floor.amount)
    assert seller_price(lp, raw_cf, subsidy) >= raw
    lowest_on_grid = oracle.at_or_above(raw_cf)
    if lowest_on_grid > lp:
        assert result.status is Status.NO_GRID_PRICE
        assert result.customer_floor is None and result.max_discount_pct is None
    else:
        assert result.status is Status.OK
        assert result.customer_floor is not None and result.max_discount is not None
        cf = Fraction(result.customer_floor.amount)
        assert cf == lowest_on_grid and oracle.on_grid(cf)
        assert seller_price(lp, cf, subsidy) >= raw  # keeps the margin
        below = oracle.below(cf)
        if below is not None and below >= 0:
            assert seller_price(lp, below, subsidy) < raw  # the grid price below does not
        assert Fraction(result.max_discount.amount) == lp - cf
        # the consistent pair: whole steps, and the amount those steps give
        pct = result.max_discount_pct
        step = Fraction(context.discount_step)
        assert pct is not None and result.step_discount is not None
        assert (Fraction(pct) / step).denominator == 1
        assert Fraction(pct) * lp <= lp - cf < (Fraction(pct) + step) * lp
        pair = Fraction(result.step_discount.amount)
        assert pair <= Fraction(pct) * lp < pair + unit
        assert seller_price(lp, lp - pair, subsidy) >= raw
        # the batch path says the same
        row = context.evaluate(*_cost(case.sku), list_price)
        assert (row.customer_floor, row.max_discount_pct) == (
            result.customer_floor.amount,
            pct,
        )
        assert row.floor_price == floor_result.floor.amount

    rules = CampaignRules(min_discount)
    eligibility = context.eligibility(case.sku, Listing(list_price), rules)
    event(f"eligibility: {eligibility.status.value}")
    event("grid: " + ("one minor unit" if case.channel.grid.is_minor_unit else "coarser"))
    assert eligibility.max_customer_price is not None
    max_price = Fraction(eligibility.max_customer_price.amount)
    if max_price < raw_cf:
        assert eligibility.status is Status.CANNOT_REACH_MIN_DEPTH
        return
    on_grid = oracle.at_or_below(max_price)
    if on_grid is None or on_grid < raw_cf:  # no grid price in [customer floor, maximum]
        assert eligibility.status is Status.NO_GRID_PRICE
        assert eligibility.suggested_price is None
        return
    assert eligibility.status is Status.OK
    assert eligibility.suggested_price is not None and eligibility.at_suggested is not None
    suggested = Fraction(eligibility.suggested_price.amount)
    assert suggested == on_grid and oracle.on_grid(suggested)
    assert raw_cf <= suggested <= max_price  # never below the customer price floor
    assert oracle.at_or_above(suggested + unit) > max_price  # the highest that fits
    assert eligibility.at_suggested.margin is not None
    assert eligibility.at_suggested.margin >= case.run.target_margin


def _cost(sku: SkuCost) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal, str]:
    return (
        sku.unit_cost,
        sku.packaging,
        sku.first_mile,
        sku.other_cost,
        sku.duty_rate,
        sku.cost_currency,
    )


# --- worked examples -------------------------------------------------------------------------
def test_the_deepest_discount_pair_on_a_12_99_list_price() -> None:
    """Issue 11: 'Deepest discount: US$5.83 (44 %)' — 5.83 is 44.88 % of 12.99, and 44 %
    is 5.71. The pair is 44 % and 5.71; 5.83 (44.88 %) is the exact maximum."""
    channel = Channel("USD", market="US")
    sku = SkuCost("T", D("6.086"), "USD")  # floor 6.086 / 0.85 = 7.16 exactly
    result = PricingContext(channel, RunSettings(D("0.15"), D(0))).discount(
        sku, Listing(D("12.99"))
    )
    assert result.status is Status.OK
    assert result.floor.floor is not None and result.floor.floor.amount == D("7.16")
    assert result.max_discount_pct == D("0.44")
    assert result.step_discount is not None and result.step_discount.amount == D("5.71")
    assert result.exact_max_discount is not None and result.exact_max_discount.amount == D("5.83")
    assert result.exact_max_discount_share == D("0.4488")
    assert result.raw_customer_floor is not None and result.raw_customer_floor.amount == D("7.16")
    assert not result.grid_moved_discount  # one minor unit: the grid changes nothing


def test_the_same_sku_on_a_99_grid() -> None:
    channel = Channel("USD", market="US", price_endings=(D("0.99"),))
    sku = SkuCost("T", D("6.086"), "USD")
    context = PricingContext(channel, RunSettings(D("0.15"), D(0)))
    result = context.discount(sku, Listing(D("12.99")))
    assert result.floor.floor is not None and result.floor.floor.amount == D("7.99")
    assert result.floor.raw_floor is not None and result.floor.raw_floor.amount == D("7.16")
    assert result.customer_floor is not None and result.customer_floor.amount == D("7.99")
    assert result.max_discount is not None and result.max_discount.amount == D("5.00")
    assert result.max_discount_pct == D("0.38")  # 5.00 / 12.99 = 38.49 %
    assert result.step_discount is not None and result.step_discount.amount == D("4.93")
    assert result.grid_moved_discount
    rules = CampaignRules(D("0.2"))
    eligibility = context.eligibility(sku, Listing(D("12.99")), rules)
    # 12.99 × 0.8 = 10.392 → 10.39 → on the grid 9.99
    assert eligibility.suggested_price is not None
    assert eligibility.suggested_price.amount == D("9.99")
    # a list price between the exact and the grid floor: no grid price fits
    tight = context.discount(sku, Listing(D("7.50")))
    assert tight.status is Status.NO_GRID_PRICE
    assert context.eligibility(sku, Listing(D("7.50")), rules).status in (
        Status.CANNOT_REACH_MIN_DEPTH,
        Status.NO_GRID_PRICE,
    )
    assert context.eligibility(sku, Listing(D("7.50")), CampaignRules()).status is (
        Status.NO_GRID_PRICE
    )


def test_the_default_grid_changes_no_number() -> None:
    """Every preset on its one-minor-unit grid gives the numbers it gave before the grid."""
    for name in ("temu-us-semi", "amazon-de", "aliexpress-kr"):
        channel = dataclasses.replace(get_preset(name).channel, price_step=None)
        context = PricingContext(channel, RunSettings(D("0.2"), D(0)))
        sku = SkuCost("X", D(12345) if channel.currency == "KRW" else D("12.34"), channel.currency)
        floor = context.floor(sku)
        assert floor.floor == floor.raw_floor and not floor.grid_moved_floor
