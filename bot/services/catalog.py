"""The SKU catalogue: SKUs with their costs, listings per channel, and the floor card.

Editors and above change it; everyone in the team reads it. Every value goes
through the pricing engine's parsers (`SkuRowParser`, the price rules), every
list-price change is kept in the price history (for the 30-day lowest price),
and anything that can move a floor triggers the margin re-check in the same
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.db.models import (
    Campaign,
    CatalogAudit,
    Channel,
    Enrolment,
    Listing,
    PriceHistory,
    Sku,
    User,
)
from bot.db.uow import UnitOfWork
from bot.domain.errors import N_, Conflict, NotFound, UserInputError
from bot.domain.numbers import ambiguous_number, is_ambiguous
from bot.domain.permissions import Action, is_allowed
from bot.domain.prices import PriceWarning, listing_warnings
from bot.limits import MAX_CODE_LENGTH, MAX_NAME_LENGTH
from bot.pricing import (
    DiscountResult,
    FxQuote,
    InputError,
    InputProblem,
    NumberStyle,
    SkuRowParser,
    parse_percent,
)
from bot.pricing import Listing as PricingListing
from bot.pricing.fx import MANUAL_SOURCE
from bot.services import margins, pending
from bot.services.access import TeamAccess
from bot.services.arguments import Arguments, field_error, problem_msg, shown, unknown_key
from bot.services.channels import channel_not_found, find_channel, list_channels
from bot.services.imports import VALUE_FIELDS, parse_price
from bot.services.pricing_inputs import listings_for, pricing_context, sku_cost
from bot.services.rate_sources import RateSource, manual_rates, quote_sources

PAGE_SIZE = 20
HISTORY_SHOWN = 8
LISTING_FIELDS = ("list_price", "lowest_30d")
SKU_KEYS = (*VALUE_FIELDS, "list_price@<channel>", "lowest_30d@<channel>")
FIELD_EXAMPLES = {
    "name": 'name="Blue mug"',
    "unit_cost": "unit_cost=12.5",
    "cost_currency": "cost_currency=CNY",
    "packaging": "packaging=1.2",
    "first_mile": "first_mile=3",
    "other_cost": "other_cost=0.5",
    "duty_rate": "duty_rate=7.5",
}
ADD_EXAMPLE = "/sku add A1 unit_cost=12.5"


# --- parsing (pure) ---------------------------------------------
@dataclass(frozen=True, slots=True)
class ListingEdit:
    channel: str  # channel name
    field: str  # list_price | lowest_30d
    text: str


@dataclass(frozen=True, slots=True)
class SkuRequest:
    code: str
    values: dict[str, str]  # SKU field → text
    listings: list[ListingEdit]
    style: NumberStyle | None = None  # how the writer writes numbers


def check_code(code: str, example: str = ADD_EXAMPLE) -> str:
    code = code.strip()
    if not code or "=" in code:
        raise UserInputError(
            N_("Which SKU? Write its code first, like <code>{example}</code>"), example=example
        )
    if len(code) > MAX_CODE_LENGTH or not code.isprintable():
        raise UserInputError(
            N_("“{value}” cannot be a SKU code: use up to 64 letters, digits and signs."),
            value=shown(code),
        )
    return code


def example_for(field: str, code: str, *, adding: bool, channel: str = "temu-us-semi") -> str:
    if field in LISTING_FIELDS:
        price = "19.99" if field == "list_price" else "17.99"
        part = f"{field}@{channel}={price}"
    else:
        part = FIELD_EXAMPLES.get(field, "unit_cost=12.5")
    if adding:
        prefix = f"/sku add {code}"
        if field != "unit_cost":
            prefix += " unit_cost=12.5"
        return f"{prefix} {part}"
    return f"/sku {code} {part}"


def sku_request(code: str, args: Arguments, *, adding: bool) -> SkuRequest:
    """Split `key=value` pairs into SKU fields and listing fields (`field@channel`)."""
    values: dict[str, str] = {}
    listings: list[ListingEdit] = []
    for key, text in args.pairs:
        base, at, channel = key.partition("@")
        if base in LISTING_FIELDS:
            listings.append(ListingEdit(channel.strip().lower() if at else "", base, text))
        elif base in VALUE_FIELDS and not at:
            values[base] = text
        else:
            raise unknown_key(key, list(SKU_KEYS), example_for("unit_cost", code, adding=adding))
    return SkuRequest(code, values, listings, args.style)


def _percent_text(fraction: Decimal) -> str:
    return format(fraction.scaleb(2).normalize(), "f")


def current_texts(sku: Sku) -> dict[str, str]:
    """A stored SKU as the texts a user would type (percent for duty)."""
    return {
        "name": sku.name,
        "unit_cost": format(sku.unit_cost, "f"),
        "cost_currency": sku.cost_currency,
        "packaging": format(sku.packaging, "f"),
        "first_mile": format(sku.first_mile, "f"),
        "other_cost": format(sku.other_cost, "f"),
        "duty_rate": _percent_text(sku.duty_rate),
    }


def parse_sku_values(
    code: str,
    given: dict[str, str],
    current: dict[str, str] | None,
    default_currency: str,
    style: NumberStyle | None = None,
) -> dict[str, Any]:
    """Validate a SKU's fields with the engine's row parser: the given texts over the
    current ones (or over the defaults for a new SKU). Returns every field's value."""
    texts = dict(current or {})
    texts.update(given)
    header = ["sku", *VALUE_FIELDS]
    row = [code, *(texts.get(f, "") for f in VALUE_FIELDS)]
    adding = current is None
    try:
        parsed = SkuRowParser(header, "USD", default_currency, style).parse(row)
    except InputError as exc:
        field = exc.field or "unit_cost"
        raise field_error(exc, example_for(field, code, adding=adding), field_name=field) from None
    name = parsed.name or ""
    if len(name) > MAX_NAME_LENGTH:
        raise UserInputError(
            N_("<b>name</b> is too long: at most {limit} characters."), limit=MAX_NAME_LENGTH
        )
    return {
        "name": name,
        "unit_cost": parsed.unit_cost,
        "cost_currency": parsed.cost_currency,
        "packaging": parsed.packaging,
        "first_mile": parsed.first_mile,
        "other_cost": parsed.other_cost,
        "duty_rate": parsed.duty_rate,
    }


