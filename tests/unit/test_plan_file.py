"""The plan file's round trip, pure: the writer's protected sheet, fills and hidden sheet;
reading an edited plan back (XLSX and CSV); which rows are edits; the token."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from bot.services.catalogue_file import ParsedFile
from bot.services.plan import PlanRow, PlanStatus
from bot.services.plan_edits import CONTRADICTS, _file_edit
from bot.services.plan_file import (
    EDIT_COLUMNS,
    NOT_ENROLLED_ROW,
    EditedRow,
    PlanRef,
    PlanUpload,
    parse_ref,
    plan_token,
    read_plan_file,
    read_upload,
)
from bot.services.tables import FileRefused
from bot.views.spreadsheets import (
    PlanDocument,
    PlanEditSheet,
    PlanLine,
    plan_files,
)
from bot.views.xlsx import Workbook

D = Decimal


def line(code: str, planned: str, *, enrolled: bool = True) -> PlanLine:
    return PlanLine(
        code,
        f"Item {code}",
        enrolled,
        "ok",
        "OK",
        True,
        "suggested" if enrolled else None,
        "",
        D("29.99"),
        D("29.99"),
        D(planned),
        D("0.2000"),
        D("1.80"),
        D(planned) + D("1.80"),
        D("20.00"),
        D("19.50"),
        D("0.2"),
    )


def document(*lines: PlanLine) -> PlanDocument:
    header = [key for key, _kind, _editable in EDIT_COLUMNS]
    edit = PlanEditSheet("Edit prices", header, 7, 3, "0123456789ab")
    labels = {"plan": "Plan", "summary": "Summary", "vouchers": "V", "yes": "y", "no": "n"}
    return PlanDocument(
        "BF", "USD", labels, ["h"] * 14, [], [], {"ok": "OK"}, "Not enrolled", list(lines), [], edit
    )


def test_the_writer_protects_a_sheet_but_not_its_unlocked_cells_and_hides_a_sheet() -> None:
    book = Workbook()
    editable = book.style(number_format="0.00", fill="FFF2CC", locked=False)
    grey = book.style(fill="F2F2F2")
    sheet = book.add_sheet("Edit", protected=True)
    sheet.append(["A1", D("1.5"), "x"], [grey, editable, 0])
    book.add_sheet("meta", hidden=True).append(["k"])
    workbook = load_workbook(io.BytesIO(book.to_bytes()))
    edit = workbook["Edit"]
    assert edit.protection.sheet and workbook["meta"].sheet_state == "hidden"
    assert edit["B1"].protection.locked is False and edit["B1"].fill.fgColor.rgb == "FFFFF2CC"
    assert edit["A1"].protection.locked and edit["A1"].fill.fgColor.rgb == "FFF2F2F2"
    assert edit["C1"].protection.locked and edit["C1"].fill.fill_type is None


def test_an_edited_xlsx_reads_back_with_typed_and_text_cells() -> None:
    xlsx, _csv = plan_files(document(line("A1", "23.99"), line("A2", "21.99")))
    workbook = load_workbook(io.BytesIO(xlsx))
    sheet = workbook["Edit prices"]
    assert [c.value for c in sheet[1]][:3] == ["sku", "name", "new_price"]
    sheet["C2"] = 19.9  # a typed number
    sheet["C3"] = " 18.50 "  # text
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = read_plan_file("plan.xlsx", buffer.getvalue())
    assert upload is not None
    assert upload.ref == PlanRef(7, 3, "0123456789ab") and upload.currency == "USD"
    assert upload.errors == []
    assert upload.rows == [
        EditedRow(2, "A1", D("19.90"), D("23.99"), D("0.2")),
        EditedRow(3, "A2", D("18.50"), D("21.99"), D("0.2")),
    ]


def test_a_csv_reads_back_and_a_price_for_a_sku_not_enrolled_is_an_error() -> None:
    _xlsx, csv_bytes = plan_files(document(line("A1", "23.99"), line("B9", "9.99", enrolled=False)))
    text = csv_bytes.decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[1].endswith(",23.99,c7-t3-0123456789ab")
    assert lines[2].endswith(",,c7-t3-0123456789ab")  # nothing to edit when not enrolled
    lines[2] = lines[2].replace(",,c7-", ",5.00,c7-")
    upload = read_upload("plan.csv", "\r\n".join(lines).encode(), {}, "CNY")
    assert isinstance(upload, PlanUpload)
    assert upload.ref == PlanRef(7, 3, "0123456789ab")
    assert [(e.row, e.column, e.problem) for e in upload.errors] == [
        (3, "edit_planned_price", NOT_ENROLLED_ROW)
    ]
    assert [row.code for row in upload.rows] == ["A1"]


def test_a_csv_mixing_two_plans_is_refused_and_other_files_are_catalogues() -> None:
    _xlsx, csv_bytes = plan_files(document(line("A1", "23.99"), line("A2", "21.99")))
    mixed = csv_bytes.decode("utf-8-sig").replace("c7-t3-0123456789ab\r\n", "c8-t3-ff\r\n", 1)
    with pytest.raises(FileRefused):
        read_plan_file("plan.csv", mixed.encode())
    catalogue = read_upload("skus.csv", b"sku,unit_cost\nA1,3\n", {}, "CNY")
    assert isinstance(catalogue, ParsedFile) and catalogue.rows[0].code == "A1"


def test_the_token_binds_team_campaign_and_creation_time() -> None:
    at = datetime(2026, 11, 1, 8, 30, 15, 123456, tzinfo=UTC)
    token = plan_token(3, 7, at)
    assert len(token) == 12 and token == plan_token(3, 7, at.replace(tzinfo=None))
    assert token != plan_token(3, 8, at) and token != plan_token(4, 7, at)
    assert token != plan_token(3, 7, at.replace(microsecond=0))
    assert parse_ref(f"c7-t3-{token}") == PlanRef(7, 3, token)
    assert parse_ref("c7-t3-XYZ") is None and parse_ref("7-3-abc") is None


def now_row(planned: str, discount: str) -> PlanRow:
    return PlanRow(
        1,
        "A1",
        "Item",
        True,
        None,
        True,
        PlanStatus.OK,
        list_price=D("30.00"),
        reference_price=D("30.00"),
        planned_price=D(planned),
        discount=D(discount),
    )


def test_which_rows_are_edits() -> None:
    upload = PlanUpload("XLSX", None, "USD", columns={"new_price": "New"})
    errors: list = []  # type: ignore[type-arg]

    def edit(new: str | None, exported: str, discount: str | None, row: PlanRow) -> object:
        return _file_edit(
            EditedRow(
                2,
                "A1",
                None if new is None else D(new),
                D(exported),
                None if discount is None else D(discount),
            ),
            row,
            upload,
            errors,
        )

    now = now_row("24.00", "0.2")
    assert edit("24.00", "24.00", "0.2", now) is None  # untouched
    changed = edit("21.00", "24.00", "0.2", now)
    assert changed is not None and changed.price == D("21.00")  # type: ignore[attr-defined]
    by_discount = edit("24.00", "24.00", "0.25", now)
    assert by_discount.discount == D("0.25") and by_discount.price is None  # type: ignore[attr-defined]
    agreeing = edit("22.50", "24.00", "0.25", now)  # 22.50 is 25 % off 30.00
    assert agreeing.price == D("22.50")  # type: ignore[attr-defined]
    # someone changed the plan since the export: an untouched row does not undo it
    moved = now_row("20.00", "0.3333")
    assert edit("24.00", "24.00", "0.2", moved) is None
    # the same edited file again: already the plan
    assert edit("21.00", "24.00", "0.2", now_row("21.00", "0.3")) is None
    assert errors == []
    assert edit("22.00", "24.00", "0.25", now) is None  # 22.00 is not 25 % off
    assert [(e.row, e.column, e.problem) for e in errors] == [(2, "New", CONTRADICTS)]


def test_a_plan_xlsx_without_its_sheet_or_its_columns_is_refused_clearly() -> None:
    xlsx, _csv = plan_files(document(line("A1", "23.99")))
    workbook = load_workbook(io.BytesIO(xlsx))
    del workbook["Edit prices"]
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(FileRefused) as refused:
        read_plan_file("plan.xlsx", buffer.getvalue())
    assert refused.value.params == {"sheet": "Edit prices"}

    workbook = load_workbook(io.BytesIO(xlsx))
    workbook["Edit prices"]["C1"] = "my prices"  # the column to edit renamed away
    buffer = io.BytesIO()
    workbook.save(buffer)
    upload = read_plan_file("plan.xlsx", buffer.getvalue())
    assert upload is not None and upload.rows == []
    assert [(e.row, e.column, e.problem) for e in upload.errors] == [(1, "new_price", "required")]
