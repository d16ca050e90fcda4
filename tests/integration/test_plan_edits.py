"""The bulk planned-price service (bot/services/plan_edits.py) on real databases, called
as any editor would call it (the plan file, a Mini App): preview, apply all or nothing,
the under-floor ones only when confirmed, audited; refusals by SKU."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import select

from bot.db.models import Campaign, CampaignAudit, Enrolment, PendingChange, Sku
from bot.db.uow import UnitOfWorkFactory
from bot.domain.permissions import Action
from bot.services import campaigns, plan_edits
from bot.services.access import TeamAccess, team_for
from bot.services.actor import Actor
from bot.services.plan import PriceChoice, PriceMode
from bot.services.plan_edits import PriceEdit
from bot.telegram_stub import User
from tests.e2e.campaign_fixtures import SkuSpec, seed_channel, seed_skus, seed_user, set_fx

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ANA = User(id=601, first_name="Ana", language_code="en")
BF = {
    "name": "Black Friday",
    "channel": "temu-us",
    "start": "2026-11-27",
    "end": "2026-11-30",
    "min_discount": "20%",
}
SPECS = [
    SkuSpec("A1", Decimal(100), Decimal("39.99")),
    SkuSpec("A2", Decimal(60), Decimal("24.99")),
    SkuSpec("A3", Decimal(80), Decimal("29.99")),
    SkuSpec("SPARE", Decimal(50), Decimal("19.99")),
]


async def access(uow) -> TeamAccess:  # type: ignore[no-untyped-def]
    return await team_for(uow, Actor(ANA.id, ANA.id, "private"), NOW, Action.EDIT_CAMPAIGN)


async def setup(uow_factory: UnitOfWorkFactory) -> Campaign:
    team_id = await seed_user(uow_factory, ANA)
    channel_id = await seed_channel(uow_factory, team_id)
    await seed_skus(uow_factory, team_id, channel_id, SPECS)
    await set_fx(uow_factory, team_id)
    async with uow_factory() as uow:
        who = await access(uow)
        values, _warnings = await campaigns.campaign_values(uow, who.team_id, BF, NOW)
        campaign = await campaigns.create_campaign(uow, who, values, NOW)
        await campaigns.enrol(
            uow, who, campaign, ["A1", "A2", "A3"], PriceChoice(PriceMode.SUGGESTED), NOW
        )
        await uow.commit()
        return campaign


async def enrolments(uow_factory: UnitOfWorkFactory) -> dict[str, tuple[str, Decimal | None]]:
    async with uow_factory() as uow:
        rows = await uow.session.execute(
            select(Sku.code, Enrolment.price_mode, Enrolment.planned_price).join(
                Sku, Sku.id == Enrolment.sku_id
            )
        )
        return {code: (mode, price) for code, mode, price in rows}


async def test_preview_then_apply_with_and_without_the_under_floor_ones(
    uow_factory: UnitOfWorkFactory,
) -> None:
    campaign = await setup(uow_factory)
    before = await enrolments(uow_factory)
    a1 = before["A1"][1]
    assert a1 is not None
    edits = [
        PriceEdit("A1", price=a1 - 1),  # keeps the margin
        PriceEdit("a2", price=Decimal("5.00")),  # any case; far under the floor
        PriceEdit("A3", discount=Decimal("0.25")),  # a discount: the price derived
    ]
    async with uow_factory() as uow:
        who = await access(uow)
        preview = await plan_edits.preview_price_changes(uow, who, campaign, edits, NOW)
        await uow.commit()
    assert preview.errors == [] and preview.pending_id is not None
    assert [line.code for line in preview.changes] == ["A1", "A3"]
    assert [line.code for line in preview.under_floor] == ["A2"]
    assert preview.changes[1].new_price == Decimal("22.49")  # 29.99 × 0.75, rounded down
    assert await enrolments(uow_factory) == before  # nothing written yet

    async with uow_factory() as uow:
        who = await access(uow)
        result = await plan_edits.apply_price_changes(
            uow, who, preview.pending_id, NOW, include_under_floor=False
        )
        await uow.commit()
    assert result is not None and result.skipped_under_floor == ["A2"]
    after = await enrolments(uow_factory)
    assert after["A1"] == ("price", a1 - 1)
    assert after["A3"] == ("discount", Decimal("22.49"))
    assert after["A2"] == before["A2"]
    async with uow_factory() as uow:
        audit = (await uow.session.scalars(select(CampaignAudit).where(
            CampaignAudit.action == plan_edits.AUDIT_ACTION))).one()  # fmt: skip
        assert sorted(audit.changes["prices"]) == ["A1", "A3"]
        assert audit.changes["skipped_under_floor"] == ["A2"]
        # used once: the same confirmation again finds nothing
        who = await access(uow)
        again = await plan_edits.apply_price_changes(
            uow, who, preview.pending_id, NOW, include_under_floor=True
        )
        assert again is None
        assert await uow.session.scalar(select(PendingChange.id)) is None

    # confirmed explicitly, the under-floor price is written and marked
    async with uow_factory() as uow:
        who = await access(uow)
        preview = await plan_edits.preview_price_changes(
            uow, who, campaign, [PriceEdit("A2", price=Decimal("5.00"))], NOW
        )
        assert preview.pending_id is not None
        result = await plan_edits.apply_price_changes(
            uow, who, preview.pending_id, NOW, include_under_floor=True
        )
        await uow.commit()
    assert result is not None and result.accepted_under_floor == ["A2"]
    async with uow_factory() as uow:
        enrolment = await uow.session.scalar(
            select(Enrolment).join(Sku, Sku.id == Enrolment.sku_id).where(Sku.code == "A2")
        )
        assert enrolment is not None and enrolment.under_floor_accepted_at is not None


async def test_refusals_hold_nothing(uow_factory: UnitOfWorkFactory) -> None:
    campaign = await setup(uow_factory)
    edits = [
        PriceEdit("NOPE", price=Decimal(5), row=2),
        PriceEdit("SPARE", price=Decimal(5), row=3),  # in the catalogue, not enrolled
        PriceEdit("A1", price=Decimal("99.00"), row=4),  # above the list price
        PriceEdit("A2", price=Decimal("20.00"), row=5),
        PriceEdit("a2", price=Decimal("19.00"), row=6),  # the same SKU again
        PriceEdit("A3", row=7),  # nothing asked: unchanged
    ]
    async with uow_factory() as uow:
        who = await access(uow)
        preview = await plan_edits.preview_price_changes(uow, who, campaign, edits, NOW)
        await uow.commit()
    assert [(e.row, e.problem) for e in preview.errors] == [
        (2, plan_edits.UNKNOWN_SKU),
        (3, plan_edits.NOT_ENROLLED),
        (4, plan_edits.ABOVE_LIST_PRICE),
        (6, "duplicate"),
    ]
    assert preview.pending_id is None and preview.changes == [] and preview.unchanged == 1
    async with uow_factory() as uow:
        assert await uow.session.scalar(select(PendingChange.id)) is None