# --- results ---------------------------------------------
@dataclass(frozen=True, slots=True)
class Change:
    field: str  # a SKU field, or "list_price@<channel>"
    before: Any
    after: Any
    currency: str | None  # for amounts; None for texts and percentages


@dataclass(frozen=True, slots=True)
class SkuSaved:
    sku: Sku
    created: bool
    changes: list[Change]


@dataclass(frozen=True, slots=True)
class SkuPage:
    skus: list[Sku]
    page: int  # 0-based, clamped to the last page
    pages: int
    total: int


@dataclass(frozen=True, slots=True)
class ListingLine:
    channel: Channel
    list_price: Decimal | None
    lowest_30d: Decimal | None  # the manual value, else from the price history
    lowest_is_manual: bool


@dataclass(frozen=True, slots=True)
class PriceChange:
    at: datetime
    channel: str
    currency: str
    price: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class SkuCard:
    sku: Sku
    listings: list[ListingLine]
    unlisted: list[str]  # channel names without a listing
    history: list[PriceChange]
    campaigns: int
    can_edit: bool = False  # editors and above are shown how to change and delete it


# --- reading ---------------------------------------------
async def sku_page(uow: UnitOfWork, access: TeamAccess, page: int) -> SkuPage:
    access.require(Action.READ)
    total = await uow.session.scalar(
        select(func.count(Sku.id)).where(Sku.team_id == access.team_id)
    )
    total = total or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    skus = (
        await uow.session.scalars(
            select(Sku)
            .where(Sku.team_id == access.team_id)
            .order_by(Sku.code)
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    ).all()
    return SkuPage(list(skus), page, pages, total)


async def find_sku(uow: UnitOfWork, team_id: int, code: str) -> Sku:
    """The team's SKU with this code (exact, else the one that matches ignoring case)."""
    sku = await uow.session.scalar(select(Sku).where(Sku.team_id == team_id, Sku.code == code))
    if sku is None:
        matches = (
            await uow.session.scalars(
                select(Sku)
                .where(Sku.team_id == team_id, func.lower(Sku.code) == code.lower())
                .limit(2)
            )
        ).all()
        if len(matches) == 1:
            return matches[0]
        raise NotFound(
            N_(
                "There is no SKU “{code}” in this team. /skus lists them; add it with "
                "<code>/sku add {code} unit_cost=12.5</code>."
            ),
            code=shown(code),
        )
    return sku


async def sku_by_id(uow: UnitOfWork, team_id: int, sku_id: int) -> Sku | None:
    """A SKU named by a button: only within the actor's team (else None)."""
    return await uow.session.scalar(select(Sku).where(Sku.id == sku_id, Sku.team_id == team_id))


async def _listing_lines(
    uow: UnitOfWork, sku: Sku, channels: list[Channel], now: datetime
) -> tuple[list[ListingLine], list[str]]:
    """The SKU's listings on these channels with the 30-day lowest price as of `now`, and
    the names of the channels it is not listed on."""
    stored = {
        row.channel_id: row
        for row in (await uow.session.scalars(select(Listing).where(Listing.sku_id == sku.id)))
    }
    lines: list[ListingLine] = []
    unlisted: list[str] = []
    for channel in channels:
        row = stored.get(channel.id)
        if row is None:
            unlisted.append(channel.name)
            continue
        priced = (await listings_for(uow, channel.id, [sku.id], now)).get(sku.id)
        lines.append(
            ListingLine(
                channel,
                row.list_price,
                priced.lowest_30d if priced else None,
                row.lowest_30d is not None,
            )
        )
    return lines, unlisted


async def sku_card(uow: UnitOfWork, access: TeamAccess, code: str, now: datetime) -> SkuCard:
    access.require(Action.READ)
    sku = await find_sku(uow, access.team_id, code)
    channels = await list_channels(uow, access.team_id)
    lines, unlisted = await _listing_lines(uow, sku, channels, now)
    by_id = {c.id: c for c in channels}
    history_rows = (
        await uow.session.execute(
            select(PriceHistory, Listing.channel_id)
            .join(Listing, Listing.id == PriceHistory.listing_id)
            .where(Listing.sku_id == sku.id)
            .order_by(PriceHistory.effective_at.desc(), PriceHistory.id.desc())
            .limit(HISTORY_SHOWN)
        )
    ).all()
    history = [
        PriceChange(
            h.effective_at,
            by_id[channel_id].name,
            by_id[channel_id].currency,
            h.price,
            h.source,
        )
        for h, channel_id in history_rows
        if channel_id in by_id
    ]
    campaigns = await uow.session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.sku_id == sku.id)
    )
    return SkuCard(
        sku,
        lines,
        unlisted,
        history,
        campaigns or 0,
        can_edit=is_allowed(access.role, Action.EDIT_CATALOG),
    )


