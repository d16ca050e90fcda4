"""The import preview as a seller reads it: what the changed rows change (old → new, with
units and currencies, in the reader's language), and a preview that always fits in one
Telegram message whatever the file's header holds. Plus the one XLSX writer's handling
of text no workbook may hold."""

from __future__ import annotations

import html
import io
import json
import re
from decimal import Decimal

from openpyxl import load_workbook

from bot.i18n import Translator
from bot.pricing import InputProblem
from bot.services.arguments import UNKNOWN_CHANNEL
from bot.services.catalogue_file import ImportRow, ListingColumn, ParsedFile
from bot.services.imports import (
    FieldChange,
    ImportPreview,
    RowChange,
    RowError,
    _decode_pending,
    _encode,
)
from bot.views.catalog import import_preview, row_change
from bot.views.exports import catalogue_xlsx
from bot.views.xlsx import Workbook, xml_text

EN = Translator("en")
DE = Translator("de")

TM003 = RowChange(
    "TM-003",
    (
        FieldChange("unit_cost", Decimal("35"), Decimal("36.5"), "CNY"),
        FieldChange("duty_rate", Decimal("0.075"), Decimal("0.25")),
        FieldChange("list_price@temu-us", Decimal("19.99"), Decimal("18.99"), "USD"),
        FieldChange("lowest_30d@temu-us", None, Decimal("17.99"), "USD"),
    ),
)


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def preview(**values: object) -> ImportPreview:
    fields: dict[str, object] = {
        "pending_id": 7,
        "filename": "skus.csv",
        "data_rows": 3,
        "new": 0,
        "changed": 1,
        "unchanged": 2,
        "errors": [],
        "ignored": [],
    }
    fields.update(values)
    return ImportPreview(**fields)  # type: ignore[arg-type]


def test_a_changed_row_reads_old_to_new_with_units() -> None:
    assert plain(row_change(EN, TM003)) == (
        "TM-003: Unit cost CN¥35.00 → CN¥36.50; Duty rate 7.5% → 25%; "
        "List price (temu-us) $19.99 → $18.99; Lowest price in 30 days (temu-us) — → $17.99"
    )
    german = plain(row_change(DE, TM003)).replace("\xa0", " ")
    assert "Stückkosten 35,00 CN¥ → 36,50 CN¥" in german
    assert "Zollsatz 7,5 % → 25 %" in german


def test_text_changes_are_quoted_safely() -> None:
    change = RowChange("<b>", (FieldChange("name", "Mug", "Blue <mug>\x07"),))
    rendered = row_change(EN, change)
    assert "&lt;b&gt;" in rendered and "Blue &lt;mug&gt;␇" in rendered


def test_the_preview_lists_the_first_changed_rows_before_the_buttons() -> None:
    text, keyboard = import_preview(EN, preview(changes=[TM003], changed=6))
    shown = plain(text)
    assert "What changes:\nTM-003: Unit cost CN¥35.00 → CN¥36.50" in shown
    assert shown.endswith("…\n\nImport these changes?")  # more changed rows than shown
    assert keyboard is not None


def test_a_header_of_long_cells_gives_a_preview_that_fits_one_message() -> None:
    """Finding 4: 20 header cells of 300 characters overflowed the preview."""
    headers = [f"list_price@{'x' * 290}{i:02d}" for i in range(20)]
    errors = [RowError(1, h, UNKNOWN_CHANNEL, h) for h in headers]
    errors += [RowError(2, h, InputProblem.NOT_A_NUMBER, "y" * 300) for h in headers]
    text, _ = import_preview(EN, preview(pending_id=None, errors=errors, ignored=["z" * 300] * 20))
    assert len(plain(text)) <= 4096
    assert "… and" in text and "more errors." in text
    assert "x" * 60 not in text  # header texts are quoted shortened
    assert text.count("names a channel this team does not have") >= 10


def test_implausible_prices_are_flagged_and_the_preview_still_fits_one_message() -> None:
    """Issue 11: rows with implausible prices are listed as warnings Confirm covers."""
    from bot.domain.prices import listing_warnings
    from bot.services.imports import RowWarning

    (jump,) = listing_warnings(Decimal("19.99"), None, Decimal("1999.00"), None)
    channel = "c" * 64
    warnings = [RowWarning(i + 2, f"{'S' * 60}{i:02d}", channel, "USD", jump) for i in range(10)]
    long_change = RowChange(
        "L" * 64,
        tuple(
            FieldChange(f"list_price@{'d' * 60}{i}", Decimal("19.99"), Decimal("24.99"), "USD")
            for i in range(8)
        ),
    )
    text, keyboard = import_preview(
        EN,
        preview(changes=[long_change] * 5, changed=40, warnings=warnings, warning_count=25),
    )
    shown = plain(text)
    assert len(text) <= 4096 and keyboard is not None
    assert "⚠️ 25 prices look wrong. Check them: Confirm imports them as they are." in shown
    assert f"row 2, {'S' * 39}…: {'c' * 64}: list price $19.99 → $1,999.00, 100 times" in shown
    assert re.search(r"… and 1[5-9] more\.", shown)  # the rest counted, not dropped silently
    assert shown.endswith("Import these changes?")
    one, _ = import_preview(EN, preview(changes=[TM003], warnings=warnings[:1], warning_count=1))
    assert "⚠️ 1 price looks wrong. Check it: Confirm imports it as it is." in plain(one)
    assert "more." not in plain(one)


def test_every_xlsx_writer_drops_what_xml_cannot_hold() -> None:
    """Finding 5's other half: a stored name with \\x07 broke /export for the team."""
    assert xml_text("Ring\x07ing\x00 \x1b[0m\ttab\nline") == "Ringing [0m\ttab\nline"
    content = catalogue_xlsx(["sku", "name"], [["N\x00UL", "Bell\x07"]])
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    assert [c.value for c in sheet[2]] == ["NUL", "Bell"]
    book = Workbook()
    book.add_sheet("Bad\x07 title").append(["x\x0b"])
    assert load_workbook(io.BytesIO(book.to_bytes())).sheetnames == ["Bad title"]


async def test_pending_rows_are_stored_in_pieces_and_read_back_exactly() -> None:
    fields = ("name", "unit_cost", "cost_currency")
    listings = [ListingColumn(3, "list_price", "temu-us", "USD", "list_price@temu-us")]
    rows = [
        ImportRow(i + 2, f"A{i}", (f"Item “{i}”", Decimal(i) / 8, "CNY"), (Decimal("9.90"),))
        for i in range(700)
    ]
    rows[5] = ImportRow(7, "A5", ("保温杯", Decimal("12.50"), "CNY"), (None,))
    parsed = ParsedFile(fields, listings, rows, [], [], 700)
    stored = json.loads(json.dumps(await _encode(parsed)))  # as the JSON column keeps it
    assert len(stored["pieces"]) == 3 and all(isinstance(p, str) for p in stored["pieces"])
    back = await _decode_pending(stored)
    assert back.rows == rows and back.fields == fields and back.data_rows == 700
    assert [(c.field, c.channel, c.currency) for c in back.listings] == [
        ("list_price", "temu-us", "USD")
    ]
    # a preview stored before pieces (format 1) still confirms
    legacy = {**stored, "v": 1, "rows": [r for p in stored["pieces"] for r in json.loads(p)]}
    del legacy["pieces"]
    assert (await _decode_pending(legacy)).rows == rows
