"""The floor card and channel screens, rendered from real engine results (no database)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.db.models import Channel, Sku
from bot.i18n import Translator
from bot.pricing import FxRate, FxTable, Listing, PricingContext, RunSettings
from bot.services.catalog import FloorCard
from bot.services.channels import ChannelChange, ChannelEdit
from bot.services.pricing_inputs import channel_params, sku_cost
from bot.views.catalog import floor_card
from bot.views.channels import channel_edited

TODAY = date(2026, 11, 26)


def channel(**values: object) -> Channel:
    fields: dict[str, object] = {
        "name": "shop",
        "platform": "custom",
        "market": "",
        "mode": "self",
        "currency": "USD",
        "vat_rate": Decimal(0),
        "prices_include_vat": False,
        "fees_on": "gross",
        "commission": Decimal(0),
        "payment_rate": Decimal(0),
        "returns_rate": Decimal(0),
        "ads_rate": Decimal(0),
        "payment_fixed": Decimal(0),
        "fulfilment_fee": Decimal(0),
        "other_channel_fee": Decimal(0),
        "duty_basis": "fob",
        "discount_step": Decimal("0.01"),
        "timezone": "UTC",
    }
    fields.update(values)
    return Channel(**fields)


def sku(**values: object) -> Sku:
    fields: dict[str, object] = {
        "code": "A1",
        "name": "Mug",
        "unit_cost": Decimal(30),
        "cost_currency": "USD",
        "packaging": Decimal(0),
        "first_mile": Decimal(0),
        "other_cost": Decimal(0),
        "duty_rate": Decimal(0),
    }
    fields.update(values)
    return Sku(**fields)


def card(
    row: Channel,
    item: Sku,
    margin: str,
    list_price: str | None = None,
    fx: FxTable | None = None,
) -> FloorCard:
    context = PricingContext(
        channel_params(row), RunSettings(Decimal(margin), Decimal("0.02")), fx or FxTable()
    )
    listing = Listing(Decimal(list_price)) if list_price else None
    result = context.discount(sku_cost(item), listing)
    quote = context.quote(item.cost_currency)
    stale = quote is not None and quote.is_stale(TODAY)
    return FloorCard(
        item, row, Decimal(margin), True, Decimal("0.02"), result, quote, stale, None, TODAY
    )


def test_spec_worked_example_floor_and_discount_in_two_locales() -> None:
    """SPEC §3.3: cost 30 + fixed 5, fee 15 %, m = 25 % → floor 58.34."""
    shop = channel(commission=Decimal("0.15"), fulfilment_fee=Decimal(5))
    result = card(shop, sku(), "0.25", list_price="80.00")
    en, _keyboard = floor_card(Translator("en"), result)
    assert "<b>Floor: $58.34</b> (keeps 25% of net revenue)" in en
    assert "Landed cost: $30.00" in en
    assert "Commission 15%: $8.75" in en and "Fulfilment fee: $5.00" in en
    assert "List price: $80.00 · margin at list price 41.3%" in en  # 33 / 80, tie up
    # one consistent pair: 27 % (rounded down to the step) and what 27 % of 80 takes off;
    # the exact maximum 80 − 58.34 = 21.66 = 27.075 % (shown rounded down) in the breakdown
    assert "<b>Deepest discount: 27% ($21.60)</b>" in en
    assert "Exact maximum: $21.66 (27.07%) → lowest customer price $58.34" in en
    de, _keyboard = floor_card(Translator("de"), result)
    assert "58,34" in de and "21,60" in de and "21,66" in de and "$58.34" not in de


def test_duty_fx_and_a_stale_rate_are_explained() -> None:
    fx = FxTable(overrides=[FxRate("CNY", "USD", Decimal("0.14"), date(2026, 11, 1))])
    item = sku(unit_cost=Decimal(35), cost_currency="CNY", first_mile=Decimal(4),
               duty_rate=Decimal("0.075"))  # fmt: skip
    text, _keyboard = floor_card(Translator("en"), card(channel(), item, "0.15", fx=fx))
    assert "Duty: CN¥2.62 (7.5% of CN¥35.00, FOB: unit cost)" in text
    # as a CNY seller quotes it (USD/CNY), the stored direction beside it
    assert "FX: 1 USD = 7.14286 CNY (1 CNY = 0.14 USD) (manual rate, Nov 1, 2026) ⚠️ stale" in text
    assert "FX buffer: 2%" in text
    assert "No list price on shop yet" in text


def test_missing_rate_says_how_to_set_one() -> None:
    text, _keyboard = floor_card(
        Translator("en"), card(channel(), sku(cost_currency="CNY"), "0.15")
    )
    assert "no exchange rate from CNY to USD" in text
    assert "<code>/fx set CNY USD RATE</code>" in text and "/fx set CNY USD 0.14" in text
    assert "Floor:" not in text


@pytest.mark.parametrize(
    ("commission", "ads", "margin", "expected"),
    [
        ("0.60", "0.20", "0.25", "the fees (Commission 60%, Advertising 20%) and the margin "
         "add up to 105% of net revenue"),
        ("0.70", "0.35", "0.10", "Commission 70%, Advertising 35% take 105% of net revenue on "
         "their own"),
    ],
)  # fmt: skip
def test_fees_and_margin_of_100_percent_or_more_are_named(
    commission: str, ads: str, margin: str, expected: str
) -> None:
    shop = channel(commission=Decimal(commission), ads_rate=Decimal(ads))
    text, _keyboard = floor_card(Translator("en"), card(shop, sku(), margin, "99.00"))
    assert expected in text
    assert "Floor:" not in text


def test_below_floor_list_price_cannot_join() -> None:
    text, _keyboard = floor_card(Translator("en"), card(channel(), sku(), "0.15", "20.00"))
    assert "The list price is below the floor" in text
    assert "Deepest discount" not in text


def test_percent_shows_the_digits_it_has() -> None:
    en = Translator("en")
    assert [en.percent(Decimal(v)) for v in ("0.15", "0.075", "0.1234", "0")] == [
        "15%",
        "7.5%",
        "12.34%",
        "0%",
    ]


def test_channel_edit_summary_shows_before_and_after() -> None:
    row = channel(name="de", currency="EUR", commission=Decimal("0.12"))
    edit = ChannelEdit(
        row,
        [
            ChannelChange("commission", Decimal("0.15"), Decimal("0.12")),
            ChannelChange("prices_include_vat", False, True),
            ChannelChange("currency", "USD", "EUR"),
        ],
        currency_changed_with_listings=True,
    )
    text, _keyboard = channel_edited(Translator("en"), edit)
    assert "Commission (<code>commission</code>): 15% → 12%" in text
    assert "Shelf prices include VAT (<code>prices_include_vat</code>): no → yes" in text
    assert "Sale currency (<code>currency</code>): USD → EUR" in text
    assert "now read as EUR" in text


def test_preset_source_notes_are_extracted_for_translation() -> None:
    from importlib import resources

    from babel.messages.catalog import PYTHON_FORMAT

    from bot.i18n_extract import extract_presets
    from bot.pricing import load_presets

    path = resources.files("bot.pricing").joinpath("presets.json")
    with path.open("rb") as handle:
        extracted = [message for _, _, message, _ in extract_presets(handle, [], [], {})]
    assert extracted == [preset.source for preset in load_presets().values()]
    # a note that reads as a %-format ("15 % is") would be flagged python-format and
    # break `pybabel compile` for any translation that moves the percent sign
    assert [m for m in extracted if PYTHON_FORMAT.search(m)] == []


def test_floor_card_shows_one_consistent_discount_pair() -> None:
    """Issue 11: 12.99 list price, floor 7.16. The old card said 'US$5.83 (44 %)', but 44 %
    of 12.99 is 5.71 and 5.83 is 44.88 %. Now: the pair 44 % and 5.71, and the exact
    maximum 5.83 (44.88 %) with the lowest customer price 7.16 in the breakdown."""
    result = card(channel(), sku(unit_cost=Decimal("6.086")), "0.15", list_price="12.99")
    text, _keyboard = floor_card(Translator("en"), result)
    assert "<b>Floor: $7.16</b>" in text and "Exact floor" not in text
    assert "<b>Deepest discount: 44% ($5.71)</b>" in text
    assert "Exact maximum: $5.83 (44.88%) → lowest customer price $7.16" in text
    assert "$5.83 (44%)" not in text and "On the price grid" not in text
    ko, _keyboard = floor_card(Translator("ko"), result)
    assert "44%" in ko and "US$5.71" in ko and "44.88%" in ko


def test_floor_card_on_a_99_price_grid_shows_what_the_grid_costs() -> None:
    shop = channel(price_endings="0.99")
    result = card(shop, sku(unit_cost=Decimal("6.086")), "0.15", list_price="12.99")
    text, _keyboard = floor_card(Translator("en"), result)
    assert "<b>Floor: $7.99</b>" in text
    assert (
        "Exact floor: $7.16; the channel's price grid (prices ending in .99) rounds it up to "
        "the next grid price." in text
    )
    assert "Break-even: $6.09" in text  # 6.086 at m = 0, to the cent: not on the grid
    # 12.99 − 7.99 = 5.00 = 38.49 % → 38 %, which takes 4.93 off
    assert "<b>Deepest discount: 38% ($4.93)</b>" in text
    assert (
        "On the price grid (prices ending in .99): $5.00 (38.49%) → lowest customer price $7.99"
        in text
    )
    assert "Exact maximum: $5.83 (44.88%) → customer price $7.16, off the grid" in text
    de, _keyboard = floor_card(Translator("de"), result)
    assert "Preise mit Endung ,99" in de and "7,99" in de


def test_floor_card_without_a_grid_price_under_the_list_price() -> None:
    shop = channel(price_endings="0.99")
    result = card(shop, sku(unit_cost=Decimal("6.086")), "0.15", list_price="7.50")
    text, _keyboard = floor_card(Translator("en"), result)
    assert "No price on the channel's price grid (prices ending in .99)" in text
    assert "lowest safe customer price, $7.16" in text
    assert "<code>/channel shop price_step=…</code>" in text
    assert "Deepest discount" not in text


def test_floor_card_in_korean_on_a_ten_won_grid() -> None:
    shop = channel(currency="KRW", market="KR", price_step=Decimal(10))
    result = card(shop, sku(unit_cost=Decimal(11488), cost_currency="KRW"), "0.15", "19900")
    text, _keyboard = floor_card(Translator("ko"), result)
    # 11488 / 0.85 = 13515.29… → 13516 exactly, 13520 on the 10-won grid
    assert "₩13,520" in text and "₩13,516" in text
    assert "₩10 단위 가격" in text  # the grid, in Korean


def test_channel_card_values_of_the_price_grid() -> None:
    from bot.views.channels import value_text

    en = Translator("en")
    assert value_text(en, "price_step", None, "USD") == "$0.01"
    assert value_text(en, "price_step", Decimal(10), "KRW") == "₩10"
    assert value_text(en, "price_endings", None, "USD") == "none"
    assert value_text(en, "price_endings", "0.49,0.99", "USD") == ".49 / .99"
    assert value_text(en, "price_endings", "900", "KRW") == "900"
    edit = ChannelEdit(
        channel(price_endings="0.99"),
        [ChannelChange("price_endings", None, "0.99")],
        currency_changed_with_listings=False,
    )
    text, _keyboard = channel_edited(en, edit)
    assert "Price endings (<code>price_endings</code>): none → .99" in text