# --- changing ---------------------------------------------
async def add_sku(
    uow: UnitOfWork,
    access: TeamAccess,
    args: Arguments,
    now: datetime,
    *,
    accepted: frozenset[str] = frozenset(),
) -> SkuSaved | HeldChange:
    """`/sku add <code> key=value …`: nothing is written unless every value is valid, and
    implausible prices not in `accepted` hold the whole command for confirmation."""
    access.require(Action.EDIT_CATALOG)
    code = check_code(args.words[0] if args.words else "")
    _no_extra_words(args, code, adding=True)
    request = sku_request(code, args, adding=True)
    if "unit_cost" not in request.values:
        raise UserInputError(
            N_("A new SKU needs its <b>unit_cost</b>.\nWrite it like <code>{example}</code>"),
            example=f"/sku add {code} unit_cost=12.5",
        )
    values = parse_sku_values(code, request.values, None, access.team.cost_currency, request.style)
    listings = await _parse_listings(
        uow, access.team_id, code, request.listings, adding=True, style=request.style
    )
    existing = await uow.session.scalar(
        select(Sku.id).where(Sku.team_id == access.team_id, Sku.code == code)
    )
    if existing is not None:
        raise _exists(code)
    warnings = await _price_warnings(uow, None, listings)
    if not {w.key for w in warnings} <= accepted:
        return await _hold(uow, access, code, args, warnings, now, adding=True)
    sku = Sku(team_id=access.team_id, code=code, created_at=now, updated_at=now, **values)
    uow.session.add(sku)
    try:
        await uow.session.flush()
    except IntegrityError:
        raise _exists(code) from None
    changes = await _apply_listings(uow, access, sku, listings, now)
    _audit_confirmed(uow, access, sku, warnings, now)
    return SkuSaved(sku, True, changes)


def _exists(code: str) -> Conflict:
    return Conflict(
        N_(
            "SKU “{code}” already exists. Change it with <code>/sku {code} unit_cost=12.5</code>, "
            "or look at it with <code>/sku {code}</code>."
        ),
        code=code,
    )


def _no_extra_words(args: Arguments, code: str, *, adding: bool) -> None:
    allowed = 1 if adding else 0  # `add` is followed by the code; an edit has it already
    if len(args.words) > allowed:
        raise UserInputError(
            N_(
                "“{value}” is not a <code>field=value</code> pair. Put values with spaces in "
                "quotes, like <code>{example}</code>"
            ),
            value=shown(args.words[allowed]),
            example=example_for("name", code, adding=adding),
        )


