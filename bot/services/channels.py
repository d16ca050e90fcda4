"""Channel profiles: created from the engine's presets, then edited (SPEC §3.0).

Everyone in the team reads them; admins and owners change them. Values are
validated with the engine's own parsers, so a field means the same here as in
files, the `floors` tool and the pricing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot.config import is_valid_timezone
from bot.db.models import Campaign, Channel, Listing
from bot.db.uow import UnitOfWork
from bot.domain.errors import N_, Conflict, NotFound, UserInputError
from bot.domain.numbers import ambiguous_number, is_ambiguous
from bot.domain.permissions import Action
from bot.pricing import (
    CHANNEL_FIELDS,
    InputError,
    InputProblem,
    NumberStyle,
    Preset,
    UnknownPresetError,
    currency_digits,
    get_preset,
    minor_unit,
    parse_channel_value,
)
from bot.pricing.grid import format_endings
from bot.services import margins, pricing_inputs
from bot.services.access import TeamAccess
from bot.services.arguments import Arguments, field_error, shown, unknown_key
from bot.services.pricing_inputs import channel_params

# The market's main IANA zone: campaign dates on a channel are given in it.
MARKET_TIMEZONES = {
    "US": "America/New_York",
    "DE": "Europe/Berlin",
    "UK": "Europe/London",
    "GB": "Europe/London",
    "JP": "Asia/Tokyo",
    "KR": "Asia/Seoul",
    "ZA": "Africa/Johannesburg",
    "BR": "America/Sao_Paulo",
    "FR": "Europe/Paris",
    "ES": "Europe/Madrid",
}
DEFAULT_TIMEZONE = "UTC"

NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
RESERVED_NAMES = frozenset({"add", "del", "delete", "list", "new"})
PERCENT_FIELDS = frozenset(
    {"vat_rate", "commission", "payment_rate", "returns_rate", "ads_rate", "discount_step"}
)
AMOUNT_FIELDS = frozenset({"payment_fixed", "fulfilment_fee", "other_channel_fee"})
# Fields that change no price: editing only these needs no margin re-check.
DESCRIPTIVE_FIELDS = frozenset({"name", "timezone", "platform", "market"})
# What `/channel <name> key=value` accepts: the engine's channel fields, plus these.
EDITABLE_FIELDS = (*CHANNEL_FIELDS, "name", "timezone")
MAX_LENGTHS = {"platform": 32, "market": 8}
FIELD_EXAMPLES = {
    "platform": "platform=temu",
    "market": "market=US",
    "mode": "mode=semi",
    "currency": "currency=USD",
    "prices_include_vat": "prices_include_vat=yes",
    "fees_on": "fees_on=net",
    "payment_fixed": "payment_fixed=0.3",
    "fulfilment_fee": "fulfilment_fee=3.5",
    "other_channel_fee": "other_channel_fee=0.5",
    "duty_basis": "duty_basis=cif",
    "discount_step": "discount_step=5",
    "price_step": "price_step=0.05",
    "price_endings": "price_endings=0.49,0.99",
}
# The price grid (SPEC §3.8): its values are checked against the channel's currency.
GRID_FIELDS = frozenset({"price_step", "price_endings"})


def edit_example(channel: str, field: str) -> str:
    return f"/channel {channel} {FIELD_EXAMPLES.get(field, f'{field}=12')}"


def grid_example(channel: str, field: str, currency: str) -> str:
    """An example of a price grid for the channel's currency (whole-unit currencies such
    as KRW and JPY have no cents to end in)."""
    if currency_digits(currency) == 0:
        if field == "price_step":
            return f"/channel {channel} price_step=10"
        return f"/channel {channel} price_step=1000 price_endings=900"
    return edit_example(channel, field)


def grid_error(exc: InputError, channel: str, currency: str) -> UserInputError:
    """A refused `price_step` / `price_endings`, in words, with an example for the currency."""
    field = exc.field or "price_step"
    if is_ambiguous(exc):
        return ambiguous_number(exc, field)
    example = grid_example(channel, field, currency)
    if exc.problem is InputProblem.TOO_MANY_DECIMALS:
        return UserInputError(
            N_(
                "<b>{field}</b>: “{value}” is finer than {currency} allows: its smallest "
                "amount is {unit}.\nWrite it like <code>{example}</code>"
            ),
            field=field,
            value=shown(exc.value),
            currency=currency,
            unit=format(minor_unit(currency), "f"),
            example=example,
        )
    if exc.problem is InputProblem.NOT_BELOW:
        return UserInputError(
            N_(
                "<b>{field}</b>: “{value}” is not below {period}. An ending is what a price "
                "ends in within each {period} {currency} (the price step, or one whole unit "
                "when the step is smaller).\nWrite it like <code>{example}</code>"
            ),
            field=field,
            value=shown(exc.value),
            period=str(exc.limit),
            currency=currency,
            example=example,
        )
    if exc.problem is InputProblem.OVER_MAXIMUM:
        return UserInputError(
            N_("<b>{field}</b>: at most {limit} endings.\nWrite it like <code>{example}</code>"),
            field=field,
            limit=str(exc.limit),
            example=example,
        )
    return field_error(exc, example, field_name=field)


def market_timezone(market: str) -> str:
    return MARKET_TIMEZONES.get(market.strip().upper(), DEFAULT_TIMEZONE)


def normalize_name(text: str) -> str:
    """A channel name: lower case, letters, digits, '.', '_' and '-', up to 32 characters."""
    name = text.strip().lower()
    if not NAME_RE.fullmatch(name) or name in RESERVED_NAMES:
        raise UserInputError(
            N_(
                "“{value}” cannot be a channel name. Use up to 32 letters, digits, '-', '_' "
                "or '.', like <code>temu-us</code>."
            ),
            value=shown(text),
        )
    return name


@dataclass(frozen=True, slots=True)
class ChannelChange:
    field: str
    before: object
    after: object


@dataclass(frozen=True, slots=True)
class ChannelEdit:
    channel: Channel
    changes: list[ChannelChange]
    currency_changed_with_listings: bool


async def list_channels(uow: UnitOfWork, team_id: int) -> list[Channel]:
    return list(
        (
            await uow.session.scalars(
                select(Channel).where(Channel.team_id == team_id).order_by(Channel.name)
            )
        ).all()
    )


async def find_channel(uow: UnitOfWork, team_id: int, name: str) -> Channel:
    """The team's channel called `name` (any case); NotFound lists the team's channels."""
    wanted = name.strip().lower()
    channel = await uow.session.scalar(
        select(Channel).where(Channel.team_id == team_id, Channel.name == wanted)
    )
    if channel is None:
        raise await channel_not_found(uow, team_id, name)
    return channel


async def channel_not_found(uow: UnitOfWork, team_id: int, name: str) -> NotFound:
    names = [c.name for c in await list_channels(uow, team_id)]
    if not names:
        return NotFound(
            N_(
                "There is no channel “{name}”. This team has no channels yet: add one with "
                "<code>/channel add temu-us-semi</code>."
            ),
            name=shown(name),
        )
    return NotFound(
        N_("There is no channel “{name}”. This team's channels: {names}."),
        name=shown(name),
        names=", ".join(names),
    )


async def channel_by_id(uow: UnitOfWork, team_id: int, channel_id: int) -> Channel | None:
    """A channel named by a button: only within the actor's team (else None)."""
    return await uow.session.scalar(
        select(Channel).where(Channel.id == channel_id, Channel.team_id == team_id)
    )


