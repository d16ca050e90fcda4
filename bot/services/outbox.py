"""Writing to the notification outbox: notice kinds and targets, and queueing,
cancelling and re-routing notices in the caller's transaction.

Design notes (the life of a row, targets, re-routing): `bot.services.notifications`.
Claiming and leases: `bot.services.claims`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select, update

from bot.db.models import ChatBinding, Membership, Notification, Team, User
from bot.db.uow import UnitOfWork
from bot.db.upsert import dialect_insert
from bot.domain.enums import BindingStatus, NotificationStatus, Role

Status = NotificationStatus


class NoticeKind(StrEnum):
    REMINDER = "reminder"  # campaign deadline / start / end / summary
    MARGIN = "margin"  # a planned price fell under (or came back over) its floor
    DIGEST = "digest"  # the daily list of planned prices under their floors
    CHAT_GONE = "chat_gone"  # the team's group was unbound (to its owners, privately)


# kinds whose rows follow the team's current targets; others keep their fixed target
TEAM_KINDS = frozenset({NoticeKind.REMINDER, NoticeKind.MARGIN, NoticeKind.DIGEST})


@dataclass(frozen=True, slots=True)
class Target:
    chat_id: int
    thread_id: int = 0
    user_id: int | None = None  # set for a member's private chat

    def suffix(self) -> str:
        thread = f":{self.thread_id}" if self.thread_id else ""
        return f"chat:{self.chat_id}{thread}"


def row_target(row: Notification) -> Target:
    return Target(row.chat_id, row.thread_id or 0, row.recipient_user_id)


# -- targets --------------------------------------------------------------------------------


async def team_targets(uow: UnitOfWork, team_id: int) -> list[Target]:
    """Where the team's notices go now: its active bindings, else its members' chats."""
    bindings = (
        await uow.session.execute(
            select(ChatBinding.chat_id, ChatBinding.thread_id)
            .where(ChatBinding.team_id == team_id, ChatBinding.status == BindingStatus.ACTIVE)
            .order_by(ChatBinding.id)
        )
    ).all()
    if bindings:
        return [Target(chat_id, thread_id or 0) for chat_id, thread_id in bindings]
    members = (
        await uow.session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == team_id, User.blocked_at.is_(None))
            .order_by(Membership.joined_at, User.id)
        )
    ).all()
    return [Target(user_id, 0, user_id) for user_id in members]


async def owner_targets(uow: UnitOfWork, team_id: int) -> list[Target]:
    owners = (
        await uow.session.scalars(
            select(User.id)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.team_id == team_id,
                Membership.role == Role.OWNER,
                User.blocked_at.is_(None),
            )
            .order_by(User.id)
        )
    ).all()
    return [Target(user_id, 0, user_id) for user_id in owners]


# -- writing notices ------------------------------------------------------------------------


async def enqueue(
    uow: UnitOfWork,
    *,
    base_key: str,
    team_id: int | None,
    kind: NoticeKind,
    payload: dict[str, Any],
    due_at: datetime,
    expires_at: datetime | None,
    now: datetime,
    targets: Sequence[Target] | None = None,
    revive: bool = False,
) -> list[str]:
    """Queue one notice for each target (default: the team's current ones), in the
    caller's transaction. Keys are ``base_key:chat:<id>[:<thread>]``; a key that
    exists is left alone, unless `revive`: then a pending or cancelled row takes the
    new due time (a reminder regenerated after an edit). Returns the keys."""
    if targets is None:
        if team_id is None:
            raise ValueError("a notice without a team needs explicit targets")
        targets = await team_targets(uow, team_id)
    if not targets:
        return []
    keys = [f"{base_key}:{target.suffix()}" for target in targets]
    body = {**payload, "base": base_key}
    values = [
        {
            "key": key,
            "team_id": team_id,
            "kind": str(kind),
            "payload": body,
            "chat_id": target.chat_id,
            "thread_id": target.thread_id,
            "recipient_user_id": target.user_id,
            "due_at": due_at,
            "expires_at": expires_at,
            "status": Status.PENDING,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for key, target in zip(keys, targets, strict=True)
    ]
    table = Notification.__table__
    statement = dialect_insert(uow.session, table).values(values)
    if revive:
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "due_at": statement.excluded.due_at,
                "expires_at": statement.excluded.expires_at,
                "payload": statement.excluded.payload,
                "status": Status.PENDING,
                "attempts": 0,
                "last_error": None,
                "lease_until": None,
                "leased_by": None,
                "attempt_started_at": None,
                "updated_at": statement.excluded.updated_at,
            },
            where=table.c.status.in_([Status.PENDING, Status.CANCELLED]),
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=[table.c.key])
    await uow.session.execute(statement)
    return keys


async def cancel_pending(
    uow: UnitOfWork, condition: Any, now: datetime, reason: str, *, keep: Iterable[str] = ()
) -> int:
    """Cancel pending rows matching `condition` (except the keys in `keep`)."""
    kept = list(keep)
    statement = (
        update(Notification)
        .where(condition, Notification.status == Status.PENDING)
        .values(status=Status.CANCELLED, last_error=reason, updated_at=now)
    )
    if kept:
        statement = statement.where(Notification.key.not_in(kept))
    result = await uow.session.execute(statement.execution_options(synchronize_session=False))
    return int(result.rowcount)  # type: ignore[attr-defined]


async def reroute(uow: UnitOfWork, row: Notification, now: datetime) -> list[Target]:
    """Queue the row's notice for the team's current targets (other than the row's own);
    returns them. The caller settles the row itself."""
    if row.team_id is None:
        return []
    targets = [t for t in await team_targets(uow, row.team_id) if t != row_target(row)]
    base = str(row.payload.get("base") or row.key)
    payload = {k: v for k, v in row.payload.items() if k != "base"}
    if targets:
        await enqueue(
            uow,
            base_key=base,
            team_id=row.team_id,
            kind=NoticeKind(row.kind),
            payload=payload,
            due_at=min(row.due_at, now),
            expires_at=row.expires_at,
            now=now,
            targets=targets,
        )
    return targets


async def notify_binding_lost(uow: UnitOfWork, binding: ChatBinding, now: datetime) -> None:
    """Tell the team's owners privately that their group no longer receives notices."""
    team = await uow.session.get(Team, binding.team_id)
    if team is None:
        return
    stamp = binding.bound_at.strftime("%Y%m%dT%H%M%S") if binding.bound_at else "0"
    await enqueue(
        uow,
        base_key=f"chat-gone:{binding.id}:{stamp}",
        team_id=team.id,
        kind=NoticeKind.CHAT_GONE,
        payload={"title": binding.title, "team": team.name, "kind": binding.kind},
        due_at=now,
        expires_at=now + timedelta(days=7),
        now=now,
        targets=await owner_targets(uow, team.id),
    )


async def next_due(uow: UnitOfWork) -> datetime | None:
    result: datetime | None = await uow.session.scalar(
        select(func.min(Notification.due_at)).where(Notification.status == Status.PENDING)
    )
    return result


__all__ = [
    "TEAM_KINDS",
    "NoticeKind",
    "Target",
    "cancel_pending",
    "enqueue",
    "next_due",
    "notify_binding_lost",
    "owner_targets",
    "reroute",
    "row_target",
    "team_targets",
]
