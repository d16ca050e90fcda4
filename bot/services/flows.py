"""Guided-flow state, kept in the database (a restart or a second process loses nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.db.models import FlowState
from bot.db.uow import UnitOfWork

FLOW_TTL = timedelta(days=2)  # an abandoned flow stops capturing the user's text after this


@dataclass(slots=True)
class Flow:
    name: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


async def get_flow(uow: UnitOfWork, user_id: int, chat_id: int, now: datetime) -> Flow | None:
    row = await uow.session.scalar(
        select(FlowState).where(FlowState.user_id == user_id, FlowState.chat_id == chat_id)
    )
    if row is None or row.updated_at < now - FLOW_TTL:
        return None
    return Flow(row.flow, row.step, dict(row.data))


async def set_flow(uow: UnitOfWork, user_id: int, chat_id: int, flow: Flow, now: datetime) -> None:
    row = await uow.session.get(FlowState, (user_id, chat_id))
    if row is None:
        uow.session.add(
            FlowState(
                user_id=user_id,
                chat_id=chat_id,
                flow=flow.name,
                step=flow.step,
                data=flow.data,
                updated_at=now,
            )
        )
    else:
        row.flow, row.step, row.data, row.updated_at = flow.name, flow.step, flow.data, now
    await uow.session.flush()


async def clear_flow(uow: UnitOfWork, user_id: int, chat_id: int) -> bool:
    """Drop the user's flow in this chat; True when there was one."""
    result = await uow.session.execute(
        delete(FlowState).where(FlowState.user_id == user_id, FlowState.chat_id == chat_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
