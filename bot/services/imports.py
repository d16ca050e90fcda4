"""Catalogue files: CSV/XLSX import (preview, then all-or-nothing apply) and export.

The first half is pure: bytes → table → header → parsed rows with every error
by row and column, and the export writers. The second half holds the use cases
over the unit of work: the preview (stores the parsed rows in `PendingImport`)
and the confirmation (bulk inserts and updates in one transaction).

File format (the export writes exactly this, so a round trip works):

    sku, name, unit_cost, cost_currency, packaging, first_mile, other_cost, duty_rate,
    list_price@<channel>, lowest_30d@<channel>, …

Header names are matched case-insensitively, ignoring spaces, '_' and '-', and the
translated names of `HEADER_ALIASES` are accepted too. Percentages are in percent.
A plain `list_price` column is allowed when the team has exactly one channel.
Empty listing cells leave the listing as it is; empty cost cells mean 0.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update

from bot.db.models import Channel, Listing, PendingImport, PriceHistory, Sku
from bot.db.uow import UnitOfWork
from bot.domain.errors import N_, Conflict, Count
from bot.domain.permissions import Action
from bot.pricing import (
    InputError,
    InputProblem,
    SkuRowParser,
    minor_unit,
    parse_decimal,
)
from bot.pricing.fields import LISTING_FIELDS, SKU_COST_FIELDS
from bot.services import margins, tables
from bot.services.access import TeamAccess
from bot.services.arguments import TOO_LONG, UNKNOWN_CHANNEL
from bot.services.tables import FileRefused as FileRefused  # re-exported for callers

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
PENDING_TTL = timedelta(hours=24)
MAX_CODE_LENGTH = 64
MAX_NAME_LENGTH = 256
FORMAT_VERSION = 1

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


# Header names accepted besides the field names, per shipped locale. Compared after
# `header_key` (lower case, without spaces, '_' and '-').
HEADER_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "sku": ("sku", "code", "sku code", "item code", "seller sku"),
        "name": ("name", "title", "product name"),
        "unit_cost": ("unit cost", "cost", "purchase cost"),
        "cost_currency": ("cost currency",),
        "packaging": ("packaging", "packaging cost"),
        "first_mile": ("first mile", "first mile cost", "freight"),
        "other_cost": ("other cost", "other costs"),
        "duty_rate": ("duty rate", "duty", "tariff"),
        "list_price": ("list price", "price", "regular price"),
        "lowest_30d": ("lowest 30d", "lowest price 30 days", "lowest 30 days"),
    },
    "zh_CN": {
        "sku": ("货号", "sku编码", "商品编码", "编码"),
        "name": ("名称", "商品名称", "品名"),
        "unit_cost": ("单位成本", "采购成本", "采购价", "成本", "进价"),
        "cost_currency": ("成本币种", "成本货币", "币种"),
        "packaging": ("包装", "包装费", "包装成本"),
        "first_mile": ("头程", "头程运费", "头程费用"),
        "other_cost": ("其他成本", "其他费用"),
        "duty_rate": ("关税率", "关税"),
        "list_price": ("售价", "标价", "原价", "定价"),
        "lowest_30d": ("30天最低价", "近30天最低价"),
    },
    "ko": {
        "sku": ("상품코드", "품번"),
        "name": ("상품명", "이름"),
        "unit_cost": ("단가", "원가", "매입가"),
        "cost_currency": ("원가 통화", "통화"),
        "packaging": ("포장비",),
        "first_mile": ("초기 운송비", "퍼스트 마일"),
        "other_cost": ("기타 비용",),
        "duty_rate": ("관세율",),
        "list_price": ("정가", "판매가"),
        "lowest_30d": ("30일 최저가",),
    },
    "es": {
        "sku": ("código", "referencia"),
        "name": ("nombre",),
        "unit_cost": ("costo unitario", "coste unitario", "costo", "coste"),
        "cost_currency": ("moneda del costo", "moneda de coste", "moneda"),
        "packaging": ("embalaje",),
        "first_mile": ("primera milla", "flete"),
        "other_cost": ("otros costos", "otros costes"),
        "duty_rate": ("arancel", "tasa arancelaria"),
        "list_price": ("precio de lista", "precio"),
        "lowest_30d": ("precio mínimo 30 días", "mínimo 30 días"),
    },
    "de": {
        "sku": ("artikelnummer", "artikel-nr"),
        "name": ("bezeichnung",),
        "unit_cost": ("stückkosten", "einkaufspreis", "einstandspreis"),
        "cost_currency": ("kostenwährung", "währung"),
        "packaging": ("verpackung",),
        "first_mile": ("vorlauffracht", "erste meile", "vorlauf"),
        "other_cost": ("sonstige kosten",),
        "duty_rate": ("zollsatz", "zoll"),
        "list_price": ("listenpreis", "preis"),
        "lowest_30d": ("tiefstpreis 30 tage", "niedrigster preis 30 tage"),
    },
    "pt_BR": {
        "sku": ("código",),
        "name": ("nome",),
        "unit_cost": ("custo unitário", "custo"),
        "cost_currency": ("moeda do custo", "moeda"),
        "packaging": ("embalagem",),
        "first_mile": ("primeira milha", "frete"),
        "other_cost": ("outros custos",),
        "duty_rate": ("imposto de importação", "alíquota de importação", "tarifa"),
        "list_price": ("preço de tabela", "preço de lista", "preço"),
        "lowest_30d": ("menor preço 30 dias",),
    },
}
_HEADER_NOISE = re.compile(r"[\s_\-]+")


def header_key(text: str) -> str:
    return _HEADER_NOISE.sub("", text.strip().lstrip("\ufeff").lower())


def _alias_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for aliases in HEADER_ALIASES.values():
        for field_name, names in aliases.items():
            for name in (field_name, *names):
                key = header_key(name)
                if index.setdefault(key, field_name) != field_name:
                    raise ValueError(f"header alias {name!r} names two fields")
    return index


ALIASES = _alias_index()


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
    base = header_text.strip().lstrip("\ufeff").partition("@")[0]
    return ALIASES.get(header_key(base))


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
        return _parse_rows(header, rows, default_cost_currency)
    finally:
        table.close()


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
        field_name = ALIASES.get(header_key(base))
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


def _unescape(text: str) -> str:
    """Undo the export's formula-injection escape ("'=x" → "=x")."""
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_PREFIXES:
        return text[1:]
    return text


