"""Property-based checks of the engine against an exact oracle written with `Fraction`.

The oracle restates SPEC §3 directly (margin on net revenue, subsidies, voucher
allocation); the engine must round exactly to the minor unit in the seller's
favour: the floor holds the margin and one minor unit less does not, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.pricing import (
    Channel,
    CurrencyMismatchError,
    DutyBasis,
    FeesOn,
    FxRate,
    FxTable,
    Listing,
    Mode,
    Money,
    PricingContext,
    RunSettings,
    SkuCost,
    Status,
    Subsidy,
    SubsidyKind,
    VoucherFunding,
    VoucherLine,
    VoucherStatus,
    largest_voucher,
    minimum_threshold,
)

CURRENCIES = ["USD", "EUR", "GBP", "KRW", "JPY"]
DIGITS = {"USD": 2, "EUR": 2, "GBP": 2, "KRW": 0, "JPY": 0}


def decimals(low: int, high: int, places: int) -> st.SearchStrategy[Decimal]:
    """Decimals n × 10^-places for n in [low, high]."""
    return st.integers(low, high).map(lambda n: Decimal(n).scaleb(-places))


@dataclass(frozen=True)
class Scenario:
    sku: SkuCost
    channel: Channel
    run: RunSettings
    fx: FxTable
    rate: Fraction  # exact cost-currency → sale-currency rate, 1 when the same currency

    @property
    def unit(self) -> Fraction:
        return Fraction(1, 10 ** DIGITS[self.channel.currency])

    def landed(self) -> Fraction:
        sku, channel = self.sku, self.channel
        base = sku.unit_cost + (sku.first_mile if channel.duty_basis is DutyBasis.CIF else 0)
        duty = 0 if channel.mode is Mode.FULL else Fraction(sku.duty_rate) * Fraction(base)
        cost = (
            Fraction(sku.unit_cost)
            + Fraction(sku.packaging)
            + Fraction(sku.first_mile)
            + Fraction(sku.other_cost)
            + duty
        )
        converted = sku.cost_currency != channel.currency
        buffer = Fraction(self.run.fx_buffer) if converted else 0
        return cost * self.rate * (1 + buffer)

    def margin(self, seller_price: Fraction) -> Fraction:
        """SPEC §3.2: profit / net revenue at seller price R."""
        channel = self.channel
        v = Fraction(channel.effective_vat_rate)
        net = seller_price / (1 + v)
        fee_base = seller_price if channel.fees_on is FeesOn.GROSS else net
        fixed = Fraction(channel.fixed_fees)
        profit = net - Fraction(channel.percent_fees) * fee_base - fixed - self.landed()
        return profit / net


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    currency = draw(st.sampled_from(CURRENCIES))
    digits = DIGITS[currency]
    big = 1000 if digits == 0 else 1  # KRW / JPY amounts are larger numbers
    converted = draw(st.booleans())
    cost_currency = "CNY" if converted else currency
    rate_value = draw(decimals(500, 2_000_000, 4))  # 0.05 … 200 per CNY (or inverse)
    inverse = draw(st.booleans())
    if not converted:
        fx, rate = FxTable(), Fraction(1)
    elif inverse:  # the user typed SALE:CNY=rate, so CNY → SALE is 1 / rate
        fx, rate = (
            FxTable(overrides=[FxRate(currency, "CNY", rate_value)]),
            1 / Fraction(rate_value),
        )
    else:
        fx, rate = FxTable(overrides=[FxRate("CNY", currency, rate_value)]), Fraction(rate_value)
    sku = SkuCost(
        "S",
        draw(decimals(1, 500_000, 2)),
        cost_currency,
        packaging=draw(decimals(0, 5_000, 2)),
        first_mile=draw(decimals(0, 10_000, 2)),
        other_cost=draw(decimals(0, 3_000, 3)),
        duty_rate=draw(decimals(0, 500, 3)),
    )
    channel = Channel(
        currency,
        market=draw(st.sampled_from(["US", "DE", "UK", "KR", "JP"])),
        mode=draw(st.sampled_from(list(Mode))),
        vat_rate=draw(
            st.sampled_from(
                [Decimal(0), Decimal("0.1"), Decimal("0.19"), Decimal("0.2"), Decimal("0.21")]
            )
        ),
        prices_include_vat=draw(st.booleans()),
        fees_on=draw(st.sampled_from(list(FeesOn))),
        commission=draw(decimals(0, 2500, 4)),
        payment_rate=draw(decimals(0, 500, 4)),
        returns_rate=draw(decimals(0, 500, 4)),
        ads_rate=draw(decimals(0, 1500, 4)),
        payment_fixed=draw(decimals(0, 100 * big, digits)),
        fulfilment_fee=draw(decimals(0, 1000 * big, digits)),
        other_channel_fee=draw(decimals(0, 300 * big, digits + 1)),
        duty_basis=draw(st.sampled_from(list(DutyBasis))),
        discount_step=draw(
            st.sampled_from([Decimal("0.01"), Decimal("0.05"), Decimal("0.005"), Decimal("0.025")])
        ),
    )
    run = RunSettings(draw(decimals(0, 700, 3)), draw(decimals(0, 100, 3)))
    return Scenario(sku, channel, run, fx, rate)


def has_digits(value: Decimal, currency: str) -> bool:
    return value.as_tuple().exponent == -DIGITS[currency]


@settings(max_examples=400, deadline=None)
@given(scenarios())
def test_floor_is_the_exact_minimum_for_the_margin(case: Scenario) -> None:
    result = PricingContext(case.channel, case.run, case.fx).floor(case.sku)
    currency, unit = case.channel.currency, case.unit
    m = Fraction(case.run.target_margin)
    v = Fraction(case.channel.effective_vat_rate)
    g = 1 + v if case.channel.fees_on is FeesOn.GROSS else 1
    fees_share = Fraction(case.channel.percent_fees) * g
    assert result.landed is not None
    landed = Fraction(result.landed.amount.amount)
    assert landed >= case.landed() > landed - unit  # landed cost rounds up, exactly
    assert has_digits(result.landed.amount.amount, currency)
    if 1 - m - fees_share <= 0:
        assert result.status is Status.NO_PRICE
        assert result.floor is None
        assert result.no_price is not None and result.no_price.total >= 1
        return
    assert result.status is Status.OK
    assert result.floor is not None and result.break_even is not None
    assert has_digits(result.floor.amount, currency)
    assert has_digits(result.break_even.amount, currency)
    floor = Fraction(result.floor.amount)
    assert case.margin(floor) >= m
    if floor - unit > 0:
        assert case.margin(floor - unit) < m
    break_even = Fraction(result.break_even.amount)
    assert case.margin(break_even) >= 0
    if break_even - unit > 0:
        assert case.margin(break_even - unit) < 0


def subsidies(currency: str) -> st.SearchStrategy[Subsidy]:
    digits = DIGITS[currency]
    big = 1000 if digits == 0 else 1
    amounts = decimals(0, 2000 * big, digits + 1)  # may be finer than the currency
    return st.one_of(
        st.just(Subsidy.none()),
        amounts.map(Subsidy.fixed),
        st.builds(
            Subsidy.share_of_discount,
            decimals(0, 100, 2),
            st.one_of(st.none(), amounts),
        ),
    )


def seller_price(list_price: Fraction, discount: Fraction, subsidy: Subsidy) -> Fraction:
    """SPEC §3.4's table: R = Lp − D + platform part."""
    if subsidy.kind is SubsidyKind.FIXED:
        return list_price - discount + Fraction(subsidy.amount)
    if subsidy.kind is SubsidyKind.SHARE:
        funded = Fraction(subsidy.share) * discount
        if subsidy.cap is not None:
            funded = min(funded, Fraction(subsidy.cap))
        return list_price - discount + funded
    return list_price - discount


