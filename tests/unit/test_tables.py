"""Reading uploaded files (bot/services/tables.py and the import's use of it): the XLSX
inspector against bombs and DTDs, a sheet's declared dimension ignored, cells by type and
number format, CSV encodings, control characters, and only the known columns read."""

from __future__ import annotations

import io
import tracemalloc
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook

from bot.domain.errors import UserInputError
from bot.handlers.common import render_user_error
from bot.i18n import Translator
from bot.services import tables
from bot.services.imports import (
    CONTROL_CHARACTER,
    FileRefused,
    header_score,
    read_catalogue,
    read_table,
)
from bot.services.tables import Number, cell_text, decode_text, denoise
from tests.xlsx_parts import (
    cell,
    dimension_bomb,
    row,
    shared_strings,
    shared_strings_bomb,
    sheet,
    styles,
    with_doctype,
    workbook,
)

EN = Translator("en")
CHANNELS = {"temu-us": "USD"}


def refusal(error: UserInputError) -> str:
    return render_user_error(error, EN)


def saved(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- the archive ------------------------------------------------------------------------------
def test_a_declared_dimension_is_not_trusted() -> None:
    """Finding 1: one row at 1,048,576 in a sheet declaring A1:XFD1048576 took 6.5 GB."""
    tracemalloc.start()
    try:
        table = tables.open_table("bomb.xlsx", dimension_bomb())
        assert table.header == []  # row 1 is absent
        rows = list(table.rows(range(3)))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rows == [(1_048_576, ["x", "", ""])]
    assert peak < 20 * 1024 * 1024  # nothing was padded (padding would need gigabytes)
    parsed = read_catalogue("bomb.xlsx", dimension_bomb(), CHANNELS, "CNY")
    assert [(e.row, e.problem) for e in parsed.errors] == [(1, "no_header")]


def test_rows_far_down_keep_their_numbers_and_empty_rows_cost_nothing() -> None:
    content = workbook(
        sheet(
            row(1, cell("A1", "sku"), cell("B1", "unit_cost")),
            row(2),
            row(500_000, cell("A500000", "FAR"), cell("B500000", 3), cell("XFD500000", "x")),
            dimension="A1:XFD1048576",
        )
    )
    parsed = read_catalogue("far.xlsx", content, CHANNELS, "CNY")
    assert [(r.row, r.code, r.values) for r in parsed.rows] == [(500_000, "FAR", (Decimal(3),))]
    assert parsed.data_rows == 1


def test_a_zip_bomb_in_the_shared_strings_is_refused_before_it_is_unpacked() -> None:
    content = shared_strings_bomb(64)
    assert len(content) < 1024 * 1024  # 64 MB packed into well under 1 MB
    tracemalloc.start()
    try:
        with pytest.raises(FileRefused) as caught:
            tables.open_table("bomb.xlsx", content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "as a zip bomb does" in refusal(caught.value)
    assert peak < 16 * 1024 * 1024  # the part was never unpacked


def test_too_much_unpacked_data_and_too_many_parts_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    big = workbook(sheet(row(1, cell("A1", "sku"))), extra={"xl/media/a.bin": b"\x00" * 300_000})
    monkeypatch.setattr(tables, "MAX_UNPACKED_BYTES", 200_000)
    with pytest.raises(FileRefused) as caught:
        tables.open_table("big.xlsx", big)
    assert "it unpacks to 0.3 MB (I read up to 0.2 MB)" in refusal(caught.value)
    monkeypatch.undo()
    many = workbook(
        sheet(row(1, cell("A1", "sku"))),
        extra={f"xl/media/p{i}.txt": "x" for i in range(tables.MAX_PARTS)},
    )
    with pytest.raises(FileRefused) as caught:
        tables.open_table("many.xlsx", many)
    assert "it holds 1,005 parts" in refusal(caught.value)


@pytest.mark.parametrize(
    "part", ["xl/workbook.xml", "xl/worksheets/sheet1.xml", "docProps/custom.xml"]
)
def test_a_doctype_anywhere_is_refused_clearly(part: str) -> None:
    """Finding 11: a DTD surfaced as 'Sorry, something went wrong'."""
    with pytest.raises(FileRefused) as caught:
        read_catalogue("dtd.xlsx", with_doctype(part), CHANNELS, "CNY")
    assert "document type declaration (DOCTYPE)" in refusal(caught.value)


def test_damaged_and_odd_packages_are_refused_as_damaged() -> None:
    for content in (b"PK\x03\x04 not a zip", workbook("<worksheet")):
        with pytest.raises(FileRefused) as caught:
            read_catalogue("x.xlsx", content, CHANNELS, "CNY")
        assert "cannot open this file as an XLSX workbook" in refusal(caught.value)


# --- cells by type ------------------------------------------------------------------------------
def test_a_percent_formatted_duty_is_read_as_the_percentage_excel_shows() -> None:
    """Issue 11 item 2: 0.25 with format 0% is 25 % duty, not 0.25 %."""
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["sku", "unit_cost", "duty_rate", "packaging"])
    ws.append(["P1", 10, 0.25, 0.5])  # 25 %
    ws.append(["P2", 10, 0.075, 1])  # 7.5 %
    ws.append(["P3", 10, 7.5, 0])  # a plain number: percent as before
    ws["C2"].number_format = "0%"
    ws["C3"].number_format = "0.0%"
    ws["D2"].number_format = "0%"  # a percent-formatted amount keeps its value
    parsed = read_catalogue("pct.xlsx", saved(book), CHANNELS, "CNY")
    assert parsed.errors == []
    duty = {r.code: r.values for r in parsed.rows}
    assert duty["P1"] == (Decimal(10), Decimal("0.5"), Decimal("0.25"))
    assert duty["P2"][2] == Decimal("0.075") and duty["P3"][2] == Decimal("0.075")
    assert read_table("pct.xlsx", saved(book))[1] == ["P1", "10", "25", "0.5"]


def test_custom_percent_currency_and_date_formats() -> None:
    content = workbook(
        sheet(
            row(
                1,
                cell("A1", "sku"),
                cell("B1", "unit_cost"),
                cell("C1", "duty_rate"),
                cell("D1", "name"),
                cell("E1", "first_mile"),
            ),
            row(
                2,
                cell("A2", "D1"),
                cell("B2", 35.5, style=1),  # "¥"#,##0.00: just a number
                cell("C2", 0.125, style=2),  # a custom percentage with a literal text
                cell("D2", 46353, style=3),  # a date
                cell("E2", 46353.5, style=4),  # a date and time
            ),
        ),
        styles_xml=styles([164, 165, 14, 22], {164: '"¥"#,##0.00', 165: '0.0" pct"%'}),
    )
    table = read_table("fmt.xlsx", content)
    assert table[1] == ["D1", "35.5", "12.5", "2026-11-27", "2026-11-27 12:00"]


def test_a_literal_percent_sign_in_quotes_is_not_a_percentage() -> None:
    content = workbook(
        sheet(
            row(1, cell("A1", "sku"), cell("B1", "duty_rate")),
            row(2, cell("A2", "Q"), cell("B2", 7.5, style=1)),
        ),
        styles_xml=styles([164], {164: '0.0"%"'}),
    )
    assert read_table("q.xlsx", content)[1] == ["Q", "7.5"]


def test_dates_in_1904_workbooks_and_date_cells() -> None:
    content = workbook(
        sheet(
            row(1, cell("A1", "sku"), cell("B1", "when")),
            row(2, cell("A2", "A"), cell("B2", 44891, style=1)),
            row(3, cell("A3", "B"), cell("B3", "2026-11-27T00:00:00", kind="d")),
            row(4, cell("A4", "C"), cell("B4", "1", kind="b")),
        ),
        styles_xml=styles([14]),
        date1904=True,
    )
    table = read_table("d.xlsx", content)
    assert [r[1] for r in table[1:]] == ["2026-11-27", "2026-11-27", "true"]


def test_openpyxl_dates_come_out_as_iso_text() -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["sku", "start"])
    ws.append(["A", date(2026, 11, 27)])
    ws.append(["B", datetime(2026, 11, 27, 9, 30, 15)])
    assert [r[1] for r in read_table("d.xlsx", saved(book))[1:]] == [
        "2026-11-27",
        "2026-11-27 09:30:15",
    ]