class _PriceParser:
    """List prices for one currency: > 0, on the currency's minor unit; memoised."""

    __slots__ = ("_memo", "_unit", "currency")

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._unit = minor_unit(currency)
        self._memo: dict[str, Decimal] = {}

    def __call__(self, text: str, field_name: str) -> Decimal | None:
        price = self._memo.get(text)
        if price is not None:
            return price
        stripped = text.strip()
        if not stripped:
            return None
        try:
            price = parse_decimal(stripped)
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


def parse_price(text: str, currency: str, field_name: str = "list_price") -> Decimal | None:
    """A shelf price in `currency` (None for an empty text); raises `InputError`."""
    return _PriceParser(currency)(text, field_name)


_PROBE_DEFAULTS = {"sku": "X", "unit_cost": "0"}


class RowParser:
    """Parses data rows against a resolved header, collecting every error."""

    def __init__(self, header: Header, default_cost_currency: str) -> None:
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
        self._parser = SkuRowParser(names, "USD", default_cost_currency)
        self._probe_names = names
        self._default_currency = default_cost_currency
        self._prices = {c.currency: _PriceParser(c.currency) for c in header.listings}
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
        code = _unescape(cells[self.header.columns["sku"]].strip())
        if len(code) > MAX_CODE_LENGTH:
            errors.append(RowError(number, self.header.names["sku"], TOO_LONG, code))
        elif not code.isprintable():  # as `/sku add` refuses it
            errors.append(RowError(number, self.header.names["sku"], CONTROL_CHARACTER, code))
        name: str | None = None
        if "name" in self.header.columns:
            name = _unescape(cells[self.header.columns["name"]].strip())
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
    header: Header, table: Iterable[tuple[int, list[str]]], default_cost_currency: str
) -> ParsedFile:
    parser = RowParser(header, default_cost_currency)
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


