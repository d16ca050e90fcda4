"""Catalogue files: CSV/XLSX import (preview, then all-or-nothing apply) and export.

The file format itself — reading, header, rows, errors by row and column — is pure
and lives in bot/services/catalogue_file.py (the worker processes run it); its names
are re-exported here for the callers. This module holds the use cases over the unit
of work: the preview (stores the parsed rows in `PendingImport`, and spells out what
the first changed rows would change), the confirmation (bulk inserts and updates in
one transaction) and the catalogue table the export writes.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, insert, select, update

from bot.db.bulk import execute_many, fetch_all
from bot.db.models import CatalogAudit, Channel, Listing, PendingImport, PriceHistory, Sku
from bot.db.uow import UnitOfWork
from bot.domain.errors import N_, Conflict
from bot.domain.permissions import Action
from bot.domain.prices import PriceWarning, listing_warnings
from bot.runtime.cooperative import Turns, in_slices
from bot.services import margins
from bot.services.access import TeamAccess
from bot.services.catalogue_file import (
    ALIASES,
    CONTROL_CHARACTER,
    COST_FIELDS,
    FORMULA_PREFIXES,
    HEADER_ALIASES,
    MAX_CODE_LENGTH,
    MAX_FILE_BYTES,
    MAX_NAME_LENGTH,
    MAX_ROWS,
    PERCENT_FIELDS,
    VALUE_FIELDS,
    CatalogueTable,
    Header,
    ImportRow,
    ListingColumn,
    ParsedFile,
    RowError,
    RowParser,
    escape_formula,
    export_header,
    guess_columns,
    has_control_characters,
    header_key,
    header_score,
    is_catalogue_file,
    open_file,
    parse_price,
    parse_table,
    percent_value,
    read_catalogue,
    read_table,
    refuse_size,
    resolve_header,
)
from bot.services.tables import FileRefused

# The file format's names are re-exported: callers import them from here.
__all__ = [
    "ALIASES",
    "CONTROL_CHARACTER",
    "COST_FIELDS",
    "FORMULA_PREFIXES",
    "HEADER_ALIASES",
    "MAX_CODE_LENGTH",
    "MAX_FILE_BYTES",
    "MAX_NAME_LENGTH",
    "MAX_ROWS",
    "PENDING_TTL",
    "PERCENT_FIELDS",
    "PREVIEW_CHANGES",
    "PREVIEW_WARNINGS",
    "VALUE_FIELDS",
    "CatalogueTable",
    "FieldChange",
    "FileRefused",
    "Header",
    "ImportPlan",
    "ImportPreview",
    "ImportResult",
    "ImportRow",
    "ListingColumn",
    "ParsedFile",
    "RowChange",
    "RowError",
    "RowParser",
    "RowWarning",
    "apply_import",
    "cancel_import",
    "catalogue_table",
    "escape_formula",
    "export_header",
    "guess_columns",
    "has_control_characters",
    "header_key",
    "header_score",
    "import_context",
    "is_catalogue_file",
    "open_file",
    "parse_price",
    "parse_table",
    "pending_import",
    "percent_value",
    "plan_import",
    "preview_import",
    "price_warnings",
    "read_catalogue",
    "read_table",
    "refuse_size",
    "resolve_header",
]

PENDING_TTL = timedelta(hours=24)
LISTING_CHUNK = 2000  # rows whose listings are written at a time
FORMAT_VERSION = 2  # 1: "rows" as one list; 2: "pieces", JSON texts of PENDING_PIECE rows
PENDING_PIECE = 256


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
PREVIEW_WARNINGS = 10  # implausible prices the preview spells out (then "and N more")
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
    warnings: list[RowWarning] = field(default_factory=list)  # the first few implausible prices
    warning_count: int = 0  # all of them (Confirm imports them as they are)
    guesses: dict[str, str] = field(default_factory=dict)  # ignored column → "did you mean"
    pending_created_at: datetime | None = None  # for the Confirm button's stamp


@dataclass(frozen=True, slots=True)
class RowWarning:
    """An implausible price in a file row (bot/domain/prices.py)."""

    row: int
    code: str
    channel: str
    currency: str
    warning: PriceWarning


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
    session = uow.session
    skus: dict[str, tuple[int, tuple[Any, ...]]] = {}
    found = await fetch_all(
        session, select(Sku.code, Sku.id, *columns).where(Sku.team_id == team_id)
    )
    async for batch in in_slices(found, 512):
        skus.update((row[0], (row[1], tuple(row[2:]))) for row in batch)
    listings: dict[tuple[int, int], tuple[int, Decimal | None, Decimal | None]] = {}
    if channel_ids:
        statement = select(
            Listing.id, Listing.sku_id, Listing.channel_id, Listing.list_price, Listing.lowest_30d
        ).where(Listing.channel_id.in_(list(channel_ids.values())))
        async for batch in in_slices(await fetch_all(session, statement), 512):
            listings.update(
                ((sku_id, channel_id), (listing_id, list_price, lowest))
                for listing_id, sku_id, channel_id, list_price, lowest in batch
            )
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


async def plan_import(parsed: ParsedFile, existing: _Existing) -> ImportPlan:
    """Which rows are new, changed or unchanged (or new without their cost)."""
    plan = ImportPlan()
    async for batch in in_slices(parsed.rows, 256):
        for row in batch:
            found = existing.skus.get(row.code)
            if found is None:
                if parsed.has_unit_cost:
                    plan.new.append(row)
                else:
                    plan.missing_cost.append(
                        RowError(row.row, "unit_cost", "new_needs_cost", row.code)
                    )
                continue
            sku_id, stored = found
            same_values = all(_same(a, b) for a, b in zip(stored, row.values, strict=True))
            if same_values and not _listing_changes(parsed, row, sku_id, existing):
                plan.unchanged += 1
            else:
                plan.changed.append((sku_id, row))
    return plan


async def price_warnings(
    parsed: ParsedFile, plan: ImportPlan, existing: _Existing
) -> list[RowWarning]:
    """The file's implausible prices, by row: each listing as the import would leave it,
    checked against how it is now (the rules of typed commands)."""
    if not parsed.listings:
        return []
    currencies = {column.channel: column.currency for column in parsed.listings}
    rows: list[tuple[int | None, ImportRow]] = [(None, row) for row in plan.new]
    rows += plan.changed
    rows.sort(key=lambda pair: pair[1].row)
    found: list[RowWarning] = []
    turns = Turns()
    for sku_id, row in rows:
        await turns.check()
        given: dict[str, dict[str, Decimal]] = {}
        for column, value in zip(parsed.listings, row.listing_values, strict=True):
            if value is not None:
                given.setdefault(column.channel, {})[column.field] = value
        for channel, values in given.items():
            current = None
            if sku_id is not None:
                current = existing.listings.get((sku_id, existing.channel_ids[channel]))
            old_list = None if current is None else current[1]
            old_lowest = None if current is None else current[2]
            for warning in listing_warnings(
                old_list,
                old_lowest,
                values.get("list_price", old_list),
                values.get("lowest_30d", old_lowest),
            ):
                found.append(RowWarning(row.row, row.code, channel, currencies[channel], warning))
    return found


async def _encode(parsed: ParsedFile) -> dict[str, Any]:
    """The parsed rows as JSON for `pending_imports`, in slices (a file may hold 50,000
    rows). The rows go in pieces, each a JSON text of its own: the database layer
    encodes and decodes the whole column in one go, which for 50,000 rows held the event
    loop for 100–200 ms; a list of texts it passes through at the speed of a copy, and the
    pieces are decoded here, a turn for other chats between them."""

    def cell(value: Any) -> Any:
        return format(value, "f") if isinstance(value, Decimal) else value

    pieces: list[str] = []
    async for batch in in_slices(parsed.rows, PENDING_PIECE):
        rows = [
            [row.row, row.code, *map(cell, row.values), *map(cell, row.listing_values)]
            for row in batch
        ]
        pieces.append(json.dumps(rows, ensure_ascii=False, separators=(",", ":")))
    return {
        "v": FORMAT_VERSION,
        "fields": list(parsed.fields),
        "listings": [[c.field, c.channel, c.currency, c.header] for c in parsed.listings],
        "data_rows": parsed.data_rows,
        "pieces": pieces,
    }


_TEXT_FIELDS = frozenset({"name", "cost_currency"})


async def _pending_rows(data: Mapping[str, Any]) -> AsyncIterator[list[Any]]:
    """The stored rows, a piece at a time, with turns for other chats between pieces."""
    pieces: list[str] | list[list[Any]]
    if data.get("v") == 1:  # a preview made before pieces: one list
        rows = data["rows"]
        pieces = [rows[i : i + PENDING_PIECE] for i in range(0, len(rows), PENDING_PIECE)]
    elif data.get("v") == FORMAT_VERSION:
        pieces = data["pieces"]
    else:
        raise ValueError("unknown pending import format")
    turns = Turns()
    for piece in pieces:
        await turns.check()
        yield json.loads(piece) if isinstance(piece, str) else piece


async def _decode_pending(data: Mapping[str, Any]) -> ParsedFile:
    fields = tuple(data["fields"])
    listings = [ListingColumn(-1, f, ch, ccy, h) for f, ch, ccy, h in data["listings"]]
    width = len(fields)
    text_at = [f in _TEXT_FIELDS for f in fields]
    rows = []
    async for piece in _pending_rows(data):
        for raw in piece:
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
    plan = await plan_import(parsed, existing)
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
            rows=await _encode(parsed),
            created_at=now,
        )
        uow.session.add(pending)
        await uow.session.flush()
        pending_id = pending.id
    changes = [] if errors else await _row_changes(uow, parsed, plan, existing)
    warnings = [] if errors else await price_warnings(parsed, plan, existing)
    return ImportPreview(
        pending_id=pending_id,
        pending_created_at=now if pending_id is not None else None,
        filename=filename,
        data_rows=parsed.data_rows,
        new=len(plan.new),
        changed=len(plan.changed),
        unchanged=plan.unchanged,
        errors=errors,
        ignored=parsed.ignored,
        changes=changes,
        warnings=warnings[:PREVIEW_WARNINGS],
        warning_count=len(warnings),
        guesses=guess_columns(parsed.ignored),
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
    parsed = await _decode_pending(pending.rows)
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
    plan = await plan_import(parsed, existing)
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
        await execute_many(
            session,
            insert(_SKUS),
            (
                {
                    **defaults,
                    **dict(zip(fields, row.values, strict=True)),
                    "team_id": access.team_id,
                    "code": row.code,
                    "created_at": now,
                    "updated_at": now,
                }
                for row in plan.new
            ),
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
    warnings = await price_warnings(parsed, plan, existing)  # as the preview showed them
    price_changes = await _apply_listings(uow, access, parsed, plan, existing, now)
    await _audit_confirmed(uow, access, pending.filename, warnings, now)
    changed_ids = [sku_id for sku_id, _ in plan.changed]
    if changed_ids:
        await margins.recheck_margins(uow, access.team_id, now, sku_ids=changed_ids)
    await session.delete(pending)
    return ImportResult(
        pending.filename, len(plan.new), len(plan.changed), plan.unchanged, price_changes
    )


async def _audit_confirmed(
    uow: UnitOfWork, access: TeamAccess, filename: str, warnings: list[RowWarning], now: datetime
) -> None:
    """Implausible prices imported after the preview flagged them: one audit row per SKU,
    like a typed change saved after its warning."""
    if not warnings:
        return
    keys: dict[str, list[str]] = {}
    for warning in warnings:
        keys.setdefault(warning.code, []).append(warning.warning.key(warning.channel))
    ids: dict[str, int] = {}
    codes = list(keys)
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        rows = await uow.session.execute(
            select(Sku.code, Sku.id).where(Sku.team_id == access.team_id, Sku.code.in_(chunk))
        )
        ids.update((code, sku_id) for code, sku_id in rows)
    await execute_many(
        uow.session,
        insert(_CATALOG_AUDIT),
        [
            {
                "team_id": access.team_id,
                "sku_id": ids[code],
                "user_id": access.user.id,
                "at": now,
                "action": "price_confirmed",
                "changes": {"warnings": found, "file": filename},
            }
            for code, found in keys.items()
        ],
    )


# Bulk writes go through Core (executemany), not the ORM's per-object bookkeeping.
_SKUS = cast(Table, Sku.__table__)
_LISTINGS = cast(Table, Listing.__table__)
_PRICE_HISTORY = cast(Table, PriceHistory.__table__)
_CATALOG_AUDIT = cast(Table, CatalogAudit.__table__)


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
    await execute_many(
        uow.session,
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
        await fetch_all(session, select(Sku.code, Sku.id).where(Sku.team_id == access.team_id))
    )
    changes = 0
    for start in range(0, len(rows), LISTING_CHUNK):  # bounded memory for 50,000 rows
        chunk = rows[start : start + LISTING_CHUNK]
        changes += await _apply_listing_chunk(uow, access, parsed, chunk, sku_ids, existing, now)
    return changes


async def _apply_listing_chunk(
    uow: UnitOfWork,
    access: TeamAccess,
    parsed: ParsedFile,
    rows: Sequence[ImportRow],
    sku_ids: Mapping[str, int],
    existing: _Existing,
    now: datetime,
) -> int:
    session = uow.session
    wanted: dict[tuple[int, int], dict[str, Decimal]] = {}
    turns = Turns()
    for row in rows:
        await turns.check()
        sku_id = sku_ids[row.code]
        for column, value in zip(parsed.listings, row.listing_values, strict=True):
            if value is not None:
                key = (sku_id, existing.channel_ids[column.channel])
                wanted.setdefault(key, {})[column.field] = value
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    history_keys: list[tuple[int, int, Decimal]] = []
    for (sku_id, channel_id), values in wanted.items():
        await turns.check()
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
        await execute_many(session, insert(_LISTINGS), inserts)
    await _bulk_update(uow, _LISTINGS, updates)
    if history_keys:
        statement = select(Listing.id, Listing.sku_id, Listing.channel_id).where(
            Listing.channel_id.in_(list(existing.channel_ids.values())),
            Listing.sku_id.in_(list({sku_id for sku_id, _channel, _price in history_keys})),
        )
        listing_ids = {
            (sku_id, channel_id): listing_id
            for listing_id, sku_id, channel_id in await fetch_all(session, statement)
        }
        await execute_many(
            session,
            insert(_PRICE_HISTORY),
            (
                {
                    "listing_id": listing_ids[(sku_id, channel_id)],
                    "price": price,
                    "effective_at": now,
                    "source": "import",
                    "changed_by": access.user.id,
                }
                for sku_id, channel_id, price in history_keys
            ),
        )
    return len(history_keys)