def preset_or_error(name: str) -> Preset:
    try:
        return get_preset(name)
    except UnknownPresetError:
        raise UnknownPresetName(name) from None


class UnknownPresetName(UserInputError):
    """No preset has that name; the chat answers with the list of presets."""

    def __init__(self, name: str) -> None:
        super().__init__(N_("There is no preset “{name}”."), name=shown(name))
        self.name = name


async def add_channel(
    uow: UnitOfWork, access: TeamAccess, args: Arguments, now: datetime
) -> tuple[Channel, Preset]:
    """`/channel add <preset> [name=…]`: a new channel from a preset."""
    access.require(Action.MANAGE_CHANNELS)
    if not args.words:
        raise UnknownPresetName("")
    preset = preset_or_error(args.words[0])
    name = preset.name
    for key, value in args.pairs:
        if key != "name":
            raise unknown_key(key, ["name"], f"/channel add {preset.name} name=my-{preset.name}")
        name = value
    name = normalize_name(name)
    if len(args.words) > 1:
        raise UserInputError(
            N_("Give the channel's name as <code>name=…</code>, like <code>{example}</code>."),
            example=f"/channel add {preset.name} name={preset.name}-2",
        )
    await _require_free_name(uow, access.team_id, name)
    columns = pricing_inputs.channel_columns(preset.channel)
    for field in ("platform", "market"):  # the columns' lengths
        columns[field] = columns[field][: MAX_LENGTHS[field]]
    channel = Channel(
        team_id=access.team_id,
        name=name,
        preset=preset.name,
        timezone=market_timezone(preset.channel.market),
        created_at=now,
        updated_at=now,
        **columns,
    )
    uow.session.add(channel)
    try:
        await uow.session.flush()
    except IntegrityError:  # a concurrent add took the name
        raise _name_taken(name) from None
    return channel, preset