async def catalogue_table(uow: UnitOfWork, access: TeamAccess) -> CatalogueTable:
    """The team's catalogue in the import format (cost fields, then listings per channel)."""
    access.require(Action.READ)
    channels = list(
        (
            await uow.session.execute(
                select(Channel.id, Channel.name)
                .where(Channel.team_id == access.team_id)
                .order_by(Channel.name)
            )
        ).all()
    )
    position = {channel_id: i for i, (channel_id, _) in enumerate(channels)}
    skus = (
        await uow.session.execute(
            select(
                Sku.id,
                Sku.code,
                Sku.name,
                Sku.unit_cost,
                Sku.cost_currency,
                Sku.packaging,
                Sku.first_mile,
                Sku.other_cost,
                Sku.duty_rate,
            )
            .where(Sku.team_id == access.team_id)
            .order_by(Sku.code)
        )
    ).all()
    listing_rows = (
        await uow.session.execute(
            select(Listing.sku_id, Listing.channel_id, Listing.list_price, Listing.lowest_30d)
            .join(Sku, Sku.id == Listing.sku_id)
            .where(Sku.team_id == access.team_id)
        )
    ).all()
    listings: dict[int, list[Decimal | None]] = {}
    for sku_id, channel_id, list_price, lowest in listing_rows:
        cells = listings.setdefault(sku_id, [None] * (2 * len(channels)))
        cells[2 * position[channel_id]] = list_price
        cells[2 * position[channel_id] + 1] = lowest
    empty = [None] * (2 * len(channels))
    rows: list[list[Decimal | str | None]] = [
        [
            code,
            name,
            unit_cost,
            currency,
            packaging,
            first_mile,
            other_cost,
            percent_value(duty),
            *listings.get(sku_id, empty),
        ]
        for sku_id, code, name, unit_cost, currency, packaging, first_mile, other_cost, duty in skus
    ]
    return CatalogueTable(export_header([name for _, name in channels]), rows)


