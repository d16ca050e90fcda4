"""The Mini App's JSON API over real HTTP (uvicorn on an ephemeral port), as the page
calls it: signed initData in a header, the chat's team and role checks, edits through
the chat's enrolment path, re-validated like chat input."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.clock import Clock, FakeClock
from bot.db.models import Campaign, CampaignAudit, Enrolment, PendingChange, Sku, Team
from bot.i18n import Translator
from bot.services.plan import build_plan
from bot.telegram_stub import BotApiStub, User
from bot.web.miniapp import INIT_DATA_HEADER, miniapp_routes
from tests.conftest import TestDatabase
from tests.e2e.conftest import BotHarness, make_settings
from tests.e2e.miniapp_support import NOW, World, build_world, init_data, serve


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


@pytest.fixture
async def harness(
    stub: BotApiStub, database: TestDatabase, clock: Clock
) -> AsyncIterator[BotHarness]:
    bot = BotHarness(stub, make_settings(stub, database, miniapp_max_age=3600), clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.close()


class Api:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client = client
        self.token = token

    def headers(self, user: User | None, **extra: Any) -> dict[str, str]:
        return {} if user is None else {INIT_DATA_HEADER: init_data(self.token, user, **extra)}

    async def plan(self, user: User | None, campaign_id: int, **extra: Any) -> httpx.Response:
        return await self.client.get(
            f"/miniapp/api/campaigns/{campaign_id}/plan", headers=self.headers(user, **extra)
        )

    async def edit(
        self, user: User | None, campaign_id: int, sku_id: int, body: Any
    ) -> httpx.Response:
        return await self.client.post(
            f"/miniapp/api/campaigns/{campaign_id}/skus/{sku_id}",
            headers=self.headers(user),
            json=body,
        )


@pytest.fixture
async def world(harness: BotHarness) -> World:
    return await build_world(harness)


@pytest.fixture
async def api(harness: BotHarness, world: World) -> AsyncIterator[Api]:
    assert harness.app is not None
    async with (
        serve(miniapp_routes(harness.app, harness.settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=30) as client,
    ):
        yield Api(client, harness.stub.token)


async def engine_rows(harness: BotHarness, campaign_id: int) -> dict[str, Any]:
    async with harness.uow_factory() as uow:
        campaign = await uow.session.get(Campaign, campaign_id)
        assert campaign is not None
        team = await uow.session.get(Team, campaign.team_id)
        assert team is not None
        plan = await build_plan(uow, team, campaign, NOW)
    return {row.code: row for row in [*plan.rows, *plan.others]}


async def planned(harness: BotHarness, campaign_id: int, sku_id: int) -> Any:
    async with harness.uow_factory() as uow:
        return await uow.session.scalar(
            select(Enrolment.planned_price).where(
                Enrolment.campaign_id == campaign_id, Enrolment.sku_id == sku_id
            )
        )


def amount(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


async def test_a_viewer_reads_the_whole_plan_as_the_engine_prices_it(
    harness: BotHarness, world: World, api: Api
) -> None:
    response = await api.plan(world.viewer, world.campaign_id)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["can_edit"] is False
    assert body["locale"] == "de"  # the viewer's Telegram language
    assert body["strings"]["margin"] == "Marge"
    assert body["campaign"]["target_margin"] == "0.15"
    expected = await engine_rows(harness, world.campaign_id)
    rows = {row["code"]: row for row in body["rows"]}
    assert set(rows) == set(expected) == set(world.sku_ids)  # enrolled and enrollable
    assert any(row["enrolled"] for row in rows.values())
    assert any(not row["enrolled"] for row in rows.values())
    for code, row in rows.items():
        engine = expected[code]
        assert row["status"] == engine.status.value
        assert row["list_price"] == amount(engine.list_price)
        assert row["planned_price"] == amount(engine.planned_price)
        assert row["discount"] == amount(engine.discount)
        assert row["floor"] == amount(engine.floor)
        assert row["customer_floor"] == amount(engine.customer_floor)
        assert row["margin"] == amount(engine.margin)


async def test_a_viewer_cannot_edit(harness: BotHarness, world: World, api: Api) -> None:
    sku = world.sku_ids["BF00"]
    before = await planned(harness, world.campaign_id, sku)
    response = await api.edit(world.viewer, world.campaign_id, sku, {"price": "9.99"})
    assert response.status_code == 403
    assert "Betrachter" in response.json()["error"]  # the role table's words, in German
    assert await planned(harness, world.campaign_id, sku) == before


async def test_an_outsider_sees_nothing(world: World, api: Api) -> None:
    response = await api.plan(world.outsider, world.campaign_id)
    assert response.status_code == 404
    assert set(response.json()) == {"error"}
    assert f"#{world.campaign_id}" in response.json()["error"]
    listed = await api.client.get("/miniapp/api/campaigns", headers=api.headers(world.outsider))
    assert listed.status_code == 200
    assert listed.json()["campaigns"] == []
    edit = await api.edit(world.outsider, world.campaign_id, world.sku_ids["BF00"], {"price": "1"})
    assert edit.status_code == 404


async def test_another_teams_campaign_is_refused_like_a_missing_one(
    harness: BotHarness, world: World, api: Api
) -> None:
    theirs = await api.plan(world.editor, world.rival_campaign_id)
    missing = await api.plan(world.editor, 999_999)
    out_of_range = await api.plan(world.editor, 10**12)
    assert theirs.status_code == missing.status_code == out_of_range.status_code == 404
    assert theirs.json()["error"].replace(str(world.rival_campaign_id), "N") == missing.json()[
        "error"
    ].replace("999999", "N")
    refused = await api.edit(
        world.editor, world.rival_campaign_id, world.rival_sku_id, {"price": "1"}
    )
    assert refused.status_code == 404
    # nor can another team's SKU be priced into one's own campaign
    smuggled = await api.edit(world.editor, world.campaign_id, world.rival_sku_id, {"price": "1"})
    assert smuggled.status_code == 404
    assert await planned(harness, world.rival_campaign_id, world.rival_sku_id) is None
    listed = await api.client.get("/miniapp/api/campaigns", headers=api.headers(world.editor))
    assert [c["id"] for c in listed.json()["campaigns"]] == [world.campaign_id]


async def test_nothing_but_a_valid_signature_opens_the_api(
    harness: BotHarness, world: World, api: Api
) -> None:
    path = f"/miniapp/api/campaigns/{world.campaign_id}/plan"
    assert (await api.client.get(path)).status_code == 401  # no initData at all
    forged = init_data("123:not-this-bots-token", world.owner)
    assert (await api.client.get(path, headers={INIT_DATA_HEADER: forged})).status_code == 401
    stale = await api.plan(world.owner, world.campaign_id, at=NOW - timedelta(hours=2))
    assert stale.status_code == 401  # MINIAPP_MAX_AGE is an hour here
    assert "open it again" in stale.json()["error"]
    # the owner's signature with the viewer's id swapped in
    genuine = init_data(harness.stub.token, world.viewer)
    tampered = genuine.replace(str(world.viewer.id), str(world.owner.id), 1)
    assert tampered != genuine
    assert (await api.client.get(path, headers={INIT_DATA_HEADER: tampered})).status_code == 401
    assert (await api.plan(world.owner, world.campaign_id)).status_code == 200


async def test_an_editor_edits_a_price_and_gets_the_engines_margin(
    harness: BotHarness, world: World, api: Api
) -> None:
    rows = await engine_rows(harness, world.campaign_id)
    row = rows["BF00"]
    assert row.enrolled and row.list_price is not None and row.customer_floor is not None
    new_price = row.customer_floor + Decimal(1)  # above the floor, below the list price
    response = await api.edit(
        world.editor, world.campaign_id, row.sku_id, {"price": format(new_price, "f")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    after = (await engine_rows(harness, world.campaign_id))["BF00"]
    assert after.planned_price == new_price
    assert body["row"]["planned_price"] == format(new_price, "f")
    assert body["row"]["margin"] == amount(after.margin)
    assert body["row"]["status"] == after.status.value
    assert after.margin != row.margin
    assert after.mode is not None and after.mode.value == "price"
    async with harness.uow_factory() as uow:
        trail = (
            await uow.session.scalars(
                select(CampaignAudit).where(
                    CampaignAudit.campaign_id == world.campaign_id,
                    CampaignAudit.action == "plan_edit",
                )
            )
        ).all()
    assert len(trail) == 1
    assert trail[0].user_id == world.editor.id
    assert trail[0].changes["sku"] == "BF00"
    assert trail[0].changes["planned_price"] == [amount(row.planned_price), str(new_price)]
    # a discount edit, the chat's way of writing it
    response = await api.edit(world.editor, world.campaign_id, row.sku_id, {"discount": "21%"})
    assert response.status_code == 200, response.text
    assert response.json()["row"]["discount"] >= "0.21"


async def test_editing_a_sku_not_enrolled_enrols_it(
    harness: BotHarness, world: World, api: Api
) -> None:
    rows = await engine_rows(harness, world.campaign_id)
    candidate = next(r for r in rows.values() if not r.enrolled and r.customer_floor is not None)
    assert candidate.list_price is not None
    price = candidate.list_price - Decimal("0.01")
    response = await api.edit(
        world.editor, world.campaign_id, candidate.sku_id, {"price": format(price, "f")}
    )
    assert response.status_code in (200, 409), response.text
    if response.status_code == 409:  # under its floor at any price: needs the confirm
        response = await api.edit(
            world.editor,
            world.campaign_id,
            candidate.sku_id,
            {"price": format(price, "f"), "confirm": True},
        )
    assert response.status_code == 200
    assert response.json()["row"]["enrolled"] is True
    assert await planned(harness, world.campaign_id, candidate.sku_id) == price


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"price": "abc"}, "not an amount"),
        ({"price": "-1"}, "not an amount"),
        ({"price": "0"}, "not an amount"),
        ({"price": "19.999"}, "at most 2 decimals"),
        ({"price": "1e3"}, "not an amount"),
        ({"price": "99999999999"}, "too large"),
        ({"price": "9" * 100}, "not an amount"),
        ({"price": "9" * 5000}, "either a planned price or a discount"),  # oversized body
        ({"price": "999.99"}, "above the list price"),
        ({"discount": "150%"}, "not a percentage"),
        ({"discount": "0"}, "not a percentage"),
        ({"discount": "NaN"}, "not a percentage"),
        ({"price": "9.99", "discount": "15%"}, "either a planned price or a discount"),
        ({"price": 9.99}, "either a planned price or a discount"),
        ({}, "either a planned price or a discount"),
        ({"price": "9.99", "sku": "BF01"}, "either a planned price or a discount"),
        ([], "either a planned price or a discount"),
    ],
)
async def test_bad_numbers_are_refused_like_in_chat(
    harness: BotHarness, world: World, api: Api, body: Any, words: str
) -> None:
    sku = world.sku_ids["BF01"]
    before = await planned(harness, world.campaign_id, sku)
    response = await api.edit(world.editor, world.campaign_id, sku, body)
    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert words in message
    assert "<" not in message  # the chat's HTML is plain text here
    assert await planned(harness, world.campaign_id, sku) == before


async def test_an_edit_under_the_floor_needs_a_confirm(
    harness: BotHarness, world: World, api: Api
) -> None:
    row = (await engine_rows(harness, world.campaign_id))["BF02"]
    assert row.enrolled and row.floor is not None
    low = "1.00"  # far under the floor
    first = await api.edit(world.editor, world.campaign_id, row.sku_id, {"price": low})
    assert first.status_code == 409
    body = first.json()
    assert body["needs_confirm"] is True
    assert "under its floor" in body["question"]
    assert row.customer_floor is not None  # named as a customer price, like the typed one
    assert (
        f"lowest safe price is {Translator('en').money(row.customer_floor, 'USD')}"
        in (body["question"])
    )
    assert body["row"]["status"] == "below_floor"
    assert await planned(harness, world.campaign_id, row.sku_id) == row.planned_price
    async with harness.uow_factory() as uow:  # nothing held behind the page's back
        held = await uow.session.scalar(select(func.count()).select_from(PendingChange))
    assert held == 0

    confirmed = await api.edit(
        world.editor, world.campaign_id, row.sku_id, {"price": low, "confirm": True}
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["row"]["accepted"] is True
    assert confirmed.json()["row"]["status"] == "below_floor"
    assert await planned(harness, world.campaign_id, row.sku_id) == Decimal(low)
    async with harness.uow_factory() as uow:
        actions = (
            await uow.session.scalars(
                select(CampaignAudit.action).where(CampaignAudit.campaign_id == world.campaign_id)
            )
        ).all()
        enrolment = await uow.session.scalar(
            select(Enrolment).where(
                Enrolment.campaign_id == world.campaign_id, Enrolment.sku_id == row.sku_id
            )
        )
        assert enrolment is not None
        assert enrolment.under_floor_accepted_at is not None
    assert "under_floor" in actions and "plan_edit" in actions
    # the plan now says so, for everyone who reads it
    viewer = (await api.plan(world.viewer, world.campaign_id)).json()
    shown = next(r for r in viewer["rows"] if r["code"] == "BF02")
    assert shown["accepted"] is True


async def test_an_edit_runs_the_margin_checks_like_a_chat_edit(
    harness: BotHarness, world: World, api: Api
) -> None:
    """A price that loses margin, confirmed in chat, is taken in silently; edited from the
    Mini App without the under-floor path (a fixed price above the floor) the checks run
    and record what they judged."""
    row = (await engine_rows(harness, world.campaign_id))["BF04"]
    assert row.customer_floor is not None
    async with harness.uow_factory() as uow:
        enrolment = await uow.session.scalar(
            select(Enrolment).where(
                Enrolment.campaign_id == world.campaign_id, Enrolment.sku_id == row.sku_id
            )
        )
        assert enrolment is not None
        enrolment.last_inputs = None
        await uow.commit()
    response = await api.edit(
        world.editor, world.campaign_id, row.sku_id, {"price": format(row.customer_floor, "f")}
    )
    assert response.status_code == 200, response.text
    async with harness.uow_factory() as uow:
        enrolment = await uow.session.scalar(
            select(Enrolment).where(
                Enrolment.campaign_id == world.campaign_id, Enrolment.sku_id == row.sku_id
            )
        )
        assert enrolment is not None
        assert enrolment.last_inputs is not None  # the margin check judged the new price
        sku = await uow.session.get(Sku, row.sku_id)
        assert sku is not None and sku.code == "BF04"


async def test_the_page_and_its_files(api: Api) -> None:
    page = await api.client.get("/miniapp/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert '<html lang="ko">' in page.text
    assert "계획을 불러오는 중" in page.text  # the shell speaks the browser's language
    assert 'src="/miniapp/static/miniapp.js"' in page.text
    script = await api.client.get("/miniapp/static/miniapp.js")
    assert script.status_code == 200 and "X-Telegram-Init-Data" in script.text
    assert (await api.client.get("/miniapp/static/miniapp.css")).status_code == 200
    for name in ("miniapp.py", "..%2Fminiapp.py", "%2e%2e%2finitdata.py", "missing.js"):
        assert (await api.client.get(f"/miniapp/static/{name}")).status_code == 404
    # the page itself reveals nothing: no campaign, no prices, no user
    assert "Black Friday" not in page.text