@pytest.mark.parametrize(
    ("stored", "seen"),
    [
        ("0.30000000000000004", "0.3"),  # 0.1 + 0.2
        ("19.989999999999998", "19.99"),
        ("1.1000000000000001", "1.1"),
        ("12.5", "12.5"),
        ("1E-3", "0.001"),
        ("100", "100"),
        ("-0", "0"),
        ("123456789012.34567", "123456789012.346"),  # 15 significant digits, as Excel shows
    ],
)
def test_float_noise_is_removed(stored: str, seen: str) -> None:
    assert cell_text(Number(denoise(Decimal(stored)))) == seen


def test_float_cells_from_openpyxl_become_the_decimals_people_typed() -> None:
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["sku", "unit_cost", "list_price@temu-us", "duty_rate"])
    ws.append(["F", 0.1 + 0.2, 19.99, 7.000000000000001])
    parsed = read_catalogue("f.xlsx", saved(book), CHANNELS, "CNY")
    assert parsed.errors == []
    assert parsed.rows[0].values == (Decimal("0.3"), Decimal("0.07"))
    assert parsed.rows[0].listing_values == (Decimal("19.99"),)


def test_shared_inline_and_rich_strings() -> None:
    strings = shared_strings("sku", "unit_cost", "Blue mug")
    rich = (
        '<c r="C2" t="inlineStr"><is><r><t>Teapot </t></r><r><t>XL</t></r>'
        "<rPh><t>ティーポット</t></rPh></is></c>"
    )
    content = workbook(
        sheet(
            row(1, cell("A1", 0, kind="s"), cell("B1", 1, kind="s"), cell("C1", "name")),
            row(2, cell("A2", 2, kind="s"), cell("B2", 3), rich),
            row(3, cell("A3", "=1+1", kind="str"), cell("B3", "#N/A", kind="e")),
        ),
        shared_strings=strings,
    )
    assert read_table("s.xlsx", content)[1:] == [
        ["Blue mug", "3", "Teapot XL"],
        ["=1+1", "#N/A", ""],
    ]


