"""Issue 11, finding 2: an old, unpressed button never acts on a newer object. Ids are never
handed out again (SQLite AUTOINCREMENT, PostgreSQL sequences), and where a database holds
a reused id anyway (a restored backup, ids freed before the migration), the button's stamp
no longer matches and the press is answered "out of date" — nothing is deleted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import Clock, FakeClock
from bot.db.models import Campaign, CampaignAudit, Channel, Membership, Team
from bot.i18n import Translator
from tests.e2e.campaign_fixtures import seed_channel, seed_skus, seed_user, set_fx
from tests.e2e.conftest import BotHarness
from tests.e2e.test_campaigns import SKUS

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
EN = Translator("en")
OUT_OF_DATE = EN(
    "This button is out of date: what it was made for is gone or was replaced. Nothing was changed."
)


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


def new_campaign(name: str) -> str:
    return (
        f'/newcampaign name="{name}" channel=temu-us start=2026-11-27 end=2026-11-30 '
        "deadline=2026-11-20T12:00 min_discount=20%"
    )


async def campaign_named(harness: BotHarness, name: str) -> Campaign | None:
    async with harness.uow_factory() as uow:
        return await uow.session.scalar(select(Campaign).where(Campaign.name == name))


async def test_a_stale_delete_button_after_id_reuse_deletes_nothing(harness: BotHarness) -> None:
    ana = harness.stub.create_user("Ana", language_code="en")
    team_id = await seed_user(harness.uow_factory, ana)
    channel_id = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel_id, SKUS)
    await set_fx(harness.uow_factory, team_id)

    card = await harness.ask(ana, new_campaign("Old"))
    old = await campaign_named(harness, "Old")
    assert old is not None
    stale_confirm = await harness.ask(ana, f"/campaign {old.id} delete")  # never pressed
    confirm = await harness.ask(ana, f"/campaign {old.id} delete")
    assert "Deleted" in (await harness.press(ana, confirm, "🗑 Yes, delete")).text
    assert await campaign_named(harness, "Old") is None

    # the newest campaign was deleted: the next one does not get its id
    await harness.ask(ana, new_campaign("Next"))
    following = await campaign_named(harness, "Next")
    assert following is not None and following.id > old.id

    # a database that reused the id anyway (restored from a backup, ids freed before the
    # migration): a new campaign now holds the old id
    async with harness.uow_factory() as uow:
        uow.session.add(
            Campaign(
                id=old.id,
                team_id=team_id,
                channel_id=channel_id,
                name="New",
                starts_at=datetime(2026, 11, 27, tzinfo=UTC),
                ends_at=datetime(2026, 11, 30, tzinfo=UTC),
                timezone="America/New_York",
                created_by=ana.id,
                created_at=NOW + timedelta(minutes=5),
                updated_at=NOW + timedelta(minutes=5),
            )
        )
        await uow.commit()

    assert await harness.press_alert(ana, stale_confirm, "🗑 Yes, delete") == OUT_OF_DATE
    assert await harness.press_alert(ana, card, "🗑 Delete") == OUT_OF_DATE  # the old card
    assert await harness.press_alert(ana, card, "✏️ Edit") == OUT_OF_DATE
    reused = await campaign_named(harness, "New")
    assert reused is not None and reused.id == old.id
    async with harness.uow_factory() as uow:
        deletes = (
            await uow.session.scalars(
                select(CampaignAudit.campaign_id).where(CampaignAudit.action == "delete")
            )
        ).all()
    assert list(deletes) == [old.id]  # only the one delete that was meant

    # the new campaign's own buttons work
    fresh = await harness.ask(ana, f"/campaign {old.id} delete")
    assert "Deleted" in (await harness.press(ana, fresh, "🗑 Yes, delete")).text
    assert await campaign_named(harness, "New") is None


async def test_stale_team_and_channel_buttons_are_out_of_date(harness: BotHarness) -> None:
    ana = harness.stub.create_user("Ana", language_code="en", username="ana")
    await harness.ask(ana, "/team new Test shop")
    confirm = await harness.ask(ana, "/team delete")  # never pressed
    async with harness.uow_factory() as uow:
        test_team = await uow.session.scalar(select(Team).where(Team.name == "Test shop"))
        assert test_team is not None
        test_id = test_team.id
    done = await harness.ask(ana, "/team delete")
    assert "deleted" in (await harness.press(ana, done, "Delete team")).text

    # the next team never takes the deleted team's id …
    await harness.ask(ana, "/team new Real shop")
    async with harness.uow_factory() as uow:
        real = await uow.session.scalar(select(Team).where(Team.name == "Real shop"))
        assert real is not None and real.id > test_id
        # … and where one did (a reused id), the old confirmation is out of date
        later = NOW + timedelta(days=1)
        uow.session.add(Team(id=test_id, name="Reused", created_at=later, updated_at=later))
        await uow.session.flush()
        uow.session.add(Membership(team_id=test_id, user_id=ana.id, role="owner", joined_at=later))
        await uow.commit()
    await harness.ask(ana, f"/team switch {test_id}")
    assert await harness.press_alert(ana, confirm, "Delete team") == OUT_OF_DATE
    async with harness.uow_factory() as uow:
        assert await uow.session.get(Team, test_id) is not None

    # a channel's delete confirmation is tied to that channel, not to its id
    await harness.ask(ana, "/channel add temu-us-semi")
    stale = await harness.ask(ana, "/channel del temu-us-semi")
    async with harness.uow_factory() as uow:
        channel = await uow.session.scalar(select(Channel).where(Channel.team_id == test_id))
        assert channel is not None
        channel.created_at = NOW + timedelta(days=1)  # as if another channel held the id
        await uow.commit()
    assert await harness.press_alert(ana, stale, "🗑 Delete") == OUT_OF_DATE
    async with harness.uow_factory() as uow:
        assert await uow.session.scalar(select(Channel).where(Channel.team_id == test_id))
