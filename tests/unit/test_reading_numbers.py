"""Numbers as sellers write them (SPEC §4.2): one reader for commands, guided answers, files
and /fx set, per locale — table-driven, with the issue's examples."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.campaigns import parse_amount as campaign_amount
from bot.domain.campaigns import parse_percentage, parse_subsidy, split_args
from bot.domain.enums import SubsidyKind
from bot.domain.errors import UserInputError
from bot.domain.numbers import AmbiguousNumber, reader_style
from bot.handlers.common import render_user_error
from bot.handlers.enrolment import parse_choice
from bot.handlers.vouchers import parse_voucher_question
from bot.i18n import Translator
from bot.pricing import (
    DECIMAL_COMMA,
    DECIMAL_POINT,
    Ambiguity,
    InputError,
    InputProblem,
    SkuRowParser,
    canonical_number,
    parse_channel_value,
    parse_decimal,
    parse_percent,
    style_for,
)
from bot.services.arguments import parse_arguments
from bot.services.catalog import parse_sku_values, sku_request
from bot.services.fx import parse_override
from bot.services.imports import read_catalogue
from bot.services.settings import Setting, parse_changes
from tests.xlsx_parts import cell, row, sheet, workbook

COMMA_LOCALES = ("de", "es", "pt_BR")
POINT_LOCALES = ("en", "zh_CN", "ko")


@pytest.mark.parametrize("locale", COMMA_LOCALES)
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("19,99", "19.99"),
        ("1.234,56", "1234.56"),
        ("19.99", "19.99"),  # '.' alone is a decimal point for everyone
        ("0.125", "0.125"),  # … where it cannot be a thousands separator
        ("1.2345", "1.2345"),
        ("1234.567", "1234.567"),
        ("0,125", "0.125"),  # a leading 0 cannot start a thousands group
        ("7,2345", "7.2345"),
        ("1234,567", "1234.567"),
        (",5", "0.5"),
        ("1.234.567", "1234567"),
        ("1 234,56", "1234.56"),
        ("1\u00a0234,56", "1234.56"),
        ("１９，９９", "19.99"),  # full-width, as CJK keyboards type
        ("12", "12"),
    ],
)
def test_decimal_comma_readers(locale: str, text: str, value: str) -> None:
    assert parse_decimal(text, style=style_for(locale)) == Decimal(value)


@pytest.mark.parametrize("locale", POINT_LOCALES)
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("19.99", "19.99"),
        ("1,234.56", "1234.56"),
        ("1,234", "1234"),
        ("1,234,567", "1234567"),
        ("1 234.5", "1234.5"),
        ("１９．９９", "19.99"),
    ],
)
def test_decimal_point_readers(locale: str, text: str, value: str) -> None:
    assert parse_decimal(text, style=style_for(locale)) == Decimal(value)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        *((loc, t) for loc in POINT_LOCALES for t in ("19,99", "1.234,56", "1,23,4", "1.2.3")),
        *((loc, t) for loc in COMMA_LOCALES for t in ("1,234.56", "1,2,3", "12,", "1.23,4")),
    ],
)
def test_what_the_locale_does_not_write_is_not_a_number(locale: str, text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_decimal(text, style=style_for(locale))
    assert caught.value.problem is InputProblem.NOT_A_NUMBER


@pytest.mark.parametrize("locale", COMMA_LOCALES)
@pytest.mark.parametrize(
    ("text", "whole", "fraction"),
    [
        ("1,234", "1234", "1,2340"),
        ("12,500", "12500", "12,5000"),
        ("-1,000", "1000", "1,0000"),
        # a German writes a thousand as 1.234: a lone point before three digits is asked too
        ("1.234", "1234", "1,2340"),
        ("1.085", "1085", "1,0850"),
    ],
)
def test_a_mark_before_three_digits_is_ambiguous_with_both_readings(
    locale: str, text: str, whole: str, fraction: str
) -> None:
    with pytest.raises(InputError) as caught:
        parse_decimal(text, style=style_for(locale), allow_negative=True)
    assert caught.value.problem is InputProblem.AMBIGUOUS
    assert caught.value.limit == Ambiguity(whole, fraction)
    # each offered reading reads back one way only
    assert parse_decimal(whole, style=style_for(locale)) == Decimal(whole)
    assert parse_decimal(fraction, style=style_for(locale)) == Decimal(fraction.replace(",", "."))


def test_without_a_style_only_plain_digits_are_read() -> None:
    assert canonical_number(" 19,99 ", None) == "19,99"
    with pytest.raises(InputError):
        parse_decimal("19,99")
    assert style_for(None) is None
    assert style_for("de") == DECIMAL_COMMA and style_for("ko") == DECIMAL_POINT


@pytest.mark.parametrize(
    ("locale", "text", "fraction"),
    [
        ("de", "30%", "0.3"),
        ("de", "30 %", "0.3"),
        ("de", "30,5 %", "0.305"),
        ("pt_BR", "12,5%", "0.125"),
        ("es", "7,25 %", "0.0725"),
        ("en", "30.5 %", "0.305"),
        ("zh_CN", "30％", "0.3"),
        ("ko", "30%", "0.3"),
    ],
)
def test_percentages_in_every_locale(locale: str, text: str, fraction: str) -> None:
    style = style_for(locale)
    assert parse_percent(text, style=style) == Decimal(fraction)
    assert parse_percentage(text, style=style) == Decimal(fraction)


# --- every place a number is read -----------------------------------------------------------
DE = reader_style("de")


def test_sku_command_reads_the_readers_numbers() -> None:
    args = parse_arguments("add A1 unit_cost=12,5 duty_rate=7,5 packaging=1.234,5", "de")
    request = sku_request("A1", args.rest(), adding=True)
    values = parse_sku_values("A1", request.values, None, "CNY", request.style)
    assert values["unit_cost"] == Decimal("12.5")
    assert values["duty_rate"] == Decimal("0.075")
    assert values["packaging"] == Decimal("1234.5")


def test_an_ambiguous_sku_value_names_the_field_and_both_readings() -> None:
    args = parse_arguments("A1 unit_cost=1,234", "de")
    request = sku_request("A1", args.rest(), adding=False)
    with pytest.raises(AmbiguousNumber) as caught:
        parse_sku_values("A1", request.values, {"unit_cost": "1"}, "CNY", request.style)
    text = render_user_error(caught.value, Translator("de"))
    assert "unit_cost" in text and "<code>1234</code>" in text and "<code>1,2340</code>" in text


def test_an_english_reader_is_told_how_to_write_a_number() -> None:
    args = parse_arguments("A1 unit_cost=12,5", "en")
    request = sku_request("A1", args.rest(), adding=False)
    with pytest.raises(UserInputError) as caught:
        parse_sku_values("A1", request.values, {"unit_cost": "1"}, "CNY", request.style)
    assert "12,5" in render_user_error(caught.value, Translator("en"))


def test_settings_channels_vouchers_enrolment_and_fx_share_the_reader() -> None:
    assert parse_changes("margin=17,5 fx_buffer=2,5%", "de") == {
        Setting.MARGIN: Decimal("0.175"),
        Setting.FX_BUFFER: Decimal("0.025"),
    }
    assert parse_channel_value("commission", "12,5 %", style=DE) == Decimal("0.125")
    assert parse_channel_value("fulfilment_fee", "3,20", style=DE) == Decimal("3.20")
    question = parse_voucher_question(
        split_args("3 value=5,50 threshold=49,90 share=30,5% cap=2,50"), 2, DE
    )
    assert (question.value, question.threshold, question.share, question.cap) == (
        Decimal("5.50"),
        Decimal("49.90"),
        Decimal("0.305"),
        Decimal("2.50"),
    )
    choice = parse_choice({"discount": "12,5 %"}, 2, DE)
    assert choice is not None and choice.discount == Decimal("0.125")
    price = parse_choice({"price": "19,99"}, 2, DE)
    assert price is not None and price.price == Decimal("19.99")
    assert campaign_amount("1.299,00", 2, style=DE) == Decimal("1299.00")
    # /fx set used to be the only command that took a comma; now it reads like the others
    assert parse_override(["USD", "CNY", "7,10"], DE)[2] == Decimal("7.10")
    assert parse_override(["USD", "CNY", "7.10"], DE)[2] == Decimal("7.10")
    with pytest.raises(UserInputError):
        parse_override(["USD", "CNY", "7,10"], reader_style("en"))
    with pytest.raises(AmbiguousNumber):
        parse_override(["USD", "KRW", "1,380"], DE)
    assert parse_override(["USD", "KRW", "1,380"], reader_style("ko"))[2] == Decimal(1380)


@pytest.mark.parametrize(
    ("locale", "text", "kind", "value", "cap"),
    [
        ("de", "fixed:2,5", SubsidyKind.FIXED, "2.5", None),
        ("de", "share:30,5%:cap:2,50", SubsidyKind.SHARE, "0.305", "2.50"),
        ("pt_BR", "share:30 %", SubsidyKind.SHARE, "0.3", None),
        ("en", "share:30%:cap:2.5", SubsidyKind.SHARE, "0.3", "2.5"),
        ("zh_CN", "fixed:2", SubsidyKind.FIXED, "2", None),
        ("ko", "none", SubsidyKind.NONE, None, None),
    ],
)
def test_subsidies_in_every_locale(
    locale: str, text: str, kind: SubsidyKind, value: str | None, cap: str | None
) -> None:
    spec = parse_subsidy(text, 2, reader_style(locale))
    assert spec.kind is kind
    assert spec.value == (None if value is None else Decimal(value))
    assert spec.cap == (None if cap is None else Decimal(cap))
    assert parse_subsidy(spec.text(), 2) == spec  # kept in the plain form, read back alike


def test_an_ambiguous_subsidy_amount_is_not_hidden_behind_the_syntax_hint() -> None:
    with pytest.raises(AmbiguousNumber):
        parse_subsidy("fixed:1,500", 2, DE)


# --- files -------------------------------------------------------------------------------------
def test_a_semicolon_csv_reads_decimal_commas_whoever_sends_it() -> None:
    content = b"sku;unit_cost;duty_rate;list_price@temu-us\nA1;30,5;7,5;19,99\n"
    for locale in ("en", "de", None):
        parsed = read_catalogue("skus.csv", content, {"temu-us": "USD"}, "CNY", locale)
        assert parsed.errors == []
        (only,) = parsed.rows
        values = dict(zip(parsed.fields, only.values, strict=True))
        assert values["unit_cost"] == Decimal("30.5")
        assert values["duty_rate"] == Decimal("0.075")
        assert only.listing_values == (Decimal("19.99"),)


def test_a_comma_csv_reads_decimal_points_and_refuses_an_ambiguous_cell() -> None:
    content = b'sku,unit_cost,packaging\nA1,30.5,"1,5"\n'
    parsed = read_catalogue("skus.csv", content, {}, "CNY", "de")
    assert [(e.column, str(e.problem)) for e in parsed.errors] == [("packaging", "not_a_number")]
    semicolons = b"sku;unit_cost\nA1;1,500\n"
    parsed = read_catalogue("skus.csv", semicolons, {}, "CNY", "de")
    assert [str(e.problem) for e in parsed.errors] == ["ambiguous"]


def test_xlsx_numbers_stay_typed_and_text_cells_read_as_the_reader_writes() -> None:
    content = workbook(
        sheet(
            row(1, cell("A1", "sku"), cell("B1", "unit_cost"), cell("C1", "packaging")),
            row(2, cell("A2", "A1"), cell("B2", 1234.5), cell("C2", "1,25")),
            row(3, cell("A3", "A2"), cell("B3", 1.234), cell("C3", 0)),
        )
    )
    german = read_catalogue("skus.xlsx", content, {}, "CNY", "de")
    assert german.errors == []
    values = dict(zip(german.fields, german.rows[0].values, strict=True))
    assert values["unit_cost"] == Decimal("1234.5")  # a typed cell: not "1.234,5" text
    assert values["packaging"] == Decimal("1.25")
    second = dict(zip(german.fields, german.rows[1].values, strict=True))
    assert second["unit_cost"] == Decimal("1.234")  # a typed 1.234 is never "ambiguous"
    english = read_catalogue("skus.xlsx", content, {}, "CNY", "en")
    assert [e.column for e in english.errors] == ["packaging"]


def test_the_row_parser_memo_is_per_style() -> None:
    parser = SkuRowParser(["sku", "unit_cost", "duty_rate"], "USD", style=DE)
    assert parser.parse(["A", "1,5", "2,5"]).unit_cost == Decimal("1.5")
    assert parser.parse(["B", "1,5", "2,5"]).duty_rate == Decimal("0.025")


def test_the_floors_tool_reads_a_semicolon_csv_with_decimal_commas(tmp_path: Path) -> None:
    from tests.unit.test_floors_cli import SPEC_ARGS, SPEC_OUTPUT, run

    semicolons = tmp_path / "skus.csv"
    semicolons.write_text(
        "sku;name;unit_cost;cost_currency;packaging;first_mile;other_cost;duty_rate;"
        "list_price;lowest_30d;supplier\n"
        "A1;Desk lamp;30,00;USD;;;;;80,00;;Shenzhen Co\n"
        "B2;Cable, 2 m;71;CNY;;;;;12;;\n"
        "C3;Mug;10;EUR;;;;;15,0;;\n"
        "D4;Notebook;10;USD;;;;;;;\n",
        encoding="utf-8",
    )
    code, out, err = run(semicolons, *SPEC_ARGS)
    assert (code, err) == (0, "")
    assert out == SPEC_OUTPUT


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("de", "0,49;0,99"),
        ("de", "0,49 0,99"),
        ("de", "0.49,0.99"),  # the plain form still reads
        ("pt_BR", "0,49; 0,99"),
        ("en", "0.49,0.99"),
        ("ko", "0.49;0.99"),
    ],
)
def test_price_endings_in_every_locale(locale: str, text: str) -> None:
    value = parse_channel_value("price_endings", text, style=style_for(locale))
    assert value == (Decimal("0.49"), Decimal("0.99"))


LOCALES = (*COMMA_LOCALES, *POINT_LOCALES)


@settings(max_examples=300, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    value=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False),
    digits=st.sampled_from((0, 2, 3)),
)
def test_what_the_bot_shows_is_read_back_or_asked_about_never_misread(
    locale: str, value: Decimal, digits: int
) -> None:
    """A number as Babel writes it for the locale (as the bot shows it) reads back as the
    same value — or, where it reads two ways (1.234 or 1,234 to a German), is asked about
    with the meant value among the readings offered; it is never read as another number."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    shown = format_decimal(value, format=pattern, locale=locale)
    expected = value.quantize(Decimal(1).scaleb(-digits))
    try:
        read = parse_decimal(shown, style=style_for(locale))
    except InputError as exc:
        assert exc.problem is InputProblem.AMBIGUOUS, shown
        readings = {Decimal(exc.limit.whole), Decimal(exc.limit.fraction.replace(",", "."))}
        assert expected in readings, shown  # the one meant is among those offered
    else:
        assert read == expected, shown
