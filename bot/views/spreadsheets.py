"""The files the bot sends, built from plain data: the plan and the catalogue as XLSX
and CSV. This is CPU work, so the bot runs it in a worker process
(bot/runtime/workers.py); everything here pickles and the module imports nothing heavy
(no database, no Telegram). bot/views/exports.py turns a plan into a `PlanDocument`,
with every label already in the reader's language.

Plan XLSX (bot/views/xlsx.py, so 5,000 rows stay fast): a summary sheet, one sheet per
plan status present (eligible first), a sheet of listed SKUs not enrolled, and the
saved vouchers. Header rows are bold, frozen and in the reader's language; amounts are
numbers with the currency's digits, percentages are numbers in % format; text cells are
always text (a SKU named "=1+1" is not a formula).

It also has an "Edit prices" sheet for the round trip: the enrolled SKUs with the campaign
price to edit (a yellow, unlocked column on a sheet protected without a password), the
discount that may be edited instead, the floors beside them; and a hidden sheet naming
the campaign, the team and a checksum (bot/services/plan_file.py reads the file back).

Plan CSV: one header row of stable English keys (but for `status_label`, the reader's
words for the status beside the machine-readable `status`), every SKU (enrolled or listed),
amounts as plain numbers ('.' decimal point), percentages in percent with two
decimals; text cells that start with = + - @ (or a tab / carriage return) are prefixed
with an apostrophe against formula injection. Last, `edit_planned_price` (the price to
edit, enrolled SKUs) and `plan_file` (the file's identity, on every row).

Catalogue: the import's own format (bot/services/catalogue_file.py), so an exported
file imports back unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from bot.pricing import currency_digits
from bot.runtime.pieces import Pieces
from bot.services.catalogue_file import CatalogueTable, escape_formula
from bot.services.plan_file import (
    EDIT_COLUMNS,
    EDIT_CSV_COLUMNS,
    META_MARK,
    META_SHEET,
    META_VERSION,
    plan_ref,
)
from bot.views.xlsx import Value, Workbook

_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")
PERCENT_FORMAT = "0.00%"

# The plan sheets' columns: (key, kind); kind: text | money | percent
PLAN_COLUMNS: tuple[tuple[str, str], ...] = (
    ("sku", "text"),
    ("name", "text"),
    ("status", "text"),
    ("eligible", "text"),
    ("price_mode", "text"),
    ("list_price", "money"),
    ("reference_price", "money"),
    ("planned_price", "money"),
    ("discount", "percent"),
    ("subsidy", "money"),
    ("seller_price", "money"),
    ("floor", "money"),
    ("customer_floor", "money"),
    ("margin", "percent"),
)
CSV_COLUMNS = (
    "sku",
    "name",
    "enrolled",
    "status",
    "status_label",  # headed in the reader's language (PlanDocument.labels)
    "eligible",
    "price_mode",
    "list_price",
    "reference_price",
    "planned_price",
    "discount_pct",
    "subsidy",
    "seller_price",
    "floor_price",
    "customer_floor",
    "margin_pct",
    "currency",
)
WIDTHS = {"text": 16, "money": 14, "percent": 11}


def money_format(currency: str) -> str:
    """An Excel number format with the currency's digits: '#,##0.00 "USD"', '#,##0 "KRW"'."""
    digits = currency_digits(currency)
    return ("#,##0." + "0" * digits if digits else "#,##0") + f' "{currency}"'


class PlanLine(NamedTuple):
    """One SKU of the plan as the files show it: the labels in the reader's language, the
    codes for the CSV."""

    code: str
    name: str
    enrolled: bool
    status: str  # PlanStatus value
    status_label: str
    eligible: bool
    mode: str | None  # PriceMode value
    mode_label: str
    list_price: Decimal | None
    reference_price: Decimal | None
    planned_price: Decimal | None
    discount: Decimal | None
    subsidy: Decimal | None
    seller_price: Decimal | None
    floor: Decimal | None
    customer_floor: Decimal | None
    margin: Decimal | None


class VoucherLine(NamedTuple):
    threshold: Decimal
    value: Decimal
    share: Decimal
    cap: Decimal | None
    minimum: Decimal | None  # the smallest safe threshold for this voucher now
    safe: bool


