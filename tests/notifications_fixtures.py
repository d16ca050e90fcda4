"""Rows for the notification tests, inserted directly (no other feature's commands), and a
fake sender that records what the dispatcher sends."""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from bot.db import models
from bot.db.uow import UnitOfWork
from bot.services.notifications import Outcome, SendResult
from bot.services.outbox import NoticeKind

_ids = itertools.count(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def add_user(
    uow: UnitOfWork,
    user_id: int | None = None,
    *,
    name: str = "User",
    locale: str | None = "en",
    timezone: str | None = None,
    language_code: str | None = "en",
    blocked: bool = False,
) -> models.User:
    user = models.User(
        id=user_id if user_id is not None else 10_000 + next(_ids),
        first_name=name,
        language_code=language_code,
        locale=locale,
        timezone=timezone,
        blocked_at=utc(2026, 1, 1) if blocked else None,
    )
    uow.session.add(user)
    await uow.flush()
    return user


async def add_team(
    uow: UnitOfWork,
    *,
    name: str = "Acme",
    timezone: str = "UTC",
    locale: str = "en",
    cost_currency: str = "CNY",
    target_margin: Decimal = Decimal("0.15"),
    fx_buffer: Decimal = Decimal("0.02"),
    offsets: dict[str, list[int]] | None = None,
    members: Iterable[tuple[models.User, str]] = (),
) -> models.Team:
    team = models.Team(
        name=name,
        timezone=timezone,
        locale=locale,
        cost_currency=cost_currency,
        target_margin=target_margin,
        fx_buffer=fx_buffer,
    )
    if offsets is not None:
        team.reminder_offsets = offsets
    uow.session.add(team)
    await uow.flush()
    for user, role in members:
        await add_member(uow, team, user, role)
    return team


async def add_member(
    uow: UnitOfWork, team: models.Team, user: models.User, role: str = "owner"
) -> None:
    uow.session.add(
        models.Membership(team_id=team.id, user_id=user.id, role=role, joined_at=utc(2026, 1, 1))
    )
    await uow.flush()


async def bind(
    uow: UnitOfWork,
    team: models.Team,
    chat_id: int,
    *,
    thread_id: int = 0,
    kind: str = "group",
    locale: str = "en",
    timezone: str = "UTC",
    title: str = "Team group",
) -> models.ChatBinding:
    binding = models.ChatBinding(
        team_id=team.id,
        chat_id=chat_id,
        thread_id=thread_id,
        kind=kind,
        title=title,
        locale=locale,
        timezone=timezone,
        status="active",
        bound_at=utc(2026, 1, 2),
    )
    uow.session.add(binding)
    await uow.flush()
    return binding


async def add_channel(
    uow: UnitOfWork,
    team: models.Team,
    *,
    name: str = "temu-us",
    currency: str = "USD",
    market: str = "US",
    commission: Decimal = Decimal("0.10"),
    timezone: str = "America/Los_Angeles",
) -> models.Channel:
    channel = models.Channel(
        team_id=team.id,
        name=name,
        platform="temu",
        market=market,
        mode="semi",
        currency=currency,
        vat_rate=Decimal(0),
        prices_include_vat=False,
        fees_on="gross",
        commission=commission,
        duty_basis="fob",
        timezone=timezone,
    )
    uow.session.add(channel)
    await uow.flush()
    return channel


async def add_sku(
    uow: UnitOfWork,
    team: models.Team,
    code: str,
    unit_cost: Decimal,
    *,
    cost_currency: str = "CNY",
    name: str = "",
) -> models.Sku:
    sku = models.Sku(
        team_id=team.id, code=code, name=name, unit_cost=unit_cost, cost_currency=cost_currency
    )
    uow.session.add(sku)
    await uow.flush()
    return sku


async def add_listing(
    uow: UnitOfWork, sku: models.Sku, channel: models.Channel, list_price: Decimal
) -> models.Listing:
    listing = models.Listing(sku_id=sku.id, channel_id=channel.id, list_price=list_price)
    uow.session.add(listing)
    await uow.flush()
    return listing


async def add_campaign(
    uow: UnitOfWork,
    team: models.Team,
    channel: models.Channel,
    *,
    name: str = "Black Friday",
    starts_at: datetime,
    ends_at: datetime,
    deadline: datetime | None = None,
    timezone: str = "UTC",
    min_discount: Decimal | None = None,
) -> models.Campaign:
    campaign = models.Campaign(
        team_id=team.id,
        channel_id=channel.id,
        name=name,
        registration_deadline=deadline,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=timezone,
        min_discount=min_discount,
    )
    uow.session.add(campaign)
    await uow.flush()
    return campaign


async def enrol(
    uow: UnitOfWork,
    campaign: models.Campaign,
    sku: models.Sku,
    *,
    mode: str = "price",
    price: Decimal | None = None,
    discount: Decimal | None = None,
) -> models.Enrolment:
    enrolment = models.Enrolment(
        campaign_id=campaign.id,
        sku_id=sku.id,
        price_mode=mode,
        planned_price=price,
        planned_discount=discount,
    )
    uow.session.add(enrolment)
    await uow.flush()
    return enrolment


async def add_ecb_rates(
    uow: UnitOfWork, day: date, rates: dict[str, str], fetched_at: datetime | None = None
) -> None:
    for code, rate in rates.items():
        uow.session.add(
            models.FxRate(
                source="ecb",
                base="EUR",
                quote=code,
                rate=Decimal(rate),
                rate_date=day,
                fetched_at=fetched_at or utc(2026, 1, 1),
            )
        )
    await uow.flush()


async def add_notices(
    uow: UnitOfWork,
    team_id: int | None,
    rows: Iterable[tuple[str, int, datetime]],
    *,
    kind: NoticeKind = NoticeKind.CHAT_GONE,
    payload: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
    recipient_is_chat: bool = False,
) -> None:
    """Bulk-insert notices (key, chat_id, due_at) directly; private chats (positive ids)
    get the chat id as recipient."""
    values = [
        {
            "key": key,
            "team_id": team_id,
            "kind": str(kind),
            "payload": {"base": key.rsplit(":chat:", 1)[0], **(payload or {})},
            "chat_id": chat_id,
            "thread_id": 0,
            "recipient_user_id": chat_id if chat_id > 0 or recipient_is_chat else None,
            "due_at": due,
            "expires_at": expires_at,
            "status": "pending",
            "attempts": 0,
            "created_at": due,
            "updated_at": due,
        }
        for key, chat_id, due in rows
    ]
    if values:
        await uow.session.execute(insert(models.Notification), values)


async def statuses(uow: UnitOfWork) -> dict[str, str]:
    rows = (
        await uow.session.execute(select(models.Notification.key, models.Notification.status))
    ).all()
    return dict(rows)  # type: ignore[arg-type]


async def notice(uow: UnitOfWork, key_prefix: str) -> models.Notification:
    row = await uow.session.scalar(
        select(models.Notification).where(models.Notification.key.like(f"{key_prefix}%"))
    )
    assert row is not None, key_prefix
    return row


Script = Callable[[int, int, str], Awaitable[SendResult] | SendResult]


@dataclass(frozen=True)
class SentFile:
    chat_id: int
    thread_id: int
    filename: str
    content: bytes
    caption: str
    reply_to: int | None


@dataclass
class FakeSender:
    """Records each send; `script(chat_id, thread_id, text)` may return another outcome
    (`document_script(chat_id, thread_id, filename)` for files)."""

    script: Script | None = None
    document_script: Script | None = None
    sent: list[tuple[int, int, str]] = field(default_factory=list)
    documents: list[SentFile] = field(default_factory=list)
    attempts: list[tuple[int, int, str]] = field(default_factory=list)
    next_id: int = 0

    async def send(self, chat_id: int, thread_id: int, text: str) -> SendResult:
        self.attempts.append((chat_id, thread_id, text))
        if self.script is not None:
            result = self.script(chat_id, thread_id, text)
            if not isinstance(result, SendResult):
                result = await result
            if result.outcome is not Outcome.SENT:
                return result
        self.sent.append((chat_id, thread_id, text))
        self.next_id += 1
        return SendResult(Outcome.SENT, message_id=self.next_id)

    async def send_document(
        self,
        chat_id: int,
        thread_id: int,
        filename: str,
        content: bytes,
        caption: str,
        reply_to: int | None,
    ) -> SendResult:
        self.attempts.append((chat_id, thread_id, f"[file {filename}]"))
        if self.document_script is not None:
            result = self.document_script(chat_id, thread_id, filename)
            if not isinstance(result, SendResult):
                result = await result
            if result.outcome is not Outcome.SENT:
                return result
        self.documents.append(SentFile(chat_id, thread_id, filename, content, caption, reply_to))
        self.next_id += 1
        return SendResult(Outcome.SENT, message_id=self.next_id)

    def texts(self, chat_id: int) -> list[str]:
        return [text for chat, _, text in self.sent if chat == chat_id]

    def files(self, chat_id: int) -> list[SentFile]:
        return [file for file in self.documents if file.chat_id == chat_id]


def fast_limits(**overrides: Any) -> Any:
    """Pacer limits that do not slow a service test down."""
    from bot.runtime.pacer import PacerLimits

    values = {
        "per_second": 10_000.0,
        "chat_count": 10_000,
        "group_count": 10_000,
    }
    values.update(overrides)
    return PacerLimits(**values)


async def key_renderer(
    uow: UnitOfWork, row: models.Notification, reader: Any, now: datetime
) -> str:
    """A renderer for outbox tests: the notice's key (to count deliveries by key)."""
    return f"notice {row.key}"


def later(moment: datetime, **delta: float) -> datetime:
    return moment + timedelta(**delta)
