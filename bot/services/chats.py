"""Group and channel lifecycle: a group upgraded to a supergroup, the bot removed."""

from __future__ import annotations

from sqlalchemy import select, update

from bot.db.models import ChatBinding, Notification
from bot.db.uow import UnitOfWork
from bot.domain.enums import BindingStatus, NotificationStatus


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


async def mark_chat_gone(uow: UnitOfWork, chat_id: int) -> list[ChatBinding]:
    """The bot was removed from (or blocked in) a chat: its bindings stop receiving
    notices. Returns the bindings that were active, so their owners can be told."""
    rows = (
        await uow.session.scalars(
            select(ChatBinding).where(
                ChatBinding.chat_id == chat_id, ChatBinding.status == BindingStatus.ACTIVE
            )
        )
    ).all()
    for row in rows:
        row.status = BindingStatus.REMOVED
    return list(rows)