def test_only_the_columns_the_import_knows_are_read() -> None:
    """After the header, cells of other columns are not even materialized."""
    wide = "".join(cell(f"{c}2", "x" * 50) for c in ("D", "E", "F", "ZZ", "XFD"))
    content = workbook(
        sheet(
            row(1, cell("A1", "sku"), cell("B1", "notes"), cell("C1", "unit_cost")),
            row(2, cell("A2", "K"), cell("B2", "ignored"), cell("C2", 2), wide),
        )
    )
    table = tables.open_table("w.xlsx", content)
    assert table.header == ["sku", "notes", "unit_cost"]
    assert list(table.rows([0, 2])) == [(2, ["K", Number(Decimal(2))])]
    parsed = read_catalogue("w.xlsx", content, CHANNELS, "CNY")
    assert parsed.ignored == ["notes"] and parsed.rows[0].values == (Decimal(2),)


# --- control characters ------------------------------------------------------------------------
def test_control_characters_in_codes_and_names_are_refused_by_row_and_column() -> None:
    """Finding 5: a \\x07 name or a \\x00 code was accepted and then broke /export."""
    text = "sku,name,unit_cost\nOK,Fine mug,1\nBEL,Ring\x07ing,1\nN\x00UL,Nul,1\nTAB,Tab\tbed,1\n"
    parsed = read_catalogue("c.csv", text.encode(), CHANNELS, "CNY")
    assert [(e.row, e.column, e.problem) for e in parsed.errors] == [
        (3, "name", CONTROL_CHARACTER),
        (4, "sku", CONTROL_CHARACTER),
        (5, "name", CONTROL_CHARACTER),
    ]
    assert [r.code for r in parsed.rows] == ["OK"]
    from bot.views.catalog import row_error

    assert row_error(EN, parsed.errors[0]) == (
        "row 3, name: “Ring␇ing” contains control characters (shown as ␀, ␇ …), which a "
        "code or name cannot hold. Remove them."
    )
    assert "“N␀UL”" in row_error(EN, parsed.errors[1])


