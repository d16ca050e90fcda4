"""A Mini App world for the API and browser tests: two teams with a campaign each, an
editor, a viewer and an outsider; the Mini App's routes served by a real uvicorn on an
ephemeral port; initData signed as Telegram would sign it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import uvicorn
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.db.models import Campaign
from bot.domain.enums import Role
from bot.telegram_stub import User
from bot.web.initdata import sign_init_data
from tests.e2e.campaign_fixtures import (
    add_member,
    black_friday_skus,
    seed_channel,
    seed_skus,
    seed_user,
    set_fx,
)
from tests.e2e.conftest import BotHarness

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
CREATE = (
    '/newcampaign name="{name}" channel=temu-us start=2026-11-27 end=2026-11-30 '
    "deadline=2026-11-20T12:00 min_discount=20% subsidy=share:30%:cap:5"
)


@asynccontextmanager
async def serve(routes: Sequence[BaseRoute]) -> AsyncIterator[str]:
    """`routes` in a Starlette app behind uvicorn on 127.0.0.1:<free port>; yields the
    base URL."""
    config = uvicorn.Config(
        Starlette(routes=list(routes)), host="127.0.0.1", port=0, log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(3000):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if not server.started:
            raise RuntimeError("uvicorn did not start")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass
class World:
    owner: User
    editor: User
    viewer: User
    outsider: User
    rival: User  # owner of the other team
    team_id: int
    campaign_id: int
    rival_campaign_id: int
    rival_sku_id: int
    sku_ids: dict[str, int]


async def _campaign_id(harness: BotHarness, name: str) -> int:
    async with harness.uow_factory() as uow:
        found = await uow.session.scalar(select(Campaign.id).where(Campaign.name == name))
    assert found is not None
    return found


async def build_world(harness: BotHarness) -> World:
    uow = harness.uow_factory
    owner = harness.stub.create_user(first_name="Olga")
    editor = harness.stub.create_user(first_name="Eddie")
    viewer = harness.stub.create_user(first_name="Vera", language_code="de")
    outsider = harness.stub.create_user(first_name="Otto")
    rival = harness.stub.create_user(first_name="Rita")
    team_id = await seed_user(uow, owner, team_name="Olga's shop")
    channel_id = await seed_channel(uow, team_id)
    specs = black_friday_skus()[:12]
    sku_ids = await seed_skus(uow, team_id, channel_id, specs)
    await set_fx(uow, team_id)
    await add_member(uow, team_id, editor, Role.EDITOR)
    await add_member(uow, team_id, viewer, Role.VIEWER)
    await seed_user(uow, outsider)  # a user of the bot, in a team of their own
    rival_team = await seed_user(uow, rival, team_name="Rita's shop")
    rival_channel = await seed_channel(uow, rival_team)
    rival_skus = await seed_skus(uow, rival_team, rival_channel, black_friday_skus()[:3])
    await set_fx(uow, rival_team)

    await harness.send(owner, CREATE.format(name="Black Friday"))
    campaign_id = await _campaign_id(harness, "Black Friday")
    # every eligible SKU enrolled, at the minimum discount; the others stay enrollable
    await harness.send(owner, f"/enroll {campaign_id} all")
    await harness.send(rival, CREATE.format(name="Rival sale"))
    rival_campaign = await _campaign_id(harness, "Rival sale")
    return World(
        owner,
        editor,
        viewer,
        outsider,
        rival,
        team_id,
        campaign_id,
        rival_campaign,
        rival_skus["BF00"],
        sku_ids,
    )


def init_data(token: str, user: User, *, at: datetime = NOW, **extra: Any) -> str:
    payload: dict[str, Any] = {"id": user.id, "first_name": user.first_name}
    if user.language_code:
        payload["language_code"] = user.language_code
    return sign_init_data(token, payload, int(at.timestamp()), **extra)
