"""Issue 11, finding 3: a registration deadline that has already passed is no longer taken
without a word — the one-line /newcampaign, the guided flow and edits warn and ask first;
a campaign whose start has passed too is accepted with a warning (SPEC §4)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import Clock, FakeClock
from bot.db.models import Campaign, CampaignAudit, FlowState
from bot.i18n import Translator
from bot.services.campaigns import DEADLINE_PASSED, STARTED
from tests.e2e.campaign_fixtures import seed_channel, seed_skus, seed_user, set_fx
from tests.e2e.conftest import BotHarness
from tests.e2e.test_campaigns import SKUS, plain

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
ES = Translator("es", "Asia/Shanghai")
EN = Translator("en", "Asia/Shanghai")
PAST_LINE = (
    '/newcampaign name="Black Friday" channel=temu-us start=2026-11-27 end=2026-11-30 '
    "deadline=2026-11-05T12:00 min_discount=20%"
)


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


async def seller(harness: BotHarness, name: str, language: str) -> object:
    user = harness.stub.create_user(name, language_code=language)
    team_id = await seed_user(harness.uow_factory, user)
    channel_id = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel_id, SKUS)
    await set_fx(harness.uow_factory, team_id)
    return user


async def campaigns(harness: BotHarness) -> list[Campaign]:
    async with harness.uow_factory() as uow:
        return list((await uow.session.scalars(select(Campaign).order_by(Campaign.id))).all())


async def test_one_line_past_deadline_is_asked_about_in_spanish(harness: BotHarness) -> None:
    lucia = await seller(harness, "Lucía", "es")
    asked = await harness.ask(lucia, PAST_LINE)
    deadline = datetime(2026, 11, 5, 12, 0, tzinfo=NY)
    when = ES(
        "{reader} ({market})",
        reader=ES.datetime(deadline),
        market=ES.datetime(deadline, "America/New_York"),
    )
    assert asked.text.startswith(
        plain(
            ES(
                "⚠️ The registration deadline, {when}, has already passed — registration on "
                "the platform is probably closed. Create this campaign anyway?",
                when=when,
            )
        )
    )
    assert ES("✅ Create anyway") in asked.button_texts
    # the summary gives the deadline in the market's zone and in the team's
    both = ES(
        "{reader} ({market})",
        reader=ES.datetime(deadline, "America/New_York"),
        market=ES.datetime(deadline, "Asia/Shanghai"),
    )
    assert plain(ES("Registration deadline: {when}", when=both)) in plain(asked.text)
    assert await campaigns(harness) == []  # nothing is created before the answer

    card = await harness.press(lucia, asked, ES("✅ Create anyway"))
    assert ES("✅ Campaign created.") in card.text
    assert "⚠️ " + ES(DEADLINE_PASSED) in card.text
    (campaign,) = await campaigns(harness)
    assert campaign.registration_deadline == deadline
    async with harness.uow_factory() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(FlowState)) == 0

    # declining writes nothing
    asked = await harness.ask(lucia, PAST_LINE.replace("Black Friday", "Cyber Monday"))
    cancelled = await harness.press(lucia, asked, ES("✖ Cancel"))
    assert cancelled.text == ES("Cancelled.")
    assert [c.name for c in await campaigns(harness)] == ["Black Friday"]


async def test_a_past_start_is_accepted_with_a_warning_without_asking(harness: BotHarness) -> None:
    ana = await seller(harness, "Ana", "en")
    card = await harness.ask(
        ana,
        '/newcampaign name="Running" channel=temu-us start=2026-11-08 end=2026-11-30 '
        "deadline=2026-11-01",
    )
    assert EN("✅ Campaign created.") in card.text and "⚠️ " + EN(STARTED) in card.text
    assert [c.name for c in await campaigns(harness)] == ["Running"]


async def test_guided_flow_warns_at_the_deadline_step(harness: BotHarness) -> None:
    ana = await seller(harness, "Ana", "en")
    question = await harness.ask(ana, "/newcampaign")
    question = await harness.press(ana, question, "Blank")
    question = await harness.press(ana, question, "temu-us")
    question = await harness.ask(ana, "Singles Day")
    question = await harness.press(ana, question, "Market: United States (New York) Time")
    warned = await harness.ask(ana, "2026-11-01")  # registration already closed
    assert warned.text.startswith("⚠️ ") and "already passed" in warned.text
    assert warned.button_texts == [EN("Keep it anyway"), EN("No deadline")]
    # another date is simply read again; a past one is asked about again
    again = await harness.ask(ana, "2026-11-02T10:00")
    assert "already passed" in again.text
    question = await harness.press(ana, again, EN("Keep it anyway"))
    assert "start" in question.text
    question = await harness.ask(ana, "2026-11-27")
    question = await harness.ask(ana, "2026-11-30")
    question = await harness.press(ana, question, "20%")
    question = await harness.press(ana, question, "List price")
    question = await harness.press(ana, question, "No subsidy")
    question = await harness.press(ana, question, "The team's (15%)")
    assert "already passed" in question.text and EN("✅ Create anyway") in question.button_texts
    card = await harness.press(ana, question, EN("✅ Create anyway"))
    assert EN("✅ Campaign created.") in card.text
    (campaign,) = await campaigns(harness)
    assert campaign.registration_deadline == datetime(2026, 11, 2, 10, 0, tzinfo=NY)


async def test_an_edit_to_a_past_deadline_asks_before_saving(harness: BotHarness) -> None:
    ana = await seller(harness, "Ana", "en")
    await harness.ask(ana, PAST_LINE.replace("2026-11-05T12:00", "2026-11-20T12:00"))
    (campaign,) = await campaigns(harness)
    asked = await harness.ask(ana, f"/campaign {campaign.id} deadline=2026-11-06")
    assert "already passed" in asked.text and "Save it anyway?" in asked.text
    assert (await campaigns(harness))[0].registration_deadline == datetime(
        2026, 11, 20, 12, 0, tzinfo=NY
    )
    cancelled = await harness.press(ana, asked, EN("✖ Cancel"))
    assert cancelled.text == EN("Cancelled.")
    assert (await campaigns(harness))[0].registration_deadline == datetime(
        2026, 11, 20, 12, 0, tzinfo=NY
    )

    # through the edit buttons, typed, then confirmed
    card = await harness.ask(ana, f"/campaign {campaign.id}")
    menu = await harness.press(ana, card, "✏️ Edit")
    prompt = await harness.press(ana, menu, "Registration deadline")
    asked = await harness.ask(ana, "2026-11-06")
    assert "Save it anyway?" in asked.text
    saved = await harness.press(ana, asked, EN("✅ Save anyway"))
    assert plain(EN("✅ Saved: {fields}.", fields="registration deadline")) in saved.text
    assert "⚠️ " + EN(DEADLINE_PASSED) in saved.text
    assert (await campaigns(harness))[0].registration_deadline == datetime(
        2026, 11, 6, 23, 59, 59, tzinfo=NY
    )
    async with harness.uow_factory() as uow:
        actions = (await uow.session.scalars(select(CampaignAudit.action))).all()
        assert await uow.session.scalar(select(func.count()).select_from(FlowState)) == 0
    assert list(actions) == ["create", "edit"]
    assert prompt.text  # the prompt was shown before the answer
