"""Charts in chat, end to end: /floor and /plan answer with their text (every number, as
before) and then a PNG photo with a caption that repeats the key numbers, in the reader's
language; a chart that cannot be drawn is logged and the text answers stand."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from matplotlib import image as mpimg

from bot.clock import Clock, FakeClock
from bot.db.models import Team
from bot.i18n import Translator
from bot.services import campaigns as campaign_service
from bot.services.plan import PlanStatus, build_plan
from bot.telegram_stub import BotApiStub, StubMessage, User
from bot.views.campaigns import status_counts
from bot.views.charts import _margin
from tests.conftest import TestDatabase
from tests.e2e.campaign_fixtures import (
    SkuSpec,
    black_friday_skus,
    seed_channel,
    seed_skus,
    seed_user,
    set_fx,
)
from tests.e2e.catalog_support import plain
from tests.e2e.chart_faults import broken_draw
from tests.e2e.conftest import BotHarness, make_settings

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"
EN = Translator("en", SHANGHAI)
ZH = Translator("zh_CN", SHANGHAI)
BLACK_FRIDAY = (
    '/newcampaign name="Black Friday" channel=temu-us start=2026-11-27 end=2026-11-30 '
    "deadline=2026-11-20T12:00 min_discount=20%"
)
# a chart worker starts with the bot, but on a machine shared by many test processes its
# imports can take longer than the harness's usual wait
CHART_WAIT = 120.0
A1 = SkuSpec("A1", Decimal(35), Decimal("19.99"), packaging=Decimal("1.5"), first_mile=Decimal(4))


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


@pytest.fixture
async def harness(
    stub: BotApiStub, database: TestDatabase, clock: Clock
) -> AsyncIterator[BotHarness]:
    """The bot with charts on (the shared harness turns them off)."""
    stub.set_rate_limits(False)
    bot = BotHarness(stub, make_settings(stub, database, chart_workers=1), clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.close()


async def seller(harness: BotHarness, specs: list[SkuSpec], language: str) -> tuple[User, int]:
    user = harness.stub.create_user("Mei", language_code=language)
    team_id = await seed_user(harness.uow_factory, user, timezone=SHANGHAI)
    channel_id = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel_id, specs)
    await set_fx(harness.uow_factory, team_id)
    return user, team_id


def chart_size(message: StubMessage) -> tuple[int, int]:
    """The photo's (width, height), read back from its PNG bytes."""
    assert message.photo is not None and message.document is None
    content = message.photo.content
    assert content.startswith(b"\x89PNG\r\n\x1a\n")
    height, width = mpimg.imread(io.BytesIO(content), format="png").shape[:2]
    assert (width, height) == (message.photo.width, message.photo.height)
    return width, height


def amount_after(label: str, text: str) -> str:
    match = re.search(re.escape(label) + r" (\$[\d,]+\.\d\d)", text)
    assert match, f"no {label!r} amount in {text!r}"
    return match.group(1)


async def test_floor_sends_the_card_then_the_waterfall(harness: BotHarness) -> None:
    mei, _team = await seller(harness, [A1], "en")
    card, photo = await harness.send(mei, "/floor A1", replies=2, timeout=CHART_WAIT)
    # the card is the text it always was, with every number
    assert card.photo is None and card.text.startswith("📉 Floor")
    floor = amount_after("Floor:", card.text)
    break_even = amount_after("Break-even:", card.text)
    assert chart_size(photo) == (1000, 600)
    # the caption repeats the key numbers, the same as the card's
    assert photo.text.splitlines()[1] == plain(
        EN("Floor {floor} · break-even {break_even}", floor=floor, break_even=break_even)
    )
    assert photo.text.startswith("📊 A1: at $19.99 you keep ")
    # the next command's answer is its own (the chart came before it)
    again = await harness.ask(mei, "/floor A1")
    assert again.photo is None and again.text == card.text


async def test_plan_sends_summary_files_then_the_margin_chart_in_chinese(
    harness: BotHarness,
) -> None:
    mei, team_id = await seller(harness, black_friday_skus(), "zh-hans")
    await harness.ask(mei, BLACK_FRIDAY)
    await harness.ask(mei, "/enroll 1 all")
    asked = await harness.ask(mei, "/enroll 1 BF01 price=5.00")  # under its floor
    await harness.press(mei, asked, ZH("⚠️ Enrol anyway"))

    summary, xlsx, csv, photo = await harness.send(mei, "/plan 1", replies=4, timeout=CHART_WAIT)
    assert summary.photo is None and xlsx.document is not None and csv.document is not None
    width, height = chart_size(photo)
    assert width == 1000 and 300 < height < 2400

    async with harness.uow_factory() as uow:
        team = await uow.session.get(Team, team_id)
        assert team is not None
        campaign = await campaign_service.get_campaign(uow, team_id, 1)
        plan = await build_plan(uow, team, campaign, NOW)
    under = [r for r in plan.rows if r.status is PlanStatus.BELOW_FLOOR and r.margin is not None]
    assert [r.code for r in under] == ["BF01"]
    lowest = plan.worst(1)[0]
    assert lowest.code == "BF01" and lowest.margin is not None and lowest.margin < 0
    caption = photo.text.splitlines()
    assert caption[0] == plain(
        ZH(
            "📊 <b>Margins at the planned price</b>: {name} · target {target}",
            name="Black Friday",
            target=ZH.percent(Decimal("0.15")),
        )
    )
    assert caption[1] == status_counts(ZH, plan.counts)  # counts per status
    assert caption[2] == ZH.ngettext(
        "⛔ {n} SKU is under the floor (red).", "⛔ {n} SKUs are under the floor (red).", 1
    )
    assert caption[3] == plain(
        ZH("Lowest: {sku} at {margin}", sku="<code>BF01</code>", margin=_margin(ZH, lowest.margin))
    )
    # the summary still carries the numbers the tests and sellers read
    assert (
        plain(ZH("Enrolled: {skus}", skus=ZH.ngettext("{n} SKU", "{n} SKUs", len(plan.rows))))
        in summary.text
    )


async def test_a_chart_that_fails_leaves_the_text_and_is_logged(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    mei, _team = await seller(harness, [A1], "en")
    monkeypatch.setattr("bot.handlers.charts.draw", broken_draw)  # runs in the chart worker
    with caplog.at_level(logging.ERROR, logger="bot.handlers.charts"):
        card = await harness.ask(mei, "/floor A1")
        await harness.settle(mei, timeout=CHART_WAIT)
    assert card.text.startswith("📉 Floor") and "Break-even:" in card.text
    assert [m for m in harness.stub.messages(mei) if m.photo is not None] == []
    failures = [r for r in caplog.records if r.getMessage() == "chart not drawn (WaterfallChart)"]
    assert failures and "the chart broke" in str(failures[0].exc_info[1])