# --- CSV encodings -------------------------------------------------------------------------------
def decoded(text: str, encoding: str, locale: str = "en") -> str:
    return decode_text(text.encode(encoding), locale=locale, header_score=header_score)


def test_latin1_csv_is_not_read_as_gb18030() -> None:
    """Finding 14: 'Crème brûlée' in Latin-1 came out as GB18030 mojibake."""
    text = "sku,name,unit_cost\nD1,Crème brûlée,3\n"
    assert decoded(text, "latin-1") == text
    parsed = read_catalogue("fr.csv", text.encode("latin-1"), CHANNELS, "EUR")
    assert parsed.rows[0].values[0] == "Crème brûlée"
    assert decoded("código,nome,custo\nP1,Pão de açúcar,3\n", "cp1252", "pt_BR").startswith(
        "código"
    )
    assert decoded("sku,name,unit_cost\nD1,Bügeleisen “Pro”,3\n", "cp1252") == (
        "sku,name,unit_cost\nD1,Bügeleisen “Pro”,3\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "货号,名称,采购成本,关税率\nZ1,杯子,12.5,7.5\n",  # Chinese headers, as Excel saves them
        "sku,name,unit_cost\nZ1,杯子,12.5\n",  # English headers, Chinese names
        "sku,name,unit_cost\nZ1,蓝色马克杯,12.5\nZ2,不锈钢保温杯 500毫升,30\n",
    ],
)
def test_chinese_excel_csv_in_gb18030_still_works(text: str) -> None:
    assert decoded(text, "gb18030") == text
    parsed = read_catalogue("zh.csv", text.encode("gb18030"), CHANNELS, "CNY")
    assert parsed.errors == [] and parsed.rows[0].code == "Z1"


def test_korean_and_japanese_excel_csv() -> None:
    korean = "상품코드,상품명,단가\nK1,머그컵,12.5\n"
    assert decoded(korean, "cp949", "ko") == korean
    assert decoded("sku,name,unit_cost\nK1,파란 컵,3\nK2,머그컵,4\n", "cp949").endswith(
        "머그컵,4\n"
    )
    assert decoded("sku,name,unit_cost\nJ1,マグカップ,12.5\n", "cp932").endswith(
        "マグカップ,12.5\n"
    )


def test_boms_and_utf8_come_first() -> None:
    assert decode_text("\ufeffsku,name\nA,Crème\n".encode()) == "sku,name\nA,Crème\n"
    assert decode_text("sku\tname\nA\t杯子\n".encode("utf-16")) == "sku\tname\nA\t杯子\n"
    assert decode_text("sku,name\nA,杯子\n".encode()) == "sku,name\nA,杯子\n"
    gb_bom = "\ufeffsku;单位成本;名称\nA1;12,5;杯子\n".encode("gb18030")
    assert read_table("gb.csv", gb_bom)[0] == ["sku", "单位成本", "名称"]


def test_an_unconvincing_encoding_is_refused_with_the_accepted_ones() -> None:
    with pytest.raises(FileRefused) as caught:
        read_catalogue("junk.csv", bytes(range(128, 256)) * 4, CHANNELS, "CNY")
    text = refusal(caught.value)
    assert "I cannot tell which text encoding this file uses" in text
    assert "UTF-8, UTF-16, GB18030 (GBK), EUC-KR, Shift_JIS, Windows-1252 (Latin-1)" in text
