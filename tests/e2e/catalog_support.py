"""Helpers for the catalogue's end-to-end tests: teams, roles and bound groups set up
directly in the database, row counts, and what a client shows for our HTML."""

from __future__ import annotations

import html
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from bot.db.models import ChatBinding, FxRate, Membership, Team
from bot.db.models import User as UserRow
from bot.domain.enums import Role
from bot.telegram_stub import User
from bot.telegram_stub.world import Chat
from tests.e2e.conftest import BotHarness


def plain(text: str) -> str:
    """What a Telegram client shows for our HTML (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


async def team_of(harness: BotHarness, user: User) -> int:
    """The user's personal team (created by their first command)."""
    async with harness.uow_factory() as uow:
        team_id = await uow.session.scalar(
            select(Team.id)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.user_id == user.id, Team.is_personal.is_(True))
        )
    assert team_id is not None, f"{user.first_name} has no personal team yet"
    return team_id


async def add_member(
    harness: BotHarness, team_id: int, user: User, role: Role, *, active: bool = True
) -> None:
    """Make `user` a member of the team with `role` (and, by default, their active team)."""
    now = datetime.now(UTC)
    async with harness.uow_factory() as uow:
        row = await uow.session.get(UserRow, user.id)
        if row is None:
            row = UserRow(id=user.id, first_name=user.first_name, created_at=now, updated_at=now)
            uow.session.add(row)
            await uow.session.flush()
        member = await uow.session.get(Membership, (team_id, user.id))
        if member is None:
            uow.session.add(Membership(team_id=team_id, user_id=user.id, role=role, joined_at=now))
        else:
            member.role = role
        if active:
            row.active_team_id = team_id
        await uow.commit()


async def bind_group(harness: BotHarness, team_id: int, group: Chat, thread_id: int = 0) -> None:
    async with harness.uow_factory() as uow:
        uow.session.add(
            ChatBinding(
                team_id=team_id,
                chat_id=group.id,
                thread_id=thread_id,
                kind="group",
                title=group.title or "",
                status="active",
                bound_at=datetime.now(UTC),
            )
        )
        await uow.commit()


async def count(harness: BotHarness, model: Any, *where: Any) -> int:
    async with harness.uow_factory() as uow:
        statement = select(func.count()).select_from(model)
        for condition in where:
            statement = statement.where(condition)
        return int(await uow.session.scalar(statement) or 0)


async def snapshot(harness: BotHarness, *models: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the given tables (to assert that nothing changed)."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    async with harness.uow_factory() as uow:
        for model in models:
            table = model.__table__
            columns = [c for c in table.columns if c.name not in ("updated_at",)]
            rows = (await uow.session.execute(select(*columns).order_by(*table.primary_key))).all()
            result[table.name] = [tuple(row) for row in rows]
    return result


async def store_ecb_rates(harness: BotHarness, day: date, fetched_at: datetime) -> None:
    """The ECB's EUR→USD 1.08 and EUR→CNY 7.80 of `day` (1 USD = 7.2222… CNY)."""
    async with harness.uow_factory() as uow:
        for quote, rate in (("USD", "1.08"), ("CNY", "7.80")):
            uow.session.add(
                FxRate(
                    source="ecb",
                    base="EUR",
                    quote=quote,
                    rate=Decimal(rate),
                    rate_date=day,
                    fetched_at=fetched_at,
                )
            )
        await uow.commit()
