"""The plan as files: XLSX for people (localized, formatted) and CSV for tools.

XLSX (openpyxl write-only, so 5,000 rows stay fast): a summary sheet, one sheet per
plan status present (eligible first), a sheet of listed SKUs not enrolled, and the
saved vouchers. Header rows are bold, frozen and in the reader's language; amounts
are numbers with the currency's digits, percentages are numbers in % format; text
cells are always text (a SKU named "=1+1" is not a formula).

CSV: one header row of stable English keys, every SKU (enrolled or listed), amounts
as plain numbers ('.' decimal point), percentages in percent with two decimals;
text cells that start with = + - @ (or a tab / carriage return) are prefixed with
an apostrophe against formula injection.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from bot.domain.errors import N_
from bot.i18n import Translator
from bot.pricing import currency_digits
from bot.services.plan import Plan, PlanRow, PlanStatus
from bot.views.campaigns import (
    MODE_LABELS,
    STATUS_LABELS,
    campaign_subsidy,
    pct,
    rule_text,
    subsidy_text,
    when,
)

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# (key, header, kind); kind: text | money | percent
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("sku", N_("SKU"), "text"),
    ("name", N_("Name"), "text"),
    ("status", N_("Status"), "text"),
    ("eligible", N_("Eligible"), "text"),
    ("price_mode", N_("Priced by"), "text"),
    ("list_price", N_("List price"), "money"),
    ("reference_price", N_("Reference price"), "money"),
    ("planned_price", N_("Campaign price"), "money"),
    ("discount", N_("Discount"), "percent"),
    ("subsidy", N_("Platform subsidy"), "money"),
    ("seller_price", N_("Seller price"), "money"),
    ("floor", N_("Floor"), "money"),
    ("customer_floor", N_("Lowest safe price"), "money"),
    ("margin", N_("Margin"), "percent"),
)
CSV_COLUMNS = (
    "sku",
    "name",
    "enrolled",
    "status",
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
NOT_ENROLLED = N_("Not enrolled")
SUMMARY = N_("Summary")
VOUCHERS = N_("Vouchers")


def filename(plan: Plan, extension: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", plan.campaign.name).strip("-").lower() or "campaign"
    return f"plan-{plan.campaign.id}-{slug[:40]}.{extension}"


def sheet_title(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name (at most 31 characters, none of []:*?/\\)."""
    base = _SHEET_FORBIDDEN.sub(" ", text).strip()[:31] or "Sheet"
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def _value(row: PlanRow, key: str, _: Translator) -> Any:
    if key == "sku":
        return row.code
    if key == "name":
        return row.name
    if key == "status":
        return _(STATUS_LABELS[row.status])
    if key == "eligible":
        return _("yes") if row.eligible else _("no")
    if key == "price_mode":
        return "" if row.mode is None else _(MODE_LABELS[row.mode])
    return getattr(row, key)


# -- XLSX ----------------------------------------------------------------------------------


def plan_xlsx(plan: Plan, _: Translator) -> bytes:
    currency = plan.currency
    digits = currency_digits(currency)
    money_format = ("#,##0." + "0" * digits if digits else "#,##0") + f' "{currency}"'
    workbook = Workbook(write_only=True)
    taken: set[str] = set()
    _summary_sheet(workbook, plan, _, taken)
    groups: dict[PlanStatus, list[PlanRow]] = {}
    for row in plan.rows:
        groups.setdefault(row.status, []).append(row)
    for status in PlanStatus:
        if status in groups:
            _table_sheet(
                workbook,
                sheet_title(_(STATUS_LABELS[status]), taken),
                groups[status],
                _,
                money_format,
            )
    if plan.others:
        _table_sheet(workbook, sheet_title(_(NOT_ENROLLED), taken), plan.others, _, money_format)
    if plan.vouchers:
        _voucher_sheet(workbook, plan, _, taken, money_format)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header(sheet: WriteOnlyWorksheet, labels: Sequence[str]) -> None:
    bold = Font(bold=True)
    cells = []
    for label in labels:
        cell = WriteOnlyCell(sheet, value=label)
        cell.font = bold
        cell.data_type = "s"
        cells.append(cell)
    sheet.append(cells)


