"""`campaignbot demo --sample` / `:sample`: a small sample team, loaded the way a seller
would build it — by talking to the bot.

The loader is a scripted user of the stand-in: it sends the bot the same commands and
the same CSV file a person would (`/team new`, `/channel add`, the bundled
``sample-skus.csv`` confirmed from its preview, a one-line `/newcampaign`, `/enroll`,
an invite that Li redeems), so every row goes through the real handlers and services.
It only reads the database, to know what is already there: loading is idempotent —
a step whose result exists is skipped, a complete sample team is left alone — and it
never deletes anything (`demo --fresh --sample` starts over). In a fresh database
the Black Friday campaign is campaign #1.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

from sqlalchemy import func, select

from bot.calendar.rules import occurrence
from bot.db.models import Campaign, Channel, Enrolment, Membership, Sku, Team
from bot.db.models import User as UserRow
from bot.db.uow import UnitOfWorkFactory
from bot.domain.enums import Role
from bot.telegram_stub import BotApiStub, StubMessage, User

SAMPLE_TEAM = "Sample shop"
CHANNEL = "temu-us-semi"
# sample figures for a semi-managed store (the preset leaves Temu's fees at 0: they are
# not public): the seller's own US delivery, a returns allowance and some advertising
CHANNEL_FEES = "fulfilment_fee=3.2 returns_rate=3 ads_rate=5"
CAMPAIGN = "Black Friday"
MIN_DISCOUNT = "20%"
SKU_FILE = "sample-skus.csv"
SKU_CODES = tuple(f"TM-{n:03d}" for n in range(1, 21))
REPLY_TIMEOUT = 30.0
DEADLINE_DAYS_BEFORE = 7  # registration closes a week before the sale, at noon
_INVITE = re.compile(r"start=(join-[A-Za-z0-9_-]+)")


class SampleError(Exception):
    """A step did not have its effect; the message says which and what the bot said."""


@dataclass(frozen=True, slots=True)
class SampleState:
    team_id: int | None = None
    active: bool = False  # the owner's active team
    channel: bool = False
    skus: int = 0
    campaign_id: int | None = None
    enrolled: int = 0
    viewer: bool = False

    @property
    def complete(self) -> bool:
        return (
            self.team_id is not None
            and self.channel
            and self.skus == len(SKU_CODES)
            and self.campaign_id is not None
            and self.enrolled > 0
            and self.viewer
        )


@dataclass(frozen=True, slots=True)
class SampleReport:
    team: str
    channel: str
    skus: int
    campaign_id: int
    campaign: str
    enrolled: int
    already_there: bool
    active: bool


def sku_file() -> bytes:
    return resources.files("bot.demo_data").joinpath(SKU_FILE).read_bytes()


def black_friday_dates(today: date) -> tuple[date, date, date]:
    """Start, end and registration-deadline day of the next Black Friday whose
    registration is still open (at least a day ahead)."""
    for year in (today.year, today.year + 1):
        found = occurrence("black_friday", year)
        if found is None or found.campaign_start is None or found.campaign_end is None:
            continue
        deadline = found.campaign_start - timedelta(days=DEADLINE_DAYS_BEFORE)
        if deadline > today:
            return found.campaign_start, found.campaign_end, deadline
    raise SampleError("the calendar has no Black Friday")  # the bundled calendar has it


def campaign_command(today: date) -> str:
    start, end, deadline = black_friday_dates(today)
    return (
        f'/newcampaign name="{CAMPAIGN}" channel={CHANNEL} start={start.isoformat()} '
        f"end={end.isoformat()} deadline={deadline.isoformat()}T12:00 "
        f"min_discount={MIN_DISCOUNT}"
    )


class SampleLoader:
    """Builds the sample team for ``owner`` (with ``viewer`` as a viewer) through the
    stand-in. ``quiet`` receives the id of every button press the loader makes, so the
    terminal does not show their answers."""

    def __init__(
        self,
        stub: BotApiStub,
        uow_factory: UnitOfWorkFactory,
        owner: User,
        viewer: User,
        today: date,
        quiet: Callable[[str], None] = lambda _query: None,
    ) -> None:
        self.stub = stub
        self.uow_factory = uow_factory
        self.owner = owner
        self.viewer = viewer
        self.today = today
        self.quiet = quiet
        self._last: StubMessage | None = None  # the bot's latest answer, for errors

    async def state(self) -> SampleState:
        async with self.uow_factory() as uow:
            session = uow.session
            user = await session.get(UserRow, self.owner.id)
            teams = (
                await session.scalars(
                    select(Team.id)
                    .join(Membership, Membership.team_id == Team.id)
                    .where(
                        Membership.user_id == self.owner.id,
                        Membership.role == Role.OWNER,
                        Team.name == SAMPLE_TEAM,
                    )
                    .order_by(Team.id)
                )
            ).all()
            if not teams:
                return SampleState()
            active_id = user.active_team_id if user is not None else None
            team_id = active_id if active_id in teams else teams[0]
            channel = await session.scalar(
                select(Channel.id).where(Channel.team_id == team_id, Channel.name == CHANNEL)
            )
            skus = await session.scalar(
                select(func.count())
                .select_from(Sku)
                .where(Sku.team_id == team_id, Sku.code.in_(SKU_CODES))
            )
            campaign_id = await session.scalar(
                select(Campaign.id)
                .where(Campaign.team_id == team_id, Campaign.name == CAMPAIGN)
                .order_by(Campaign.id)
                .limit(1)
            )
            enrolled = 0
            if campaign_id is not None:
                enrolled = (
                    await session.scalar(
                        select(func.count())
                        .select_from(Enrolment)
                        .where(Enrolment.campaign_id == campaign_id)
                    )
                    or 0
                )
            viewer = await session.get(Membership, (team_id, self.viewer.id))
            return SampleState(
                team_id=team_id,
                active=team_id == active_id,
                channel=channel is not None,
                skus=skus or 0,
                campaign_id=campaign_id,
                enrolled=enrolled,
                viewer=viewer is not None,
            )

    async def load(self) -> SampleReport:
        state = await self.state()
        if state.complete:
            return self._report(state, already_there=True)
        if state.team_id is None or not state.active:
            # the personal team first: made later (at /start), it would become the active one
            await self._step(self.owner, "/team")
            await self._step(self.owner, f"/team new {SAMPLE_TEAM}")
            state = await self._expect(lambda s: s.team_id is not None and s.active, "team")
        if not state.channel:
            await self._step(self.owner, f"/channel add {CHANNEL}")
            state = await self._expect(lambda s: s.channel, "channel")
            await self._step(self.owner, f"/channel {CHANNEL} {CHANNEL_FEES}")
        if state.skus < len(SKU_CODES):
            await self._import_skus()
            state = await self._expect(lambda s: s.skus == len(SKU_CODES), "SKUs")
        if state.campaign_id is None:
            await self._step(self.owner, campaign_command(self.today))
            state = await self._expect(lambda s: s.campaign_id is not None, "campaign")
        if state.enrolled == 0:
            await self._step(self.owner, f"/enroll {state.campaign_id} all")
            state = await self._expect(lambda s: s.enrolled > 0, "enrolments")
        if not state.viewer:
            await self._invite_viewer()
            state = await self._expect(lambda s: s.viewer, "viewer")
        return self._report(state, already_there=False)

    # -- steps ------------------------------------------------------------------------------

    async def _step(self, user: User, text: str) -> StubMessage:
        """``user`` sends ``text``; returns the bot's answer."""
        self.stub.mark_read(user)
        self.stub.send_message(user, text)
        self._last = await self._answer(user)
        return self._last

    async def _answer(self, user: User) -> StubMessage:
        try:
            return await self.stub.wait_for_message(user, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            raise SampleError("the bot did not answer") from None

    async def _import_skus(self) -> None:
        self.stub.mark_read(self.owner)
        self.stub.send_document(self.owner, filename=SKU_FILE, content=sku_file())
        preview = await self._answer(self.owner)
        while not preview.buttons:  # a progress note may come before the preview
            self._last = preview
            try:
                preview = await self.stub.wait_for_message(self.owner, timeout=5)
            except TimeoutError:
                return  # "nothing to import" or an error: _expect says which
        self._last = preview
        confirm = preview.buttons[0][0]  # ✅ Confirm, then Cancel
        self.quiet(self.stub.press_button(self.owner, preview, text=confirm.text))
        try:
            self._last = await self.stub.wait_for_edit(preview, timeout=REPLY_TIMEOUT)
        except TimeoutError:
            raise SampleError("the import was not confirmed") from None

    async def _invite_viewer(self) -> None:
        invite = await self._step(self.owner, "/team invite viewer")
        found = _INVITE.search(invite.text)
        if found is None:
            raise SampleError(f"no invite link in the bot's answer: {invite.text[:200]}")
        await self._step(self.viewer, f"/start {found.group(1)}")

    async def _expect(self, done: Callable[[SampleState], bool], what: str) -> SampleState:
        state = await self.state()
        if not done(state):
            reply = self._last.text.strip()[:300] if self._last is not None else ""
            raise SampleError(f"{what} not created; the bot said: {reply}")
        return state

    def _report(self, state: SampleState, *, already_there: bool) -> SampleReport:
        assert state.campaign_id is not None
        return SampleReport(
            team=SAMPLE_TEAM,
            channel=CHANNEL,
            skus=state.skus,
            campaign_id=state.campaign_id,
            campaign=CAMPAIGN,
            enrolled=state.enrolled,
            already_there=already_there,
            active=state.active,
        )