# --- preview and apply ------------------------------------------------------------------------
@dataclass(slots=True)
class ImportPlan:
    """What applying the file would do to the catalogue as it is now."""

    new: list[ImportRow] = field(default_factory=list)
    changed: list[tuple[int, ImportRow]] = field(default_factory=list)  # (sku id, row)
    unchanged: int = 0
    missing_cost: list[RowError] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One value a changed row would change: a SKU field, or `list_price@channel` /
    `lowest_30d@channel`; amounts carry their currency."""

    field: str
    before: Any
    after: Any
    currency: str | None = None


@dataclass(frozen=True, slots=True)
class RowChange:
    code: str
    changes: tuple[FieldChange, ...]


PREVIEW_CHANGES = 5  # changed rows the preview spells out
_AMOUNT_FIELDS = frozenset({"unit_cost", "packaging", "first_mile", "other_cost"})


@dataclass(frozen=True, slots=True)
class ImportPreview:
    pending_id: int | None  # None when there are errors (nothing to confirm)
    filename: str
    data_rows: int
    new: int
    changed: int
    unchanged: int
    errors: list[RowError]
    ignored: list[str]
    changes: list[RowChange] = field(default_factory=list)  # the first few changed rows


@dataclass(frozen=True, slots=True)
class ImportResult:
    filename: str
    new: int
    changed: int
    unchanged: int
    price_changes: int


@dataclass(frozen=True, slots=True)
class _Existing:
    skus: dict[str, tuple[int, tuple[Any, ...]]]  # code → (id, values of the file's fields)
    listings: dict[tuple[int, int], tuple[int, Decimal | None, Decimal | None]]
    channel_ids: dict[str, int]


async def _channels_by_name(uow: UnitOfWork, team_id: int) -> dict[str, tuple[int, str]]:
    rows = await uow.session.execute(
        select(Channel.name, Channel.id, Channel.currency).where(Channel.team_id == team_id)
    )
    return {name: (channel_id, currency) for name, channel_id, currency in rows}


async def _existing(
    uow: UnitOfWork, team_id: int, fields: Sequence[str], channel_ids: dict[str, int]
) -> _Existing:
    columns = [getattr(Sku, f) for f in fields]
    skus: dict[str, tuple[int, tuple[Any, ...]]] = {}
    for row in await uow.session.execute(
        select(Sku.code, Sku.id, *columns).where(Sku.team_id == team_id)
    ):
        skus[row[0]] = (row[1], tuple(row[2:]))
    listings: dict[tuple[int, int], tuple[int, Decimal | None, Decimal | None]] = {}
    if channel_ids:
        for listing_id, sku_id, channel_id, list_price, lowest in await uow.session.execute(
            select(
                Listing.id,
                Listing.sku_id,
                Listing.channel_id,
                Listing.list_price,
                Listing.lowest_30d,
            ).where(Listing.channel_id.in_(list(channel_ids.values())))
        ):
            listings[(sku_id, channel_id)] = (listing_id, list_price, lowest)
    return _Existing(skus, listings, channel_ids)


def _same(stored: Any, new: Any) -> bool:
    return bool(stored == new)  # Decimals by value: 12.50 is 12.5


def _listing_changes(
    parsed: ParsedFile, row: ImportRow, sku_id: int | None, existing: _Existing
) -> bool:
    for column, value in zip(parsed.listings, row.listing_values, strict=True):
        if value is None:
            continue
        if sku_id is None:
            return True
        current = existing.listings.get((sku_id, existing.channel_ids[column.channel]))
        if current is None:
            return True
        stored = current[1] if column.field == "list_price" else current[2]
        if stored != value:
            return True
    return False


def plan_import(parsed: ParsedFile, existing: _Existing) -> ImportPlan:
    plan = ImportPlan()
    sku_column = "unit_cost"
    for row in parsed.rows:
        found = existing.skus.get(row.code)
        if found is None:
            if not parsed.has_unit_cost:
                plan.missing_cost.append(RowError(row.row, sku_column, "new_needs_cost", row.code))
                continue
            plan.new.append(row)
            continue
        sku_id, stored = found
        same_values = all(_same(a, b) for a, b in zip(stored, row.values, strict=True))
        if same_values and not _listing_changes(parsed, row, sku_id, existing):
            plan.unchanged += 1
        else:
            plan.changed.append((sku_id, row))
    return plan


def _encode(parsed: ParsedFile) -> dict[str, Any]:
    def cell(value: Any) -> Any:
        return format(value, "f") if isinstance(value, Decimal) else value

    return {
        "v": FORMAT_VERSION,
        "fields": list(parsed.fields),
        "listings": [[c.field, c.channel, c.currency, c.header] for c in parsed.listings],
        "data_rows": parsed.data_rows,
        "rows": [
            [row.row, row.code, *map(cell, row.values), *map(cell, row.listing_values)]
            for row in parsed.rows
        ],
    }


_TEXT_FIELDS = frozenset({"name", "cost_currency"})


def _decode_pending(data: Mapping[str, Any]) -> ParsedFile:
    if data.get("v") != FORMAT_VERSION:
        raise ValueError("unknown pending import format")
    fields = tuple(data["fields"])
    listings = [ListingColumn(-1, f, ch, ccy, h) for f, ch, ccy, h in data["listings"]]
    width = len(fields)
    text_at = [f in _TEXT_FIELDS for f in fields]
    rows = []
    for raw in data["rows"]:
        values = tuple(
            v if is_text else Decimal(v)
            for v, is_text in zip(raw[2 : 2 + width], text_at, strict=True)
        )
        listing_values = tuple(None if v is None else Decimal(v) for v in raw[2 + width :])
        rows.append(ImportRow(raw[0], raw[1], values, listing_values))
    return ParsedFile(fields, listings, rows, [], [], data.get("data_rows", len(rows)))


async def import_context(uow: UnitOfWork, access: TeamAccess) -> tuple[dict[str, str], str]:
    """What reading a file needs from the database (for `read_catalogue`): the team's
    channel name → sale currency, and its default cost currency."""
    access.require(Action.EDIT_CATALOG)
    channels = await _channels_by_name(uow, access.team_id)
    return {name: currency for name, (_, currency) in channels.items()}, access.team.cost_currency


async def preview_import(
    uow: UnitOfWork,
    access: TeamAccess,
    filename: str,
    source: Sequence[list[str]] | ParsedFile,
    now: datetime,
) -> ImportPreview:
    """Compare a parsed file (`read_catalogue`, or a table of texts from `read_table`) with
    the catalogue; keep the rows for confirmation only when there are no errors."""
    access.require(Action.EDIT_CATALOG)
    channels = await _channels_by_name(uow, access.team_id)
    currencies = {name: currency for name, (_, currency) in channels.items()}
    if isinstance(source, ParsedFile):
        parsed = source
        for column in parsed.listings:
            if currencies.get(column.channel) != column.currency:
                raise Conflict(
                    N_(
                        "Channel “{name}” was deleted or changed since the preview. Send the "
                        "file again."
                    ),
                    name=column.channel,
                )
    else:
        parsed = parse_table(source, currencies, access.team.cost_currency)
    channel_ids = {name: channel_id for name, (channel_id, _) in channels.items()}
    existing = await _existing(uow, access.team_id, parsed.fields, channel_ids)
    plan = plan_import(parsed, existing)
    errors = sorted([*parsed.errors, *plan.missing_cost], key=lambda e: e.row)
    pending_id = None
    await uow.session.execute(
        delete(PendingImport).where(
            PendingImport.user_id == access.user.id, PendingImport.created_at < now - PENDING_TTL
        )
    )
    if not errors and (plan.new or plan.changed):
        pending = PendingImport(
            team_id=access.team_id,
            user_id=access.user.id,
            filename=filename[:256],
            rows=_encode(parsed),
            created_at=now,
        )
        uow.session.add(pending)
        await uow.session.flush()
        pending_id = pending.id
    changes = [] if errors else await _row_changes(uow, parsed, plan, existing)
    return ImportPreview(
        pending_id=pending_id,
        filename=filename,
        data_rows=parsed.data_rows,
        new=len(plan.new),
        changed=len(plan.changed),
        unchanged=plan.unchanged,
        errors=errors,
        ignored=parsed.ignored,
        changes=changes,
    )


async def _row_changes(
    uow: UnitOfWork, parsed: ParsedFile, plan: ImportPlan, existing: _Existing
) -> list[RowChange]:
    """What the first few changed rows change, old and new value (with the currency)."""
    shown = plan.changed[:PREVIEW_CHANGES]
    if not shown:
        return []
    stored_currency = dict(
        (
            await uow.session.execute(
                select(Sku.id, Sku.cost_currency).where(Sku.id.in_([i for i, _ in shown]))
            )
        ).all()
    )
    result = []
    for sku_id, row in shown:
        values = dict(zip(parsed.fields, row.values, strict=True))
        before = dict(zip(parsed.fields, existing.skus[row.code][1], strict=True))
        currency = values.get("cost_currency") or stored_currency.get(sku_id)
        changes = [
            FieldChange(
                name,
                before[name],
                values[name],
                currency if name in _AMOUNT_FIELDS else None,
            )
            for name in parsed.fields
            if not _same(before[name], values[name])
        ]
        for column, value in zip(parsed.listings, row.listing_values, strict=True):
            if value is None:
                continue
            current = existing.listings.get((sku_id, existing.channel_ids[column.channel]))
            old = None if current is None else current[1 if column.field == "list_price" else 2]
            if old != value:
                changes.append(
                    FieldChange(f"{column.field}@{column.channel}", old, value, column.currency)
                )
        result.append(RowChange(row.code, tuple(changes)))
    return result


async def pending_import(
    uow: UnitOfWork, access: TeamAccess, pending_id: int, now: datetime
) -> PendingImport | None:
    """The actor's own pending import in this team, if it is still fresh."""
    pending = await uow.session.scalar(
        select(PendingImport).where(
            PendingImport.id == pending_id,
            PendingImport.team_id == access.team_id,
            PendingImport.user_id == access.user.id,
        )
    )
    if pending is None or pending.created_at < now - PENDING_TTL:
        return None
    return pending


