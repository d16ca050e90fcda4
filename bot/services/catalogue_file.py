"""The catalogue's file format, pure: bytes → header → parsed rows with every error by row
and column; the export's header and cell rules.

No database and no Telegram, and light to import: the bot runs `read_catalogue` in a
worker process (bot/runtime/workers.py), and the `floors` tool and the tests call it
directly. The use cases over the database (preview, confirm, export) are in
bot/services/imports.py.

File format (the export writes exactly this, so a round trip works):

    sku, name, unit_cost, cost_currency, packaging, first_mile, other_cost, duty_rate,
    list_price@<channel>, lowest_30d@<channel>, …

Header names are matched ignoring case, accents, spaces and punctuation, and the names
in catalogue_headers.toml (every shipped language) are accepted too; an unknown header
that is a near-miss of one is named back ("did you mean"). Percentages are in percent (a
spreadsheet cell formatted as a percentage is read as the percentage it shows). A
plain `list_price` column is allowed when the team has exactly one channel. Empty
listing cells leave the listing as it is; empty cost cells mean 0. Codes and names
must not contain control characters.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.domain.errors import N_, Count
from bot.pricing import (
    DECIMAL_COMMA,
    DECIMAL_POINT,
    InputError,
    InputProblem,
    NumberStyle,
    SkuRowParser,
    minor_unit,
    parse_decimal,
    style_for,
)
from bot.pricing.fields import LISTING_FIELDS, SKU_COST_FIELDS
from bot.services import guess, tables
from bot.services.arguments import TOO_LONG, UNKNOWN_CHANNEL
from bot.services.tables import FileRefused

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_CODE_LENGTH = 64
MAX_NAME_LENGTH = 256

# SKU fields of a catalogue file, in export order; listing fields come per channel.
COST_FIELDS = SKU_COST_FIELDS
VALUE_FIELDS = COST_FIELDS[1:]  # what an import may set on a SKU
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PERCENT_FIELDS = frozenset({"duty_rate"})  # read in percent: 7.5 is 7.5 %
# Codes and names must not carry control characters: a NUL or a bell cannot be typed back
# in a command, and no spreadsheet can hold them (XML 1.0 forbids them).
CONTROL_CHARACTER = "control_character"
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def has_control_characters(text: str) -> bool:
    return _CONTROL.search(text) is not None


# Header names accepted besides the field names, per shipped locale, from one data file
# (catalogue_headers.toml). Compared after `header_key`.
HEADERS_FILE = Path(__file__).with_name("catalogue_headers.toml")


def _load_aliases() -> dict[str, dict[str, tuple[str, ...]]]:
    with HEADERS_FILE.open("rb") as file:
        data = tomllib.load(file)
    return {
        locale: {field_name: tuple(names) for field_name, names in fields.items()}
        for locale, fields in data.items()
    }


HEADER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = _load_aliases()
# A note in brackets after the name: "Unit cost (USD)", "单位成本（元）", "Zoll [%]".
_BRACKETED = re.compile(r"[(\[【].*?[)\]】]")


def header_key(text: str) -> str:
    """A header name as compared: compatibility forms folded (full-width letters and
    brackets), accents of Latin letters dropped, case folded, and only letters and digits
    kept (spaces, '_', '-', '.', '%' … do not count)."""
    text = unicodedata.normalize("NFKC", text.strip().lstrip("\ufeff"))
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(char) and kept and ord(kept[-1]) < 0x250:
            continue  # an accent on a Latin letter: "código" is "codigo"
        kept.append(char)
    folded = unicodedata.normalize("NFC", "".join(kept)).casefold()
    return "".join(char for char in folded if char.isalnum())


def field_of_name(name: str) -> str | None:
    """The field a header names (without its `@channel`): as written, else without a
    note in brackets ("Unit cost (USD)" is a unit cost; "Lowest price (30 days)" needs
    its brackets)."""
    found = ALIASES.get(header_key(name))
    if found is None:
        unbracketed = _BRACKETED.sub("", unicodedata.normalize("NFKC", name))
        if unbracketed != name and header_key(unbracketed):
            found = ALIASES.get(header_key(unbracketed))
    return found


def _alias_index() -> tuple[dict[str, str], dict[str, str]]:
    """Normalised name → field, and → the name as the data file writes it."""
    index: dict[str, str] = {}
    written: dict[str, str] = {}
    for aliases in HEADER_ALIASES.values():
        for field_name, names in aliases.items():
            if field_name not in ALL_FIELDS:
                raise ValueError(f"{HEADERS_FILE.name}: {field_name!r} is not a field")
            for name in (field_name, *names):
                key = header_key(name)
                if index.setdefault(key, field_name) != field_name:
                    raise ValueError(f"header alias {name!r} names two fields")
                written.setdefault(key, name)
    return index, written


ALL_FIELDS = frozenset({*COST_FIELDS, *LISTING_FIELDS})
ALIASES, _WRITTEN = _alias_index()
GUESSED_COLUMNS = 20  # ignored columns the preview looks for a near-miss in


def guess_column(header_text: str) -> str | None:
    """The accepted column name an unknown header is most likely a typo of, as the data
    file writes it (with the header's `@channel`), or None."""
    base, at, channel = header_text.strip().lstrip("\ufeff").partition("@")
    key = header_key(base)
    if not key or field_of_name(base) is not None:
        return None
    found = guess.nearest(key, ALIASES, key=lambda known: known)
    if found is None:
        return None
    return _WRITTEN[found] + (at + channel.strip() if at else "")


def guess_columns(ignored: Sequence[str]) -> dict[str, str]:
    """Unknown headers (the first few) → the accepted name each resembles."""
    guesses: dict[str, str] = {}
    for text in ignored[:GUESSED_COLUMNS]:
        found = guess_column(text)
        if found is not None:
            guesses[text] = found
    return guesses


# --- errors -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class RowError:
    """One refused cell: file row (header = 1), the column as the file names it, why."""

    row: int
    column: str
    problem: str  # an InputProblem value, or the chat layer's own (arguments.PROBLEM_HINTS)
    value: str = ""


def refuse_size(size: int) -> FileRefused:
    return FileRefused(
        N_(
            "This file is {size} MB; I import files up to 5 MB. Split it, or leave out "
            "columns I do not need."
        ),
        size=f"{size / 1024 / 1024:.1f}",
    )


# --- reading tables -------------------------------------------------------------------------
def is_catalogue_file(filename: str | None, mime_type: str | None) -> bool:
    name = (filename or "").lower()
    if name.endswith((".csv", ".xlsx", ".xlsm", ".xls", ".txt", ".tsv")):
        return True  # .xls is refused with a hint to save it as XLSX or CSV
    return (mime_type or "") in {
        "text/csv",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.ms-excel",
    }


def _too_many_rows() -> FileRefused:
    return FileRefused(
        N_("This file has more than {limit} rows; I import up to {limit} at a time. Split it."),
        limit=Count(MAX_ROWS),
    )


def _field_of(header_text: str) -> str | None:
    return field_of_name(header_text.strip().lstrip("\ufeff").partition("@")[0])


def header_score(cells: list[str]) -> int:
    """How many cells of a candidate header row name a column the import reads."""
    return sum(1 for cell in cells if _field_of(cell) is not None)


def open_file(filename: str, content: bytes, locale: str | None = None) -> tables.Table:
    """The file as a `tables.Table`, after the checks every upload gets."""
    if len(content) > MAX_FILE_BYTES:
        raise refuse_size(len(content))
    if filename.lower().endswith(".xls") or content[:4] == b"\xd0\xcf\x11\xe0":
        raise FileRefused(
            N_(
                "I cannot read old .xls files (or password-protected workbooks). Save it as "
                "XLSX or as CSV (UTF-8) and send it again."
            )
        )
    return tables.open_table(filename, content, locale=locale, header_score=header_score)


def read_table(filename: str, content: bytes, locale: str | None = None) -> list[list[str]]:
    """All rows (header first, then one list per file row up to the last with cells) as
    cell texts, as wide as the header; refuses more than MAX_ROWS data rows."""
    table = open_file(filename, content, locale)
    try:
        header = table.header
        percent = [_field_of(text) in PERCENT_FIELDS for text in header]
        rows: list[list[str]] = [header]
        for number, cells in table.rows(range(len(header))):
            if number > MAX_ROWS + 1:
                raise _too_many_rows()
            while len(rows) < number - 1:
                rows.append([])
            rows.append(
                [
                    tables.cell_text(cell, percent_field=is_percent)
                    for cell, is_percent in zip(cells, percent, strict=True)
                ]
            )
    finally:
        table.close()
    while len(rows) > 1 and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    return rows


def read_catalogue(
    filename: str,
    content: bytes,
    channels: Mapping[str, str],
    default_cost_currency: str,
    locale: str | None = None,
) -> ParsedFile:
    """Read and parse an uploaded file (the worker process's job): resolve the header
    first, then read only the columns it names. `channels`: the team's channel name →
    sale currency."""
    table = open_file(filename, content, locale)
    try:
        if not any(cell.strip() for cell in table.header):
            return ParsedFile((), [], [], [RowError(1, "sku", "no_header")], [])
        full = resolve_header(table.header, channels)
        if full.errors:
            return ParsedFile((), full.listings, [], full.errors, full.ignored)
        keep = sorted({*full.columns.values(), *(c.index for c in full.listings)})
        position = {index: i for i, index in enumerate(keep)}
        header = Header(
            {name: position[index] for name, index in full.columns.items()},
            full.names,
            [replace(c, index=position[c.index]) for c in full.listings],
            full.ignored,
            [],
        )
        percent = [False] * len(keep)
        for name in PERCENT_FIELDS & header.columns.keys():
            percent[header.columns[name]] = True
        rows = (
            (
                number,
                [
                    tables.cell_text(cell, percent_field=is_percent)
                    for cell, is_percent in zip(cells, percent, strict=True)
                ],
            )
            for number, cells in table.rows(keep)
        )
        return _parse_rows(header, rows, default_cost_currency, file_style(table, locale))
    finally:
        table.close()


def file_style(table: tables.Table, locale: str | None) -> NumberStyle | None:
    """How a file's text numbers are written (SPEC §4.2): a `;`-separated CSV uses decimal
    commas, a `,`-separated one decimal points; otherwise (tabs, an XLSX's text cells) as
    the reader writes them. Typed XLSX cells arrive as plain digits and read the same in
    every style."""
    delimiter = table.delimiter if isinstance(table, tables.CsvTable) else None
    if delimiter == ";":
        return DECIMAL_COMMA
    if delimiter == ",":
        return DECIMAL_POINT
    return style_for(locale)


# --- header --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ListingColumn:
    index: int
    field: str  # list_price | lowest_30d
    channel: str
    currency: str
    header: str


@dataclass(slots=True)
class Header:
    columns: dict[str, int]  # SKU field → column index
    names: dict[str, str]  # SKU field → the header text the file uses
    listings: list[ListingColumn]
    ignored: list[str]
    errors: list[RowError]


def _unknown_listing_channel(header: str, channels: Mapping[str, str]) -> RowError:
    return RowError(1, header, UNKNOWN_CHANNEL, header)


def resolve_header(cells: Sequence[str], channels: Mapping[str, str]) -> Header:
    """Map header cells to fields; `channels` is the team's channel name → sale currency."""
    header = Header({}, {}, [], [], [])
    seen_listings: set[tuple[str, str]] = set()
    for index, raw in enumerate(cells):
        text = raw.strip().lstrip("\ufeff")
        if not text:
            continue
        base, at, channel_part = text.partition("@")
        field_name = field_of_name(base)
        if field_name is None:
            header.ignored.append(text)
            continue
        if field_name in LISTING_FIELDS:
            if at:
                channel = channel_part.strip().lower()
            elif len(channels) == 1:
                channel = next(iter(channels))
            else:
                header.errors.append(RowError(1, text, "listing_needs_channel", text))
                continue
            if channel not in channels:
                header.errors.append(_unknown_listing_channel(text, channels))
                continue
            if (field_name, channel) in seen_listings:
                header.errors.append(RowError(1, text, InputProblem.DUPLICATE, text))
                continue
            seen_listings.add((field_name, channel))
            header.listings.append(
                ListingColumn(index, field_name, channel, channels[channel], text)
            )
            continue
        if at:
            header.errors.append(RowError(1, text, InputProblem.MALFORMED, text))
        elif field_name in header.columns:
            header.errors.append(RowError(1, text, InputProblem.DUPLICATE, text))
        else:
            header.columns[field_name] = index
            header.names[field_name] = text
    if "sku" not in header.columns:
        header.errors.append(RowError(1, "sku", InputProblem.REQUIRED))
    return header


# --- rows ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ImportRow:
    """One SKU of the file: values of the SKU fields the file has (in `ParsedFile.fields`
    order) and of its listing columns (None: leave the listing's value as it is)."""

    row: int
    code: str
    values: tuple[Any, ...]
    listing_values: tuple[Decimal | None, ...]


@dataclass(slots=True)
class ParsedFile:
    fields: tuple[str, ...]  # SKU fields present (without "sku")
    listings: list[ListingColumn]
    rows: list[ImportRow]
    errors: list[RowError]
    ignored: list[str]
    data_rows: int = 0

    @property
    def has_unit_cost(self) -> bool:
        return "unit_cost" in self.fields


def unescape(text: str) -> str:
    """Undo the export's formula-injection escape ("'=x" → "=x")."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


class _PriceParser:
    """List prices for one currency: > 0, on the currency's minor unit; memoised."""

    __slots__ = ("_memo", "_style", "_unit", "currency")

    def __init__(self, currency: str, style: NumberStyle | None = None) -> None:
        self.currency = currency
        self._unit = minor_unit(currency)
        self._style = style
        self._memo: dict[str, Decimal] = {}

    def __call__(self, text: str, field_name: str) -> Decimal | None:
        price = self._memo.get(text)
        if price is not None:
            return price
        stripped = text.strip()
        if not stripped:
            return None
        try:
            price = parse_decimal(stripped, style=self._style)
        except InputError as exc:
            raise exc.with_field(field_name) from None
        if price <= 0:
            raise InputError(InputProblem.NOT_POSITIVE, text, field_name)
        if price % self._unit:
            raise InputError(InputProblem.TOO_MANY_DECIMALS, text, field_name, limit=self.currency)
        price = price.quantize(self._unit)
        if len(self._memo) < 10_000:
            self._memo[text] = price
        return price


def parse_price(
    text: str, currency: str, field_name: str = "list_price", style: NumberStyle | None = None
) -> Decimal | None:
    """A shelf price in `currency` (None for an empty text), written in `style`; raises
    `InputError`."""
    return _PriceParser(currency, style)(text, field_name)


_PROBE_DEFAULTS = {"sku": "X", "unit_cost": "0"}


class RowParser:
    """Parses data rows against a resolved header, collecting every error."""

    def __init__(
        self, header: Header, default_cost_currency: str, style: NumberStyle | None = None
    ) -> None:
        self.header = header
        columns = header.columns
        self.fields = tuple(f for f in VALUE_FIELDS if f in columns)
        width = max([*columns.values(), *(c.index for c in header.listings), 0]) + 1
        self._synthetic_unit_cost = "unit_cost" not in columns
        names = [""] * (width + (1 if self._synthetic_unit_cost else 0))
        for name, index in columns.items():
            names[index] = name
        if self._synthetic_unit_cost:  # an update-only file: costs stay as they are
            names[width] = "unit_cost"
        self._width = width
        self._parser = SkuRowParser(names, "USD", default_cost_currency, style)
        self._probe_names = names
        self._default_currency = default_cost_currency
        self._prices = {c.currency: _PriceParser(c.currency, style) for c in header.listings}
        self._field_getters = [_PARSED_INDEX[f] for f in self.fields]

    def parse(self, number: int, cells: list[str]) -> tuple[ImportRow | None, list[RowError]]:
        if len(cells) < self._width:
            cells = [*cells, *[""] * (self._width - len(cells))]
        if self._synthetic_unit_cost:
            cells = [*cells[: self._width], "0"]
        errors: list[RowError] = []
        parsed = None
        try:
            parsed = self._parser.parse(cells)
        except InputError as exc:
            errors = self._all_errors(number, cells) or [
                RowError(number, exc.field or "?", exc.problem, str(exc.value or ""))
            ]
        listing_values: list[Decimal | None] = []
        for column in self.header.listings:
            text = cells[column.index]
            try:
                listing_values.append(self._prices[column.currency](text, column.field))
            except InputError as exc:
                errors.append(RowError(number, column.header, exc.problem, text))
        code = unescape(cells[self.header.columns["sku"]].strip())
        if len(code) > MAX_CODE_LENGTH:
            errors.append(RowError(number, self.header.names["sku"], TOO_LONG, code))
        elif not code.isprintable():  # as `/sku add` refuses it
            errors.append(RowError(number, self.header.names["sku"], CONTROL_CHARACTER, code))
        name: str | None = None
        if "name" in self.header.columns:
            name = unescape(cells[self.header.columns["name"]].strip())
            if len(name) > MAX_NAME_LENGTH:
                errors.append(RowError(number, self.header.names["name"], TOO_LONG, name))
            elif has_control_characters(name):
                errors.append(RowError(number, self.header.names["name"], CONTROL_CHARACTER, name))
        if parsed is None or errors:
            return None, errors
        values = tuple(parsed[i] for i in self._field_getters)
        if name is not None:
            values = tuple(
                name if f == "name" else v for f, v in zip(self.fields, values, strict=True)
            )
        return ImportRow(number, code, values, tuple(listing_values)), []

    def _all_errors(self, number: int, cells: list[str]) -> list[RowError]:
        """The slow path for a bad row: probe each SKU field alone, so every bad cell of
        the row is reported (the fast parser stops at the first)."""
        errors = []
        for name, index in self.header.columns.items():
            probe = [_PROBE_DEFAULTS.get(n, "") for n in self._probe_names]
            probe[index] = cells[index]
            try:
                self._parser.parse(probe)
            except InputError as exc:
                errors.append(RowError(number, self.header.names[name], exc.problem, cells[index]))
        return errors


_PARSED_INDEX = {
    "name": 1,
    "unit_cost": 2,
    "cost_currency": 3,
    "packaging": 4,
    "first_mile": 5,
    "other_cost": 6,
    "duty_rate": 7,
}


def parse_table(
    table: Sequence[list[str]], channels: Mapping[str, str], default_cost_currency: str
) -> ParsedFile:
    """Parse a whole table of texts (header first); every error by row and column,
    duplicates included."""
    if not table or not any(cell.strip() for cell in table[0]):
        return ParsedFile((), [], [], [RowError(1, "sku", "no_header")], [])
    header = resolve_header(table[0], channels)
    if header.errors:
        return ParsedFile((), header.listings, [], header.errors, header.ignored)
    return _parse_rows(header, enumerate(table[1:], start=2), default_cost_currency)


def _parse_rows(
    header: Header,
    table: Iterable[tuple[int, list[str]]],
    default_cost_currency: str,
    style: NumberStyle | None = None,
) -> ParsedFile:
    parser = RowParser(header, default_cost_currency, style)
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}
    data_rows = 0
    sku_column = header.names["sku"]
    for number, cells in table:
        if not any(cell.strip() for cell in cells):
            continue
        data_rows += 1
        if data_rows > MAX_ROWS:
            raise _too_many_rows()
        row, row_errors = parser.parse(number, cells)
        if row_errors:
            errors.extend(row_errors)
            continue
        assert row is not None
        first = first_row.setdefault(row.code, number)
        if first != number:
            errors.append(RowError(number, sku_column, InputProblem.DUPLICATE, row.code))
            continue
        rows.append(row)
    return ParsedFile(parser.fields, header.listings, rows, errors, header.ignored, data_rows)


# --- export ---------------------------------------------------------------------------------
def export_header(channel_names: Sequence[str]) -> list[str]:
    columns = list(COST_FIELDS)
    for name in channel_names:
        columns += [f"list_price@{name}", f"lowest_30d@{name}"]
    return columns


def escape_formula(text: str) -> str:
    """Spreadsheets run a cell starting with = + - @ (or tab/CR) as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def percent_value(fraction: Decimal) -> Decimal:
    """A stored fraction as the percent a file carries: 0.075 → 7.5, 0.15 → 15."""
    percent = fraction.scaleb(2)
    integral = percent.to_integral_value()
    return integral.quantize(Decimal(1)) if percent == integral else percent.normalize()


@dataclass(frozen=True, slots=True)
class CatalogueTable:
    """The catalogue as the export writes it (bot/views/exports.py builds the files)."""

    header: list[str]
    rows: list[list[Decimal | str | None]]
