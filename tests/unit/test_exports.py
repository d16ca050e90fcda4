"""The plan's files: the XLSX writer (read back with openpyxl) and formula-safe CSV."""

from __future__ import annotations

import io
from decimal import Decimal

from openpyxl import load_workbook

from bot.views.exports import money_format, safe_text
from bot.views.xlsx import Workbook, column_letter


def test_workbook_opens_in_openpyxl_with_formats_frozen_header_and_exact_numbers() -> None:
    book = Workbook()
    bold = book.style(bold=True)
    money = book.style(number_format=money_format("USD"))
    won = book.style(number_format=money_format("KRW"))
    percent = book.style(number_format="0.00%")
    sheet = book.add_sheet("OK", widths=[12, 14, 14, 10], styles=[0, money, won, percent])
    sheet.append(["SKU", "Price", "Won", "Margin"], [bold] * 4)
    sheet.append(["=1+1", Decimal("5.646"), Decimal(19900), Decimal("0.1523")])
    sheet.append(["A\x00B  ", None, 7, Decimal("-0.0520")])
    other = book.add_sheet("Summary", freeze_header=False)
    other.append(["x"])
    workbook = load_workbook(io.BytesIO(book.to_bytes()))
    assert workbook.sheetnames == ["OK", "Summary"]
    ok = workbook["OK"]
    assert ok.freeze_panes == "A2" and workbook["Summary"].freeze_panes is None
    assert [c.value for c in ok[1]] == ["SKU", "Price", "Won", "Margin"]
    assert ok["A1"].font.b and not ok["A2"].font.b
    assert ok["A2"].value == "=1+1" and ok["A2"].data_type == "s"  # text, never a formula
    assert ok["B2"].value == 5.646 and ok["B2"].number_format == '#,##0.00 "USD"'
    assert ok["C2"].number_format == '#,##0 "KRW"'
    assert ok["D2"].value == 0.1523 and ok["D2"].number_format == "0.00%"
    assert ok["A3"].value == "AB  "  # control characters dropped, spaces kept
    assert ok["B3"].value is None and ok["C3"].value == 7 and ok["D3"].value == -0.052
    assert ok.column_dimensions["B"].width == 14


def test_sheet_titles_are_valid_and_unique() -> None:
    book = Workbook()
    first = book.add_sheet("below floor / [x]: *?")
    second = book.add_sheet("BELOW FLOOR / [X]: *?")
    long = book.add_sheet("x" * 40)
    assert first.title == "below floor    x"
    assert second.title == "BELOW FLOOR    X (2)"
    assert len(long.title) == 31
    load_workbook(io.BytesIO(book.to_bytes()))  # opens


def test_column_letters() -> None:
    assert [column_letter(n) for n in (1, 26, 27, 52, 702)] == ["A", "Z", "AA", "AZ", "ZZ"]


def test_csv_cells_that_a_spreadsheet_would_run_are_escaped() -> None:
    assert safe_text('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_text("+1") == "'+1"
    assert safe_text("-A1") == "'-A1"
    assert safe_text("@SUM(A1)") == "'@SUM(A1)"
    assert safe_text("\tx") == "'\tx"
    assert safe_text("A-1") == "A-1"
    assert safe_text("") == ""


def test_numbers_far_outside_any_price_stay_short_in_the_workbook() -> None:
    book = Workbook()
    sheet = book.add_sheet("Edge")
    sheet.append([Decimal("1E-999999999"), Decimal("1E+30"), Decimal("123456789.123456")])
    data = book.to_bytes()
    assert len(data) < 10_000  # the tiny value was not spelled out in full
    row = next(load_workbook(io.BytesIO(data))["Edge"].iter_rows(values_only=True))
    assert row[0] == 0.0 and row[1] == 1e30 and row[2] == 123456789.123456