def _table_sheet(
    workbook: Workbook,
    title: str,
    rows: Sequence[PlanRow],
    _: Translator,
    money_format: str,
) -> None:
    sheet = workbook.create_sheet(title)
    sheet.freeze_panes = "A2"
    for index, (_key, _label, kind) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS[kind]
    _header(sheet, [_(label) for _key, label, _kind in COLUMNS])
    # one styled cell per column, reused: write-only sheets serialize each row on append
    template: list[WriteOnlyCell] = []
    for _key, _label, kind in COLUMNS:
        cell = WriteOnlyCell(sheet)
        if kind == "money":
            cell.number_format = money_format
        elif kind == "percent":
            cell.number_format = "0.00%"
        template.append(cell)
    keys = [key for key, _label, _kind in COLUMNS]
    kinds = [kind for _key, _label, kind in COLUMNS]
    for row in rows:
        for cell, key, kind in zip(template, keys, kinds, strict=True):
            value = _value(row, key, _)
            cell.value = value
            if kind == "text":
                cell.data_type = "s"  # never a formula, whatever the text starts with
        sheet.append(template)


def _summary_sheet(workbook: Workbook, plan: Plan, _: Translator, taken: set[str]) -> None:
    sheet = workbook.create_sheet(sheet_title(_(SUMMARY), taken))
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    campaign, channel = plan.campaign, plan.channel
    zone = campaign.timezone
    pairs: list[tuple[str, str]] = [
        (_("Campaign"), f"#{campaign.id} {campaign.name}"),
        (_("Channel"), f"{channel.name} ({plan.currency})"),
    ]
    if campaign.registration_deadline is not None:
        pairs.append((_("Registration deadline"), when(_, campaign.registration_deadline, zone)))
    pairs += [
        (_("Start"), when(_, campaign.starts_at, zone)),
        (_("End"), when(_, campaign.ends_at, zone)),
        (
            _("Minimum discount"),
            pct(_, campaign.min_discount) if campaign.min_discount else _("none"),
        ),
        (_("Reference price"), rule_text(_, campaign.reference_rule)),
        (_("Subsidy"), subsidy_text(_, campaign_subsidy(campaign), plan.currency)),
        (_("Target margin"), pct(_, plan.pricing.target_margin)),
        (_("Computed at"), _.datetime(plan.computed_at)),
        (_("Enrolled SKUs"), str(len(plan.rows))),
    ]
    pairs += [
        (_(STATUS_LABELS[status]), str(plan.counts[status]))
        for status in PlanStatus
        if plan.counts.get(status)
    ]
    _header(sheet, [_("Plan"), ""])
    label_cell, value_cell = WriteOnlyCell(sheet), WriteOnlyCell(sheet)
    label_cell.font = Font(bold=True)
    for label, value in pairs:
        label_cell.value, value_cell.value = label, value
        label_cell.data_type = value_cell.data_type = "s"
        sheet.append([label_cell, value_cell])


def _voucher_sheet(
    workbook: Workbook, plan: Plan, _: Translator, taken: set[str], money_format: str
) -> None:
    sheet = workbook.create_sheet(sheet_title(_(VOUCHERS), taken))
    sheet.freeze_panes = "A2"
    labels = [
        _("Threshold"),
        _("Voucher"),
        _("Platform share"),
        _("Platform cap"),
        _("Smallest safe threshold now"),
        _("Safe now"),
    ]
    for index in range(1, len(labels) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 18
    _header(sheet, labels)
    cells = [WriteOnlyCell(sheet) for _label in labels]
    for index in (0, 1, 3, 4):
        cells[index].number_format = money_format
    cells[2].number_format = "0.00%"
    for check in plan.vouchers:
        minimum = check.result.threshold
        values: list[Any] = [
            check.threshold,
            check.value,
            check.share,
            check.cap,
            None if minimum is None else minimum.amount,
            _("yes") if check.safe else _("no"),
        ]
        for cell, value in zip(cells, values, strict=True):
            cell.value = value
        cells[5].data_type = "s"
        sheet.append(cells)


# -- CSV -----------------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """Escape a text cell a spreadsheet would run as a formula."""
    return "'" + value if value.startswith(_UNSAFE_START) else value


def _percent(value: Decimal | None, rounding: str = ROUND_HALF_UP) -> str:
    if value is None:
        return ""
    return format((value * 100).quantize(Decimal("0.01"), rounding=rounding), "f")


def _amount(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def csv_rows(plan: Plan) -> Iterable[list[str]]:
    yield list(CSV_COLUMNS)
    for row in [*plan.rows, *plan.others]:
        yield [
            safe_text(row.code),
            safe_text(row.name),
            "yes" if row.enrolled else "no",
            row.status.value,
            "yes" if row.eligible else "no",
            "" if row.mode is None else row.mode.value,
            _amount(row.list_price),
            _amount(row.reference_price),
            _amount(row.planned_price),
            _percent(row.discount),
            _amount(row.subsidy),
            _amount(row.seller_price),
            _amount(row.floor),
            _amount(row.customer_floor),
            _percent(row.margin),
            plan.currency,
        ]


def plan_csv(plan: Plan) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(csv_rows(plan))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8
