"""The data model of SPEC §2. Alembic migrations are the only way it reaches a database.

Conventions: amounts and rates are `ExactDecimal` (never float); times are
`UTCDateTime` (UTC, timezone-aware); percentages are stored as fractions
(15 % → 0.15); enums are stored as their string values.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.db.types import ExactDecimal, UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

DEFAULT_TARGET_MARGIN = Decimal("0.15")
DEFAULT_FX_BUFFER = Decimal("0.02")

# Every table with a surrogate integer id: SQLite then never hands out an id again once
# its row is deleted (AUTOINCREMENT keeps the highest id ever used in sqlite_sequence),
# so a stale button or link can never name a newer object. PostgreSQL sequences never
# reuse ids anyway (the option is ignored there).
NEVER_REUSE_IDS: dict[str, Any] = {"sqlite_autoincrement": True}

DEFAULT_REMINDER_OFFSETS: dict[str, list[int]] = {
    # minutes relative to the moment; negative = before
    "deadline": [-72 * 60, -24 * 60, -2 * 60],
    "start": [-24 * 60, -60, 0],
    "end": [-2 * 60],
    "summary": [0],
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared class attribute
        Decimal: ExactDecimal(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
    }


def utcnow() -> datetime:
    return datetime.now(UTC)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class User(Timestamped, Base):
    """A Telegram user. `locale` and `timezone` are their own choices; until they
    choose, the locale comes from Telegram's `language_code`."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    active_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    onboarded_at: Mapped[datetime | None] = mapped_column()
    blocked_at: Mapped[datetime | None] = mapped_column()  # the user blocked the bot


class Team(Timestamped, Base):
    __tablename__ = "teams"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    is_personal: Mapped[bool] = mapped_column(Boolean, default=False)
    cost_currency: Mapped[str] = mapped_column(String(3), default="CNY")
    target_margin: Mapped[Decimal] = mapped_column(default=DEFAULT_TARGET_MARGIN)
    fx_buffer: Mapped[Decimal] = mapped_column(default=DEFAULT_FX_BUFFER)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    reminder_offsets: Mapped[dict[str, Any]] = mapped_column(
        default=lambda: {k: list(v) for k, v in DEFAULT_REMINDER_OFFSETS.items()}
    )

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="team", cascade="all, delete-orphan", passive_deletes=True
    )


class Membership(Base):
    __tablename__ = "memberships"

    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    joined_at: Mapped[datetime] = mapped_column()

    team: Mapped[Team] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship()


class Invite(Base):
    """An invite link token. Only its SHA-256 is stored."""

    __tablename__ = "invites"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    single_use: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    used_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ChatBinding(Base):
    """A team bound to a group, a forum topic or a broadcast channel.

    `thread_id` is 0 for the whole chat, so the unique constraint works the same
    on both databases (NULLs are distinct in unique constraints)."""

    __tablename__ = "chat_bindings"
    __table_args__ = (
        UniqueConstraint("chat_id", "thread_id", name="uq_chat_bindings_chat"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(256), default="")
    locale: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    status: Mapped[str] = mapped_column(String(16), default="active")
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    bound_at: Mapped[datetime] = mapped_column()


class Channel(Timestamped, Base):
    """A sale channel profile: platform × market × mode, from a preset, then edited."""

    __tablename__ = "channels"
    __table_args__ = (
        UniqueConstraint("team_id", "name", name="uq_channels_team_name"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    preset: Mapped[str | None] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(32))
    market: Mapped[str] = mapped_column(String(8))
    mode: Mapped[str] = mapped_column(String(8))
    currency: Mapped[str] = mapped_column(String(3))
    vat_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    prices_include_vat: Mapped[bool] = mapped_column(Boolean, default=False)
    fees_on: Mapped[str] = mapped_column(String(8), default="gross")
    commission: Mapped[Decimal] = mapped_column(default=Decimal(0))
    payment_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    returns_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    ads_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))
    payment_fixed: Mapped[Decimal] = mapped_column(default=Decimal(0))
    fulfilment_fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    other_channel_fee: Mapped[Decimal] = mapped_column(default=Decimal(0))
    duty_basis: Mapped[str] = mapped_column(String(8), default="fob")
    discount_step: Mapped[Decimal] = mapped_column(default=Decimal("0.01"))  # 1 %
    # the price grid (SPEC §3.8): None = one minor unit; endings as '0.49,0.99', None = none
    price_step: Mapped[Decimal | None] = mapped_column(default=None)
    price_endings: Mapped[str | None] = mapped_column(Text, default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")  # the market's zone


class Sku(Timestamped, Base):
    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("team_id", "code", name="uq_skus_team_code"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256), default="")
    unit_cost: Mapped[Decimal] = mapped_column()
    cost_currency: Mapped[str] = mapped_column(String(3))
    packaging: Mapped[Decimal] = mapped_column(default=Decimal(0))
    first_mile: Mapped[Decimal] = mapped_column(default=Decimal(0))
    other_cost: Mapped[Decimal] = mapped_column(default=Decimal(0))
    duty_rate: Mapped[Decimal] = mapped_column(default=Decimal(0))

    listings: Mapped[list[Listing]] = relationship(
        back_populates="sku", cascade="all, delete-orphan", passive_deletes=True
    )


