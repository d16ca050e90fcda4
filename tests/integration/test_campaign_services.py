"""Campaign use cases on real databases (SQLite and PostgreSQL): create / edit / delete with
their audit trail, enrolment, the plan with the 30-day lowest price from history, vouchers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.db.models import (
    Campaign,
    CampaignAudit,
    Enrolment,
    Listing,
    PriceHistory,
    Voucher,
)
from bot.db.uow import UnitOfWorkFactory
from bot.domain.errors import Conflict, NotFound, UserInputError
from bot.domain.permissions import Action
from bot.services import campaigns
from bot.services.access import TeamAccess, team_for
from bot.services.actor import Actor
from bot.services.plan import (
    PlanStatus,
    PriceChoice,
    PriceMode,
    VoucherQuestion,
    answer_voucher,
    build_plan,
    save_voucher,
)
from bot.telegram_stub import User
from tests.e2e.campaign_fixtures import (
    SkuSpec,
    seed_channel,
    seed_skus,
    seed_user,
    set_fx,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
ANA = User(id=501, first_name="Ana", language_code="en")
BF = {
    "name": "Black Friday",
    "channel": "temu-us",
    "start": "2026-11-27",
    "end": "2026-11-30",
    "deadline": "2026-11-20T12:00",
    "min_discount": "20%",
    "subsidy": "share:30%:cap:5",
}
SPECS = [
    SkuSpec("OK1", Decimal(100), Decimal("39.99")),
    SkuSpec("OK2", Decimal(60), Decimal("24.99")),
    SkuSpec("LOW", Decimal(100), Decimal("15.00")),  # under the floor (≈ 16.6)
    SkuSpec("NOPRICE", Decimal(50), None),
    SkuSpec("UNLISTED", Decimal(50), None, listed=False),
]


async def setup(uow_factory: UnitOfWorkFactory) -> tuple[int, int]:
    team_id = await seed_user(uow_factory, ANA)
    channel_id = await seed_channel(uow_factory, team_id)
    await seed_skus(uow_factory, team_id, channel_id, SPECS)
    await set_fx(uow_factory, team_id)
    return team_id, channel_id


async def access(uow, action: Action = Action.EDIT_CAMPAIGN) -> TeamAccess:  # type: ignore[no-untyped-def]
    return await team_for(uow, Actor(ANA.id, ANA.id, "private"), NOW, action)


async def create(uow_factory: UnitOfWorkFactory, **changes: str) -> int:
    async with uow_factory() as uow:
        who = await access(uow)
        values, _warnings = await campaigns.campaign_values(
            uow, who.team_id, {**BF, **changes}, NOW
        )
        campaign = await campaigns.create_campaign(uow, who, values, NOW)
        await uow.commit()
        return campaign.id


async def test_create_stores_utc_and_audits(uow_factory: UnitOfWorkFactory) -> None:
    team_id, channel_id = await setup(uow_factory)
    campaign_id = await create(uow_factory)
    async with uow_factory() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        assert campaign is not None
        assert campaign.starts_at == datetime(2026, 11, 27, tzinfo=NY)
        assert campaign.starts_at.tzinfo is UTC and campaign.starts_at.hour == 5
        assert campaign.ends_at == datetime(2026, 11, 30, 23, 59, 59, tzinfo=NY)
        assert campaign.registration_deadline == datetime(2026, 11, 20, 12, tzinfo=NY)
        assert (campaign.team_id, campaign.channel_id) == (team_id, channel_id)
        assert campaign.subsidy_value == Decimal("0.3") and campaign.subsidy_cap == Decimal(5)
        (audit,) = (await uow.session.scalars(select(CampaignAudit))).all()
    assert audit.action == "create" and audit.user_id == ANA.id
    assert audit.changes["name"] == [None, "Black Friday"]
    assert audit.changes["starts_at"] == [None, "2026-11-27T05:00:00+00:00"]


async def test_tz_overrides_the_market_zone(uow_factory: UnitOfWorkFactory) -> None:
    await setup(uow_factory)
    campaign_id = await create(uow_factory, tz="Asia/Shanghai")
    async with uow_factory() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        assert campaign is not None
    assert campaign.timezone == "Asia/Shanghai"
    assert campaign.starts_at == datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end": "2026-11-26"}, "end after it starts"),
        ({"deadline": "2026-11-28"}, "deadline is after the start"),
        ({"start": "2026-10-01", "end": "2026-10-05", "deadline": "none"}, "already be over"),
        ({"channel": "amazon-de"}, "no channel"),
        ({"min_discount": "120%"}, "percentage"),
        ({"subsidy": "share:30%:cap"}, "subsidy"),
        ({"start": "27/11/2026"}, "date"),
        ({"colour": "red"}, "do not know"),
    ],
)
async def test_bad_input_writes_nothing(
    uow_factory: UnitOfWorkFactory, changes: dict[str, str], message: str
) -> None:
    await setup(uow_factory)
    with pytest.raises(UserInputError, match=message):
        await create(uow_factory, **changes)
    async with uow_factory() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Campaign)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(CampaignAudit)) == 0


async def test_past_start_is_accepted_with_a_warning(uow_factory: UnitOfWorkFactory) -> None:
    await setup(uow_factory)
    async with uow_factory() as uow:
        who = await access(uow)
        _values, warnings = await campaigns.campaign_values(
            uow, who.team_id, {**BF, "start": "2026-10-30", "deadline": "none"}, NOW
        )
    assert warnings == [campaigns.STARTED]


async def test_edit_audits_old_and_new_and_delete_keeps_the_trail(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await setup(uow_factory)
    campaign_id = await create(uow_factory)
    async with uow_factory() as uow:
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        result = await campaigns.edit_campaign(
            uow, who, campaign, {"end": "2026-12-01", "min_discount": "25%", "name": "BF"}, NOW
        )
        await uow.commit()
    assert result.changes["min_discount"] == ["0.2", "0.25"]
    assert result.changes["name"] == ["Black Friday", "BF"]
    assert result.changes["ends_at"][1] == "2026-12-02T04:59:59+00:00"
    async with uow_factory() as uow:  # an edit that breaks the order writes nothing
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        with pytest.raises(UserInputError):
            await campaigns.edit_campaign(uow, who, campaign, {"start": "2026-12-05"}, NOW)
    async with uow_factory() as uow:
        who = await access(uow, Action.DELETE_CAMPAIGN)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        assert campaign.name == "BF" and campaign.starts_at.day == 27
        await campaigns.enrol(uow, who, campaign, ["OK1"], None, NOW)
        await campaigns.delete_campaign(uow, who, campaign, NOW)
        await uow.commit()
    async with uow_factory() as uow:
        actions = [a.action for a in await campaigns.audit_trail(uow, campaign_id)]
        assert await uow.session.scalar(select(func.count()).select_from(Enrolment)) == 0
        with pytest.raises(NotFound):
            await campaigns.get_campaign(uow, (await access(uow)).team_id, campaign_id)
    assert actions == ["create", "edit", "delete"]


async def test_enrol_explicit_all_eligible_and_unknown(uow_factory: UnitOfWorkFactory) -> None:
    await setup(uow_factory)
    campaign_id = await create(uow_factory)
    async with uow_factory() as uow:
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        with pytest.raises(UserInputError, match="no SKU") as caught:
            await campaigns.enrol(uow, who, campaign, ["OK1", "NOPE"], None, NOW)
        assert caught.value.params["codes"] == "NOPE"
    async with uow_factory() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Enrolment)) == 0
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        everything = await campaigns.enrol(uow, who, campaign, None, None, NOW)
        await uow.commit()
    assert sorted(r.code for r in everything.rows) == ["OK1", "OK2"]
    async with uow_factory() as uow:
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        explicit = await campaigns.enrol(
            uow, who, campaign, ["low", "OK1"], PriceChoice(PriceMode.MAX), NOW
        )
        await uow.commit()
    # OK1 re-priced; LOW (found case-insensitively) is under its floor: held, asked first
    assert (explicit.added, explicit.updated) == (0, 1)
    assert [r.code for r in explicit.held] == ["LOW"] and explicit.pending_id is not None
    assert explicit.held[0].status is PlanStatus.BELOW_FLOOR
    assert [r.code for r in explicit.rows] == ["OK1"]
    assert explicit.rows[0].planned_price == explicit.rows[0].customer_floor
    async with uow_factory() as uow:
        who = await access(uow)
        settled = await campaigns.settle_under_floor(uow, who, explicit.pending_id, True, NOW)
        await uow.commit()
    assert settled is not None and settled.result is not None
    assert (settled.result.added, settled.result.updated) == (1, 0)
    assert settled.result.rows[0].under_floor_accepted
    async with uow_factory() as uow:  # used once
        again = await campaigns.settle_under_floor(
            uow, await access(uow), explicit.pending_id, True, NOW
        )
        accepted = await uow.session.scalar(
            select(func.count())
            .select_from(Enrolment)
            .where(Enrolment.under_floor_accepted_at.is_not(None))
        )
    assert again is None and accepted == 1
    async with uow_factory() as uow:
        modes = dict(
            (
                await uow.session.execute(
                    select(Enrolment.sku_id, Enrolment.price_mode).order_by(Enrolment.sku_id)
                )
            ).all()
        )
    assert sorted(modes.values()) == ["max", "max", "suggested"]


async def test_no_minimum_means_the_seller_chooses(uow_factory: UnitOfWorkFactory) -> None:
    await setup(uow_factory)
    campaign_id = await create(uow_factory, min_discount="none")
    async with uow_factory() as uow:
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        with pytest.raises(UserInputError, match="discount=max"):
            await campaigns.enrol(uow, who, campaign, ["OK1"], None, NOW)
        result = await campaigns.enrol(
            uow, who, campaign, ["OK1"], PriceChoice(PriceMode.PRICE, price=Decimal("30.00")), NOW
        )
        with pytest.raises(UserInputError, match="above the list price"):
            await campaigns.enrol(
                uow, who, campaign, ["OK2"], PriceChoice(PriceMode.PRICE, price=Decimal(99)), NOW
            )
    assert result.rows[0].planned_price == Decimal("30.00")
    assert result.rows[0].status is PlanStatus.OK


async def test_plan_uses_the_30_day_lowest_price_from_history(
    uow_factory: UnitOfWorkFactory,
) -> None:
    await setup(uow_factory)
    campaign_id = await create(uow_factory, ref="lowest_30d")
    start = datetime(2026, 11, 27, tzinfo=NY)
    async with uow_factory() as uow:
        listing = await uow.session.scalar(
            select(Listing).join(Listing.sku).where(Listing.list_price == Decimal("39.99"))
        )
        assert listing is not None
        for days, price in ((60, "39.99"), (20, "34.99"), (10, "39.99")):
            uow.session.add(
                PriceHistory(
                    listing_id=listing.id,
                    price=Decimal(price),
                    effective_at=start - timedelta(days=days),
                )
            )
        uow.session.add(  # after the start: not part of the window
            PriceHistory(listing_id=listing.id, price=Decimal("9.99"), effective_at=start)
        )
        await uow.commit()
    async with uow_factory() as uow:
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        await campaigns.enrol(uow, who, campaign, ["OK1", "OK2", "NOPRICE"], None, NOW)
        plan = await build_plan(uow, who.team, campaign, NOW)
        await uow.commit()
    rows = {r.code: r for r in plan.rows}
    assert rows["OK1"].reference_price == Decimal("34.99")
    assert rows["OK1"].planned_price == Decimal("27.99")  # 34.99 × 0.8 = 27.992, rounded down
    assert rows["OK1"].discount == Decimal("0.2000")
    assert rows["OK2"].reference_price == Decimal("24.99")  # no history: the list price
    assert rows["NOPRICE"].status is PlanStatus.NO_LIST_PRICE
    assert [r.code for r in plan.rows][-1] == "NOPRICE"  # eligible ones first
    assert {r.code for r in plan.others} == {"LOW"}  # listed, not enrolled
    assert plan.counts == {PlanStatus.OK: 2, PlanStatus.NO_LIST_PRICE: 1}


async def test_vouchers_block_and_save(uow_factory: UnitOfWorkFactory) -> None:
    await setup(uow_factory)
    campaign_id = await create(uow_factory)
    async with uow_factory() as uow:
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        await campaigns.enrol(uow, who, campaign, ["OK1", "OK2"], None, NOW)
        answer = await answer_voucher(uow, who.team, campaign, VoucherQuestion(value=Decimal(5)))
        assert answer.result.threshold is not None and answer.pair is not None
        await save_voucher(uow, campaign, *answer.pair, Decimal(0), None, NOW)
        await save_voucher(uow, campaign, *answer.pair, Decimal(0), None, NOW)  # once only
        # a SKU at a loss blocks every voucher; the answer says what would hold without it
        held = await campaigns.enrol(
            uow, who, campaign, ["LOW"], PriceChoice(PriceMode.PRICE, price=Decimal("12.00")), NOW
        )
        assert held.pending_id is not None and not held.rows  # under the floor: asked first
        await campaigns.settle_under_floor(uow, who, held.pending_id, True, NOW)
        blocked = await answer_voucher(uow, who.team, campaign, VoucherQuestion(value=Decimal(5)))
        plan = await build_plan(uow, who.team, campaign, NOW)
        await uow.commit()
    assert blocked.result.blockers == ("LOW",)
    assert blocked.result.without_blockers is not None
    assert blocked.result.without_blockers.threshold == answer.result.threshold
    async with uow_factory() as uow:
        (voucher,) = (await uow.session.scalars(select(Voucher))).all()
    assert (voucher.threshold, voucher.value) == answer.pair
    (check,) = plan.vouchers
    assert not check.safe  # LOW now blocks it


async def test_channel_cannot_change_under_enrolled_skus(uow_factory: UnitOfWorkFactory) -> None:
    team_id, _channel = await setup(uow_factory)
    await seed_channel(uow_factory, team_id, preset="temu-us-full", name="temu-full")
    campaign_id = await create(uow_factory)
    async with uow_factory() as uow:
        who = await access(uow)
        campaign = await campaigns.get_campaign(uow, who.team_id, campaign_id)
        await campaigns.enrol(uow, who, campaign, ["OK1"], None, NOW)
        with pytest.raises(Conflict):
            await campaigns.edit_campaign(uow, who, campaign, {"channel": "temu-full"}, NOW)


async def test_other_teams_campaigns_are_not_found(uow_factory: UnitOfWorkFactory) -> None:
    await setup(uow_factory)
    campaign_id = await create(uow_factory)
    bob = User(id=502, first_name="Bob")
    await seed_user(uow_factory, bob)
    async with uow_factory() as uow:
        who = await team_for(uow, Actor(bob.id, bob.id, "private"), NOW, Action.READ)
        with pytest.raises(NotFound):
            await campaigns.get_campaign(uow, who.team_id, campaign_id)