@settings(max_examples=400, deadline=None)
@given(scenarios(), st.data())
def test_deepest_discount_keeps_the_floor_and_one_unit_more_breaks_it(
    case: Scenario, data: st.DataObject
) -> None:
    currency = case.channel.currency
    digits = DIGITS[currency]
    context0 = PricingContext(case.channel, case.run, case.fx)
    floor_result = context0.floor(case.sku)
    assume(floor_result.floor is not None)
    assert floor_result.floor is not None
    floor = floor_result.floor.amount
    # list prices around the floor, on the minor unit
    offset = data.draw(st.integers(-(10 ** (digits + 2)), 10 ** (digits + 4)))
    list_price = floor + Decimal(offset).scaleb(-digits)
    assume(list_price > 0)
    subsidy = data.draw(subsidies(currency))
    context = PricingContext(case.channel, case.run, case.fx, subsidy)
    result = context.discount(case.sku, Listing(list_price))
    if list_price < floor:
        assert result.status is Status.BELOW_FLOOR
        assert result.max_discount is None
        return
    assert result.status is Status.OK
    assert result.max_discount is not None and result.customer_floor is not None
    assert result.max_discount_pct is not None
    discount = Fraction(result.max_discount.amount)
    lp, unit, rf = Fraction(list_price), case.unit, Fraction(floor)
    assert 0 <= discount <= lp
    assert seller_price(lp, discount, subsidy) >= rf
    if discount < lp:
        assert seller_price(lp, discount + unit, subsidy) < rf
    assert Fraction(result.customer_floor.amount) == lp - discount
    assert has_digits(result.max_discount.amount, currency)
    assert has_digits(result.customer_floor.amount, currency)
    # the percentage is the deepest whole number of steps within the discount
    step = Fraction(context.discount_step)
    pct = Fraction(result.max_discount_pct)
    assert (pct / step).denominator == 1
    assert pct * lp <= discount < (pct + step) * lp
    # the batch path gives the same row
    row = context.evaluate(*_cost_tuple(case.sku), list_price)
    assert row.max_discount == result.max_discount.amount
    assert row.customer_floor == result.customer_floor.amount
    assert row.max_discount_pct == result.max_discount_pct