class Listing(Timestamped, Base):
    """A SKU on a channel with its regular (list) price."""

    __tablename__ = "listings"
    __table_args__ = (
        UniqueConstraint("sku_id", "channel_id", name="uq_listings_sku_channel"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), index=True
    )
    list_price: Mapped[Decimal | None] = mapped_column()
    lowest_30d: Mapped[Decimal | None] = mapped_column()  # manual override of the history

    sku: Mapped[Sku] = relationship(back_populates="listings")


class PriceHistory(Base):
    """Every list-price change, for the 30-day lowest price rule."""

    __tablename__ = "price_history"
    __table_args__ = (
        Index("ix_price_history_listing_at", "listing_id", "effective_at"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    price: Mapped[Decimal] = mapped_column()
    effective_at: Mapped[datetime] = mapped_column()
    source: Mapped[str] = mapped_column(String(16), default="manual")
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # a mistyped entry corrected later (`/sku A1 history`): when and by whom; the old value
    # is in the catalogue audit
    corrected_at: Mapped[datetime | None] = mapped_column()
    corrected_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Campaign(Timestamped, Base):
    __tablename__ = "campaigns"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(128))
    festival: Mapped[str | None] = mapped_column(String(64))
    registration_deadline: Mapped[datetime | None] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    timezone: Mapped[str] = mapped_column(String(64))  # the zone the dates were given in
    min_discount: Mapped[Decimal | None] = mapped_column()
    reference_rule: Mapped[str] = mapped_column(String(16), default="list")
    subsidy_kind: Mapped[str] = mapped_column(String(8), default="none")
    subsidy_value: Mapped[Decimal | None] = mapped_column()  # amount (fixed) or share
    subsidy_cap: Mapped[Decimal | None] = mapped_column()
    target_margin: Mapped[Decimal | None] = mapped_column()  # overrides the team's
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class CampaignAudit(Base):
    """Who changed what on a campaign, and when. Kept after the campaign is deleted."""

    __tablename__ = "campaign_audit"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column()


class TeamAudit(Base):
    """Who changed a team's settings (SPEC §4.1), when, from what to what."""

    __tablename__ = "team_audit"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(16))
    changes: Mapped[dict[str, Any]] = mapped_column()