def _name_taken(name: str) -> Conflict:
    return Conflict(
        N_(
            "This team already has a channel called “{name}”. Choose another name, like "
            "<code>/channel add temu-us-semi name=temu-us-2</code>."
        ),
        name=name,
    )


async def _require_free_name(uow: UnitOfWork, team_id: int, name: str) -> None:
    taken = await uow.session.scalar(
        select(Channel.id).where(Channel.team_id == team_id, Channel.name == name)
    )
    if taken is not None:
        raise _name_taken(name)


def _parse_edit_value(
    channel: str, field: str, text: str, currency: str, style: NumberStyle | None = None
) -> object:
    if field in GRID_FIELDS:
        try:
            value = parse_channel_value(field, text, style=style)
        except InputError as exc:
            raise grid_error(exc.with_field(field), channel, currency) from None
        if isinstance(value, tuple):  # endings are stored as text: '0.49,0.99'
            return format_endings(value) or None
        return value
    if field == "name":
        return normalize_name(text)
    if field == "timezone":
        zone = text.strip()
        if not is_valid_timezone(zone):
            raise UserInputError(
                N_(
                    "“{value}” is not a time zone I know. Write it as Area/City from the IANA "
                    "database, for example Asia/Shanghai, Europe/Berlin, America/New_York or "
                    "Asia/Seoul."
                ),
                value=shown(zone),
            )
        return zone
    try:
        value = parse_channel_value(field, text, style=style)
    except InputError as exc:
        raise field_error(exc, edit_example(channel, field), field_name=field) from None
    if field in MAX_LENGTHS and len(str(value)) > MAX_LENGTHS[field]:
        raise UserInputError(
            N_("<b>{field}</b>: “{value}” is too long (at most {limit} characters)."),
            field=field,
            value=shown(text),
            limit=MAX_LENGTHS[field],
        )
    return value


def _stored(value: object) -> object:
    """Enum values are stored as their strings."""
    return getattr(value, "value", value)