async def edit_sku(
    uow: UnitOfWork,
    access: TeamAccess,
    code: str,
    args: Arguments,
    now: datetime,
    *,
    accepted: frozenset[str] = frozenset(),
) -> SkuSaved | HeldChange:
    """`/sku <code> key=value …`: costs and listing fields; a before/after list of changes.
    Implausible prices not in `accepted` hold the whole command for confirmation."""
    access.require(Action.EDIT_CATALOG)
    sku = await find_sku(uow, access.team_id, code)
    _no_extra_words(args, sku.code, adding=False)
    request = sku_request(sku.code, args, adding=False)
    values = parse_sku_values(
        sku.code, request.values, current_texts(sku), access.team.cost_currency, request.style
    )
    listings = await _parse_listings(
        uow, access.team_id, sku.code, request.listings, adding=False, style=request.style
    )
    warnings = await _price_warnings(uow, sku.id, listings)
    if not {w.key for w in warnings} <= accepted:
        return await _hold(uow, access, sku.code, args, warnings, now, adding=False)
    changes: list[Change] = []
    for field in request.values:
        before, after = getattr(sku, field), values[field]
        if before != after:
            currency = values["cost_currency"] if field in _AMOUNT_FIELDS else None
            changes.append(Change(field, before, after, currency))
            setattr(sku, field, after)
    if changes:
        sku.updated_at = now
    changes += await _apply_listings(uow, access, sku, listings, now)
    if changes:
        await uow.session.flush()
        await margins.recheck_margins(uow, access.team_id, now, sku_ids=[sku.id])
    _audit_confirmed(uow, access, sku, warnings, now)
    return SkuSaved(sku, False, changes)


# --- implausible prices: held for confirmation (issue 11, bot/domain/prices.py) ----------------
@dataclass(frozen=True, slots=True)
class ListingWarning:
    """An implausible price on one channel."""

    channel: str
    currency: str
    warning: PriceWarning

    @property
    def key(self) -> str:
        return self.warning.key(self.channel)


@dataclass(frozen=True, slots=True)
class HeldChange:
    """A /sku command held because of implausible prices: nothing is written until its
    author confirms it (`pending_id`) — and then only the warnings shown are covered."""

    code: str
    adding: bool
    warnings: list[ListingWarning]
    pending_id: int


async def _price_warnings(
    uow: UnitOfWork, sku_id: int | None, edits: list[_ParsedListing]
) -> list[ListingWarning]:
    """The listings as they would be after `edits`, checked against how they are now."""
    if not edits:
        return []
    new: dict[int, tuple[Channel, dict[str, Decimal | None]]] = {}
    for edit in edits:
        new.setdefault(edit.channel.id, (edit.channel, {}))[1][edit.field] = edit.value
    stored: dict[int, Listing] = {}
    if sku_id is not None:
        rows = await uow.session.scalars(
            select(Listing).where(Listing.sku_id == sku_id, Listing.channel_id.in_(list(new)))
        )
        stored = {row.channel_id: row for row in rows}
    found: list[ListingWarning] = []
    for channel_id, (channel, values) in new.items():
        row = stored.get(channel_id)
        old_list = None if row is None else row.list_price
        old_lowest = None if row is None else row.lowest_30d
        after_list = values.get("list_price", old_list)
        after_lowest = values.get("lowest_30d", old_lowest)
        for warning in listing_warnings(old_list, old_lowest, after_list, after_lowest):
            found.append(ListingWarning(channel.name, channel.currency, warning))
    return found


async def _hold(
    uow: UnitOfWork,
    access: TeamAccess,
    code: str,
    args: Arguments,
    warnings: list[ListingWarning],
    now: datetime,
    *,
    adding: bool,
) -> HeldChange:
    payload = {
        "adding": adding,
        "code": code,
        "words": list(args.words),
        "pairs": [list(pair) for pair in args.pairs],
        "locale": args.locale,
        "accepted": sorted(w.key for w in warnings),
    }
    pending_id = await pending.hold(uow, access, pending.SKU_CHANGE, payload, now)
    return HeldChange(code, adding, warnings, pending_id)


async def confirm_sku_change(
    uow: UnitOfWork, access: TeamAccess, pending_id: int, now: datetime
) -> SkuSaved | HeldChange | None:
    """Save a held /sku command after all, re-read and re-checked as if typed again now.
    A warning that was not shown (the catalogue changed meanwhile) holds it once more.
    None: the held change is gone (used, cancelled, stale or someone else's)."""
    access.require(Action.EDIT_CATALOG)
    payload = await pending.take(uow, access, pending_id, pending.SKU_CHANGE, now)
    if payload is None:
        return None
    args = Arguments(
        [str(word) for word in payload["words"]],
        [(str(key), str(value)) for key, value in payload["pairs"]],
        None if payload.get("locale") is None else str(payload["locale"]),
    )
    accepted = frozenset(str(key) for key in payload["accepted"])
    if payload["adding"]:
        return await add_sku(uow, access, args, now, accepted=accepted)
    return await edit_sku(uow, access, str(payload["code"]), args, now, accepted=accepted)


async def cancel_sku_change(
    uow: UnitOfWork, access: TeamAccess, pending_id: int, now: datetime
) -> bool:
    """Drop a held /sku command; False when it was already gone."""
    return await pending.take(uow, access, pending_id, pending.SKU_CHANGE, now) is not None


def audit(
    uow: UnitOfWork,
    access: TeamAccess,
    sku_id: int,
    now: datetime,
    action: str,
    changes: dict[str, Any],
) -> None:
    uow.session.add(
        CatalogAudit(
            team_id=access.team_id,
            sku_id=sku_id,
            user_id=access.user.id,
            at=now,
            action=action,
            changes=changes,
        )
    )


