"""The plan file sent back: read an exported plan (XLSX or CSV) with edited campaign
prices, pure — the worker processes run `read_upload` (through `shipped_read_upload`), like a
catalogue import.

What the export writes (bot/views/spreadsheets.py, "the round trip"):

* XLSX: an edit sheet of the enrolled SKUs — the campaign price to edit (yellow,
  unlocked), the discount (may be edited instead), the floors beside them, the price at
  export — and a hidden sheet `campaignbot` with the file's identity
  (`c<campaign>-t<team>-<token>`), its currency, the edit sheet's name and its columns
  (key and header text, so moved columns are still found).
* CSV: the plan's columns, then `edit_planned_price` (enrolled SKUs) and `plan_file`
  (the identity, on every row).

A file is a plan file when it has that hidden sheet (XLSX) or the `plan_file` column
(CSV); anything else goes on to the catalogue import. Cells are read like the
catalogue's: typed numbers as they are, text through the same price parser
(`catalogue_file.parse_price`), errors by row and column. Which rows are changes —
and whether the file may change this campaign at all — is decided against the database
in bot/services/plan_edits.py.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.domain.errors import N_
from bot.pricing import InputError, InputProblem, parse_decimal
from bot.runtime.pieces import Pieces
from bot.services import tables
from bot.services.catalogue_file import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    ParsedFile,
    RowError,
    open_file,
    parse_price,
    read_catalogue,
    refuse_size,
    unescape,
)
from bot.services.tables import FileRefused, SheetMissing

# The file's layout, shared with the writer (bot/views/spreadsheets.py)
META_SHEET = "campaignbot"  # hidden: the file's identity and the edit sheet's columns
META_MARK = "campaignbot plan file"
META_VERSION = 1
# The edit sheet's columns: (key, kind, editable)
EDIT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("sku", "text", False),
    ("name", "text", False),
    ("new_price", "money", True),
    ("customer_floor", "money", False),
    ("floor", "money", False),
    ("planned_price", "money", False),
    ("discount", "percent", True),
    ("list_price", "money", False),
    ("reference_price", "money", False),
    ("margin", "percent", False),
    ("status", "text", False),
)
EDIT_CSV_COLUMNS = ("edit_planned_price", "plan_file")
TOKEN_LENGTH = 12
_REF = re.compile(r"c([0-9]{1,10})-t([0-9]{1,10})-([0-9a-f]{1,64})")
EDIT_CSV, REF_CSV = EDIT_CSV_COLUMNS
# problems of a row beyond the engine's InputProblem (bot/views/plan_file.py words them)
NOT_ENROLLED_ROW = "not_enrolled_row"  # a CSV row of a SKU not enrolled, with a price
DISCOUNT_RANGE = "discount_range"


def plan_token(team_id: int, campaign_id: int, created_at: datetime) -> str:
    """A short checksum binding a file to one campaign of one team: the ids are in the
    file in the clear, but changing them needs the campaign's creation time (to the
    microsecond), so a file cannot be pointed at another campaign by editing a number.
    A campaign deleted and made again gets a new token."""
    at = created_at if created_at.tzinfo is not None else created_at.replace(tzinfo=UTC)
    stamp = at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    digest = hashlib.sha256(f"campaignbot-plan:{team_id}:{campaign_id}:{stamp}".encode())
    return digest.hexdigest()[:TOKEN_LENGTH]


def plan_ref(campaign_id: int, team_id: int, token: str) -> str:
    """The file's identity as one text: 'c12-t3-9f2c4e1a7b'."""
    return f"c{campaign_id}-t{team_id}-{token}"


@dataclass(frozen=True, slots=True)
class PlanRef:
    campaign_id: int
    team_id: int
    token: str


def parse_ref(text: str) -> PlanRef | None:
    match = _REF.fullmatch(text.strip())
    if match is None:
        return None
    return PlanRef(int(match[1]), int(match[2]), match[3])


@dataclass(frozen=True, slots=True)
class EditedRow:
    """One SKU row of the file: the cells the round trip reads (None: empty)."""

    row: int
    code: str
    new_price: Decimal | None  # the column to edit
    exported_price: Decimal | None  # the campaign price when the file was made
    discount: Decimal | None  # a fraction (0.15); the plan's discount column