def _cost_tuple(sku: SkuCost) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal, str]:
    return (
        sku.unit_cost,
        sku.packaging,
        sku.first_mile,
        sku.other_cost,
        sku.duty_rate,
        sku.cost_currency,
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.data())
def test_margin_at_list_is_rounded_half_up(case: Scenario, data: st.DataObject) -> None:
    digits = DIGITS[case.channel.currency]
    list_price = Decimal(data.draw(st.integers(1, 10 ** (digits + 6)))).scaleb(-digits)
    row = PricingContext(case.channel, case.run, case.fx).evaluate(
        *_cost_tuple(case.sku), list_price
    )
    assert row.margin_at_list_pct is not None
    exact = case.margin(Fraction(list_price)) * 100
    shown = Fraction(row.margin_at_list_pct)
    # half up (away from zero): |exact − shown| ≤ 0.005, and a tie goes away from zero
    assert abs(exact - shown) <= Fraction(1, 200)
    if abs(exact - shown) == Fraction(1, 200):
        assert abs(shown) > abs(exact)
    assert row.margin_at_list_pct.as_tuple().exponent == -2


@st.composite
def voucher_lines(draw: st.DrawFn, digits: int) -> list[VoucherLine]:
    count = draw(st.integers(1, 5))
    lines = []
    for index in range(count):
        customer = draw(st.integers(1, 10 ** (digits + 4)))
        subsidy = draw(st.integers(0, 10 ** (digits + 2)))
        floor = draw(st.integers(1, customer + subsidy))
        lines.append(
            VoucherLine(
                f"S{index}",
                Decimal(customer).scaleb(-digits),
                Decimal(customer + subsidy).scaleb(-digits),
                Decimal(floor).scaleb(-digits),
            )
        )
    return lines


