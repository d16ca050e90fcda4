"""Group and channel lifecycle: a group upgraded to a supergroup, the bot removed."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from bot.db.models import ChatBinding, Notification
from bot.db.uow import UnitOfWork
from bot.domain.enums import BindingStatus, NotificationStatus
from bot.services.outbox import notify_binding_lost


async def migrate_chat(uow: UnitOfWork, old_chat_id: int, new_chat_id: int) -> int:
    """Follow a group to its new supergroup id: bindings and pending notices move with it.
    Returns how many bindings moved. Idempotent (both service messages may arrive)."""
    result = await uow.session.execute(
        update(ChatBinding)
        .where(ChatBinding.chat_id == old_chat_id)
        .values(chat_id=new_chat_id, kind="group")
    )
    await uow.session.execute(
        update(Notification)
        .where(
            Notification.chat_id == old_chat_id,
            Notification.status.in_([NotificationStatus.PENDING, NotificationStatus.SENDING]),
        )
        .values(chat_id=new_chat_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def chat_gone(
    uow: UnitOfWork, chat_id: int, now: datetime, *, thread_id: int | None = None
) -> list[ChatBinding]:
    """The bot was removed from (or blocked in) a chat, or a forum topic is gone: its
    active bindings stop receiving notices and each bound team's owners are told once,
    privately (through the outbox). Returns the bindings that were active."""
    query = select(ChatBinding).where(
        ChatBinding.chat_id == chat_id, ChatBinding.status == BindingStatus.ACTIVE
    )
    if thread_id is not None:
        query = query.where(ChatBinding.thread_id == thread_id)
    rows = list((await uow.session.scalars(query)).all())
    for row in rows:
        row.status = BindingStatus.REMOVED
        await notify_binding_lost(uow, row, now)
    return rows