def _audit_confirmed(
    uow: UnitOfWork, access: TeamAccess, sku: Sku, warnings: list[ListingWarning], now: datetime
) -> None:
    """Implausible prices saved after a warning: who confirmed which."""
    if warnings:
        audit(uow, access, sku.id, now, "price_confirmed", {"warnings": [w.key for w in warnings]})


_AMOUNT_FIELDS = frozenset({"unit_cost", "packaging", "first_mile", "other_cost"})


@dataclass(frozen=True, slots=True)
class _ParsedListing:
    channel: Channel
    field: str
    value: Decimal | None


async def _parse_listings(
    uow: UnitOfWork,
    team_id: int,
    code: str,
    edits: list[ListingEdit],
    *,
    adding: bool,
    style: NumberStyle | None = None,
) -> list[_ParsedListing]:
    if not edits:
        return []
    channels = await list_channels(uow, team_id)
    by_name = {c.name: c for c in channels}
    parsed: list[_ParsedListing] = []
    for edit in edits:
        if edit.channel:
            channel = by_name.get(edit.channel)
            if channel is None:
                raise await channel_not_found(uow, team_id, edit.channel)
        elif len(channels) == 1:
            channel = channels[0]
        elif not channels:
            raise UserInputError(
                N_(
                    "This team has no channels yet, so a SKU has no list price. Add one with "
                    "<code>/channel add temu-us-semi</code>."
                )
            )
        else:
            raise UserInputError(
                N_(
                    "On which channel? Write the channel after “@”, like "
                    "<code>{example}</code>. This team's channels: {names}."
                ),
                example=example_for(edit.field, code, adding=adding, channel=channels[0].name),
                names=", ".join(by_name),
            )
        try:
            value = parse_price(edit.text, channel.currency, edit.field, style)
        except InputError as exc:
            raise field_error(
                exc,
                example_for(edit.field, code, adding=adding, channel=channel.name),
                field_name=f"{edit.field}@{channel.name}",
            ) from None
        parsed.append(_ParsedListing(channel, edit.field, value))
    return parsed


async def _apply_listings(
    uow: UnitOfWork,
    access: TeamAccess,
    sku: Sku,
    edits: list[_ParsedListing],
    now: datetime,
) -> list[Change]:
    """Write listing fields; each list-price change appends a price history row."""
    changes: list[Change] = []
    for edit in edits:
        listing = await uow.session.scalar(
            select(Listing).where(Listing.sku_id == sku.id, Listing.channel_id == edit.channel.id)
        )
        if listing is None:
            if edit.value is None:
                continue
            listing = Listing(sku_id=sku.id, channel_id=edit.channel.id, created_at=now)
            uow.session.add(listing)
        before = getattr(listing, edit.field)
        if before == edit.value and listing.id is not None:
            continue
        setattr(listing, edit.field, edit.value)
        listing.updated_at = now
        await uow.session.flush()
        label = f"{edit.field}@{edit.channel.name}"
        changes.append(Change(label, before, edit.value, edit.channel.currency))
        if edit.field == "list_price" and edit.value is not None:
            uow.session.add(
                PriceHistory(
                    listing_id=listing.id,
                    price=edit.value,
                    effective_at=now,
                    source="manual",
                    changed_by=access.user.id,
                )
            )
    if changes:
        await uow.session.flush()
    return changes


# --- the price history: list, correct, remove (issue 11) ---------------------------------------
HISTORY_PAGE_SIZE = 10
HISTORY_WORD = "history"


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    at: datetime
    channel: Channel
    price: Decimal
    source: str  # manual (typed) | import (a file)
    changed_by: str | None  # who set it (their name), when known
    corrected_at: datetime | None
    corrected_by: str | None


@dataclass(frozen=True, slots=True)
class HistoryPage:
    sku: Sku
    channel: Channel | None  # the channel asked for, else every channel
    entries: list[HistoryEntry]
    first: int  # the position (1-based, newest first) of entries[0]
    page: int
    pages: int
    total: int
    lowest: list[ListingLine]  # the lowest price of 30 days this history gives now
    can_edit: bool  # editors and above get the correct / remove buttons