def fundings(digits: int) -> st.SearchStrategy[VoucherFunding]:
    return st.builds(
        VoucherFunding,
        decimals(0, 100, 2),
        st.one_of(st.none(), decimals(0, 10 ** (digits + 3), digits)),
    )


def seller_part(voucher: Fraction, funding: VoucherFunding) -> Fraction:
    platform = Fraction(funding.share) * voucher
    if funding.cap is not None:
        platform = min(platform, Fraction(funding.cap))
    return voucher - platform


def holds(line: VoucherLine, seller_funded: Fraction, basket: Fraction) -> bool:
    """A unit's seller price after its proportional share of the voucher stays ≥ its floor."""
    share = seller_funded * Fraction(line.customer_price) / basket
    return Fraction(line.seller_price) - share >= Fraction(line.floor)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CURRENCIES), st.data())
def test_voucher_threshold_is_exact(currency: str, data: st.DataObject) -> None:
    digits = DIGITS[currency]
    unit = Fraction(1, 10**digits)
    lines = data.draw(voucher_lines(digits))
    funding = data.draw(fundings(digits))
    voucher = Decimal(data.draw(st.integers(1, 10 ** (digits + 3)))).scaleb(-digits)
    result = minimum_threshold(lines, voucher, currency, funding)
    headroom = {line.sku: Fraction(line.seller_price - line.floor) for line in lines}
    if any(h <= 0 for h in headroom.values()):
        assert result.status is VoucherStatus.BLOCKED
        assert set(result.blockers) == {sku for sku, h in headroom.items() if h <= 0}
        return
    assert result.status is VoucherStatus.OK
    assert result.threshold is not None and result.weakest is not None
    assert has_digits(result.threshold.amount, currency)
    threshold = Fraction(result.threshold.amount)
    v_s = seller_part(Fraction(voucher), funding)
    weakest = next(line for line in lines if line.sku == result.weakest.sku)
    # every SKU holds at exactly T_min …
    assert all(holds(line, v_s, threshold) for line in lines)
    # … and the weakest breaks one minor unit below (unless T_min is the voucher itself)
    if threshold > Fraction(voucher) and threshold - unit > 0:
        assert not holds(weakest, v_s, threshold - unit)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CURRENCIES), st.data())
def test_largest_voucher_is_exact(currency: str, data: st.DataObject) -> None:
    digits = DIGITS[currency]
    unit = Fraction(1, 10**digits)
    lines = data.draw(voucher_lines(digits))
    assume(all(line.seller_price > line.floor for line in lines))
    funding = data.draw(fundings(digits))
    threshold = Decimal(data.draw(st.integers(1, 10 ** (digits + 5)))).scaleb(-digits)
    result = largest_voucher(lines, threshold, currency, funding)
    assert result.status is VoucherStatus.OK and result.voucher is not None
    assert has_digits(result.voucher.amount, currency)
    voucher = Fraction(result.voucher.amount)
    basket = Fraction(threshold)
    assert 0 <= voucher <= basket
    assert all(holds(line, seller_part(voucher, funding), basket) for line in lines)
    if voucher + unit <= basket:
        bigger = seller_part(voucher + unit, funding)
        assert not all(holds(line, bigger, basket) for line in lines)


@given(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(CURRENCIES))
def test_money_rejects_every_float(value: float, currency: str) -> None:
    with pytest.raises(TypeError):
        Money(value, currency)  # type: ignore[arg-type]


@given(
    decimals(-(10**9), 10**9, 2),
    st.sampled_from(CURRENCIES),
    st.sampled_from(CURRENCIES),
)
def test_money_refuses_mixed_currencies(amount: Decimal, left: str, right: str) -> None:
    a, b = Money(amount, left), Money(amount, right)
    if left == right:
        assert (a + b).amount == 2 * amount
    else:
        with pytest.raises(CurrencyMismatchError):
            a + b
        with pytest.raises(CurrencyMismatchError):
            _ = a <= b
