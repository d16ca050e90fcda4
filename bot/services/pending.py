"""Changes held for their author's confirmation, kept in the database (a restart or a
second process loses nothing): an implausible price typed with /sku, an enrolment under
the floor. The Confirm button carries only the row's id; pressing it re-checks that the
presser is the author, in the same team, with the role, and that the row is fresh.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.db.models import PendingChange
from bot.db.uow import UnitOfWork
from bot.services.access import TeamAccess

PENDING_TTL = timedelta(hours=24)

SKU_CHANGE = "sku"  # /sku add or /sku edit with implausible prices
ENROLMENT = "enrol"  # SKUs to enrol under their floor


async def hold(
    uow: UnitOfWork, access: TeamAccess, kind: str, payload: dict[str, Any], now: datetime
) -> int:
    """Keep a change for confirmation; returns its id. The author's stale ones go."""
    await uow.session.execute(
        delete(PendingChange).where(
            PendingChange.user_id == access.user.id, PendingChange.created_at < now - PENDING_TTL
        )
    )
    row = PendingChange(
        team_id=access.team_id, user_id=access.user.id, kind=kind, payload=payload, created_at=now
    )
    uow.session.add(row)
    await uow.session.flush()
    return row.id


async def take(
    uow: UnitOfWork, access: TeamAccess, pending_id: int, kind: str, now: datetime
) -> dict[str, Any] | None:
    """The actor's own held change of this kind in this team, removed (confirmed or
    cancelled, it is used once); None when it is gone, stale or someone else's."""
    row = await uow.session.scalar(
        select(PendingChange).where(
            PendingChange.id == pending_id,
            PendingChange.team_id == access.team_id,
            PendingChange.user_id == access.user.id,
            PendingChange.kind == kind,
        )
    )
    if row is None:
        return None
    payload = dict(row.payload)
    await uow.session.delete(row)
    await uow.session.flush()
    if row.created_at < now - PENDING_TTL:
        return None
    return payload