class Voucher(Base):
    """An order-level voucher 'spend ≥ threshold, get value off' saved on a campaign."""

    __tablename__ = "vouchers"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), index=True
    )
    threshold: Mapped[Decimal] = mapped_column()
    value: Mapped[Decimal] = mapped_column()
    platform_share: Mapped[Decimal] = mapped_column(default=Decimal(0))
    platform_cap: Mapped[Decimal | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class Enrolment(Timestamped, Base):
    """A SKU enrolled in a campaign with its planned price.

    `price_mode` says how the planned price is set: `suggested` (minimum
    discount off the reference price), `max` (deepest safe discount),
    `price` (a fixed customer price) or `discount` (a fixed percentage).
    `below_floor` remembers the last state seen so a margin warning is sent
    once per change of state."""

    __tablename__ = "enrolments"
    __table_args__ = (
        UniqueConstraint("campaign_id", "sku_id", name="uq_enrolments_campaign_sku"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"), index=True)
    price_mode: Mapped[str] = mapped_column(String(16), default="suggested")
    planned_price: Mapped[Decimal | None] = mapped_column()
    planned_discount: Mapped[Decimal | None] = mapped_column()
    below_floor: Mapped[bool] = mapped_column(Boolean, default=False)
    last_floor: Mapped[Decimal | None] = mapped_column()
    last_inputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # for the warning's cause
    enrolled_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # set when the team was warned that the planned price is under the floor and enrolled
    # it anyway (the plan marks it); cleared when it is enrolled again at another price
    under_floor_accepted_at: Mapped[datetime | None] = mapped_column()


class FxRate(Base):
    """A published reference rate: 1 `base` = `rate` `quote`, on `rate_date`."""

    __tablename__ = "fx_rates"
    __table_args__ = (
        UniqueConstraint("source", "base", "quote", "rate_date", name="uq_fx_rates_key"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column()
    rate_date: Mapped[date] = mapped_column(Date)
    fetched_at: Mapped[datetime] = mapped_column()


class FxOverride(Base):
    """A team's manual rate, which wins over the published one."""

    __tablename__ = "fx_overrides"
    __table_args__ = (
        UniqueConstraint("team_id", "base", "quote", name="uq_fx_overrides_key"),
        NEVER_REUSE_IDS,
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    base: Mapped[str] = mapped_column(String(3))
    quote: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column()
    set_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column()


class Notification(Timestamped, Base):
    """The outbox: one row per notice, the record of what is due and what was sent."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_status_due", "status", "due_at"), NEVER_REUSE_IDS)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column()
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    recipient_user_id: Mapped[int | None] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    lease_until: Mapped[datetime | None] = mapped_column()
    leased_by: Mapped[str | None] = mapped_column(String(64))
    # set just before the send request goes out: a row still `sending` with this set
    # was in flight when its process stopped (see bot/services/notifications.py)
    attempt_started_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)


class JobState(Base):
    """When a periodic job (FX refresh, daily margin scan) last ran, across restarts and
    processes; a conditional update of `last_attempt_at` claims a run."""

    __tablename__ = "job_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)


class FlowState(Base):
    """Guided-flow state (onboarding, campaign creation, imports), per user and chat,
    kept in the database so a restart or a second process loses nothing."""

    __tablename__ = "flow_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    flow: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


class CatalogAudit(Base):
    """Who changed what in the catalogue that the catalogue itself does not show: price
    history entries corrected or removed, implausible prices saved after a warning. Kept
    after the SKU is deleted (no foreign key on `sku_id`)."""

    __tablename__ = "catalog_audit"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    sku_id: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column()
    action: Mapped[str] = mapped_column(String(32))
    changes: Mapped[dict[str, Any]] = mapped_column()


class PendingChange(Base):
    """A change held for its author's confirmation (an implausible price, an enrolment under
    the floor): what to do on Confirm, kept in the database like every flow state."""

    __tablename__ = "pending_changes"
    # SQLite would reuse the id of a row just deleted: an old Confirm button must not name
    # the next held change
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()


class PendingImport(Base):
    """A parsed catalogue file waiting for the user's confirmation."""

    __tablename__ = "pending_imports"
    __table_args__ = NEVER_REUSE_IDS

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(256))
    rows: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column()
