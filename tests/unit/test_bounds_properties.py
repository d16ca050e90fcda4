"""Properties of the input bounds (SPEC §4.2): whatever a user types, a file holds, a button
carries or a row stores — within the bounds or far beyond them — parsing either returns a
value inside the bounds or refuses with the parser's own error, and formatting returns text.
Nothing raises anything else (no InvalidOperation, OverflowError, OSError …)."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot import limits
from bot.domain.campaigns import (
    Bound,
    parse_amount,
    parse_campaign_ref,
    parse_moment,
    parse_percentage,
    parse_subsidy,
)
from bot.domain.errors import UserFacingError
from bot.i18n import format_datetime, format_money, format_number, format_percent
from bot.pricing import InputError, SkuRowParser, parse_decimal, parse_percent, parse_rate
from bot.pricing import parse_amount as parse_money
from bot.shipped import SHIPPED_LOCALES
from bot.views.callbacks import BadCallbackData, decode

SETTINGS = settings(max_examples=300, deadline=None)

# any Decimal at all: huge, tiny, with many digits, NaN, ±Infinity, signed zeros
DECIMALS = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.builds(
        lambda sign, digits, exponent: Decimal((sign, tuple(digits), exponent)),
        st.integers(0, 1),
        st.lists(st.integers(0, 9), min_size=1, max_size=60),
        st.integers(-999_999_999, 999_999_999),
    ),
    st.sampled_from(
        [Decimal("1E+999999999"), Decimal("1E-999999999"), Decimal("9" * 31), Decimal("-0")]
    ),
)
# what people (and forgers) type where a number goes
NUMBER_TEXT = st.one_of(
    st.from_regex(r"[+-]?[0-9]{0,40}(\.[0-9]{0,40})?([eE][+-]?[0-9]{1,10})?", fullmatch=True),
    st.sampled_from(["NaN", "-Infinity", "sNaN", "1_000", "1,5", "١٢", "１２", " 7.10 ", "%"]),
    st.text(max_size=60),
)
CURRENCIES = st.sampled_from(["USD", "EUR", "CNY", "KRW", "JPY", "BHD", "ZAR", "BRL"])
LOCALES = st.sampled_from(SHIPPED_LOCALES)


@SETTINGS
@given(value=DECIMALS, currency=CURRENCIES, locale=LOCALES)
def test_formatting_any_decimal_gives_text(value: Decimal, currency: str, locale: str) -> None:
    for text in (
        format_money(value, currency, locale),
        format_number(value, locale),
        format_number(value, locale, 2),
        format_percent(value, locale),
    ):
        assert isinstance(text, str) and text


@SETTINGS
@given(value=DECIMALS, locale=LOCALES)
def test_values_within_the_bounds_are_shown_in_full(value: Decimal, locale: str) -> None:
    if not value.is_finite() or not value or not -limits.MAX_AMOUNT <= value <= limits.MAX_AMOUNT:
        return
    shown = format_money(value, "USD", locale)
    assert "E" not in shown and shown != "—"


@SETTINGS
@given(
    moment=st.datetimes(timezones=st.just(UTC)),
    zone=st.sampled_from(["Pacific/Kiritimati", "Etc/GMT+12", "Asia/Shanghai", "UTC"]),
    locale=LOCALES,
)
def test_formatting_any_moment_gives_text(moment: datetime, zone: str, locale: str) -> None:
    assert format_datetime(moment, zone, locale)


def within_amount_bounds(value: Decimal) -> bool:
    return 0 <= value <= limits.MAX_AMOUNT and limits.decimal_places(value) <= 12


@SETTINGS
@given(text=NUMBER_TEXT)
def test_the_engine_parsers_return_a_bounded_value_or_refuse(text: str) -> None:
    for parse, check in (
        (parse_decimal, within_amount_bounds),
        (parse_money, lambda v: within_amount_bounds(v) and limits.decimal_places(v) <= 6),
        (
            lambda t: parse_money(t, positive=True, currency="USD"),
            lambda v: (
                Decimal("0.01") <= v <= limits.MAX_AMOUNT and v == v.quantize(Decimal("0.01"))
            ),
        ),
        (parse_rate, lambda v: limits.MIN_FX_RATE <= v <= limits.MAX_FX_RATE),
        (parse_percent, lambda v: 0 <= v <= 1 and limits.decimal_places(v) <= 6),
    ):
        try:
            value = parse(text)
        except InputError:
            continue
        assert check(value), (text, value)


FIELDS = ("name", "unit_cost", "packaging", "duty_rate", "list_price", "lowest_30d")


@SETTINGS
@given(cells=st.lists(NUMBER_TEXT, min_size=6, max_size=6), name=st.text(max_size=260))
def test_a_sku_row_parses_within_the_bounds_or_names_its_field(cells: list[str], name: str) -> None:
    parser = SkuRowParser(["sku", *FIELDS], "USD")
    row = ["A1", name, *cells[:5]]
    try:
        parsed = parser.parse(row)
    except InputError as exc:
        assert exc.field in {
            "name",
            "unit_cost",
            "packaging",
            "duty_rate",
            "list_price",
            "lowest_30d",
        }
        return
    for amount in (parsed.unit_cost, parsed.packaging):
        assert 0 <= amount <= limits.MAX_AMOUNT
    assert 0 <= parsed.duty_rate <= 1
    for price in (parsed.list_price, parsed.lowest_30d):
        assert price is None or Decimal("0.01") <= price <= limits.MAX_AMOUNT
    assert parsed.name is None or len(parsed.name) <= limits.MAX_NAME_LENGTH + 1


@SETTINGS
@given(text=st.one_of(NUMBER_TEXT, st.text(max_size=80)), digits=st.sampled_from([0, 2, 3]))
def test_campaign_input_returns_a_bounded_value_or_says_how_to_write_it(
    text: str, digits: int
) -> None:
    for parse in (
        lambda t: parse_amount(t, digits),
        lambda t: parse_amount(t, digits, allow_zero=True),
        parse_percentage,
        lambda t: parse_subsidy(t, digits),
        parse_campaign_ref,
        lambda t: parse_moment(t, "Pacific/Kiritimati", Bound.END),
        lambda t: parse_moment(t, "Etc/GMT+12", Bound.START),
    ):
        try:
            value = parse(text)
        except UserFacingError:
            continue
        if isinstance(value, datetime):
            assert limits.MIN_YEAR - 1 <= value.year <= limits.MAX_YEAR + 1
        elif isinstance(value, Decimal):
            assert 0 <= value <= limits.MAX_AMOUNT
        elif isinstance(value, int):
            assert limits.row_id_in_range(value)


@SETTINGS
@given(
    moment=st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(T[0-9]{1,2}:[0-9]{2})?", fullmatch=True)
)
def test_dates_outside_2000_to_2100_never_pass(moment: str) -> None:
    try:
        value = parse_moment(moment, "Asia/Shanghai", Bound.DEADLINE)
    except UserFacingError:
        return
    assert limits.year_in_range(int(moment[:4]))
    assert value.tzinfo is UTC


@SETTINGS
@given(text=st.text(max_size=300))
def test_id_page_zone_and_name_helpers_never_raise(text: str) -> None:
    for value in (limits.parse_id(text), limits.parse_page(text)):
        assert value is None or 0 <= value <= limits.MAX_ROW_ID
    number = limits.parse_int64(text)
    assert number is None or limits.INT64_MIN <= number <= limits.INT64_MAX
    assert isinstance(limits.is_valid_timezone(text), bool)
    assert len(limits.shorten(text)) <= limits.SHORT_NAME_LENGTH


@SETTINGS
@given(
    data=st.one_of(
        st.text(max_size=80),
        st.from_regex(r"1:[a-z]{1,6}(:[-+0-9A-Za-z.]{0,25}){0,5}", fullmatch=True),
    )
)
def test_any_callback_data_is_read_or_refused_as_bad(data: str) -> None:
    try:
        callback = decode(data)
    except BadCallbackData:
        return
    for read in (
        callback.id_arg,
        callback.int_arg,
        callback.page_arg,
        lambda i: callback.parsed(i, lambda t: parse_amount(t, 2)),
    ):
        for index in range(3):
            with contextlib.suppress(BadCallbackData):
                read(index)


@SETTINGS
@given(value=DECIMALS)
def test_stored_values_always_enter_the_engine_within_the_bounds(value: Decimal) -> None:
    assert 0 <= limits.stored_amount(value) <= limits.MAX_AMOUNT
    assert 0 <= limits.stored_fraction(value) <= 1
    rate = limits.stored_rate(value)
    assert rate is None or limits.MIN_FX_RATE <= rate <= limits.MAX_FX_RATE
