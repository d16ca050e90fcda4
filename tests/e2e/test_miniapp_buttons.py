"""Opening the Mini App from chat: on the campaign card and the /plan answer, a
`web_app` button in a private chat and a t.me/<bot>/<app>?startapp=<id> link in a group
(the stand-in refuses web_app buttons outside private chats, as Telegram does); no
button when the Mini App is not configured."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.clock import Clock, FakeClock
from bot.telegram_stub import BotApiStub, StubMessage
from tests.conftest import TestDatabase
from tests.e2e.campaign_fixtures import bind_group
from tests.e2e.conftest import BotHarness, make_settings
from tests.e2e.miniapp_support import NOW, build_world


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


@pytest.fixture
async def configured(
    stub: BotApiStub, database: TestDatabase, clock: Clock
) -> AsyncIterator[BotHarness]:
    settings = make_settings(
        stub, database, miniapp_url="https://plan.example.com/", miniapp_short_name="plan"
    )
    bot = BotHarness(stub, settings, clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.close()


def first_button(message: StubMessage) -> dict[str, Any]:
    button: dict[str, Any] = message.raw["reply_markup"]["inline_keyboard"][0][0]
    return button


def web_app_buttons(message: StubMessage) -> list[dict[str, Any]]:
    rows = message.raw.get("reply_markup", {}).get("inline_keyboard", [])
    return [b for row in rows for b in row if "web_app" in b or "t.me/" in b.get("url", "")]


async def test_private_chats_get_a_web_app_button(configured: BotHarness) -> None:
    world = await build_world(configured)
    card = await configured.ask(world.viewer, f"/campaign {world.campaign_id}")
    button = first_button(card)
    assert button["web_app"] == {
        "url": f"https://plan.example.com/miniapp/?campaign={world.campaign_id}"
    }
    assert button["text"] == "📊 Plan-Tabelle"  # the viewer reads German
    # the /plan answer too (then its files)
    answers = await configured.send(world.owner, f"/plan {world.campaign_id}", replies=3)
    summary = next(m for m in answers if m.document is None)
    assert first_button(summary)["web_app"]["url"].endswith(f"?campaign={world.campaign_id}")
    # the card's own buttons are still there, under it
    assert "📋 Plan" in card.button_texts[1:]


async def test_groups_get_a_t_me_link_with_the_campaign_as_start_parameter(
    configured: BotHarness,
) -> None:
    world = await build_world(configured)
    stub = configured.stub
    group = stub.create_group(
        "Sellers", members=[world.owner, world.editor], admins=[world.owner], with_bot=True
    )
    await bind_group(configured.uow_factory, world.team_id, group.id)
    answers = await configured.send(
        world.editor, f"/plan {world.campaign_id}", chat=group, replies=3
    )
    summary = next(m for m in answers if m.document is None)
    button = first_button(summary)
    assert "web_app" not in button
    assert button["url"] == (f"https://t.me/{stub.bot_username}/plan?startapp={world.campaign_id}")
    card = await configured.ask(world.editor, f"/campaign {world.campaign_id}", chat=group)
    assert first_button(card)["url"] == button["url"]
    assert not [call for call in stub.errors if "BUTTON" in str(call)]


async def test_no_button_without_the_mini_app_settings(harness: BotHarness) -> None:
    world = await build_world(harness)
    card = await harness.ask(world.owner, f"/campaign {world.campaign_id}")
    assert card.button_texts[0] == "📋 Plan"
    assert web_app_buttons(card) == []
