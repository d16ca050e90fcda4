"""The plan as files: XLSX for people (localized, formatted) and CSV for tools.

XLSX (bot/views/xlsx.py, so 5,000 rows stay fast): a summary sheet, one sheet per
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
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bot.domain.errors import N_
from bot.i18n import Translator
from bot.pricing import currency_digits
from bot.services.imports import CatalogueTable, escape_formula
from bot.services.plan import Plan, PlanRow, PlanStatus
from bot.views.campaigns import (
    MODE_LABELS,
    STATUS_LABELS,
    campaign_subsidy,
    rule_text,
    subsidy_text,
    when,
)
from bot.views.xlsx import Workbook

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"
_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")

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


def money_format(currency: str) -> str:
    """An Excel number format with the currency's digits: '#,##0.00 "USD"', '#,##0 "KRW"'."""
    digits = currency_digits(currency)
    return ("#,##0." + "0" * digits if digits else "#,##0") + f' "{currency}"'


PERCENT_FORMAT = "0.00%"


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


# -- the files, built in a worker process -----------------------------------------------


@dataclass(frozen=True, slots=True)
class VoucherRow:
    threshold: Decimal
    value: Decimal
    share: Decimal
    cap: Decimal | None
    minimum: Decimal | None  # the smallest safe threshold for this voucher now
    safe: bool


@dataclass(frozen=True, slots=True)
class PlanDocument:
    """What the plan's files show, without database objects: small to send to a worker
    process (bot/runtime/workers.py), which builds the bytes with `plan_files`."""

    translator: Translator
    title: str  # the campaign's name
    currency: str
    summary: list[tuple[str, str]]  # (label, value), already in the reader's language
    rows: list[PlanRow]
    others: list[PlanRow]
    vouchers: list[VoucherRow]


def plan_document(plan: Plan, _: Translator) -> PlanDocument:
    vouchers = [
        VoucherRow(
            check.threshold,
            check.value,
            check.share,
            check.cap,
            None if check.result.threshold is None else check.result.threshold.amount,
            check.safe,
        )
        for check in plan.vouchers
    ]
    return PlanDocument(
        _, plan.campaign.name, plan.currency, _summary(plan, _), plan.rows, plan.others, vouchers
    )


def plan_files(document: PlanDocument) -> tuple[bytes, bytes]:
    """(XLSX, CSV) — CPU work for a worker process."""
    return document_xlsx(document), document_csv(document)


def plan_xlsx(plan: Plan, _: Translator) -> bytes:
    return document_xlsx(plan_document(plan, _))


def plan_csv(plan: Plan) -> bytes:
    return document_csv(plan_document(plan, Translator("en")))


# -- XLSX ----------------------------------------------------------------------------------


def document_xlsx(document: PlanDocument) -> bytes:
    """The workbook: summary, one sheet per status present (ok first), the listed SKUs not
    enrolled, and the saved vouchers."""
    _ = document.translator
    book = Workbook()
    bold = book.style(bold=True)
    money = book.style(number_format=money_format(document.currency))
    percent = book.style(number_format=PERCENT_FORMAT)
    kinds = {"text": 0, "money": money, "percent": percent}
    column_styles = [kinds[kind] for _key, _label, kind in COLUMNS]
    widths = [WIDTHS[kind] for _key, _label, kind in COLUMNS]
    header: list[str | None] = [_(label) for _key, label, _kind in COLUMNS]
    header_styles = [bold] * len(COLUMNS)
    summary = book.add_sheet(_(SUMMARY), widths=[28, 60], styles=[bold, 0])
    summary.append([_("Plan"), document.title], [bold, bold])
    for label, value in document.summary:
        summary.append([label, value])
    groups: dict[PlanStatus, list[PlanRow]] = {}
    for row in document.rows:
        groups.setdefault(row.status, []).append(row)
    tables = [
        (_(STATUS_LABELS[status]), groups[status]) for status in PlanStatus if status in groups
    ]
    if document.others:
        tables.append((_(NOT_ENROLLED), document.others))
    keys = [key for key, _label, _kind in COLUMNS]
    for title, rows in tables:
        sheet = book.add_sheet(title, widths=widths, styles=column_styles)
        sheet.append(header, header_styles)
        for row in rows:
            sheet.append([_value(row, key, _) for key in keys])
    if document.vouchers:
        _voucher_sheet(book, document, bold, money, percent)
    return book.to_bytes()


def _summary(plan: Plan, _: Translator) -> list[tuple[str, str]]:
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
            _.percent(campaign.min_discount) if campaign.min_discount else _("none"),
        ),
        (_("Reference price"), rule_text(_, campaign.reference_rule)),
        (_("Subsidy"), subsidy_text(_, campaign_subsidy(campaign), plan.currency)),
        (_("Target margin"), _.percent(plan.pricing.target_margin)),
        (_("Computed at"), _.datetime(plan.computed_at)),
        (_("Enrolled SKUs"), str(len(plan.rows))),
    ]
    pairs += [
        (_(STATUS_LABELS[status]), str(plan.counts[status]))
        for status in PlanStatus
        if plan.counts.get(status)
    ]
    return pairs


def _voucher_sheet(
    book: Workbook, document: PlanDocument, bold: int, money: int, percent: int
) -> None:
    _ = document.translator
    labels = [
        _("Threshold"),
        _("Voucher"),
        _("Platform share"),
        _("Platform cap"),
        _("Smallest safe threshold now"),
        _("Safe now"),
    ]
    sheet = book.add_sheet(
        _(VOUCHERS), widths=[18] * len(labels), styles=[money, money, percent, money, money, 0]
    )
    sheet.append(labels, [bold] * len(labels))
    for voucher in document.vouchers:
        sheet.append(
            [
                voucher.threshold,
                voucher.value,
                voucher.share,
                voucher.cap,
                voucher.minimum,
                _("yes") if voucher.safe else _("no"),
            ]
        )


# -- CSV -----------------------------------------------------------------------------------


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
    yield list(CSV_COLUMNS)
    digits = currency_digits(document.currency)
    for row in [*document.rows, *document.others]:
        yield [
            safe_text(row.code),
            safe_text(row.name),
            "yes" if row.enrolled else "no",
            row.status.value,
            "yes" if row.eligible else "no",
            "" if row.mode is None else row.mode.value,
            _amount(row.list_price, digits),
            _amount(row.reference_price, digits),
            _amount(row.planned_price, digits),
            _percent(row.discount),
            _amount(row.subsidy, digits),
            _amount(row.seller_price, digits),
            _amount(row.floor, digits),
            _amount(row.customer_floor, digits),
            _percent(row.margin),
            document.currency,
        ]


def document_csv(document: PlanDocument) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerows(csv_rows(document))
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8


# -- the catalogue (/export): the import's format, so a round trip changes nothing ----------


@dataclass(frozen=True, slots=True)
class CatalogueFiles:
    rows: int
    csv: bytes
    xlsx: bytes


def catalogue_files(table: CatalogueTable) -> CatalogueFiles:
    """CSV and XLSX of the catalogue — CPU work for a worker process."""
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


def catalogue_xlsx(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """One sheet "SKUs": text cells are text (never formulas), numbers exact."""
    book = Workbook()
    bold = book.style(bold=True)
    sheet = book.add_sheet("SKUs", widths=[16, 28, *[14] * (len(header) - 2)])
    sheet.append(list(header), [bold] * len(header))
    for row in rows:
        sheet.append(row)  # type: ignore[arg-type]
    return book.to_bytes()
