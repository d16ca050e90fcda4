"""Catalogue parsing without a database: command arguments, file headers and rows (every
error by row and column), limits, formula escaping and the export format."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from bot.domain.errors import UserInputError
from bot.handlers.common import render_user_error
from bot.i18n import Translator
from bot.pricing import InputProblem
from bot.services.arguments import command_text, parse_arguments, split_args
from bot.services.catalog import parse_sku_values, sku_request
from bot.services.imports import (
    ALIASES,
    HEADER_ALIASES,
    MAX_FILE_BYTES,
    MAX_ROWS,
    FileRefused,
    RowError,
    escape_formula,
    export_header,
    header_key,
    parse_table,
    percent_value,
    read_table,
    resolve_header,
)
from bot.views.exports import catalogue_csv as export_csv
from bot.views.exports import catalogue_xlsx as export_xlsx

CHANNELS = {"temu-us": "USD", "aliexpress-kr": "KRW"}
EN = Translator("en")


def table(text: str) -> list[list[str]]:
    return read_table("skus.csv", text.encode())


def errors_of(text: str, channels: dict[str, str] = CHANNELS) -> list[tuple[int, str, str]]:
    parsed = parse_table(table(text), channels, "CNY")
    return [(e.row, e.column, str(e.problem)) for e in parsed.errors]


def rendered(error: UserInputError) -> str:
    return render_user_error(error, EN)


# --- command arguments -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("add A1 unit_cost=12.5", ["add", "A1", "unit_cost=12.5"]),
        ('A1 name="Blue mug" unit_cost=3', ["A1", "name=Blue mug", "unit_cost=3"]),
        ("A1 name=“Blue  mug”", ["A1", "name=Blue  mug"]),  # a phone's typographic quotes
        ('A1 name=""', ["A1", "name="]),
        ("  A1\tB2  ", ["A1", "B2"]),
        ("", []),
    ],
)
def test_split_args_keeps_quoted_spaces(text: str, tokens: list[str]) -> None:
    assert split_args(text) == tokens


def test_an_unclosed_quote_is_explained() -> None:
    with pytest.raises(UserInputError) as caught:
        split_args('A1 name="Blue mug')
    assert 'name="Blue mug"' in rendered(caught.value)


def test_pairs_are_lower_cased_and_a_repeated_field_is_refused() -> None:
    args = parse_arguments("A1 Unit_Cost=5 list_price@Temu-US=9.99")
    assert args.words == ["A1"]
    assert args.pairs == [("unit_cost", "5"), ("list_price@temu-us", "9.99")]
    with pytest.raises(UserInputError) as caught:
        parse_arguments("A1 unit_cost=5 UNIT_COST=6")
    assert "unit_cost" in rendered(caught.value)


def test_command_text_drops_the_command_and_bot_name() -> None:
    assert command_text("/sku@PlannerBot add A1 unit_cost=1") == "add A1 unit_cost=1"
    assert command_text("/skus") == ""
    assert command_text(None) == ""


# --- /sku values -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("given", "field", "fragment"),
    [
        ({"unit_cost": "abc"}, "unit_cost", "is not a number"),
        ({"unit_cost": "-3"}, "unit_cost", "must not be negative"),
        ({"unit_cost": "1", "duty_rate": "150"}, "duty_rate", "is over 100%"),
        ({"unit_cost": "1", "cost_currency": "XYZ"}, "cost_currency", "ISO 4217"),
        ({"unit_cost": "1", "packaging": "1,5"}, "packaging", "is not a number"),
        ({"unit_cost": ""}, "unit_cost", "is required"),
    ],
)
def test_sku_values_are_refused_with_the_field_and_the_right_form(
    given: dict[str, str], field: str, fragment: str
) -> None:
    with pytest.raises(UserInputError) as caught:
        parse_sku_values("A1", given, None, "CNY")
    text = rendered(caught.value)
    assert f"<b>{field}</b>" in text and fragment in text
    assert "<code>/sku add A1 unit_cost=12.5" in text


def test_sku_values_edit_over_the_current_ones() -> None:
    current = {"name": "Mug", "unit_cost": "10", "cost_currency": "USD", "duty_rate": "7.5"}
    values = parse_sku_values("A1", {"packaging": "0.5"}, current, "CNY")
    assert values["unit_cost"] == Decimal("10") and values["cost_currency"] == "USD"
    assert values["duty_rate"] == Decimal("0.075") and values["packaging"] == Decimal("0.5")
    assert values["name"] == "Mug"


def test_listing_keys_name_their_channel_and_unknown_keys_list_the_fields() -> None:
    request = sku_request(
        "A1", parse_arguments("list_price@Temu-US=9.99 lowest_30d=8"), adding=False
    )
    assert [(e.channel, e.field, e.text) for e in request.listings] == [
        ("temu-us", "list_price", "9.99"),
        ("", "lowest_30d", "8"),
    ]
    with pytest.raises(UserInputError) as caught:
        sku_request("A1", parse_arguments("colour=red"), adding=False)
    text = rendered(caught.value)
    assert "colour" in text and "unit_cost" in text and "list_price@&lt;channel&gt;" in text


# --- headers ----------------------------------------------------------------------------------
def test_no_header_alias_names_two_fields() -> None:
    for aliases in HEADER_ALIASES.values():
        for field, names in aliases.items():
            for name in names:
                assert ALIASES[header_key(name)] == field, name


@pytest.mark.parametrize(
    ("cell", "field"),
    [
        ("Unit Cost", "unit_cost"),
        ("UNIT_COST", "unit_cost"),
        ("\ufeffsku", "sku"),
        ("单位成本", "unit_cost"),
        ("货号", "sku"),
        ("관세율", "duty_rate"),
        ("Stückkosten", "unit_cost"),
        ("Coste unitario", "unit_cost"),
        ("Custo unitário", "unit_cost"),
    ],
)
def test_localized_and_cased_headers_are_recognised(cell: str, field: str) -> None:
    header = resolve_header(["sku" if field != "sku" else "x", cell], CHANNELS)
    assert header.columns[field] == 1


def test_listing_columns_name_a_channel_of_the_team() -> None:
    header = resolve_header(["sku", "售价@Temu-US", "list_price@nowhere", "list_price"], CHANNELS)
    assert [(c.field, c.channel, c.currency) for c in header.listings] == [
        ("list_price", "temu-us", "USD")
    ]
    assert [(e.column, e.problem) for e in header.errors] == [
        ("list_price@nowhere", "unknown_channel"),
        ("list_price", "listing_needs_channel"),  # two channels: which one?
    ]
    single = resolve_header(["sku", "list_price"], {"temu-us": "USD"})
    assert single.listings[0].channel == "temu-us" and not single.errors


def test_missing_and_repeated_columns_are_header_errors() -> None:
    assert errors_of("name,unit_cost\nMug,3\n") == [(1, "sku", "required")]
    assert errors_of("sku,cost,unit_cost\nA,1,2\n") == [(1, "unit_cost", "duplicate")]


# --- rows -----------------------------------------------------------------------------------
BAD_FILE = (
    "sku,name,unit_cost,cost_currency,packaging,duty_rate,list_price@temu-us,"
    "list_price@aliexpress-kr\n"
    "A1,Mug,12.5,CNY,1,7.5,19.99,25000\n"
    "A2,Cup,abc,CNY,1,7.5,19.99,\n"  # row 3
    "A3,Pot,3,XYZ,-1,150,19.999,100.5\n"  # row 4: five bad cells
    ",Nameless,3,CNY,0,0,,\n"  # row 5: no code
    "A1,Again,4,CNY,0,0,,\n"  # row 6: duplicate
    ",,,,,,,\n"  # blank rows are skipped
    "A7,Fine,4,,,,,\n"
)


def test_every_error_is_reported_by_row_and_column() -> None:
    assert errors_of(BAD_FILE) == [
        (3, "unit_cost", InputProblem.NOT_A_NUMBER),
        (4, "cost_currency", InputProblem.UNKNOWN_CURRENCY),
        (4, "packaging", InputProblem.NEGATIVE),
        (4, "duty_rate", InputProblem.OVER_MAXIMUM),
        (4, "list_price@temu-us", InputProblem.TOO_MANY_DECIMALS),
        (4, "list_price@aliexpress-kr", InputProblem.TOO_MANY_DECIMALS),  # KRW has no cents
        (5, "sku", InputProblem.REQUIRED),
        (6, "sku", InputProblem.DUPLICATE),
    ]


def test_valid_rows_carry_typed_values_and_defaults() -> None:
    parsed = parse_table(table(BAD_FILE), CHANNELS, "CNY")
    rows = {row.code: row for row in parsed.rows}
    assert set(rows) == {"A1", "A7"}
    assert parsed.fields == ("name", "unit_cost", "cost_currency", "packaging", "duty_rate")
    assert rows["A1"].values == ("Mug", Decimal("12.5"), "CNY", Decimal(1), Decimal("0.075"))
    assert rows["A1"].listing_values == (Decimal("19.99"), Decimal("25000"))
    assert rows["A7"].values == ("Fine", Decimal(4), "CNY", Decimal(0), Decimal(0))
    assert rows["A7"].listing_values == (None, None)  # empty: leave the listing as it is
    assert parsed.data_rows == 6


def test_an_update_only_file_needs_no_unit_cost_column() -> None:
    parsed = parse_table(table("sku,list_price@temu-us\nA1,9.90\n"), CHANNELS, "CNY")
    assert parsed.errors == [] and not parsed.has_unit_cost
    assert parsed.rows[0].listing_values == (Decimal("9.90"),)


def test_semicolons_bom_and_gb18030_are_read() -> None:
    content = "\ufeffsku;单位成本;名称\nA1;12,5;杯子\n".encode("gb18030")
    rows = read_table("skus.csv", content)
    assert rows[1] == ["A1", "12,5", "杯子"]
    parsed = parse_table(rows, CHANNELS, "CNY")
    assert [(e.row, e.column) for e in parsed.errors] == [(2, "单位成本")]  # "12,5": no comma


def test_size_row_count_and_old_excel_files_are_refused() -> None:
    with pytest.raises(FileRefused) as caught:
        read_table("big.csv", b"x" * (MAX_FILE_BYTES + 1))
    assert "5 MB" in rendered(caught.value)
    too_many = "sku,unit_cost\n" + "A,1\n" * (MAX_ROWS + 1)
    with pytest.raises(FileRefused) as caught:
        read_table("many.csv", too_many.encode())
    assert "50,000" in rendered(caught.value)
    assert "50.000" in render_user_error(caught.value, Translator("de"))  # the reader's grouping
    assert len(read_table("ok.csv", ("sku,unit_cost\n" + "A,1\n" * MAX_ROWS).encode())) == (
        MAX_ROWS + 1
    )
    with pytest.raises(FileRefused):
        read_table("old.xls", b"\xd0\xcf\x11\xe0")
    with pytest.raises(FileRefused):
        read_table("broken.xlsx", b"PK\x03\x04 not really a zip")


# --- export ---------------------------------------------------------------------------------
def test_formula_cells_are_escaped_in_csv_and_restored_on_import() -> None:
    assert escape_formula("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert [escape_formula(t) for t in ("+1", "-x", "@sum", "plain")] == [
        "'+1",
        "'-x",
        "'@sum",
        "plain",
    ]
    header = export_header(["temu-us"])
    rows = [
        ["=cmd|' /C calc'!A0", "@SUM(A1)", Decimal("3.50"), "CNY", Decimal(0), Decimal(0),
         Decimal(0), Decimal("7.5"), Decimal("19.90"), None],
    ]  # fmt: skip
    content = export_csv(header, rows)
    text = content.decode("utf-8-sig")
    assert "'=cmd" in text and "'@SUM(A1)" in text and "\n=" not in text
    parsed = parse_table(read_table("back.csv", content), {"temu-us": "USD"}, "CNY")
    assert parsed.errors == []
    row = parsed.rows[0]
    assert row.code == "=cmd|' /C calc'!A0" and row.values[0] == "@SUM(A1)"
    assert row.values[1] == Decimal("3.50") and row.listing_values == (Decimal("19.90"), None)


def test_xlsx_export_keeps_formula_like_text_as_text_and_reads_back() -> None:
    from openpyxl import load_workbook

    header = export_header(["temu-us"])
    rows = [["=1+2", "Mug", Decimal("12.5"), "CNY", Decimal(0), Decimal("1.2"), Decimal(0),
             Decimal(25), Decimal("19.99"), Decimal("17.50")]]  # fmt: skip
    content = export_xlsx(header, rows)
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert sheet["A2"].data_type == "s" and sheet["A2"].value == "=1+2"
    parsed = parse_table(read_table("back.xlsx", content), {"temu-us": "USD"}, "CNY")
    assert parsed.errors == []
    row = parsed.rows[0]
    assert row.code == "=1+2"
    assert row.values[1:] == (Decimal("12.5"), "CNY", Decimal(0), Decimal("1.2"), Decimal(0),
                              Decimal("0.25"))  # fmt: skip
    assert row.listing_values == (Decimal("19.99"), Decimal("17.50"))


@pytest.mark.parametrize(
    ("fraction", "percent"),
    [("0.075", "7.5"), ("0.15", "15"), ("1", "100"), ("0", "0"), ("0.0001", "0.01")],
)
def test_percentages_are_exported_as_typed(fraction: str, percent: str) -> None:
    assert format(percent_value(Decimal(fraction)), "f") == percent


def test_row_errors_render_with_row_column_and_reason() -> None:
    from bot.views.catalog import row_error

    text = row_error(EN, RowError(7, "unit_cost", InputProblem.NOT_A_NUMBER, "abc"))
    assert (
        text
        == "row 7, unit_cost: “abc” is not a number: use digits and a decimal point, like 12.5."
    )
    assert row_error(EN, RowError(1, "sku", InputProblem.REQUIRED)) == (
        "row 1: the required column sku is missing."
    )
    assert row_error(EN, RowError(4, "duty_rate", InputProblem.OVER_MAXIMUM, "150")) == (
        "row 4, duty_rate: “150” is over 100%."
    )
    assert row_error(EN, RowError(3, "<b>", InputProblem.NEGATIVE, "<i>")) == (
        "row 3, &lt;b&gt;: “&lt;i&gt;” must not be negative."  # file text is escaped
    )
