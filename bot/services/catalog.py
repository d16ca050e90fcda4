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

from bot.db.models import Channel, Enrolment, Listing, PriceHistory, Sku
from bot.db.uow import UnitOfWork
from bot.domain.errors import N_, Conflict, NotFound, UserInputError
from bot.domain.permissions import Action
from bot.limits import MAX_CODE_LENGTH, MAX_NAME_LENGTH
from bot.pricing import (
    DiscountResult,
    FxQuote,
    InputError,
    InputProblem,
    SkuRowParser,
    parse_percent,
)
from bot.pricing import Listing as PricingListing
from bot.pricing.fx import MANUAL_SOURCE
from bot.services import margins
from bot.services.access import TeamAccess
from bot.services.arguments import Arguments, field_error, shown, unknown_key
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
    return SkuRequest(code, values, listings)


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
    code: str, given: dict[str, str], current: dict[str, str] | None, default_currency: str
) -> dict[str, Any]:
    """Validate a SKU's fields with the engine's row parser: the given texts over the
    current ones (or over the defaults for a new SKU). Returns every field's value."""
    texts = dict(current or {})
    texts.update(given)
    header = ["sku", *VALUE_FIELDS]
    row = [code, *(texts.get(f, "") for f in VALUE_FIELDS)]
    adding = current is None
    try:
        parsed = SkuRowParser(header, "USD", default_currency).parse(row)
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


async def sku_card(uow: UnitOfWork, access: TeamAccess, code: str, now: datetime) -> SkuCard:
    access.require(Action.READ)
    sku = await find_sku(uow, access.team_id, code)
    channels = await list_channels(uow, access.team_id)
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
    return SkuCard(sku, lines, unlisted, history, campaigns or 0)


# --- changing ---------------------------------------------
async def add_sku(uow: UnitOfWork, access: TeamAccess, args: Arguments, now: datetime) -> SkuSaved:
    """`/sku add <code> key=value …`: nothing is written unless every value is valid."""
    access.require(Action.EDIT_CATALOG)
    code = check_code(args.words[0] if args.words else "")
    _no_extra_words(args, code, adding=True)
    request = sku_request(code, args, adding=True)
    if "unit_cost" not in request.values:
        raise UserInputError(
            N_("A new SKU needs its <b>unit_cost</b>.\nWrite it like <code>{example}</code>"),
            example=f"/sku add {code} unit_cost=12.5",
        )
    values = parse_sku_values(code, request.values, None, access.team.cost_currency)
    listings = await _parse_listings(uow, access.team_id, code, request.listings, adding=True)
    existing = await uow.session.scalar(
        select(Sku.id).where(Sku.team_id == access.team_id, Sku.code == code)
    )
    if existing is not None:
        raise _exists(code)
    sku = Sku(team_id=access.team_id, code=code, created_at=now, updated_at=now, **values)
    uow.session.add(sku)
    try:
        await uow.session.flush()
    except IntegrityError:
        raise _exists(code) from None
    changes = await _apply_listings(uow, access, sku, listings, now)
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
    if len(args.words) > 1:
        raise UserInputError(
            N_(
                "“{value}” is not a <code>field=value</code> pair. Put values with spaces in "
                "quotes, like <code>{example}</code>"
            ),
            value=shown(args.words[1]),
            example=example_for("name", code, adding=adding),
        )


async def edit_sku(
    uow: UnitOfWork, access: TeamAccess, code: str, args: Arguments, now: datetime
) -> SkuSaved:
    """`/sku <code> key=value …`: costs and listing fields; a before/after list of changes."""
    access.require(Action.EDIT_CATALOG)
    sku = await find_sku(uow, access.team_id, code)
    _no_extra_words(args, sku.code, adding=False)
    request = sku_request(sku.code, args, adding=False)
    values = parse_sku_values(
        sku.code, request.values, current_texts(sku), access.team.cost_currency
    )
    listings = await _parse_listings(uow, access.team_id, sku.code, request.listings, adding=False)
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
    return SkuSaved(sku, False, changes)


_AMOUNT_FIELDS = frozenset({"unit_cost", "packaging", "first_mile", "other_cost"})


@dataclass(frozen=True, slots=True)
class _ParsedListing:
    channel: Channel
    field: str
    value: Decimal | None


async def _parse_listings(
    uow: UnitOfWork, team_id: int, code: str, edits: list[ListingEdit], *, adding: bool
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
            value = parse_price(edit.text, channel.currency, edit.field)
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
            margin = parse_percent(text)
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
