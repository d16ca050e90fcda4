"""FX lookups, the preset data file, and the text → field parsers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.pricing import (
    Channel,
    DutyBasis,
    FeesOn,
    FxRate,
    FxTable,
    InputError,
    InputProblem,
    Mode,
    SkuRowParser,
    UnknownPresetError,
    apply_channel_overrides,
    get_preset,
    load_presets,
    parse_channel_value,
    preset_names,
)

D = Decimal
DAY = date(2026, 11, 20)


# --- FX --------------------------------------------------------------------------------
def test_direct_inverse_and_identity() -> None:
    table = FxTable(overrides=[FxRate("USD", "CNY", D("7.1"), DAY)])
    direct = table.quote("USD", "CNY")
    inverse = table.quote("cny", "usd")
    assert direct is not None and inverse is not None
    assert (direct.numerator, direct.denominator) == (D("7.1"), 1)
    assert (inverse.numerator, inverse.denominator) == (1, D("7.1"))  # 1/7.1, kept exact
    assert inverse.legs[0].inverted
    identity = table.quote("USD", "USD")
    assert identity is not None and identity.is_identity and identity.rate == 1
    assert table.quote("USD", "JPY") is None


def test_cross_rate_through_the_base_currency() -> None:
    table = FxTable.from_base_rates({"USD": D("1.08"), "JPY": D("162")}, as_of=DAY, overrides=[])
    quote = table.quote("USD", "JPY")
    assert quote is not None
    assert quote.numerator / quote.denominator == D(150)  # 162 / 1.08
    assert quote.sources == ("ecb",)


def test_cross_rate_through_another_known_currency() -> None:
    # no EUR↔CNY rate: CNY → USD → EUR
    table = FxTable(overrides=[FxRate("USD", "CNY", D("7.2")), FxRate("EUR", "USD", D("1.2"))])
    quote = table.quote("CNY", "EUR")
    assert quote is not None
    # 1 EUR = 1.2 × 7.2 = 8.64 CNY, so 1 CNY = 1/8.64 EUR, as an exact fraction
    assert (quote.numerator, quote.denominator) == (1, D("8.64"))
    assert [leg.rate.from_currency for leg in quote.legs] == ["USD", "EUR"]


def test_manual_overrides_win_and_the_latest_wins_both_ways() -> None:
    reference = FxTable.from_base_rates({"USD": D("1.10")}, as_of=DAY)
    manual = reference.with_overrides([FxRate("USD", "EUR", D("0.95"), None, "manual")])
    quote = manual.quote("EUR", "USD")
    assert quote is not None
    assert quote.sources == ("manual",)
    assert (quote.numerator, quote.denominator) == (1, D("0.95"))
    newer = manual.with_overrides([FxRate("EUR", "USD", D("1.05"), None, "manual")])
    quote = newer.quote("USD", "EUR")
    assert quote is not None
    assert (quote.numerator, quote.denominator) == (1, D("1.05"))


def test_cross_quote_is_as_old_as_its_oldest_leg() -> None:
    table = FxTable(
        [FxRate("EUR", "USD", D("1.08"), date(2026, 11, 24), "ecb")],
        [FxRate("EUR", "CNY", D("7.8"), date(2026, 11, 20), "manual")],
    )
    quote = table.quote("CNY", "USD")
    assert quote is not None
    assert quote.as_of == date(2026, 11, 20)
    assert set(quote.sources) == {"ecb", "manual"}
    assert quote.is_stale(date(2026, 11, 24))
    undated = FxTable(overrides=[FxRate("USD", "CNY", D("7.1"))]).quote("USD", "CNY")
    assert undated is not None and undated.is_stale(DAY)


# --- presets --------------------------------------------------------------------------
REQUIRED_PRESETS = [
    "amazon-us",
    "amazon-de",
    "amazon-uk",
    "amazon-jp",
    "temu-us-semi",
    "temu-us-full",
    "shein-us-semi",
    "aliexpress-kr",
    "tiktok-us",
    "tiktok-uk",
    "temu-za",
    "custom",
]


def test_required_presets_exist() -> None:
    assert set(REQUIRED_PRESETS) <= set(preset_names())
    assert len(load_presets()) == len(preset_names())


@pytest.mark.parametrize(
    ("name", "currency", "vat", "includes_vat"),
    [
        ("amazon-us", "USD", "0", False),
        ("amazon-de", "EUR", "0.19", True),
        ("amazon-uk", "GBP", "0.20", True),
        ("amazon-jp", "JPY", "0.10", True),
        ("aliexpress-kr", "KRW", "0.10", True),
        ("tiktok-uk", "GBP", "0.20", True),
        ("temu-za", "ZAR", "0.15", True),
        ("temu-us-semi", "USD", "0", False),
        ("custom", "USD", "0", False),
    ],
)
def test_preset_vat_facts(name: str, currency: str, vat: str, includes_vat: bool) -> None:
    channel = get_preset(name).channel
    assert channel.currency == currency
    assert channel.vat_rate == D(vat)
    assert channel.effective_vat_rate == (D(vat) if includes_vat else 0)


@pytest.mark.parametrize("name", REQUIRED_PRESETS)
def test_every_preset_is_dated_sourced_and_sane(name: str) -> None:
    preset = get_preset(name)
    assert preset.name == name
    assert isinstance(preset.as_of, date)
    assert len(preset.source) > 20
    channel = preset.channel
    expected_basis = DutyBasis.FOB if channel.market == "US" else DutyBasis.CIF
    if name != "custom":
        assert channel.duty_basis is expected_basis
    assert channel.discount_step == D("0.01")


def test_custom_is_blank_usd_without_vat() -> None:
    channel = get_preset("custom").channel
    assert channel.currency == "USD" and channel.vat_rate == 0
    assert channel.percent_fees == 0 and channel.fixed_fees == 0


@pytest.mark.parametrize("name", ["temu-us-semi", "temu-us-full", "shein-us-semi", "aliexpress-kr"])
def test_unknown_commissions_stay_zero_and_say_so(name: str) -> None:
    preset = get_preset(name)
    assert preset.channel.percent_fees == 0 and preset.channel.fixed_fees == 0
    assert "not in public sources" in preset.source


def test_fee_bases() -> None:
    tiktok = get_preset("tiktok-us").channel
    assert tiktok.fees_on is FeesOn.NET and tiktok.commission == D("0.06")
    for name in ("amazon-us", "amazon-de", "amazon-uk", "amazon-jp"):
        amazon = get_preset(name)
        assert amazon.channel.fees_on is FeesOn.GROSS
        assert amazon.channel.commission == D("0.15")
        assert "starting point" in amazon.source
    assert get_preset("temu-us-full").channel.mode is Mode.FULL


def test_preset_lookup_ignores_case_and_names_the_choices() -> None:
    assert get_preset("  Amazon-DE ").name == "amazon-de"
    with pytest.raises(UnknownPresetError) as caught:
        get_preset("ebay-us")
    assert caught.value.problem is InputProblem.NOT_A_CHOICE
    assert "amazon-us" in str(caught.value)


# --- field parsers -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("commission", "12.5%", D("0.125")),
        ("vat_rate", "19", D("0.19")),
        ("prices_include_vat", "yes", True),
        ("prices_include_vat", "False", False),
        ("fees_on", "NET", FeesOn.NET),
        ("mode", "full", Mode.FULL),
        ("duty_basis", "cif", DutyBasis.CIF),
        ("currency", "gbp", "GBP"),
        ("fulfilment_fee", "3.20", D("3.20")),
        ("discount_step", "5", D("0.05")),
        ("market", " us ", "US"),
    ],
)
def test_parse_channel_value(field: str, text: str, value: object) -> None:
    assert parse_channel_value(field, text) == value


@pytest.mark.parametrize(
    ("field", "text", "problem"),
    [
        ("commission", "101", InputProblem.OVER_MAXIMUM),
        ("fees_on", "both", InputProblem.NOT_A_CHOICE),
        ("prices_include_vat", "maybe", InputProblem.NOT_A_BOOLEAN),
        ("currency", "DOLLAR", InputProblem.UNKNOWN_CURRENCY),
        ("payment_fixed", "-1", InputProblem.NEGATIVE),
        ("discount_step", "0", InputProblem.NOT_POSITIVE),
        ("colour", "red", InputProblem.UNKNOWN_FIELD),
    ],
)
def test_parse_channel_value_errors_name_the_field(
    field: str, text: str, problem: InputProblem
) -> None:
    with pytest.raises(InputError) as caught:
        parse_channel_value(field, text)
    assert caught.value.problem is problem
    assert caught.value.field == field


def test_apply_channel_overrides_revalidates() -> None:
    base = Channel("USD", market="US")
    edited = apply_channel_overrides(base, {"commission": "8", "ads_rate": "2%"})
    assert edited.percent_fees == D("0.10")
    assert base.percent_fees == 0  # the original is untouched


HEADER = ["SKU", "Unit_Cost", "cost_currency", "packaging", "duty_rate", "list_price", "extra"]


def test_sku_row_parser_reads_a_row() -> None:
    parser = SkuRowParser(HEADER, "USD")
    parsed = parser.parse(["A1", "12.5", "cny", "", "7.5%", "19.9", "ignored"])
    assert parsed.sku == "A1"
    assert parsed.unit_cost == D("12.5")
    assert parsed.cost_currency == "CNY"
    assert parsed.packaging == 0 and parsed.first_mile == 0
    assert parsed.duty_rate == D("0.075")
    assert str(parsed.list_price) == "19.90"  # quantized to the sale currency
    assert parsed.lowest_30d is None
    assert parsed.sku_cost().duty_rate == D("0.075")
    assert parsed.listing().list_price == D("19.90")


def test_sku_row_parser_defaults_and_short_rows() -> None:
    parser = SkuRowParser(["sku", "unit_cost", "list_price"], "KRW")
    parsed = parser.parse(["B", "7"])
    assert parsed.cost_currency == "CNY"  # SPEC §3.0 default cost currency
    assert parsed.list_price is None


@pytest.mark.parametrize(
    ("cells", "field", "problem"),
    [
        (["A", "abc", "USD", "", "", ""], "unit_cost", InputProblem.NOT_A_NUMBER),
        (["A", "-3", "USD", "", "", ""], "unit_cost", InputProblem.NEGATIVE),
        (["A", "", "USD", "", "", ""], "unit_cost", InputProblem.REQUIRED),
        (["", "3", "USD", "", "", ""], "sku", InputProblem.REQUIRED),
        (["A", "3", "USX", "", "", ""], "cost_currency", InputProblem.UNKNOWN_CURRENCY),
        (["A", "3", "USD", "x", "", ""], "packaging", InputProblem.NOT_A_NUMBER),
        (["A", "3", "USD", "", "150", ""], "duty_rate", InputProblem.OVER_MAXIMUM),
        (["A", "3", "USD", "", "", "9.999"], "list_price", InputProblem.TOO_MANY_DECIMALS),
        (["A", "3", "USD", "", "", "0"], "list_price", InputProblem.NOT_POSITIVE),
        (["A", "1e3", "USD", "", "", ""], "unit_cost", InputProblem.NOT_A_NUMBER),
    ],
)
def test_sku_row_parser_errors_name_the_column(
    cells: list[str], field: str, problem: InputProblem
) -> None:
    parser = SkuRowParser(HEADER, "USD")
    with pytest.raises(InputError) as caught:
        parser.parse(cells)
    assert caught.value.field == field
    assert caught.value.problem is problem


def test_sku_row_parser_blank_cost_is_never_memoised_as_zero() -> None:
    parser = SkuRowParser(HEADER, "USD")
    parser.parse(["A", "3", "USD", "", "", ""])  # "" packaging → 0
    with pytest.raises(InputError) as caught:
        parser.parse(["B", "", "USD", "", "", ""])
    assert caught.value.field == "unit_cost"


def test_sku_row_parser_header_problems() -> None:
    with pytest.raises(InputError) as caught:
        SkuRowParser(["sku", "cost"], "USD")
    assert caught.value.field == "unit_cost"
    assert caught.value.problem is InputProblem.REQUIRED
    with pytest.raises(InputError) as caught:
        SkuRowParser(["sku", "unit_cost", "SKU"], "USD")
    assert caught.value.problem is InputProblem.DUPLICATE


def test_blank_optional_cells_take_their_defaults() -> None:
    parser = SkuRowParser(HEADER, "USD")
    parsed = parser.parse(["A", "3", "  ", " ", "  ", " "])
    assert parsed.cost_currency == "CNY"
    assert parsed.packaging == 0 and parsed.duty_rate == 0
    assert parsed.list_price is None
