"""Rows for campaign tests, inserted directly (the catalogue and team commands are other
features): a user with a team, a channel from a preset, SKUs with listings, FX, members
and group bindings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from bot.db.models import Channel as ChannelRow
from bot.db.models import (
    ChatBinding,
    FxOverride,
    Listing,
    Membership,
    Sku,
    Team,
)
from bot.db.models import User as UserRow
from bot.db.uow import UnitOfWorkFactory
from bot.domain.enums import Role
from bot.pricing import get_preset
from bot.services.pricing_inputs import channel_columns
from bot.telegram_stub import User

SEEDED_AT = datetime(2026, 10, 1, tzinfo=UTC)
CNY_USD = Decimal("0.1385")


async def seed_user(
    uow_factory: UnitOfWorkFactory,
    user: User,
    *,
    timezone: str = "Asia/Shanghai",
    team_name: str | None = None,
    target_margin: Decimal = Decimal("0.15"),
) -> int:
    """The user (onboarded) and their personal team, which they own. Returns the team id."""
    async with uow_factory() as uow:
        team = Team(
            name=team_name or user.first_name,
            is_personal=True,
            cost_currency="CNY",
            target_margin=target_margin,
            fx_buffer=Decimal("0.02"),
            timezone=timezone,
            created_at=SEEDED_AT,
            updated_at=SEEDED_AT,
        )
        uow.session.add(team)
        await uow.session.flush()
        uow.session.add(
            UserRow(
                id=user.id,
                first_name=user.first_name,
                language_code=user.language_code,
                timezone=timezone,
                active_team_id=team.id,
                onboarded_at=SEEDED_AT,
                created_at=SEEDED_AT,
                updated_at=SEEDED_AT,
            )
        )
        await uow.session.flush()
        uow.session.add(
            Membership(team_id=team.id, user_id=user.id, role=Role.OWNER, joined_at=SEEDED_AT)
        )
        await uow.commit()
        return team.id


async def add_member(
    uow_factory: UnitOfWorkFactory,
    team_id: int,
    user: User,
    role: Role,
    *,
    timezone: str = "Asia/Shanghai",
    active: bool = True,
) -> None:
    """`user` joins the team with `role` (and makes it their active team)."""
    async with uow_factory() as uow:
        row = await uow.session.get(UserRow, user.id)
        if row is None:
            uow.session.add(
                UserRow(
                    id=user.id,
                    first_name=user.first_name,
                    language_code=user.language_code,
                    timezone=timezone,
                    onboarded_at=SEEDED_AT,
                    created_at=SEEDED_AT,
                    updated_at=SEEDED_AT,
                )
            )
            await uow.session.flush()
        uow.session.add(
            Membership(team_id=team_id, user_id=user.id, role=role, joined_at=SEEDED_AT)
        )
        await uow.session.flush()
        if active:
            row = await uow.session.get(UserRow, user.id)
            assert row is not None
            row.active_team_id = team_id
        await uow.commit()


async def bind_group(
    uow_factory: UnitOfWorkFactory, team_id: int, chat_id: int, *, thread_id: int = 0
) -> None:
    async with uow_factory() as uow:
        uow.session.add(
            ChatBinding(
                team_id=team_id,
                chat_id=chat_id,
                thread_id=thread_id,
                kind="group",
                title="group",
                bound_at=SEEDED_AT,
            )
        )
        await uow.commit()


async def seed_channel(
    uow_factory: UnitOfWorkFactory,
    team_id: int,
    *,
    preset: str = "temu-us-semi",
    name: str = "temu-us",
    timezone: str = "America/New_York",
) -> int:
    """A channel with the preset's values (percent fields are fractions)."""
    async with uow_factory() as uow:
        row = ChannelRow(
            team_id=team_id,
            name=name,
            preset=preset,
            **channel_columns(get_preset(preset).channel),
            timezone=timezone,
            created_at=SEEDED_AT,
            updated_at=SEEDED_AT,
        )
        uow.session.add(row)
        await uow.commit()
        return row.id


@dataclass(frozen=True)
class SkuSpec:
    code: str
    unit_cost: Decimal
    list_price: Decimal | None
    listed: bool = True  # has a listing on the channel (list_price may still be None)
    packaging: Decimal = Decimal(0)
    first_mile: Decimal = Decimal(0)
    duty_rate: Decimal = Decimal(0)
    cost_currency: str = "CNY"
    lowest_30d: Decimal | None = None


async def seed_skus(
    uow_factory: UnitOfWorkFactory, team_id: int, channel_id: int, specs: list[SkuSpec]
) -> dict[str, int]:
    ids: dict[str, int] = {}
    async with uow_factory() as uow:
        for spec in specs:
            sku = Sku(
                team_id=team_id,
                code=spec.code,
                name=f"Item {spec.code}",
                unit_cost=spec.unit_cost,
                cost_currency=spec.cost_currency,
                packaging=spec.packaging,
                first_mile=spec.first_mile,
                duty_rate=spec.duty_rate,
                created_at=SEEDED_AT,
                updated_at=SEEDED_AT,
            )
            uow.session.add(sku)
            await uow.session.flush()
            ids[spec.code] = sku.id
            if spec.listed:
                uow.session.add(
                    Listing(
                        sku_id=sku.id,
                        channel_id=channel_id,
                        list_price=spec.list_price,
                        lowest_30d=spec.lowest_30d,
                        created_at=SEEDED_AT,
                        updated_at=SEEDED_AT,
                    )
                )
        await uow.commit()
    return ids


async def set_fx(
    uow_factory: UnitOfWorkFactory,
    team_id: int,
    base: str = "CNY",
    quote: str = "USD",
    rate: Decimal = CNY_USD,
) -> None:
    async with uow_factory() as uow:
        uow.session.add(
            FxOverride(team_id=team_id, base=base, quote=quote, rate=rate, set_at=SEEDED_AT)
        )
        await uow.commit()


def black_friday_skus() -> list[SkuSpec]:
    """30 SKUs: most can join a 20 % Black Friday with a 30 %-capped-at-5 subsidy; some are
    under the floor at list price, some cannot reach the minimum discount, some have no
    list price; two big-ticket ones hit the subsidy cap."""
    specs: list[SkuSpec] = []
    for i in range(30):
        cost = Decimal(40 + 5 * i)
        code = f"BF{i:02d}"
        if i in (3, 11, 19):  # list price under the floor
            price: Decimal | None = (cost * Decimal("0.15")).quantize(Decimal("0.01"))
        elif i in (7, 15, 23):  # above the floor, but not 20 % below it
            price = (cost * Decimal("0.18")).quantize(Decimal("0.01"))
        elif i in (5, 13, 21):  # listed without a price
            price = None
        elif i in (28, 29):  # big ticket: the subsidy's cap applies
            cost = Decimal(1500)
            price = Decimal("449.99")
        else:
            price = (cost * Decimal("0.30")).quantize(Decimal("1")) - Decimal("0.01")
        specs.append(
            SkuSpec(
                code=code,
                unit_cost=cost,
                list_price=price,
                packaging=Decimal("1.5") if i % 2 else Decimal(0),
                first_mile=Decimal("3") if i % 3 == 0 else Decimal(0),
            )
        )
    return specs
