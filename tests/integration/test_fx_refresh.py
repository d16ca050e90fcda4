"""FX refresh against a local copy of the ECB feed, on SQLite and PostgreSQL: rates stored
with their date, cross rates through EUR, failures that keep the old rates and mark them
stale, one fetch among several processes, manual overrides."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from bot.db import models
from bot.db.uow import UnitOfWorkFactory
from bot.services import fx
from bot.services.pricing_inputs import load_fx_table
from tests.ecb_server import ecb_server
from tests.notifications_fixtures import add_channel, add_sku, add_team, utc

NOW = utc(2026, 11, 25, 16, 0)


async def rate_count(uow_factory: UnitOfWorkFactory) -> int:
    async with uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count(models.FxRate.id))) or 0)


async def test_a_refresh_stores_the_days_rates_and_crosses_through_eur(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with ecb_server() as server:
        result = await fx.refresh(uow_factory, server.url, NOW)
        again = await fx.refresh(uow_factory, server.url, NOW + timedelta(hours=1))
    assert result.ok and result.rate_date == date(2026, 11, 25) and result.count == 29
    assert result.new == 29 and again.ok and again.new == 0
    assert await rate_count(uow_factory) == 29
    async with uow_factory() as uow:
        table = await load_fx_table(uow, None)
        state = await uow.session.get(models.JobState, fx.FX_JOB)
    quote = table.quote("CNY", "USD")
    assert quote is not None and quote.as_of == date(2026, 11, 25)
    assert quote.numerator / quote.denominator == Decimal("1.0532") / Decimal("7.6247")
    assert state is not None and state.last_success_at == NOW + timedelta(hours=1)


async def test_a_failed_fetch_keeps_the_rates_and_they_turn_stale(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        team = await add_team(uow, cost_currency="CNY")
        await add_channel(uow, team, currency="USD")
        await add_sku(uow, team, "A1", Decimal(10))
        await uow.commit()
    async with ecb_server() as server:
        assert (await fx.refresh(uow_factory, server.url, NOW)).ok
        server.status = 503
        failed = await fx.refresh(uow_factory, server.url, NOW + timedelta(days=4))
        server.status = 200
        server.content = b"<html>we are down</html>"
        garbage = await fx.refresh(uow_factory, server.url, NOW + timedelta(days=4, hours=2))
    unreachable = await fx.refresh(
        uow_factory, "http://127.0.0.1:9/eurofxref-daily.xml", NOW + timedelta(days=4, hours=3)
    )
    assert (failed.ok, failed.error) == (False, "HTTP 503")
    assert not garbage.ok and garbage.error == "no dated Cube element"
    assert not unreachable.ok
    assert await rate_count(uow_factory) == 29  # the old rates stay
    async with uow_factory() as uow:
        team_row = await uow.session.scalar(select(models.Team))
        assert team_row is not None
        fresh = await fx.overview(uow, team_row, NOW + timedelta(days=3))
        stale = await fx.overview(uow, team_row, NOW + timedelta(days=4, hours=3))
    assert [(p.from_currency, p.to_currency, p.stale) for p in fresh.pairs] == [
        ("CNY", "USD", False)
    ]
    assert stale.pairs[0].stale and stale.last_error is not None
    assert stale.latest == date(2026, 11, 25)


async def test_only_one_process_fetches_when_a_refresh_falls_due(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with ecb_server() as server:
        results = await asyncio.gather(
            *(fx.refresh_if_due(uow_factory, server.url, NOW) for _ in range(4))
        )
        assert server.requests == 1
        assert sum(r is not None for r in results) == 1
        assert await fx.refresh_if_due(uow_factory, server.url, NOW + timedelta(hours=2)) is None
        # after the next publication (16:30 Berlin = 15:30 UTC) it is due again
        later = await fx.refresh_if_due(uow_factory, server.url, utc(2026, 11, 26, 15, 30))
        assert later is not None and server.requests == 2


async def test_a_manual_rate_wins_and_can_be_removed(uow_factory: UnitOfWorkFactory) -> None:
    async with ecb_server() as server:
        await fx.refresh(uow_factory, server.url, NOW)
    async with uow_factory() as uow:
        team = await add_team(uow)
        await fx.set_override(uow, team, None, "USD", "CNY", Decimal("7.10"), NOW)
        await fx.set_override(uow, team, None, "CNY", "USD", Decimal("0.15"), NOW)  # replaces
        await uow.commit()
        table = await load_fx_table(uow, team.id)
        quote = table.quote("USD", "CNY")
        assert quote is not None and quote.sources == ("manual",)
        assert quote.numerator / quote.denominator == 1 / Decimal("0.15")
        overrides = (await uow.session.scalars(select(models.FxOverride))).all()
        assert len(overrides) == 1
        assert await fx.remove_override(uow, team, "USD", "CNY", NOW)
        await uow.commit()
        table = await load_fx_table(uow, team.id)
        quote = table.quote("USD", "CNY")
        assert quote is not None and quote.sources == ("ecb",)
