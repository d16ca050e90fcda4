"""Decimal amounts and aware datetimes come back exactly as they went in, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.models import FxRate, Team
from bot.db.uow import UnitOfWorkFactory

AMOUNTS = [
    Decimal("58.34"),
    Decimal("0.1"),
    Decimal("12345678901234567890.123456789012"),
    Decimal("-0.000001"),
    Decimal("7.10"),  # trailing zero kept
    Decimal("1E+3"),
]


async def test_decimals_round_trip_exactly(uow_factory: UnitOfWorkFactory) -> None:
    now = datetime.now(UTC)
    async with uow_factory() as uow:
        for index, amount in enumerate(AMOUNTS):
            uow.session.add(
                FxRate(
                    source="test",
                    base="EUR",
                    quote=f"X{index:02d}",
                    rate=amount,
                    rate_date=now.date(),
                    fetched_at=now,
                )
            )
        await uow.commit()
    async with uow_factory() as uow:
        rows = (await uow.session.scalars(select(FxRate).order_by(FxRate.quote))).all()
    got = [row.rate for row in rows]
    assert all(isinstance(value, Decimal) for value in got)
    assert got == AMOUNTS  # equal in value
    assert [str(v) for v in got[:5]] == [str(v) for v in AMOUNTS[:5]]  # and in digits


async def test_aware_datetimes_round_trip_as_utc(uow_factory: UnitOfWorkFactory) -> None:
    shanghai = datetime(2026, 11, 20, 12, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Shanghai"))
    async with uow_factory() as uow:
        team = Team(name="t", created_at=shanghai, updated_at=shanghai)
        uow.session.add(team)
        await uow.commit()
        team_id = team.id
    async with uow_factory() as uow:
        loaded = await uow.session.get(Team, team_id)
        assert loaded is not None
        assert loaded.created_at == shanghai
        assert loaded.created_at.utcoffset() == timedelta(0)
        assert loaded.created_at.hour == 4


async def test_naive_datetime_and_float_are_refused(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        uow.session.add(
            Team(name="t", created_at=datetime(2026, 1, 1), updated_at=datetime.now(UTC))
        )
        with pytest.raises(Exception, match="naive"):
            await uow.commit()
    async with uow_factory() as uow:
        now = datetime.now(UTC)
        uow.session.add(Team(name="t", target_margin=0.15, created_at=now, updated_at=now))  # type: ignore[arg-type]
        with pytest.raises(Exception, match="float"):
            await uow.commit()


async def test_datetimes_compare_in_sql_across_zones(uow_factory: UnitOfWorkFactory) -> None:
    """A filter on time must work in UTC whatever zone the parameter was given in."""
    base = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    async with uow_factory() as uow:
        for hours in range(4):
            moment = base + timedelta(hours=hours)
            uow.session.add(Team(name=f"t{hours}", created_at=moment, updated_at=moment))
        await uow.commit()
    cutoff = datetime(2026, 3, 29, 3, 0, tzinfo=timezone(timedelta(hours=2)))  # 01:00 UTC
    async with uow_factory() as uow:
        names = (
            await uow.session.scalars(
                select(Team.name).where(Team.created_at > cutoff).order_by(Team.name)
            )
        ).all()
    assert names == ["t1", "t2", "t3"]


async def test_unit_of_work_rolls_back_unless_committed(uow_factory: UnitOfWorkFactory) -> None:
    now = datetime.now(UTC)
    async with uow_factory() as uow:
        uow.session.add(Team(name="uncommitted", created_at=now, updated_at=now))
        await uow.flush()
    async with uow_factory() as uow:
        assert (await uow.session.scalars(select(Team))).all() == []