async def cancel_import(uow: UnitOfWork, pending: PendingImport) -> None:
    await uow.session.delete(pending)


async def apply_import(
    uow: UnitOfWork, access: TeamAccess, pending: PendingImport, now: datetime
) -> ImportResult:
    """Apply a confirmed import in the caller's transaction: all rows or none."""
    access.require(Action.EDIT_CATALOG)
    parsed = _decode_pending(pending.rows)
    channels = await _channels_by_name(uow, access.team_id)
    for column in parsed.listings:
        found = channels.get(column.channel)
        if found is None or found[1] != column.currency:
            raise Conflict(
                N_(
                    "Channel “{name}” was deleted or changed since the preview. Send the file "
                    "again."
                ),
                name=column.channel,
            )
    channel_ids = {name: channel_id for name, (channel_id, _) in channels.items()}
    existing = await _existing(uow, access.team_id, parsed.fields, channel_ids)
    plan = plan_import(parsed, existing)
    if plan.missing_cost:
        raise Conflict(
            N_("Some SKUs of this file were deleted since the preview. Send the file again.")
        )
    session = uow.session
    fields = parsed.fields
    if plan.new:
        defaults: dict[str, Any] = {
            "name": "",
            "cost_currency": access.team.cost_currency,
            "packaging": Decimal(0),
            "first_mile": Decimal(0),
            "other_cost": Decimal(0),
            "duty_rate": Decimal(0),
        }
        await session.execute(
            insert(_SKUS),
            [
                {
                    **defaults,
                    **dict(zip(fields, row.values, strict=True)),
                    "team_id": access.team_id,
                    "code": row.code,
                    "created_at": now,
                    "updated_at": now,
                }
                for row in plan.new
            ],
        )
    changed_values = [
        (sku_id, row)
        for sku_id, row in plan.changed
        if not all(_same(a, b) for a, b in zip(existing.skus[row.code][1], row.values, strict=True))
    ]
    await _bulk_update(
        uow,
        _SKUS,
        [
            {"id": sku_id, **dict(zip(fields, row.values, strict=True)), "updated_at": now}
            for sku_id, row in changed_values
        ],
    )
    price_changes = await _apply_listings(uow, access, parsed, plan, existing, now)
    changed_ids = [sku_id for sku_id, _ in plan.changed]
    if changed_ids:
        await margins.recheck_margins(uow, access.team_id, now, sku_ids=changed_ids)
    await session.delete(pending)
    return ImportResult(
        pending.filename, len(plan.new), len(plan.changed), plan.unchanged, price_changes
    )