async def edit_channel(
    uow: UnitOfWork, access: TeamAccess, name: str, args: Arguments, now: datetime
) -> ChannelEdit:
    """`/channel <name> key=value …`: validate every value, then apply them all."""
    access.require(Action.MANAGE_CHANNELS)
    if args.words:
        raise UserInputError(
            N_("Write each change as <code>field=value</code>, like <code>{example}</code>."),
            example=f"/channel {name} commission=12",
        )
    channel = await find_channel(uow, access.team_id, name)
    values: dict[str, object] = {}
    for key, text in args.pairs:
        if key not in EDITABLE_FIELDS:
            raise unknown_key(key, list(EDITABLE_FIELDS), f"/channel {channel.name} commission=12")
        values[key] = _stored(
            _parse_edit_value(channel.name, key, text, channel.currency, args.style)
        )
    changes = [
        ChannelChange(key, getattr(channel, key), value)
        for key, value in values.items()
        if getattr(channel, key) != value
    ]
    if "name" in values and values["name"] != channel.name:
        await _require_free_name(uow, access.team_id, str(values["name"]))
    for change in changes:
        setattr(channel, change.field, change.after)
    try:
        channel_params(channel)  # the engine accepts the whole profile
    except InputError as exc:
        if exc.field in GRID_FIELDS:  # e.g. 0.99 on KRW, or a step of 0.005 USD
            raise grid_error(exc, channel.name, channel.currency) from None
        raise UserInputError(
            N_("These values do not fit together: {detail}"), detail=str(exc)
        ) from None
    except ValueError as exc:
        raise UserInputError(
            N_("These values do not fit together: {detail}"), detail=str(exc)
        ) from None
    currency_changed = any(c.field == "currency" for c in changes) and await _has_listings(
        uow, channel.id
    )
    if changes:
        channel.updated_at = now
        await uow.session.flush()
        if any(c.field not in DESCRIPTIVE_FIELDS for c in changes):
            await margins.recheck_margins(
                uow,
                access.team_id,
                now,
                campaign_ids=await campaigns_on(uow, channel.id),
            )
    return ChannelEdit(channel, changes, currency_changed)


async def _has_listings(uow: UnitOfWork, channel_id: int) -> bool:
    found = await uow.session.scalar(
        select(Listing.id).where(Listing.channel_id == channel_id, Listing.list_price.is_not(None))
    )
    return found is not None


async def campaigns_on(uow: UnitOfWork, channel_id: int) -> list[int]:
    return list(
        await uow.session.scalars(select(Campaign.id).where(Campaign.channel_id == channel_id))
    )


async def _refuse_if_used(uow: UnitOfWork, channel: Channel) -> None:
    names = list(
        (
            await uow.session.scalars(
                select(Campaign.name)
                .where(Campaign.channel_id == channel.id)
                .order_by(Campaign.starts_at)
                .limit(5)
            )
        ).all()
    )
    if names:
        total = await uow.session.scalar(
            select(func.count(Campaign.id)).where(Campaign.channel_id == channel.id)
        )
        listed = ", ".join(names) + (" …" if (total or 0) > len(names) else "")
        raise Conflict(
            N_(
                "Channel “{name}” is used by campaigns ({campaigns}), so it cannot be deleted. "
                "Delete those campaigns first."
            ),
            name=channel.name,
            campaigns=listed,
        )


async def channel_to_delete(uow: UnitOfWork, access: TeamAccess, name: str) -> Channel:
    """`/channel del <name>`: what the confirmation will delete (refused if campaigns use it)."""
    access.require(Action.MANAGE_CHANNELS)
    channel = await find_channel(uow, access.team_id, name)
    await _refuse_if_used(uow, channel)
    return channel


async def delete_channel(uow: UnitOfWork, access: TeamAccess, channel: Channel) -> None:
    """Delete the channel (its listings and their price history go with it)."""
    access.require(Action.MANAGE_CHANNELS)
    await _refuse_if_used(uow, channel)
    await uow.session.delete(channel)
    try:
        await uow.session.flush()
    except IntegrityError:  # a campaign was created on it meanwhile (ON DELETE RESTRICT)
        raise Conflict(
            N_("Channel “{name}” is used by a campaign, so it cannot be deleted."),
            name=channel.name,
        ) from None
