"""Claiming notification rows for sending: leases, worker ids, giving back the rows of
a stopped process, and expiring rows that are too late.

Design notes (claiming, the crash policy): `bot.services.notifications`.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, false, or_, select, update

from bot.db.models import Notification
from bot.db.uow import UnitOfWork
from bot.domain.enums import NotificationStatus

log = logging.getLogger(__name__)

Status = NotificationStatus
LEASE = timedelta(seconds=30)
INTERRUPTED = "interrupted: in flight when its process stopped; sending again"
NOT_ATTEMPTED = "released: its process stopped before sending it"


def new_worker_id() -> str:
    """host:pid:nonce — the host and pid let a restarted process on the same host see
    that the holder of a lease is dead (and release its rows at once)."""
    host = socket.gethostname().replace(":", "-")[:40]
    return f"{host}:{os.getpid()}:{secrets.token_hex(3)}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return True
    return True


def holder_is_dead(leased_by: str, me: str) -> bool:
    """True when `leased_by` is another worker of this host whose process is gone."""
    try:
        host, pid_text, _nonce = leased_by.rsplit(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    my_host = me.rsplit(":", 2)[0]
    if host != my_host or leased_by == me:
        return False
    return pid == os.getpid() or not _pid_alive(pid)


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    chat_id: int
    due_at: datetime


async def claim_due(
    uow: UnitOfWork,
    worker: str,
    now: datetime,
    limit: int,
    *,
    exclude_chats: Iterable[int] = (),
    lease: timedelta = LEASE,
) -> list[Claimed]:
    """Lease up to `limit` due pending rows (oldest first) to `worker`; commits."""
    excluded = list(exclude_chats)
    due = and_(Notification.status == Status.PENDING, Notification.due_at <= now)
    if excluded:
        due = and_(due, Notification.chat_id.not_in(excluded))
    values = {
        "status": Status.SENDING,
        "lease_until": now + lease,
        "leased_by": worker,
        "attempt_started_at": None,
        "updated_at": now,
    }
    returning = (Notification.id, Notification.chat_id, Notification.due_at)
    if uow.dialect == "postgresql":
        ids = (
            await uow.session.scalars(
                select(Notification.id)
                .where(due)
                .order_by(Notification.due_at, Notification.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        if not ids:
            await uow.commit()
            return []
        statement = update(Notification).where(Notification.id.in_(ids)).values(**values)
    else:
        chosen = (
            select(Notification.id)
            .where(due)
            .order_by(Notification.due_at, Notification.id)
            .limit(limit)
            .scalar_subquery()
        )
        statement = (
            update(Notification)
            .where(Notification.id.in_(chosen), Notification.status == Status.PENDING)
            .values(**values)
        )
    rows = (
        await uow.session.execute(
            statement.returning(*returning).execution_options(synchronize_session=False)
        )
    ).all()
    await uow.commit()
    claimed = [Claimed(row_id, chat_id, due_at) for row_id, chat_id, due_at in rows]
    claimed.sort(key=lambda c: (c.due_at, c.id))
    return claimed


async def reclaim(uow: UnitOfWork, worker: str, now: datetime) -> tuple[int, int]:
    """Give back rows whose holder is gone: leases expired, holders dead on this host,
    or this worker's own leftovers (called when no pass of it is running). Returns
    (released before any attempt, released after an interrupted attempt)."""
    holders = (
        await uow.session.scalars(
            select(Notification.leased_by)
            .where(Notification.status == Status.SENDING, Notification.leased_by.is_not(None))
            .distinct()
        )
    ).all()
    gone = [h for h in holders if h is not None and (h == worker or holder_is_dead(h, worker))]
    stale = and_(
        Notification.status == Status.SENDING,
        or_(
            Notification.lease_until.is_(None),
            Notification.lease_until < now,
            Notification.leased_by.in_(gone) if gone else false(),
        ),
    )
    released = await uow.session.execute(
        update(Notification)
        .where(stale, Notification.attempt_started_at.is_(None))
        .values(
            status=Status.PENDING,
            lease_until=None,
            leased_by=None,
            last_error=NOT_ATTEMPTED,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    interrupted = await uow.session.execute(
        update(Notification)
        .where(stale, Notification.attempt_started_at.is_not(None))
        .values(
            status=Status.PENDING,
            lease_until=None,
            leased_by=None,
            attempt_started_at=None,
            last_error=INTERRUPTED,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    counts = (
        int(released.rowcount),  # type: ignore[attr-defined]
        int(interrupted.rowcount),  # type: ignore[attr-defined]
    )
    if counts[1]:
        log.warning("%d notice(s) in flight when their process stopped: sending again", counts[1])
    return counts


async def expire_overdue(uow: UnitOfWork, now: datetime) -> int:
    """Pending rows past their expiry are recorded as expired (never silently dropped)."""
    result = await uow.session.execute(
        update(Notification)
        .where(
            Notification.status == Status.PENDING,
            Notification.expires_at.is_not(None),
            Notification.expires_at <= now,
        )
        .values(status=Status.EXPIRED, last_error="expired before it could be sent", updated_at=now)
        .execution_options(synchronize_session=False)
    )
    count = int(result.rowcount)  # type: ignore[attr-defined]
    if count:
        log.warning("%d notice(s) expired before they could be sent", count)
    return count


async def release(uow: UnitOfWork, worker: str, ids: Sequence[int], now: datetime) -> None:
    """Hand claimed, never attempted rows back (the pass ended before their turn)."""
    if not ids:
        return
    await uow.session.execute(
        update(Notification)
        .where(
            Notification.id.in_(list(ids)),
            Notification.status == Status.SENDING,
            Notification.leased_by == worker,
            Notification.attempt_started_at.is_(None),
        )
        .values(status=Status.PENDING, lease_until=None, leased_by=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def renew(uow: UnitOfWork, worker: str, now: datetime, lease: timedelta = LEASE) -> None:
    await uow.session.execute(
        update(Notification)
        .where(Notification.status == Status.SENDING, Notification.leased_by == worker)
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )


__all__ = [
    "INTERRUPTED",
    "LEASE",
    "NOT_ATTEMPTED",
    "Claimed",
    "claim_due",
    "expire_overdue",
    "holder_is_dead",
    "new_worker_id",
    "reclaim",
    "release",
    "renew",
]