async def _user_names(uow: UnitOfWork, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await uow.session.scalars(select(User).where(User.id.in_(list(ids))))
    return {
        row.id: row.first_name or (f"@{row.username}" if row.username else str(row.id))
        for row in rows
    }


async def price_history(
    uow: UnitOfWork,
    access: TeamAccess,
    sku: Sku,
    channel: Channel | None,
    page: int,
    now: datetime,
) -> HistoryPage:
    """A SKU's list-price history (one channel's, or every channel's), newest first."""
    access.require(Action.READ)
    channels = await list_channels(uow, access.team_id)
    by_id = {c.id: c for c in channels}
    wanted = [channel.id] if channel is not None else list(by_id)
    mine = (Listing.sku_id == sku.id, Listing.channel_id.in_(wanted))
    total = (
        await uow.session.scalar(
            select(func.count(PriceHistory.id))
            .join(Listing, Listing.id == PriceHistory.listing_id)
            .where(*mine)
        )
        or 0
    )
    pages = max(1, -(-total // HISTORY_PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    rows = (
        await uow.session.execute(
            select(PriceHistory, Listing.channel_id)
            .join(Listing, Listing.id == PriceHistory.listing_id)
            .where(*mine)
            .order_by(PriceHistory.effective_at.desc(), PriceHistory.id.desc())
            .offset(page * HISTORY_PAGE_SIZE)
            .limit(HISTORY_PAGE_SIZE)
        )
    ).all()
    people = {
        user_id
        for entry, _ in rows
        for user_id in (entry.changed_by, entry.corrected_by)
        if user_id is not None
    }
    names = await _user_names(uow, people)
    entries = [
        HistoryEntry(
            entry.id,
            entry.effective_at,
            by_id[channel_id],
            entry.price,
            entry.source,
            None if entry.changed_by is None else names.get(entry.changed_by),
            entry.corrected_at,
            None if entry.corrected_by is None else names.get(entry.corrected_by),
        )
        for entry, channel_id in rows
    ]
    lowest, _unlisted = await _listing_lines(
        uow, sku, [channel] if channel is not None else channels, now
    )
    return HistoryPage(
        sku=sku,
        channel=channel,
        entries=entries,
        first=page * HISTORY_PAGE_SIZE + 1,
        page=page,
        pages=pages,
        total=total,
        lowest=lowest,
        can_edit=is_allowed(access.role, Action.EDIT_CATALOG),
    )


async def history_for_command(
    uow: UnitOfWork, access: TeamAccess, code: str, words: list[str], now: datetime
) -> HistoryPage:
    """`/sku <code> history [channel]`."""
    if len(words) > 1:
        channels = await list_channels(uow, access.team_id)
        name = channels[0].name if channels else "temu-us-semi"
        raise UserInputError(
            N_(
                "Write it like <code>{example}</code>: the SKU, the word history, and a "
                "channel if you want only its prices."
            ),
            example=f"/sku {shown(code)} history {name}",
        )
    sku = await find_sku(uow, access.team_id, code)
    channel = await find_channel(uow, access.team_id, words[0]) if words else None
    return await price_history(uow, access, sku, channel, 0, now)


async def history_for_button(
    uow: UnitOfWork, access: TeamAccess, sku_id: int, channel_id: int, page: int, now: datetime
) -> HistoryPage | None:
    """A history page named by a button (ids within the presser's team, else None)."""
    sku = await sku_by_id(uow, access.team_id, sku_id)
    if sku is None:
        return None
    channel = None
    if channel_id:
        channel = await uow.session.scalar(
            select(Channel).where(Channel.id == channel_id, Channel.team_id == access.team_id)
        )
        if channel is None:
            return None
    return await price_history(uow, access, sku, channel, page, now)


@dataclass(frozen=True, slots=True)
class EntryRef:
    """A history entry named by a button, found within the presser's team."""

    entry: PriceHistory
    listing: Listing
    sku: Sku
    channel: Channel


async def history_entry(uow: UnitOfWork, access: TeamAccess, entry_id: int) -> EntryRef | None:
    """The entry with this id if it belongs to the actor's team (else None: reveal nothing)."""
    row = (
        await uow.session.execute(
            select(PriceHistory, Listing, Sku, Channel)
            .join(Listing, Listing.id == PriceHistory.listing_id)
            .join(Sku, Sku.id == Listing.sku_id)
            .join(Channel, Channel.id == Listing.channel_id)
            .where(PriceHistory.id == entry_id, Sku.team_id == access.team_id)
        )
    ).first()
    if row is None:
        return None
    return EntryRef(*row)


@dataclass(frozen=True, slots=True)
class HistoryFix:
    """A history entry corrected (`after` set) or removed (`after` None)."""

    sku: Sku
    channel: Channel
    at: datetime
    before: Decimal
    after: Decimal | None
    list_price: tuple[Decimal | None, Decimal | None] | None  # (before, after) when it moved
    lowest: tuple[Decimal | None, Decimal | None]  # the 30-day lowest price now, before → after


async def _lowest_now(uow: UnitOfWork, ref: EntryRef, now: datetime) -> Decimal | None:
    priced = (await listings_for(uow, ref.channel.id, [ref.sku.id], now)).get(ref.sku.id)
    return priced.lowest_30d if priced else None


async def _newer_entries(uow: UnitOfWork, ref: EntryRef) -> bool:
    """Whether the listing has an entry after this one (then it is not the current price)."""
    entry = ref.entry
    newer = await uow.session.scalar(
        select(func.count(PriceHistory.id)).where(
            PriceHistory.listing_id == entry.listing_id,
            PriceHistory.id != entry.id,
            (PriceHistory.effective_at > entry.effective_at)
            | ((PriceHistory.effective_at == entry.effective_at) & (PriceHistory.id > entry.id)),
        )
    )
    return bool(newer)


async def _after_fix(uow: UnitOfWork, access: TeamAccess, ref: EntryRef, now: datetime) -> None:
    """The margin re-check, for the campaigns on this channel the SKU is enrolled in: a
    corrected history moves the 30-day lowest price, and with it planned prices."""
    await uow.session.flush()
    campaign_ids = list(
        await uow.session.scalars(
            select(Campaign.id)
            .join(Enrolment, Enrolment.campaign_id == Campaign.id)
            .where(Campaign.channel_id == ref.channel.id, Enrolment.sku_id == ref.sku.id)
        )
    )
    if campaign_ids:
        await margins.recheck_margins(
            uow, access.team_id, now, campaign_ids=campaign_ids, sku_ids=[ref.sku.id]
        )


async def correct_entry(
    uow: UnitOfWork,
    access: TeamAccess,
    ref: EntryRef,
    text: str,
    now: datetime,
    style: NumberStyle | None = None,
) -> HistoryFix:
    """Correct a mistyped history entry. Its date stays; when it is the listing's current
    price, the list price follows. Audited; the margin re-check runs."""
    access.require(Action.EDIT_CATALOG)
    entry, listing, channel = ref.entry, ref.listing, ref.channel
    try:
        price = parse_price(text, channel.currency, "list_price", style)
    except InputError as exc:
        if is_ambiguous(exc):
            raise ambiguous_number(exc) from None
        problem = exc.problem.value
    else:
        problem = InputProblem.REQUIRED.value if price is None else ""
    if problem or price is None:
        raise UserInputError(
            N_("“{value}” {problem}\nSend the right price, like <code>19.99</code>, or /cancel."),
            value=shown(text),
            problem=problem_msg(problem),
        )
    before = entry.price
    lowest_before = await _lowest_now(uow, ref, now)
    list_move = None
    if price != before:
        if listing.list_price == before and not await _newer_entries(uow, ref):
            list_move = (listing.list_price, price)
            listing.list_price = price
            listing.updated_at = now
        entry.price = price
        entry.corrected_at = now
        entry.corrected_by = access.user.id
        audit(
            uow,
            access,
            ref.sku.id,
            now,
            "history_correct",
            {
                "entry": entry.id,
                "channel": channel.name,
                "effective_at": entry.effective_at.isoformat(),
                "price": [format(before, "f"), format(price, "f")],
                "list_price_moved": list_move is not None,
            },
        )
        await _after_fix(uow, access, ref, now)
    lowest_after = await _lowest_now(uow, ref, now)
    return HistoryFix(
        ref.sku,
        channel,
        entry.effective_at,
        before,
        price,
        list_move,
        (lowest_before, lowest_after),
    )


async def remove_entry(
    uow: UnitOfWork, access: TeamAccess, ref: EntryRef, now: datetime
) -> HistoryFix:
    """Remove a history entry. The listing's current price (its newest entry) can go only
    when an older entry remains, which becomes the list price again. Audited; the margin
    re-check runs."""
    access.require(Action.EDIT_CATALOG)
    entry, listing, channel = ref.entry, ref.listing, ref.channel
    lowest_before = await _lowest_now(uow, ref, now)
    list_move = None
    if listing.list_price == entry.price and not await _newer_entries(uow, ref):
        previous = await uow.session.scalar(
            select(PriceHistory)
            .where(PriceHistory.listing_id == entry.listing_id, PriceHistory.id != entry.id)
            .order_by(PriceHistory.effective_at.desc(), PriceHistory.id.desc())
            .limit(1)
        )
        if previous is None:
            raise Conflict(
                N_(
                    "This entry is the current list price and the only one in the history, so "
                    "it cannot be removed. Correct it, or set a new list price with "
                    "<code>/sku {code} list_price@{channel}=19.99</code>."
                ),
                code=shown(ref.sku.code),
                channel=channel.name,
            )
        list_move = (listing.list_price, previous.price)
        listing.list_price = previous.price
        listing.updated_at = now
    audit(
        uow,
        access,
        ref.sku.id,
        now,
        "history_remove",
        {
            "entry": entry.id,
            "channel": channel.name,
            "effective_at": entry.effective_at.isoformat(),
            "price": format(entry.price, "f"),
            "source": entry.source,
            "changed_by": entry.changed_by,
            "list_price_moved": list_move is not None,
        },
    )
    at, before = entry.effective_at, entry.price
    await uow.session.delete(entry)
    await _after_fix(uow, access, ref, now)
    lowest_after = await _lowest_now(uow, ref, now)
    return HistoryFix(ref.sku, channel, at, before, None, list_move, (lowest_before, lowest_after))


async def sku_to_delete(uow: UnitOfWork, access: TeamAccess, code: str) -> tuple[Sku, int]:
    """`/sku del <code>`: the SKU and how many campaigns it is enrolled in."""
    access.require(Action.EDIT_CATALOG)
    sku = await find_sku(uow, access.team_id, code)
    enrolled = await uow.session.scalar(
        select(func.count(Enrolment.id)).where(Enrolment.sku_id == sku.id)
    )
    return sku, enrolled or 0


async def delete_sku(uow: UnitOfWork, access: TeamAccess, sku: Sku, now: datetime) -> None:
    """Delete the SKU; its listings, price history and enrolments go with it."""
    access.require(Action.EDIT_CATALOG)
    await uow.session.delete(sku)
    await uow.session.flush()


# --- the floor card ---------------------------------------------
@dataclass(frozen=True, slots=True)
class FloorCard:
    sku: Sku
    channel: Channel
    margin: Decimal
    margin_given: bool  # margin=… was given (else the team's target)
    fx_buffer: Decimal
    result: DiscountResult
    quote: FxQuote | None
    fx_stale: bool
    list_price_unusable: Decimal | None  # a stored price finer than the channel's currency
    today: date
    rate_sources: tuple[RateSource, ...] = ()  # where the rate comes from (who set it)


def parse_floor_margin(args: Arguments) -> Decimal | None:
    margin: Decimal | None = None
    for key, text in args.pairs:
        if key != "margin":
            raise unknown_key(key, ["margin"], "/floor A1 temu-us-semi margin=20")
        try:
            margin = parse_percent(text, style=args.style)
        except InputError as exc:
            raise field_error(exc, "/floor A1 margin=20", field_name="margin") from None
    return margin


async def floor_card(
    uow: UnitOfWork, access: TeamAccess, args: Arguments, now: datetime
) -> FloorCard:
    """`/floor <sku> [channel] [margin=…]`: the engine's floor and deepest discount, explained."""
    access.require(Action.READ)
    if not args.words:
        raise UserInputError(
            N_("Which SKU? Write it like <code>/floor A1</code> or <code>{example}</code>."),
            example="/floor A1 temu-us-semi margin=20",
        )
    if len(args.words) > 2:
        raise UserInputError(
            N_(
                "Write it like <code>{example}</code>: the SKU, then the channel (needed when "
                "the team has several), then <code>margin=…</code> for another target margin."
            ),
            example="/floor A1 temu-us-semi margin=20",
        )
    margin = parse_floor_margin(args)
    sku = await find_sku(uow, access.team_id, args.words[0])
    channel = await _floor_channel(uow, access.team_id, args.words[1:], sku.code)
    team = access.team
    context = await pricing_context(uow, team, channel, margin_override=margin)
    listing = (await listings_for(uow, channel.id, [sku.id], now)).get(sku.id)
    cost = sku_cost(sku)
    unusable = None
    try:
        result = context.discount(cost, listing)
    except InputError as exc:
        if exc.problem is not InputProblem.TOO_MANY_DECIMALS:
            raise
        unusable = listing.list_price if listing else None
        result = context.discount(cost, PricingListing())
    quote = context.quote(sku.cost_currency)
    return FloorCard(
        sku=sku,
        channel=channel,
        margin=context.run.target_margin,
        margin_given=margin is not None,
        fx_buffer=team.fx_buffer,
        result=result,
        quote=quote,
        fx_stale=quote is not None and quote.is_stale(now.date()),
        list_price_unusable=unusable,
        today=now.date(),
        rate_sources=await _rate_sources(uow, access.team_id, quote),
    )


async def _rate_sources(
    uow: UnitOfWork, team_id: int, quote: FxQuote | None
) -> tuple[RateSource, ...]:
    if quote is None or quote.is_identity:
        return ()
    manual = await manual_rates(uow, team_id) if MANUAL_SOURCE in quote.sources else {}
    return quote_sources(quote, manual)


async def _floor_channel(uow: UnitOfWork, team_id: int, words: list[str], code: str) -> Channel:
    if words:
        return await find_channel(uow, team_id, words[0])
    channels = await list_channels(uow, team_id)
    if len(channels) == 1:
        return channels[0]
    if not channels:
        raise UserInputError(
            N_(
                "A floor is computed for a sales channel, and this team has none yet. Add one "
                "with <code>/channel add temu-us-semi</code>."
            )
        )
    raise UserInputError(
        N_(
            "On which channel? Write it like <code>{example}</code>. This team's channels: {names}."
        ),
        example=f"/floor {code} {channels[0].name}",
        names=", ".join(c.name for c in channels),
    )
