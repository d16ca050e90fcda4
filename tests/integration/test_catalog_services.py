"""Catalogue use cases on SQLite and PostgreSQL: price history and the 30-day lowest price,
margin re-checks in the same transaction, all-or-nothing imports, channel deletion rules."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.db.models import Campaign, Channel, Listing, PendingImport, PriceHistory, Sku, User
from bot.db.uow import UnitOfWork, UnitOfWorkFactory
from bot.domain.errors import Conflict
from bot.domain.permissions import Action
from bot.services import catalog, channels, imports, margins
from bot.services.access import TeamAccess, team_for
from bot.services.actor import Actor
from bot.services.arguments import parse_arguments
from bot.services.pricing_inputs import listings_for
from bot.views.exports import catalogue_files

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
USER = 501


async def access_for(uow: UnitOfWork, user_id: int = USER, now: datetime = NOW) -> TeamAccess:
    if await uow.session.get(User, user_id) is None:
        uow.session.add(User(id=user_id, first_name=f"U{user_id}", created_at=now, updated_at=now))
        await uow.session.flush()
    return await team_for(uow, Actor(user_id, user_id, "private"), now, Action.READ)


async def setup_team(uow_factory: UnitOfWorkFactory, *presets: str) -> int:
    async with uow_factory() as uow:
        access = await access_for(uow)
        for preset in presets:
            await channels.add_channel(uow, access, parse_arguments(preset), NOW)
        await uow.commit()
        return access.team_id


async def count(uow_factory: UnitOfWorkFactory, model: Any) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_list_price_changes_build_the_history_and_the_30_day_lowest(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await setup_team(uow_factory, "temu-us-semi")
    steps = [
        (NOW, "add A1 unit_cost=10 list_price=19.99"),
        (NOW + timedelta(days=10), "A1 list_price=14.99"),
        (NOW + timedelta(days=12), "A1 list_price=24.99"),
        (NOW + timedelta(days=13), "A1 list_price=24.99 packaging=1"),  # same price: no row
    ]
    for moment, text in steps:
        async with uow_factory() as uow:
            access = await access_for(uow, now=moment)
            args = parse_arguments(text)
            if args.words[0] == "add":
                args.words.pop(0)
                await catalog.add_sku(uow, access, args, moment)
            else:
                await catalog.edit_sku(uow, access, args.words.pop(0), args, moment)
            await uow.commit()
    async with uow_factory() as uow:
        prices = (
            await uow.session.scalars(select(PriceHistory.price).order_by(PriceHistory.id))
        ).all()
        assert prices == [Decimal("19.99"), Decimal("14.99"), Decimal("24.99")]
        sku = await uow.session.scalar(select(Sku))
        channel = await uow.session.scalar(select(Channel))
        assert sku is not None and channel is not None and sku.packaging == Decimal(1)
        at_20 = await listings_for(uow, channel.id, [sku.id], NOW + timedelta(days=20))
        assert at_20[sku.id].list_price == Decimal("24.99")
        assert at_20[sku.id].lowest_30d == Decimal("14.99")  # the dip on day 10
        at_45 = await listings_for(uow, channel.id, [sku.id], NOW + timedelta(days=45))
        assert at_45[sku.id].lowest_30d == Decimal("24.99")  # the dip left the window
    async with uow_factory() as uow:  # a manual lowest_30d overrides the history
        access = await access_for(uow)
        await catalog.edit_sku(uow, access, "A1", parse_arguments("lowest_30d=9.99"), NOW)
        await uow.commit()
        at_20 = await listings_for(uow, channel.id, [sku.id], NOW + timedelta(days=20))
        assert at_20[sku.id].lowest_30d == Decimal("9.99")


async def test_changes_recheck_margins_inside_the_same_transaction(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, list[int] | None, list[int] | None, Decimal | None]] = []

    async def recording_recheck(
        uow: UnitOfWork,
        team_id: int,
        now: datetime,
        *,
        campaign_ids: Iterable[int] | None = None,
        sku_ids: Iterable[int] | None = None,
    ) -> None:
        # what the re-check reads is the new state, not yet committed
        cost = await uow.session.scalar(select(Sku.unit_cost).where(Sku.code == "A1"))
        seen.append(
            (
                "call",
                None if sku_ids is None else list(sku_ids),
                None if campaign_ids is None else list(campaign_ids),
                cost,
            )
        )

    monkeypatch.setattr(margins, "recheck_margins", recording_recheck)
    await setup_team(uow_factory, "temu-us-semi")
    async with uow_factory() as uow:
        access = await access_for(uow)
        saved = await catalog.add_sku(uow, access, parse_arguments("A1 unit_cost=10"), NOW)
        await uow.commit()
    assert seen == []  # a new SKU is in no campaign yet
    async with uow_factory() as uow:
        access = await access_for(uow)
        await catalog.edit_sku(uow, access, "A1", parse_arguments("unit_cost=11"), NOW)
        await uow.commit()
    assert seen == [("call", [saved.sku.id], None, Decimal(11))]
    async with uow_factory() as uow:
        access = await access_for(uow)
        await channels.edit_channel(
            uow, access, "temu-us-semi", parse_arguments("commission=10"), NOW
        )
        await channels.edit_channel(
            uow, access, "temu-us-semi", parse_arguments("timezone=Asia/Tokyo"), NOW
        )
        await uow.commit()
    assert len(seen) == 2 and seen[1][2] == []  # fees: yes; the time zone alone: no re-check


CSV = (
    b"sku,name,unit_cost,duty_rate,list_price@temu-us-semi,list_price@amazon-de\n"
    b"A1,Mug,10,7.5,19.99,17.99\n"
    b"A2,Cup,4.5,0,9.99,\n"
    b"A3,Pot,20,25,,\n"
)


async def preview(uow_factory: UnitOfWorkFactory, content: bytes) -> imports.ImportPreview:
    async with uow_factory() as uow:
        access = await access_for(uow)
        result = await imports.preview_import(
            uow, access, "skus.csv", imports.read_table("skus.csv", content), NOW
        )
        await uow.commit()
        return result


async def apply(uow_factory: UnitOfWorkFactory, pending_id: int) -> imports.ImportResult:
    async with uow_factory() as uow:
        access = await access_for(uow)
        pending = await imports.pending_import(uow, access, pending_id, NOW)
        assert pending is not None
        result = await imports.apply_import(uow, access, pending, NOW)
        await uow.commit()
        return result


async def test_import_preview_then_apply_then_round_trip(uow_factory: UnitOfWorkFactory) -> None:
    await setup_team(uow_factory, "temu-us-semi", "amazon-de")
    first = await preview(uow_factory, CSV)
    assert (first.new, first.changed, first.unchanged, first.errors) == (3, 0, 0, [])
    assert first.pending_id is not None
    assert await count(uow_factory, Sku) == 0  # a preview writes no SKU
    result = await apply(uow_factory, first.pending_id)
    assert (result.new, result.changed, result.price_changes) == (3, 0, 3)
    assert await count(uow_factory, Sku) == 3
    assert await count(uow_factory, Listing) == 3
    assert await count(uow_factory, PendingImport) == 0
    async with uow_factory() as uow:
        a1 = await catalog.find_sku(uow, (await access_for(uow)).team_id, "A1")
        assert (a1.name, a1.unit_cost, a1.cost_currency, a1.duty_rate) == (
            "Mug",
            Decimal(10),
            "CNY",  # the team's cost currency
            Decimal("0.075"),
        )

    again = await preview(uow_factory, CSV)
    assert (again.new, again.changed, again.unchanged, again.pending_id) == (0, 0, 3, None)

    changed = CSV.replace(b"A2,Cup,4.5,0,9.99,", b"A2,Cup,4.5,0,8.99,")
    update = await preview(uow_factory, changed)
    assert (update.new, update.changed, update.unchanged) == (0, 1, 2)
    assert update.pending_id is not None
    result = await apply(uow_factory, update.pending_id)
    assert result.price_changes == 1
    assert await count(uow_factory, PriceHistory) == 4

    async with uow_factory() as uow:
        exported = catalogue_files(await imports.catalogue_table(uow, await access_for(uow)))
    assert exported.rows == 3
    for name, content in (("back.csv", exported.csv), ("back.xlsx", exported.xlsx)):
        async with uow_factory() as uow:
            access = await access_for(uow)
            round_trip = await imports.preview_import(
                uow, access, name, imports.read_table(name, content), NOW
            )
        assert (round_trip.new, round_trip.changed, round_trip.unchanged) == (0, 0, 3), name
        assert round_trip.errors == []


async def test_import_writes_nothing_when_the_confirmation_fails(
    uow_factory: UnitOfWorkFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    team_id = await setup_team(uow_factory, "temu-us-semi", "amazon-de")
    pending = await preview(uow_factory, CSV)
    assert pending.pending_id is not None

    async def failing_recheck(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the margin re-check failed after the bulk writes")

    async with uow_factory() as uow:  # a SKU changes before the confirmation …
        access = await access_for(uow)
        await catalog.add_sku(uow, access, parse_arguments("A2 unit_cost=1"), NOW)
        await uow.commit()
    monkeypatch.setattr(margins, "recheck_margins", failing_recheck)
    with pytest.raises(RuntimeError):  # … so the apply re-checks margins, and that fails
        await apply(uow_factory, pending.pending_id)
    assert await count(uow_factory, Sku) == 1  # only the SKU added by hand
    assert await count(uow_factory, Listing) == 0
    assert await count(uow_factory, PriceHistory) == 0
    assert await count(uow_factory, PendingImport) == 1

    async with uow_factory() as uow:  # a channel deleted since the preview: refused
        channel = await channels.find_channel(uow, team_id, "amazon-de")
        await uow.session.delete(channel)
        await uow.commit()
    with pytest.raises(Conflict):
        await apply(uow_factory, pending.pending_id)
    assert await count(uow_factory, Sku) == 1


async def test_an_update_only_file_cannot_create_skus(uow_factory: UnitOfWorkFactory) -> None:
    await setup_team(uow_factory, "temu-us-semi")
    async with uow_factory() as uow:
        access = await access_for(uow)
        await catalog.add_sku(uow, access, parse_arguments("A1 unit_cost=3"), NOW)
        await uow.commit()
    result = await preview(uow_factory, b"sku,list_price\nA1,5.00\nB9,6.00\n")
    assert [(e.row, e.problem) for e in result.errors] == [(3, "new_needs_cost")]
    assert result.pending_id is None
    result = await preview(uow_factory, b"sku,list_price\nA1,5.00\n")
    assert (result.changed, result.errors) == (1, [])
    assert result.pending_id is not None
    await apply(uow_factory, result.pending_id)
    async with uow_factory() as uow:
        listing = await uow.session.scalar(select(Listing))
        assert listing is not None and listing.list_price == Decimal("5.00")
        sku = await uow.session.scalar(select(Sku))
        assert sku is not None and sku.unit_cost == Decimal(3)  # costs untouched


async def test_a_channel_used_by_a_campaign_cannot_be_deleted(
    uow_factory: UnitOfWorkFactory,
) -> None:
    team_id = await setup_team(uow_factory, "temu-us-semi", "amazon-de")
    async with uow_factory() as uow:
        access = await access_for(uow)
        await catalog.add_sku(
            uow, access, parse_arguments("A1 unit_cost=3 list_price@amazon-de=9.99"), NOW
        )
        channel = await channels.find_channel(uow, team_id, "temu-us-semi")
        uow.session.add(
            Campaign(
                team_id=team_id,
                channel_id=channel.id,
                name="Black Friday",
                starts_at=NOW,
                ends_at=NOW + timedelta(days=3),
                timezone="America/New_York",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await uow.commit()
    async with uow_factory() as uow:
        access = await access_for(uow)
        with pytest.raises(Conflict) as caught:
            await channels.channel_to_delete(uow, access, "temu-us-semi")
        assert caught.value.params["campaigns"] == "Black Friday"
        unused = await channels.channel_to_delete(uow, access, "amazon-de")
        await channels.delete_channel(uow, access, unused)
        await uow.commit()
    assert await count(uow_factory, Channel) == 1
    assert await count(uow_factory, Listing) == 0  # the listing went with its channel
    assert await count(uow_factory, PriceHistory) == 0
