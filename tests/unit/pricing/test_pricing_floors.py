"""Hand-worked cases for landed cost, floors, discounts and eligibility (SPEC §3.1–3.5).

Every expected number below is worked out in the comment beside it from SPEC's
formulas; none is copied from the implementation's output.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest

from bot.pricing import (
    CampaignRules,
    Channel,
    DutyBasis,
    FeeKind,
    FeesOn,
    FxRate,
    FxTable,
    Listing,
    Mode,
    PricingContext,
    ReferenceRule,
    RunSettings,
    SkuCost,
    Status,
    Subsidy,
    check_eligibility,
    deepest_discount,
    floor_price,
    landed_cost,
    unit_economics,
)

D = Decimal


@dataclass(frozen=True)
class FloorCase:
    sku: SkuCost
    channel: Channel
    run: RunSettings
    fx: FxTable | None
    landed: str
    break_even: str
    floor: str


US = Channel("USD", market="US")
SPEC_CHANNEL = Channel("USD", market="US", commission=D("0.15"), other_channel_fee=D(5))
EU_CHANNEL = Channel(
    "EUR", market="DE", vat_rate=D("0.19"), prices_include_vat=True, commission=D("0.15")
)
UK_NET_CHANNEL = Channel(
    "GBP",
    market="UK",
    vat_rate=D("0.20"),
    prices_include_vat=True,
    fees_on=FeesOn.NET,
    commission=D("0.09"),
    payment_rate=D("0.02"),
    fulfilment_fee=D("0.50"),
)
KR_CHANNEL = Channel(
    "KRW",
    market="KR",
    vat_rate=D("0.10"),
    prices_include_vat=True,
    commission=D("0.08"),
    fulfilment_fee=D(3000),
)
CNY_KRW = FxTable(overrides=[FxRate("CNY", "KRW", D(190))])
ECB = FxTable.from_base_rates({"USD": D("1.08"), "CNY": D("7.8")}, as_of=date(2026, 11, 25))

FLOOR_CASES = {
    # SPEC worked check: (30 + 5) / (1 − 0.25 − 0.15) = 35 / 0.60 = 58.333… → 58.34;
    # break-even 35 / 0.85 = 41.176… → 41.18. Same currency: no FX buffer.
    "spec-58.34": FloorCase(
        SkuCost("A", D(30), "USD"),
        SPEC_CHANNEL,
        RunSettings(D("0.25"), D("0.02")),
        None,
        "30.00",
        "41.18",
        "58.34",
    ),
    # SPEC worked check: 10 / 0.70 = 14.2857… → 14.29.
    "spec-14.29": FloorCase(
        SkuCost("B", D(10), "USD"), US, RunSettings(D("0.30")), None, "10.00", "10.00", "14.29"
    ),
    # KRW, 0 digits: L = 50 × 190 × 1.02 = 9690; D_n = 1 − 0.20 − 0.08 × 1.10 = 0.712;
    # floor = (3000 + 9690) × 1.10 / 0.712 = 19605.3… → 19606; break-even 13959 / 0.912
    # = 15305.9… → 15306.
    "krw": FloorCase(
        SkuCost("K", D(50), "CNY"),
        KR_CHANNEL,
        RunSettings(D("0.20"), D("0.02")),
        CNY_KRW,
        "9690",
        "15306",
        "19606",
    ),
    # EU, VAT inside, fees on gross, CIF duty: duty 4 % × (20 + 2) = 0.88; L = 23.88;
    # D_n = 1 − 0.15 − 0.15 × 1.19 = 0.6715; floor = 23.88 × 1.19 / 0.6715 = 42.318… → 42.32;
    # break-even 28.4172 / 0.8215 = 34.591… → 34.60.
    "eu-gross": FloorCase(
        SkuCost("E", D(20), "EUR", packaging=D(1), first_mile=D(2), duty_rate=D("0.04")),
        EU_CHANNEL,
        RunSettings(D("0.15")),
        None,
        "23.88",
        "34.60",
        "42.32",
    ),
    # UK, VAT inside, fees on net: D_n = 1 − 0.20 − 0.11 = 0.69; floor = (0.50 + 8) × 1.2 /
    # 0.69 = 14.782… → 14.79; break-even 10.2 / 0.89 = 11.460… → 11.47.
    "uk-net": FloorCase(
        SkuCost("U", D(8), "GBP"),
        UK_NET_CHANNEL,
        RunSettings(D("0.20")),
        None,
        "8.00",
        "11.47",
        "14.79",
    ),
    # Cross rate through EUR plus the 2 % buffer: 78 × 1.08 / 7.8 × 1.02 = 11.016 → 11.02.
    "ecb-cross": FloorCase(
        SkuCost("X", D(78), "CNY"),
        US,
        RunSettings(D(0), D("0.02")),
        ECB,
        "11.02",
        "11.02",
        "11.02",
    ),
    # Inverse of a manual rate stays exact: 71 / 7.1 = 10 exactly, so no stray cent.
    "exact-inverse": FloorCase(
        SkuCost("I", D(71), "CNY"),
        US,
        RunSettings(D(0), D(0)),
        FxTable(overrides=[FxRate("USD", "CNY", D("7.1"))]),
        "10.00",
        "10.00",
        "10.00",
    ),
    # A manual rate overrides ECB: 72 / 7.2 × 1.02 = 10.20 (ECB would give 72 × 1.08 / 7.8 …).
    "manual-wins": FloorCase(
        SkuCost("M", D(72), "CNY"),
        US,
        RunSettings(D(0), D("0.02")),
        ECB.with_overrides([FxRate("USD", "CNY", D("7.2"))]),
        "10.20",
        "10.20",
        "10.20",
    ),
}


@pytest.mark.parametrize("case", FLOOR_CASES.values(), ids=FLOOR_CASES.keys())
def test_floor_cases(case: FloorCase) -> None:
    result = floor_price(case.sku, case.channel, case.run, case.fx)
    assert result.status is Status.OK
    assert result.landed is not None and result.floor is not None
    assert result.break_even is not None
    assert str(result.landed.amount.amount) == case.landed
    assert str(result.break_even.amount) == case.break_even
    assert str(result.floor.amount) == case.floor
    assert result.floor.currency == case.channel.currency


@pytest.mark.parametrize("case", FLOOR_CASES.values(), ids=FLOOR_CASES.keys())
def test_batch_rows_match_the_rich_result(case: FloorCase) -> None:
    context = PricingContext(case.channel, case.run, case.fx)
    (row,) = context.floor_rows([case.sku])
    assert row.status is Status.NO_LIST_PRICE
    assert (str(row.landed_cost), str(row.break_even), str(row.floor_price)) == (
        case.landed,
        case.break_even,
        case.floor,
    )


def test_spec_floor_is_exact_to_the_cent() -> None:
    case = FLOOR_CASES["spec-58.34"]
    context = PricingContext(case.channel, case.run, case.fx)
    at_floor = context.margin_at(case.sku, D("58.34"))
    below = context.margin_at(case.sku, D("58.33"))
    assert at_floor is not None and below is not None
    assert at_floor >= D("0.25") > below  # 58.33 gives 24.996 %
    assert D("0.24996") < below < D("0.24997")  # 14.5805 / 58.33


@pytest.mark.parametrize(
    ("channel", "cost_total"),
    [
        # unit 40, first mile 10, duty 10 %: FOB duty 4.00; CIF duty 5.00; fully managed 0.
        (US, "54"),
        (Channel("USD", market="US", duty_basis=DutyBasis.CIF), "55"),
        (Channel("USD", market="US", mode=Mode.FULL), "50"),
    ],
    ids=["fob", "cif", "full-mode"],
)
def test_duty_basis_and_full_mode(channel: Channel, cost_total: str) -> None:
    sku = SkuCost("D", D(40), "USD", first_mile=D(10), duty_rate=D("0.10"))
    landed = landed_cost(sku, channel, RunSettings())
    assert landed is not None
    assert landed.cost_total.amount == D(cost_total)
    assert landed.amount.amount == D(cost_total)
    assert landed.duty.waived is (channel.mode is Mode.FULL)
    expected_base = D(50) if channel.duty_basis is DutyBasis.CIF else D(40)
    assert landed.duty.base.amount == expected_base


def test_channel_defaults_follow_the_market() -> None:
    assert Channel("USD", market="US").duty_basis is DutyBasis.FOB
    assert Channel("USD", market="US").prices_include_vat is False
    assert Channel("EUR", market="DE").duty_basis is DutyBasis.CIF
    assert Channel("EUR", market="DE").prices_include_vat is True


def test_landed_breakdown_names_the_fx_rate_date_source_and_buffer() -> None:
    landed = landed_cost(SkuCost("X", D(78), "CNY"), US, RunSettings(D(0), D("0.02")), ECB)
    assert landed is not None
    quote = landed.fx.quote
    assert quote.sources == ("ecb",)
    assert quote.as_of == date(2026, 11, 25)
    assert [leg.inverted for leg in quote.legs] == [True, False]  # CNY→EUR, then EUR→USD
    assert landed.fx.buffer == D("0.02")
    assert landed.exact.amount == D("11.016")
    assert quote.is_stale(date(2026, 11, 28)) is False
    assert quote.is_stale(date(2026, 11, 29)) is True


def test_same_currency_uses_rate_one_without_buffer() -> None:
    landed = landed_cost(SkuCost("S", D(10), "USD"), US, RunSettings(D(0), D("0.05")))
    assert landed is not None
    assert landed.fx.quote.is_identity
    assert landed.fx.buffer == 0
    assert landed.amount.amount == D("10.00")


def test_missing_fx_rate_is_a_status_not_an_error() -> None:
    result = floor_price(SkuCost("N", D(10), "CNY"), US, RunSettings(), None)
    assert result.status is Status.NO_FX_RATE
    assert result.floor is None and result.landed is None
    assert result.missing_rate == ("CNY", "USD")


def test_economics_at_the_floor_eu_gross() -> None:
    case = FLOOR_CASES["eu-gross"]
    result = floor_price(case.sku, case.channel, case.run)
    economics = result.at_floor
    assert economics is not None
    r = D("42.32")
    net = r / D("1.19")
    assert economics.seller_price.amount == r
    assert abs(economics.net_revenue.amount - net) < D("1e-20")
    assert abs(economics.vat.amount - (r - net)) < D("1e-20")
    assert economics.fee_base.amount == r  # fees on gross: the VAT-inclusive price
    commission = next(line for line in economics.fees if line.kind is FeeKind.COMMISSION)
    assert commission.amount.amount == D("0.15") * r
    profit = net - D("0.15") * r - D("23.88")
    assert abs(economics.profit.amount - profit) < D("1e-20")
    assert economics.margin is not None and economics.margin >= D("0.15")
    assert economics.markup is not None
    assert abs(economics.markup - profit / D("23.88")) < D("1e-20")


def test_economics_net_fees_use_the_price_without_vat() -> None:
    economics = unit_economics(SkuCost("U", D(8), "GBP"), D("12.00"), UK_NET_CHANNEL)
    assert economics is not None
    assert economics.fee_base.amount == D(10)  # 12.00 / 1.20
    assert economics.fees_total.amount == D("0.11") * 10 + D("0.50")
    # profit = 10 − 1.10 − 0.50 − 8 = 0.40; margin 0.40 / 10 = 4 %; markup 0.40 / 8 = 5 %
    assert economics.profit.amount == D("0.40")
    assert economics.margin == D("0.04")
    assert economics.markup == D("0.05")


@pytest.mark.parametrize(
    ("channel", "margin", "fees_share"),
    [
        # 50 % commission + 50 % margin = 100 % of net revenue: D = 0.
        (Channel("USD", market="US", commission=D("0.50")), D("0.50"), D("0.50")),
        # gross fees with 20 % VAT: 40 % × 1.2 = 48 % of net revenue, + 52 % margin = 100 %.
        (
            Channel("EUR", market="FR", vat_rate=D("0.20"), commission=D("0.40")),
            D("0.52"),
            D("0.48"),
        ),
    ],
)
def test_no_price_names_fees_and_margin(
    channel: Channel, margin: Decimal, fees_share: Decimal
) -> None:
    sku = SkuCost("P", D(10), channel.currency)
    result = floor_price(sku, channel, RunSettings(margin))
    assert result.status is Status.NO_PRICE
    assert result.floor is None
    assert result.no_price is not None
    assert result.no_price.fees_share == fees_share
    assert result.no_price.target_margin == margin
    assert result.no_price.total == 1
    assert dict(result.no_price.fee_shares)[FeeKind.COMMISSION] == fees_share
    assert result.break_even is not None  # the margin, not the fees, is what cannot be had


# --- deepest discount (SPEC §3.4) ----------------------------------------------------------
SPEC_SKU = SkuCost("A", D(30), "USD")
SPEC_RUN = RunSettings(D("0.25"))  # floor 58.34 (see above)


@pytest.mark.parametrize(
    ("subsidy", "discount", "customer_floor", "pct", "seller_price"),
    [
        # none: D = 80 − 58.34 = 21.66; 27.075 % → 27 %
        (Subsidy.none(), "21.66", "58.34", "0.27", "58.34"),
        # fixed 5: D = 21.66 + 5 = 26.66; 33.325 % → 33 %; seller 53.34 + 5
        (Subsidy.fixed(5), "26.66", "53.34", "0.33", "58.34"),
        # share 30 %: D = 21.66 / 0.7 = 30.942… → 30.94; seller 49.06 + 9.282 = 58.342
        (Subsidy.share_of_discount(D("0.30")), "30.94", "49.06", "0.38", "58.342"),
        # share 30 % capped at 5: min(30.94, 21.66 + 5) = 26.66; seller 53.34 + 5
        (Subsidy.share_of_discount(D("0.30"), 5), "26.66", "53.34", "0.33", "58.34"),
        # the platform pays the whole discount: D = the list price (customer pays 0)
        (Subsidy.share_of_discount(D(1)), "80.00", "0.00", "1.00", "80.00"),
        # a fixed subsidy larger than the list price still stops at 0
        (Subsidy.fixed(100), "80.00", "0.00", "1.00", "100.00"),
    ],
    ids=["none", "fixed", "share", "share-cap", "share-100", "fixed-over-list"],
)
def test_deepest_discount_by_subsidy(
    subsidy: Subsidy, discount: str, customer_floor: str, pct: str, seller_price: str
) -> None:
    result = deepest_discount(SPEC_SKU, Listing(D("80.00")), SPEC_CHANNEL, SPEC_RUN, None, subsidy)
    assert result.status is Status.OK
    assert result.max_discount is not None and result.customer_floor is not None
    assert result.seller_price_at_max is not None
    assert str(result.max_discount.amount) == discount
    assert result.customer_floor.amount == D(customer_floor)
    assert result.max_discount_pct == D(pct)
    assert result.seller_price_at_max.amount == D(seller_price)
    assert result.seller_price_at_max.amount >= D("58.34")


@pytest.mark.parametrize(
    ("step", "pct"),
    [
        (D("0.05"), D("0.25")),  # 27.075 % down to a 5 % step → 25 %
        (D("0.025"), D("0.25")),  # 27.075 / 2.5 = 10.83 steps → 25 %
        (D("0.005"), D("0.27")),  # 27.075 / 0.5 = 54.15 steps → 27.0 %
        (D("0.001"), D("0.27")),  # 270.75 steps → 27.0 %
        (D("0.0025"), D("0.27")),  # 108.3 steps → 27.00 %
    ],
)
def test_discount_percentage_rounds_down_to_the_step(step: Decimal, pct: Decimal) -> None:
    result = deepest_discount(
        SPEC_SKU, Listing(D("80.00")), SPEC_CHANNEL, SPEC_RUN, discount_step=step
    )
    assert result.max_discount_pct == pct
    assert result.discount_step == step


def test_krw_discount_with_a_ten_percent_step() -> None:
    case = FLOOR_CASES["krw"]  # floor 19606 KRW
    result = deepest_discount(
        case.sku, Listing(D(39900)), case.channel, case.run, case.fx, discount_step=D("0.10")
    )
    # D = 39900 − 19606 = 20294 = 50.86 % → 50 % on a 10 % step
    assert result.max_discount is not None and result.customer_floor is not None
    assert result.max_discount.amount == D(20294)
    assert result.customer_floor.amount == D(19606)
    assert result.max_discount_pct == D("0.5")
    assert result.max_discount.amount.as_tuple().exponent == 0


def test_list_price_below_floor_cannot_join() -> None:
    result = deepest_discount(SPEC_SKU, Listing(D("50.00")), SPEC_CHANNEL, SPEC_RUN)
    assert result.status is Status.BELOW_FLOOR
    assert result.max_discount is None and result.customer_floor is None
    assert result.at_list is not None and result.at_list.margin is not None
    # margin at 50: (50 × 0.85 − 35) / 50 = 15 %
    assert result.at_list.margin == D("0.15")


def test_no_list_price() -> None:
    result = deepest_discount(SPEC_SKU, Listing(), SPEC_CHANNEL, SPEC_RUN)
    assert result.status is Status.NO_LIST_PRICE
    assert result.floor.floor is not None  # the floor itself is still known
    assert deepest_discount(SPEC_SKU, None, SPEC_CHANNEL, SPEC_RUN).status is Status.NO_LIST_PRICE


def test_a_list_price_finer_than_the_currency_is_refused() -> None:
    with pytest.raises(ValueError):
        deepest_discount(SPEC_SKU, Listing(D("79.999")), SPEC_CHANNEL, SPEC_RUN)


# --- eligibility (SPEC §3.5) --------------------------------------------------------------
@pytest.mark.parametrize(
    ("listing", "rules", "subsidy", "status", "suggested"),
    [
        # list rule, 20 %: 80 × 0.8 = 64.00 ≥ customer floor 58.34
        (Listing(D(80)), CampaignRules(D("0.20")), Subsidy.none(), Status.OK, "64.00"),
        # 30 %: 56.00 < 58.34
        (
            Listing(D(80)),
            CampaignRules(D("0.30")),
            Subsidy.none(),
            Status.CANNOT_REACH_MIN_DEPTH,
            None,
        ),
        # lowest_30d 70: 70 × 0.8 = 56.00 < 58.34 though the list rule would allow 64.00
        (
            Listing(D(80), D(70)),
            CampaignRules(D("0.20"), ReferenceRule.LOWEST_30D),
            Subsidy.none(),
            Status.CANNOT_REACH_MIN_DEPTH,
            None,
        ),
        # the list rule ignores the 30-day low
        (
            Listing(D(80), D(70)),
            CampaignRules(D("0.20"), ReferenceRule.LIST),
            Subsidy.none(),
            Status.OK,
            "64.00",
        ),
        # a 30-day low above the list price: the reference is the list price
        (
            Listing(D(80), D(90)),
            CampaignRules(D("0.20"), ReferenceRule.LOWEST_30D),
            Subsidy.none(),
            Status.OK,
            "64.00",
        ),
        # a 30 % capped share subsidy moves the customer floor to 53.34: 56.00 now fits
        (
            Listing(D(80)),
            CampaignRules(D("0.30")),
            Subsidy.share_of_discount(D("0.30"), 5),
            Status.OK,
            "56.00",
        ),
        # rounded down to stay within the rule: 79.99 × 0.85 = 67.9915 → 67.99
        (Listing(D("79.99")), CampaignRules(D("0.15")), Subsidy.none(), Status.OK, "67.99"),
        (Listing(D(50)), CampaignRules(D("0.10")), Subsidy.none(), Status.BELOW_FLOOR, None),
        (Listing(), CampaignRules(D("0.10")), Subsidy.none(), Status.NO_LIST_PRICE, None),
    ],
)
def test_eligibility(
    listing: Listing,
    rules: CampaignRules,
    subsidy: Subsidy,
    status: Status,
    suggested: str | None,
) -> None:
    result = check_eligibility(SPEC_SKU, listing, SPEC_CHANNEL, rules, SPEC_RUN, None, subsidy)
    assert result.status is status
    assert result.eligible is (status is Status.OK)
    if suggested is None:
        assert result.suggested_price is None
    else:
        assert result.suggested_price is not None and result.at_suggested is not None
        assert str(result.suggested_price.amount) == suggested
        assert result.at_suggested.margin is not None
        assert result.at_suggested.margin >= D("0.25")


def test_eligibility_seller_price_includes_the_subsidy() -> None:
    result = check_eligibility(
        SPEC_SKU,
        Listing(D(80)),
        SPEC_CHANNEL,
        CampaignRules(D("0.30")),
        SPEC_RUN,
        None,
        Subsidy.share_of_discount(D("0.30"), 5),
    )
    # customer pays 56.00; the platform adds min(0.30 × 24, 5) = 5 → seller price 61.00
    assert result.at_suggested is not None
    assert result.at_suggested.seller_price.amount == D("61.00")
    assert result.suggested_discount is not None
    assert result.suggested_discount.amount == D("24.00")


def test_eligibility_passes_floor_statuses_through() -> None:
    rules = CampaignRules(D("0.10"))
    no_fx = check_eligibility(SkuCost("N", D(10), "CNY"), Listing(D(10)), US, rules)
    assert no_fx.status is Status.NO_FX_RATE
    expensive = Channel("USD", market="US", commission=D("0.90"))
    no_price = check_eligibility(SkuCost("P", D(10), "USD"), Listing(D(10)), expensive, rules)
    assert no_price.status is Status.NO_PRICE


def test_inputs_refuse_floats_and_out_of_range_values() -> None:
    with pytest.raises(TypeError):
        SkuCost("A", 10.0, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        SkuCost("A", D(-1), "USD")
    with pytest.raises(ValueError):
        Channel("USD", commission=D("1.5"))
    with pytest.raises(ValueError):
        Channel("USD", discount_step=D(0))
    with pytest.raises(ValueError):
        RunSettings(target_margin=D("1.01"))
    with pytest.raises(ValueError):
        Listing(D(0))
    with pytest.raises(ValueError):
        FxRate("USD", "USD", D(1))
    with pytest.raises(ValueError):
        FxRate("USD", "CNY", D(0))


@pytest.mark.parametrize(
    ("cost", "margin_pct"),
    [
        ("175.31", "12.35"),  # (200 − 175.31) / 200 = 12.345 % exactly: a tie, rounded up
        ("200.69", "-0.35"),  # −0.345 %: half up rounds away from zero
        ("200.00", "0.00"),  # no "-0.00"
        ("200.01", "-0.01"),  # −0.005 %: a tie again
        ("175.32", "12.34"),  # 12.34 %
    ],
)
def test_margin_at_list_is_rounded_half_up(cost: str, margin_pct: str) -> None:
    context = PricingContext(US, RunSettings(D(0)))
    row = context.evaluate(D(cost), D(0), D(0), D(0), D(0), "USD", D("200.00"))
    assert str(row.margin_at_list_pct) == margin_pct