@dataclass(frozen=True, slots=True)
class PlanEditSheet:
    """The round trip's part of the plan files (bot/services/plan_file.py reads it back):
    the editable sheet's title and header (EDIT_COLUMNS, in the reader's language), and
    the file's identity (campaign, team, token) for the hidden sheet and the CSV."""

    title: str
    header: list[str]
    campaign_id: int
    team_id: int
    token: str


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """What the plan's files show, in the reader's language, without database objects."""

    title: str  # the campaign's name
    currency: str
    labels: dict[str, str]  # "plan", "summary", "yes", "no", "vouchers", "status_label"
    header: list[str]  # PLAN_COLUMNS' labels
    voucher_header: list[str]
    summary: list[tuple[str, str]]  # (label, value)
    sheet_titles: dict[str, str]  # PlanStatus value → its sheet's title, in the sheets' order
    others_title: str  # the last sheet's: the SKUs listed but not enrolled
    lines: list[PlanLine]  # every line, in the CSV's order
    vouchers: list[VoucherLine]
    edit: PlanEditSheet | None = None  # the sheet to change prices on, and the file's identity

    @property
    def sheets(self) -> list[tuple[str, list[PlanLine]]]:
        """(title, lines): the enrolled SKUs by status, then those not enrolled."""
        groups: dict[str, list[PlanLine]] = {}
        others: list[PlanLine] = []
        for line in self.lines:
            if line.enrolled:
                groups.setdefault(line.status, []).append(line)
            else:
                others.append(line)
        sheets = [(title, groups[s]) for s, title in self.sheet_titles.items() if s in groups]
        return [*sheets, (self.others_title, others)] if others else sheets


def plan_files(document: PlanDocument) -> tuple[bytes, bytes]:
    """(XLSX, CSV) of the plan."""
    return document_xlsx(document), document_csv(document)


def shipped_plan_files(document: PlanDocument, lines: Pieces[PlanLine]) -> tuple[bytes, bytes]:
    """`plan_files` in a worker, the document's lines shipped apart (`Pieces`)."""
    return plan_files(replace(document, lines=lines.unpack_now()))


def _cell(line: PlanLine, key: str, labels: dict[str, str]) -> Value:
    if key == "sku":
        return line.code
    if key == "status":
        return line.status_label
    if key == "eligible":
        return labels["yes"] if line.eligible else labels["no"]
    if key == "price_mode":
        return line.mode_label
    value: Any = getattr(line, key)
    return value  # type: ignore[no-any-return]


def document_xlsx(document: PlanDocument) -> bytes:
    """The workbook: summary, one sheet per status present (ok first), the listed SKUs not
    enrolled, and the saved vouchers."""
    labels = document.labels
    book = Workbook()
    bold = book.style(bold=True)
    money = book.style(number_format=money_format(document.currency))
    percent = book.style(number_format=PERCENT_FORMAT)
    kinds = {"text": 0, "money": money, "percent": percent}
    column_styles = [kinds[kind] for _key, kind in PLAN_COLUMNS]
    widths = [WIDTHS[kind] for _key, kind in PLAN_COLUMNS]
    header_styles = [bold] * len(PLAN_COLUMNS)
    summary = book.add_sheet(labels["summary"], widths=[28, 60], styles=[bold, 0])
    summary.append([labels["plan"], document.title], [bold, bold])
    for label, value in document.summary:
        summary.append([label, value])
    if document.edit is not None:
        edit_sheet_xlsx(book, document, document.edit)
    keys = [key for key, _kind in PLAN_COLUMNS]
    for title, lines in document.sheets:
        sheet = book.add_sheet(title, widths=widths, styles=column_styles)
        sheet.append(list(document.header), header_styles)
        for line in lines:
            sheet.append([_cell(line, key, labels) for key in keys])
    if document.vouchers:
        sheet = book.add_sheet(
            labels["vouchers"],
            widths=[18] * len(document.voucher_header),
            styles=[money, money, percent, money, money, 0],
        )
        sheet.append(list(document.voucher_header), [bold] * len(document.voucher_header))
        for voucher in document.vouchers:
            sheet.append(
                [
                    voucher.threshold,
                    voucher.value,
                    voucher.share,
                    voucher.cap,
                    voucher.minimum,
                    labels["yes"] if voucher.safe else labels["no"],
                ]
            )
    return book.to_bytes()


def safe_text(value: str) -> str:
    """Escape a text cell a spreadsheet would run as a formula."""
    return "'" + value if value.startswith(_UNSAFE_START) else value


def _percent(value: Decimal | None, rounding: str = ROUND_HALF_UP) -> str:
    if value is None:
        return ""
    return format((value * 100).quantize(Decimal("0.01"), rounding=rounding), "f")


