"""Issue 12, "Input as sellers write it", through the stand-in: a German seller's decimal
commas, a Chinese seller's dates, the guided flow's zone question and its subsidy buttons."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.db.models import Campaign, Listing, Sku, Team
from bot.i18n import Translator
from tests.e2e.campaign_fixtures import seed_channel, seed_user
from tests.e2e.catalog_support import plain
from tests.e2e.conftest import BotHarness

DE = Translator("de", "Europe/Berlin")
ZH = Translator("zh_CN", "Asia/Shanghai")
SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def _no_rate_limits(harness: BotHarness) -> None:
    harness.stub.set_rate_limits(False)


async def test_a_german_seller_writes_decimal_commas(harness: BotHarness) -> None:
    jana = harness.stub.create_user("Jana", language_code="de")
    await harness.ask(jana, "/channel add amazon-de name=de")
    saved = await harness.ask(jana, "/sku add A1 unit_cost=12,5 duty_rate=7,5 list_price@de=19,99")
    text = plain(saved.text).replace("\xa0", " ")
    assert "19,99 €" in text  # read as she writes it, shown back the same way
    async with harness.uow_factory() as uow:
        sku = await uow.session.scalar(select(Sku).where(Sku.code == "A1"))
        assert sku is not None
        assert (sku.unit_cost, sku.duty_rate) == (Decimal("12.5"), Decimal("0.075"))
        listing = await uow.session.scalar(select(Listing).where(Listing.sku_id == sku.id))
        assert listing is not None and listing.list_price == Decimal("19.99")

    # a thousands amount with both marks, as Germans write it
    await harness.ask(jana, "/sku A1 other_cost=1.234,56")
    async with harness.uow_factory() as uow:
        sku = await uow.session.scalar(select(Sku).where(Sku.code == "A1"))
        assert sku is not None and sku.other_cost == Decimal("1234.56")

    # "1,299" reads two ways: refused, both readings offered, in German, nothing written
    ambiguous = await harness.ask(jana, "/sku A1 list_price@de=1,299")
    assert "<code>1299</code>" in (ambiguous.source or "") and "<code>1,2990</code>" in (
        ambiguous.source or ""
    )
    assert "Tausendertrennzeichen" in ambiguous.text
    async with harness.uow_factory() as uow:
        listing = await uow.session.scalar(select(Listing).where(Listing.sku_id == sku.id))
        assert listing is not None and listing.list_price == Decimal("19.99")

    # settings and /fx set read the same way
    await harness.ask(jana, "/settings margin=17,5")
    await harness.ask(jana, "/fx set EUR CNY 7,85")
    async with harness.uow_factory() as uow:
        team = await uow.session.scalar(select(Team))
        assert team is not None and team.target_margin == Decimal("0.175")


async def test_an_english_reader_is_not_read_with_decimal_commas(harness: BotHarness) -> None:
    ann = harness.stub.create_user("Ann", language_code="en")
    await harness.ask(ann, "/channel add amazon-de name=de")
    refused = await harness.ask(ann, "/sku add A1 unit_cost=12,5")
    assert "12,5" in refused.text and "12.5" in refused.text  # how to write it
    await harness.ask(ann, "/sku add A1 unit_cost=1,250.5")  # grouping, as she writes it
    async with harness.uow_factory() as uow:
        sku = await uow.session.scalar(select(Sku).where(Sku.code == "A1"))
    assert sku is not None and sku.unit_cost == Decimal("1250.5")


async def chinese_seller(harness: BotHarness) -> object:
    """A Shenzhen seller (team in Asia/Shanghai) with a Temu US channel (New York)."""
    mei = harness.stub.create_user("Mei", language_code="zh-hans")
    team_id = await seed_user(harness.uow_factory, mei, timezone="Asia/Shanghai")
    await seed_channel(harness.uow_factory, team_id)
    return mei


async def test_the_guided_flow_asks_the_zone_and_reads_a_chinese_date(harness: BotHarness) -> None:
    mei = await chinese_seller(harness)
    question = await harness.ask(mei, "/newcampaign")
    question = await harness.press(mei, question, ZH("Blank"))
    question = await harness.press(mei, question, "temu-us")
    question = await harness.ask(mei, "双十一")
    # the market keeps New York time, the team Beijing time: which one are the dates in?
    assert (
        ZH.zone("America/New_York") in question.text and ZH.zone("Asia/Shanghai") in question.text
    )
    assert question.button_texts == [
        ZH("Market: {zone}", zone=ZH.zone_place("America/New_York")),
        ZH("Team: {zone}", zone=ZH.zone_place("Asia/Shanghai")),
    ]
    question = await harness.press(
        mei, question, ZH("Team: {zone}", zone=ZH.zone_place("Asia/Shanghai"))
    )
    assert ZH.zone("Asia/Shanghai") in question.text
    assert "2026年11月20日 12:00" in question.text  # the example is in her own form

    bad = await harness.ask(mei, "下周五")
    assert "下周五" in bad.text and "2026年11月20日 12:00" in bad.text
    question = await harness.ask(mei, "2027年11月15日 12:00")
    question = await harness.ask(mei, "2027年11月20日")
    question = await harness.ask(mei, "2027/11/22")
    question = await harness.press(mei, question, "20%")
    question = await harness.press(mei, question, ZH("List price"))

    # the subsidy with buttons and plain answers, not share:30%:cap:2
    assert question.button_texts[:3] == [
        ZH("No subsidy"),
        ZH("A fixed amount per unit"),
        ZH("A share of the discount (with a cap)"),
    ]
    question = await harness.press(mei, question, ZH("A share of the discount (with a cap)"))
    question = await harness.ask(mei, "30 %")
    assert ZH("No cap") in question.button_texts
    question = await harness.ask(mei, "2.50")
    question = await harness.press(mei, question, ZH("The team's ({margin})", margin="15%"))

    # the confirmation shows the deadline in Beijing time and in the market's
    confirm = plain(question.text)
    assert "2027年11月15日 12:00 中国标准时间" in confirm
    assert "2027年11月14日 23:00 北美东部标准时间" in confirm
    card = await harness.press(mei, question, ZH("✅ Create"))
    assert plain(ZH("✅ Campaign created.")) in plain(card.text)
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
    assert campaign.timezone == "Asia/Shanghai"
    assert campaign.registration_deadline == datetime(2027, 11, 15, 12, 0, tzinfo=SHANGHAI)
    assert campaign.starts_at == datetime(2027, 11, 20, tzinfo=SHANGHAI)
    assert campaign.ends_at == datetime(2027, 11, 22, 23, 59, 59, tzinfo=SHANGHAI)
    assert (campaign.subsidy_kind, campaign.subsidy_value, campaign.subsidy_cap) == (
        "share",
        Decimal("0.3"),
        Decimal("2.50"),
    )


async def test_the_market_zone_and_a_fixed_subsidy_in_german(harness: BotHarness) -> None:
    jana = harness.stub.create_user("Jana", language_code="de")
    team_id = await seed_user(harness.uow_factory, jana, timezone="Europe/Berlin")
    await seed_channel(harness.uow_factory, team_id)
    question = await harness.ask(jana, "/newcampaign")
    question = await harness.press(jana, question, DE("Blank"))
    question = await harness.press(jana, question, "temu-us")
    question = await harness.ask(jana, "Cyber Monday")
    question = await harness.press(
        jana, question, DE("Market: {zone}", zone=DE.zone_place("America/New_York"))
    )
    question = await harness.ask(jana, "15.11.2027 12:00")
    question = await harness.ask(jana, "20.11.2027")
    question = await harness.ask(jana, "22.11.2027")
    question = await harness.press(jana, question, DE("None"))
    question = await harness.press(jana, question, DE("List price"))
    question = await harness.press(jana, question, DE("A fixed amount per unit"))
    question = await harness.ask(jana, "2,50")
    question = await harness.ask(jana, "17,5 %")
    confirm = plain(question.text).replace("\u202f", " ")
    assert "15.11.2027, 12:00 Nordamerikanische Ostküsten-Normalzeit" in confirm
    assert "15.11.2027, 18:00 Mitteleuropäische Normalzeit" in confirm
    await harness.press(jana, question, DE("✅ Create"))
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
    assert campaign.timezone == "America/New_York"
    assert campaign.registration_deadline == datetime(2027, 11, 15, 12, 0, tzinfo=NEW_YORK)
    assert (campaign.subsidy_kind, campaign.subsidy_value) == ("fixed", Decimal("2.50"))
    assert campaign.target_margin == Decimal("0.175")

    # a one-line edit reads her dates and numbers too; the edit prompt shows her own form
    await harness.ask(jana, f"/campaign {campaign.id} end=30.11.2027 min_discount=12,5%")
    async with harness.uow_factory() as uow:
        edited = await uow.session.get(Campaign, campaign.id)
    assert edited is not None
    assert edited.ends_at == datetime(2027, 11, 30, 23, 59, 59, tzinfo=NEW_YORK)
    assert edited.min_discount == Decimal("0.125")
    card = await harness.ask(jana, f"/campaign {campaign.id}")
    menu = await harness.press(jana, card, DE("✏️ Edit"))
    prompt = await harness.press(jana, menu, DE("End"))
    assert "30.11.2026" in prompt.text and "2026-11-30" in prompt.text


async def test_zone_buttons_are_checked_again(harness: BotHarness) -> None:
    mei = await chinese_seller(harness)
    question = await harness.ask(mei, "/newcampaign")
    question = await harness.press(mei, question, ZH("Blank"))
    question = await harness.press(mei, question, "temu-us")
    question = await harness.ask(mei, "双十一")
    market = question.button(ZH("Market: {zone}", zone=ZH.zone_place("America/New_York")))
    assert market.data is not None
    forged = market.data.replace(":m:1:", ":m:99:")
    assert forged != market.data
    stale = await harness.press_data(mei, question, forged)
    assert stale == ZH("This button is no longer valid.")
    unknown = await harness.press_data(mei, question, market.data.replace(":m:", ":x:"))
    assert unknown == ZH("This button is no longer valid.")
    # a zone may also be written
    question = await harness.ask(mei, "Asia/Tokyo")
    assert ZH.zone("Asia/Tokyo") in question.text