# Bulk writes go through Core (executemany), not the ORM's per-object bookkeeping.
_SKUS = cast(Table, Sku.__table__)
_LISTINGS = cast(Table, Listing.__table__)
_PRICE_HISTORY = cast(Table, PriceHistory.__table__)


async def _bulk_update(uow: UnitOfWork, table: Table, rows: list[dict[str, Any]]) -> None:
    """UPDATE table SET … WHERE id = … for many rows with the same keys, in one executemany."""
    if not rows:
        return
    keys = [key for key in rows[0] if key != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values({key: bindparam(f"new_{key}") for key in keys})
    )
    await uow.session.execute(
        statement,
        [{"row_id": row["id"], **{f"new_{key}": row[key] for key in keys}} for row in rows],
    )


async def _apply_listings(
    uow: UnitOfWork,
    access: TeamAccess,
    parsed: ParsedFile,
    plan: ImportPlan,
    existing: _Existing,
    now: datetime,
) -> int:
    """Insert or update the listings the file sets; a price history row per list-price change."""
    if not parsed.listings:
        return 0
    session = uow.session
    rows = [*plan.new, *(row for _, row in plan.changed)]
    if not any(v is not None for row in rows for v in row.listing_values):
        return 0
    sku_ids = dict(
        (await session.execute(select(Sku.code, Sku.id).where(Sku.team_id == access.team_id))).all()
    )
    wanted: dict[tuple[int, int], dict[str, Decimal]] = {}
    for row in rows:
        sku_id = sku_ids[row.code]
        for column, value in zip(parsed.listings, row.listing_values, strict=True):
            if value is not None:
                key = (sku_id, existing.channel_ids[column.channel])
                wanted.setdefault(key, {})[column.field] = value
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history_keys: list[tuple[int, int, Decimal]] = []
    for (sku_id, channel_id), values in wanted.items():
        current = existing.listings.get((sku_id, channel_id))
        if current is None:
            inserts.append(
                {
                    "sku_id": sku_id,
                    "channel_id": channel_id,
                    "list_price": values.get("list_price"),
                    "lowest_30d": values.get("lowest_30d"),
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if "list_price" in values:
                history_keys.append((sku_id, channel_id, values["list_price"]))
            continue
        listing_id, list_price, lowest = current
        new_price = values.get("list_price", list_price)
        new_lowest = values.get("lowest_30d", lowest)
        if new_price == list_price and new_lowest == lowest:
            continue
        updates.append(
            {"id": listing_id, "list_price": new_price, "lowest_30d": new_lowest, "updated_at": now}
        )
        if new_price != list_price and new_price is not None:
            history_keys.append((sku_id, channel_id, new_price))
    if inserts:
        await session.execute(insert(_LISTINGS), inserts)
    await _bulk_update(uow, _LISTINGS, updates)
    if history_keys:
        listing_ids = {
            (sku_id, channel_id): listing_id
            for listing_id, sku_id, channel_id in await session.execute(
                select(Listing.id, Listing.sku_id, Listing.channel_id).where(
                    Listing.channel_id.in_(list(existing.channel_ids.values()))
                )
            )
        }
        await session.execute(
            insert(_PRICE_HISTORY),
            [
                {
                    "listing_id": listing_ids[(sku_id, channel_id)],
                    "price": price,
                    "effective_at": now,
                    "source": "import",
                    "changed_by": access.user.id,
                }
                for sku_id, channel_id, price in history_keys
            ],
        )
    return len(history_keys)