@dataclass(slots=True)
class PlanUpload:
    """An uploaded plan file, read. `ref` None: the file names no campaign readably."""

    kind: str  # "XLSX" | "CSV"
    ref: PlanRef | None
    currency: str | None
    rows: list[EditedRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    columns: dict[str, str] = field(default_factory=dict)  # key → header text in the file
    data_rows: int = 0

    def column(self, key: str) -> str:
        return self.columns.get(key, key)


def read_upload(
    filename: str,
    content: bytes,
    channels: dict[str, str],
    default_cost_currency: str,
    locale: str | None = None,
) -> PlanUpload | ParsedFile:
    """What the worker runs for every uploaded spreadsheet: a plan file, else the
    catalogue import's reading of it."""
    upload = read_plan_file(filename, content, locale)
    if upload is not None:
        return upload
    return read_catalogue(filename, content, channels, default_cost_currency, locale)


def shipped_read_upload(
    filename: str,
    content: bytes,
    channels: dict[str, str],
    default_cost_currency: str,
    locale: str | None = None,
) -> tuple[PlanUpload | ParsedFile, Pieces[Any]]:
    """`read_upload` for the pipe back to the bot: the rows apart, in pieces (50,000 rows
    unpickled in one go held the bot's event loop for hundreds of milliseconds)."""
    read = read_upload(filename, content, channels, default_cost_currency, locale)
    rows = Pieces.pack_now(read.rows)
    read.rows = []
    return read, rows


def read_plan_file(filename: str, content: bytes, locale: str | None = None) -> PlanUpload | None:
    """The plan file in `content`, or None when it is not one."""
    if len(content) > MAX_FILE_BYTES:
        raise refuse_size(len(content))
    if content[:4] == b"PK\x03\x04":
        return _read_xlsx(content)
    if tables.is_xlsx(filename, content) or content[:4] == b"\xd0\xcf\x11\xe0":
        return None  # not a zip: the catalogue import words the refusal
    if not _names_plan_column(content):
        return None  # a catalogue: its text is decoded once, by the import
    table = open_file(filename, content, locale)
    try:
        header = [cell.strip().lstrip("\ufeff") for cell in table.header]
        if REF_CSV not in header:
            return None
        return _read_csv(table, header)
    finally:
        table.close()


_REF_MARKS = (REF_CSV.encode(), REF_CSV.encode("utf-16-le"), REF_CSV.encode("utf-16-be"))


def _names_plan_column(content: bytes) -> bool:
    """Whether the CSV's first line names the identity column, judged on the raw bytes
    (the header's keys are ASCII in every encoding a spreadsheet saves CSV in)."""
    end = content.find(b"\n", 0, 64 * 1024)
    first = content[: end if end >= 0 else 64 * 1024]
    return any(mark in first for mark in _REF_MARKS)


# --- XLSX ---------------------------------------------------------------------------------
def _read_xlsx(content: bytes) -> PlanUpload | None:
    if META_SHEET not in tables.sheet_names(content):
        return None
    meta_table = tables.XlsxTable(content, sheet=META_SHEET)
    try:
        if not meta_table.header or meta_table.header[0] != META_MARK:
            return None
        version = meta_table.header[1] if len(meta_table.header) > 1 else ""
        values: dict[str, str] = {}
        labels: dict[str, str] = {}  # header text → key
        for _number, cells in _limited(meta_table.rows([0, 1, 2]), 200):
            name, value, label = (tables.cell_text(cell).strip() for cell in cells)
            if name == "column":
                labels[label] = value
            elif name:
                values[name] = value
    finally:
        meta_table.close()
    if version != str(META_VERSION):
        raise FileRefused(
            N_("This plan file was made by another version of the bot. Export the plan again.")
        )
    ref = parse_ref(values.get("ref", ""))
    currency = values.get("currency") or None
    sheet = values.get("sheet", "")
    try:
        table = tables.XlsxTable(content, sheet=sheet)
    except SheetMissing:
        raise FileRefused(
            N_(
                "The sheet “{sheet}” with the prices is missing from this file. Send the plan "
                "file as I exported it, with that sheet."
            ),
            sheet=sheet,
        ) from None
    try:
        columns: dict[str, int] = {}
        names: dict[str, str] = {}
        for index, text in enumerate(table.header):
            key = labels.get(text.strip())
            if key is not None and key not in columns:
                columns[key] = index
                names[key] = text.strip()
        upload = PlanUpload("XLSX", ref, currency, columns=names)
        missing = [key for key in ("sku", "new_price") if key not in columns]
        if missing:
            label = {v: k for k, v in labels.items()}.get(missing[0], missing[0])
            upload.errors.append(RowError(1, label, InputProblem.REQUIRED))
            return upload
        keys: list[str] = [
            k for k in ("sku", "new_price", "planned_price", "discount") if k in columns
        ]
        indices = [columns[k] for k in keys]
        rows = (
            (number, dict(zip(keys, cells, strict=True))) for number, cells in table.rows(indices)
        )
        _read_rows(upload, rows)
        return upload
    finally:
        table.close()


# --- CSV ----------------------------------------------------------------------------------
_CSV_KEYS = {
    "sku": "sku",
    "enrolled": "enrolled",
    "planned_price": "planned_price",
    "discount_pct": "discount",
    EDIT_CSV: "new_price",
    REF_CSV: "ref",
    "currency": "currency",
}


def _read_csv(table: tables.Table, header: list[str]) -> PlanUpload:
    columns: dict[str, int] = {}
    for index, text in enumerate(header):
        key = _CSV_KEYS.get(text)
        if key is not None and key not in columns:
            columns[key] = index
    names = {key: next(k for k, v in _CSV_KEYS.items() if v == key) for key in columns}
    upload = PlanUpload("CSV", None, None, columns=names)
    missing = [key for key in ("sku", "new_price") if key not in columns]
    if missing:
        upload.errors.append(RowError(1, upload.column(missing[0]), InputProblem.REQUIRED))
        return upload
    keys = list(columns)
    refs: set[str] = set()
    currencies: set[str] = set()

    def rows() -> Iterator[tuple[int, dict[str, tables.Cell]]]:
        for number, cells in table.rows([columns[k] for k in keys]):
            cell_map = dict(zip(keys, cells, strict=True))
            ref = tables.cell_text(cell_map.get("ref", "")).strip()
            currency = tables.cell_text(cell_map.get("currency", "")).strip()
            if ref:
                refs.add(ref)
            if currency:
                currencies.add(currency.upper())
            enrolled = tables.cell_text(cell_map.get("enrolled", "yes")).strip().lower()
            if enrolled == "no":
                edited = tables.cell_text(cell_map.get("new_price", "")).strip()
                if edited:  # a price for a SKU not in the campaign: /enrol adds it
                    code = tables.cell_text(cell_map.get("sku", "")).strip()
                    upload.errors.append(
                        RowError(number, upload.column("new_price"), NOT_ENROLLED_ROW, code)
                    )
                continue
            yield number, cell_map

    # a CSV names its currency on every row: the first one read prices the rows
    _read_rows(upload, rows(), currency_of=lambda: next(iter(currencies), None))
    if len(refs) > 1:
        raise FileRefused(
            N_("This file mixes rows of different plans. Send one campaign's plan file at a time.")
        )
    upload.ref = parse_ref(next(iter(refs))) if refs else None
    if len(currencies) == 1:
        upload.currency = next(iter(currencies))
    return upload


# --- rows ---------------------------------------------------------------------------------
def _limited(
    rows: Iterable[tuple[int, list[tables.Cell]]], limit: int
) -> Iterator[tuple[int, list[tables.Cell]]]:
    for count, item in enumerate(rows, start=1):
        if count > limit:
            break
        yield item


def _discount(text: str) -> Decimal:
    """A discount in percent (15 or 15.5) as a fraction; 0 ≤ discount < 100 %."""
    value = parse_decimal(text)
    if value >= 100:
        raise InputError(InputProblem.OVER_MAXIMUM, text)
    if value.as_tuple().exponent < -4:  # type: ignore[operator]
        raise InputError(InputProblem.TOO_PRECISE, text)
    return value / 100


def _read_rows(
    upload: PlanUpload,
    rows: Iterable[tuple[int, dict[str, tables.Cell]]],
    *,
    currency_of: Callable[[], str | None] | None = None,
) -> None:
    """Parse the data rows into `upload.rows`, every bad cell into `upload.errors`.
    The XLSX's currency is known before the rows; the CSV's is read along with them."""
    seen: dict[str, int] = {}
    for number, cells in rows:
        texts = {
            key: tables.cell_text(cell, percent_field=key == "discount").strip()
            for key, cell in cells.items()
        }
        shown = {
            key: tables.as_written(cell, percent_field=key == "discount")
            for key, cell in cells.items()
        }
        if not any(texts.get(k) for k in ("sku", "new_price", "discount")):
            continue
        upload.data_rows += 1
        if upload.data_rows > MAX_ROWS:
            raise FileRefused(
                N_("This file has more than {limit} rows; I read up to {limit} at a time."),
                limit=str(MAX_ROWS),
            )
        currency = upload.currency
        if currency is None and currency_of is not None:
            currency = currency_of()
        code = unescape(texts.get("sku", ""))
        errors: list[RowError] = []
        if not code:
            errors.append(RowError(number, upload.column("sku"), InputProblem.REQUIRED))
        new_price = _price(upload, number, "new_price", texts, shown, currency, errors)
        # the price at export only tells an edited row from a stale one: unreadable is unknown
        exported = _price(upload, number, "planned_price", texts, shown, currency, [])
        discount = None
        discount_text = texts.get("discount", "")
        if discount_text:
            try:
                discount = _discount(discount_text)
            except InputError as exc:
                errors.append(
                    RowError(number, upload.column("discount"), exc.problem, shown["discount"])
                )
        if code:
            key = code.casefold()
            if key in seen:
                errors.append(RowError(number, upload.column("sku"), InputProblem.DUPLICATE, code))
            else:
                seen[key] = number
        if errors:
            upload.errors.extend(errors)
            continue
        upload.rows.append(EditedRow(number, code, new_price, exported, discount))


def _price(
    upload: PlanUpload,
    number: int,
    key: str,
    texts: dict[str, str],
    shown: dict[str, str],
    currency: str | None,
    errors: list[RowError],
) -> Decimal | None:
    text = texts.get(key, "")
    if not text:
        return None
    try:
        return parse_price(text, currency or "USD", key)
    except InputError as exc:
        errors.append(RowError(number, upload.column(key), exc.problem, shown[key]))
        return None