def _amount(value: Decimal | None, digits: int) -> str:
    """Plain digits: at least the currency's decimals, more only where the value has them
    (a 30 % subsidy on 2.41 is 0.723, not 0.72)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    whole, _dot, fraction = text.partition(".")
    fraction = fraction.ljust(digits, "0")
    return f"{whole}.{fraction}" if fraction else whole


def csv_rows(document: PlanDocument) -> Iterable[list[str]]:
    label_header = safe_text(document.labels.get("status_label", "status_label"))
    yield [
        *(label_header if key == "status_label" else key for key in CSV_COLUMNS),
        *(EDIT_CSV_COLUMNS if document.edit is not None else ()),
    ]
    digits = currency_digits(document.currency)
    for line in document.lines:
        yield [
            safe_text(line.code),
            safe_text(line.name),
            "yes" if line.enrolled else "no",
            line.status,
            safe_text(line.status_label),
            "yes" if line.eligible else "no",
            line.mode or "",
            _amount(line.list_price, digits),
            _amount(line.reference_price, digits),
            _amount(line.planned_price, digits),
            _percent(line.discount),
            _amount(line.subsidy, digits),
            _amount(line.seller_price, digits),
            _amount(line.floor, digits),
            _amount(line.customer_floor, digits),
            _percent(line.margin),
            document.currency,
            *edit_csv_cells(document, line, digits),
        ]


def document_csv(document: PlanDocument) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(csv_rows(document))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8


# -- the round trip: the prices to edit and the file's identity ------------------------------
# (bot/services/plan_file.py reads them back; keep the two in step)

EDIT_FILL = "FFF2CC"  # the column to edit: light yellow, unlocked on a protected sheet
SECOND_FILL = "FDF8E6"  # the discount, which may be edited instead


def edit_sheet_xlsx(book: Workbook, document: PlanDocument, edit: PlanEditSheet) -> None:
    """The enrolled SKUs with their campaign price to edit (yellow, unlocked; the sheet is
    protected without a password so the other cells are not changed by accident), the
    floors beside it; then the hidden sheet naming the campaign, the team and the token."""
    grey = "F2F2F2"
    money_code = money_format(document.currency)
    bold = book.style(bold=True)
    edit_header = book.style(bold=True, fill=EDIT_FILL)
    second_header = book.style(bold=True, fill=SECOND_FILL)
    styles: list[int] = []
    header_styles: list[int] = []
    for key, kind, editable in EDIT_COLUMNS:
        number_format = {"money": money_code, "percent": PERCENT_FORMAT}.get(kind)
        if editable:
            fill = EDIT_FILL if key == "new_price" else SECOND_FILL
            styles.append(book.style(number_format=number_format, fill=fill, locked=False))
            header_styles.append(edit_header if key == "new_price" else second_header)
        else:
            styles.append(book.style(number_format=number_format, fill=grey))
            header_styles.append(bold)
    widths = [16, 28, 18, 16, 14, 16, 16, 14, 14, 11, 24]
    sheet = book.add_sheet(edit.title, widths=widths, styles=styles, protected=True)
    sheet.append(list(edit.header), header_styles)
    for line in sorted((item for item in document.lines if item.enrolled), key=_by_code):
        cells: dict[str, Value] = {
            "sku": line.code,
            "name": line.name,
            "new_price": line.planned_price,  # to edit: starts as the price now
            "status": line.status_label,
        }
        sheet.append([cells.get(key, getattr(line, key, None)) for key, _k, _e in EDIT_COLUMNS])
    meta = book.add_sheet(META_SHEET, widths=[16, 40], freeze_header=False, hidden=True)
    meta.append([META_MARK, META_VERSION])
    meta.append(["ref", plan_ref(edit.campaign_id, edit.team_id, edit.token)])
    meta.append(["currency", document.currency])
    meta.append(["sheet", sheet.title])
    for (key, _kind, _editable), label in zip(EDIT_COLUMNS, edit.header, strict=True):
        meta.append(["column", key, label])


def _by_code(line: PlanLine) -> str:
    return line.code


def edit_csv_cells(document: PlanDocument, line: PlanLine, digits: int) -> list[str]:
    """The CSV's last two columns: the campaign price to edit (enrolled SKUs only) and the
    file's identity on every row (so a sorted or filtered file keeps it)."""
    edit = document.edit
    if edit is None:
        return []
    price = _amount(line.planned_price, digits) if line.enrolled else ""
    return [price, plan_ref(edit.campaign_id, edit.team_id, edit.token)]


# -- the catalogue (/export) ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CatalogueFiles:
    rows: int
    csv: bytes
    xlsx: bytes


def catalogue_files(table: CatalogueTable) -> CatalogueFiles:
    """CSV and XLSX of the catalogue."""
    return CatalogueFiles(
        len(table.rows),
        catalogue_csv(table.header, table.rows),
        catalogue_xlsx(table.header, table.rows),
    )


def _plain(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return escape_formula(value)
    return format(value, "f")


def catalogue_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Text cells escaped against formula injection; numbers as plain digits."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([_plain(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


def catalogue_xlsx(header: Sequence[str], rows: Iterable[Sequence[Value]]) -> bytes:
    """One sheet "SKUs": text cells are text (never formulas), numbers exact."""
    book = Workbook()
    bold = book.style(bold=True)
    sheet = book.add_sheet("SKUs", widths=[16, 28, *[14] * (len(header) - 2)])
    sheet.append(list(header), [bold] * len(header))
    for row in rows:
        sheet.append(row)
    return book.to_bytes()
