"""Issue 11 at the service level, on SQLite and PostgreSQL: held /sku changes and what their
confirmation covers; history corrections and removals — the current list price follows its
newest entry, the audit keeps the old value, another team's entry is not found, a viewer
cannot change it."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.db.models import CatalogAudit, Listing, PendingChange, PriceHistory, Sku
from bot.db.uow import UnitOfWorkFactory
from bot.domain.enums import Role
from bot.domain.errors import Conflict, NotAllowed, UserInputError
from bot.services import catalog
from bot.services.access import TeamAccess
from bot.services.arguments import parse_arguments
from tests.integration.test_catalog_services import NOW, access_for, count, setup_team

DAY = timedelta(days=1)


async def sku_command(
    uow_factory: UnitOfWorkFactory, text: str, now: datetime = NOW, user: int = 501
) -> catalog.SkuSaved | catalog.HeldChange:
    async with uow_factory() as uow:
        access = await access_for(uow, user, now)
        args = parse_arguments(text)
        if args.words[0] == "add":
            args.words.pop(0)
            result = await catalog.add_sku(uow, access, args, now)
        else:
            result = await catalog.edit_sku(uow, access, args.words.pop(0), args, now)
        await uow.commit()
        return result


async def prices(uow_factory: UnitOfWorkFactory) -> tuple[list[Decimal], Decimal | None]:
    async with uow_factory() as uow:
        history = list(
            await uow.session.scalars(
                select(PriceHistory.price).order_by(PriceHistory.effective_at, PriceHistory.id)
            )
        )
        current = await uow.session.scalar(select(Listing.list_price))
    return history, current


async def entry_ids(uow_factory: UnitOfWorkFactory) -> list[int]:
    async with uow_factory() as uow:
        return list(
            await uow.session.scalars(
                select(PriceHistory.id).order_by(PriceHistory.effective_at, PriceHistory.id)
            )
        )


async def ref_for(uow: object, access: TeamAccess, entry_id: int) -> catalog.EntryRef:
    ref = await catalog.history_entry(uow, access, entry_id)  # type: ignore[arg-type]
    assert ref is not None
    return ref


async def test_a_held_change_writes_nothing_and_its_confirmation_covers_only_what_was_shown(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await setup_team(uow_factory, "temu-us-semi")
    await sku_command(uow_factory, "add A1 unit_cost=10 list_price=19.99")
    held = await sku_command(uow_factory, "A1 list_price=1999 packaging=2")
    assert isinstance(held, catalog.HeldChange)
    assert [w.warning.kind.value for w in held.warnings] == ["jump_up"]
    assert await prices(uow_factory) == ([Decimal("19.99")], Decimal("19.99"))

    # meanwhile someone sets a lowest price by hand: under the held list price it is a tenth
    # or less — a warning the author was not shown, so Confirm asks again
    await sku_command(uow_factory, "A1 lowest_30d=19.99")
    async with uow_factory() as uow:
        access = await access_for(uow)
        again = await catalog.confirm_sku_change(uow, access, held.pending_id, NOW)
        await uow.commit()
    assert isinstance(again, catalog.HeldChange)
    assert sorted(w.warning.kind.value for w in again.warnings) == [
        "jump_up",
        "lowest_far_below",
    ]
    async with uow_factory() as uow:  # the first held change is used up
        access = await access_for(uow)
        assert await catalog.confirm_sku_change(uow, access, held.pending_id, NOW) is None
        saved = await catalog.confirm_sku_change(uow, access, again.pending_id, NOW)
        await uow.commit()
    assert isinstance(saved, catalog.SkuSaved)
    assert await prices(uow_factory) == ([Decimal("19.99"), Decimal(1999)], Decimal(1999))
    assert await count(uow_factory, PendingChange) == 0
    async with uow_factory() as uow:
        audit = await uow.session.scalar(select(CatalogAudit))
        packaging = await uow.session.scalar(select(Sku.packaging))
    assert audit is not None and audit.action == "price_confirmed"
    assert sorted(audit.changes["warnings"]) == [
        "jump_up:temu-us-semi:1999.00:19.99",
        "lowest_far_below:temu-us-semi:19.99:1999.00",
    ]
    assert packaging == Decimal(2)


async def test_a_new_sku_with_a_lowest_price_above_its_list_price_is_held(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await setup_team(uow_factory, "temu-us-semi")
    held = await sku_command(uow_factory, "add B1 unit_cost=5 list_price=9.99 lowest_30d=12.99")
    assert isinstance(held, catalog.HeldChange) and held.adding
    assert await count(uow_factory, Sku) == 0
    async with uow_factory() as uow:
        access = await access_for(uow)
        assert await catalog.cancel_sku_change(uow, access, held.pending_id, NOW)
        assert not await catalog.cancel_sku_change(uow, access, held.pending_id, NOW)
        await uow.commit()
    assert await count(uow_factory, Sku) == 0 and await count(uow_factory, PendingChange) == 0


async def test_the_current_price_follows_its_newest_entry(uow_factory: UnitOfWorkFactory) -> None:
    await setup_team(uow_factory, "temu-us-semi")
    await sku_command(uow_factory, "add A1 unit_cost=10 list_price=19.99")
    await sku_command(uow_factory, "A1 list_price=17.99", NOW + DAY)
    await sku_command(uow_factory, "A1 list_price=18.99", NOW + 2 * DAY)
    first, second, newest = await entry_ids(uow_factory)
    later = NOW + 3 * DAY
    async with uow_factory() as uow:  # an older entry: the list price stays
        access = await access_for(uow, now=later)
        fix = await catalog.correct_entry(
            uow, access, await ref_for(uow, access, second), "16.99", later
        )
        await uow.commit()
    assert fix.list_price is None and fix.lowest == (Decimal("17.99"), Decimal("16.99"))
    assert await prices(uow_factory) == (
        [Decimal("19.99"), Decimal("16.99"), Decimal("18.99")],
        Decimal("18.99"),
    )
    async with uow_factory() as uow:  # the newest entry is the current price
        access = await access_for(uow, now=later)
        fix = await catalog.correct_entry(
            uow, access, await ref_for(uow, access, newest), "15.99", later
        )
        await uow.commit()
    assert fix.list_price == (Decimal("18.99"), Decimal("15.99"))
    async with uow_factory() as uow:  # removing it brings the one before back
        access = await access_for(uow, now=later)
        fix = await catalog.remove_entry(uow, access, await ref_for(uow, access, newest), later)
        await uow.commit()
    assert fix.after is None and fix.list_price == (Decimal("15.99"), Decimal("16.99"))
    assert await prices(uow_factory) == ([Decimal("19.99"), Decimal("16.99")], Decimal("16.99"))
    async with uow_factory() as uow:
        access = await access_for(uow, now=later)
        await catalog.remove_entry(uow, access, await ref_for(uow, access, second), later)
        await uow.commit()
    async with uow_factory() as uow:  # the last one left cannot go
        access = await access_for(uow, now=later)
        with pytest.raises(Conflict):
            await catalog.remove_entry(uow, access, await ref_for(uow, access, first), later)
        with pytest.raises(UserInputError, match="right price"):
            await catalog.correct_entry(uow, access, await ref_for(uow, access, first), "-3", later)
    assert await prices(uow_factory) == ([Decimal("19.99")], Decimal("19.99"))
    async with uow_factory() as uow:
        trail = [
            (a.action, a.changes.get("price"))
            for a in await uow.session.scalars(select(CatalogAudit).order_by(CatalogAudit.id))
        ]
    assert trail == [
        ("history_correct", ["17.99", "16.99"]),
        ("history_correct", ["18.99", "15.99"]),
        ("history_remove", "15.99"),
        ("history_remove", "16.99"),
    ]


async def test_another_teams_entry_is_not_found_and_a_viewer_cannot_change_one(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await setup_team(uow_factory, "temu-us-semi")
    await sku_command(uow_factory, "add A1 unit_cost=10 list_price=19.99")
    (entry,) = await entry_ids(uow_factory)
    async with uow_factory() as uow:  # user 502's own personal team
        stranger = await access_for(uow, 502)
        assert await catalog.history_entry(uow, stranger, entry) is None
        await uow.commit()
    async with uow_factory() as uow:
        owner = await access_for(uow)
        viewer = TeamAccess(owner.team, Role.VIEWER, owner.user, None)
        ref = await ref_for(uow, viewer, entry)
        page = await catalog.price_history(uow, viewer, ref.sku, None, 0, NOW)
        assert not page.can_edit and [e.price for e in page.entries] == [Decimal("19.99")]
        with pytest.raises(NotAllowed):
            await catalog.correct_entry(uow, viewer, ref, "17.99", NOW)
        with pytest.raises(NotAllowed):
            await catalog.remove_entry(uow, viewer, ref, NOW)
    assert await prices(uow_factory) == ([Decimal("19.99")], Decimal("19.99"))


async def test_history_pages_newest_first(uow_factory: UnitOfWorkFactory) -> None:
    await setup_team(uow_factory, "temu-us-semi")
    await sku_command(uow_factory, "add A1 unit_cost=10 list_price=10.00")
    for day in range(1, 13):
        await sku_command(uow_factory, f"A1 list_price={10 + day}.00", NOW + day * DAY)
    async with uow_factory() as uow:
        access = await access_for(uow)
        sku = await catalog.find_sku(uow, access.team_id, "A1")
        first = await catalog.price_history(uow, access, sku, None, 0, NOW + 13 * DAY)
        last = await catalog.price_history(uow, access, sku, None, 5, NOW + 13 * DAY)
    assert (first.total, first.pages, first.first) == (13, 2, 1)
    assert [e.price for e in first.entries[:2]] == [Decimal(22), Decimal(21)]
    assert (last.page, last.first, [e.price for e in last.entries]) == (
        1,
        11,
        [Decimal(12), Decimal(11), Decimal(10)],
    )
    assert first.entries[0].changed_by == "U501" and first.entries[0].source == "manual"
