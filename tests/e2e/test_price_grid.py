"""Issue 11, "numbers a seller can trust", through the Bot API stand-in: a Korean team on a
KRW channel from the Korean preset sees floors and campaign prices ending in 0 won;
`price_endings=0.99` gives .99 prices in /floor and /plan; /floor shows one consistent
discount pair; and `campaignbot floors` reads the bot's own /export (and the same file
under translated headers)."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.clock import Clock, FakeClock
from bot.db.models import Channel, Enrolment
from bot.i18n import Translator
from bot.pricing import (
    CampaignRules,
    FxRate,
    FxTable,
    Listing,
    PricingContext,
    RunSettings,
    SkuCost,
    Status,
    apply_channel_overrides,
    get_preset,
)
from bot.telegram_stub import StubMessage, User
from bot.views.channels import grid_text
from tests.e2e.campaign_fixtures import SkuSpec, seed_skus, seed_user, set_fx
from tests.e2e.catalog_support import plain
from tests.e2e.conftest import BotHarness

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]
CNY_KRW = Decimal(190)
CNY_USD = Decimal("0.1385")


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


async def channel_id(harness: BotHarness, team_id: int, name: str) -> int:
    async with harness.uow_factory() as uow:
        found = await uow.session.scalar(
            select(Channel.id).where(Channel.team_id == team_id, Channel.name == name)
        )
    assert found is not None
    return found


async def plan_files(
    harness: BotHarness, user: object, campaign_id: int
) -> tuple[dict[str, dict[str, str]], Workbook]:
    """The plan's CSV rows by SKU, and its workbook."""
    _summary, xlsx, csv_message = await harness.send(
        user,  # type: ignore[arg-type]
        f"/plan {campaign_id}",
        replies=3,
        timeout=30,
    )
    assert xlsx.document is not None and csv_message.document is not None
    text = csv_message.document.content.decode("utf-8-sig")
    rows = {row["sku"]: row for row in csv.DictReader(io.StringIO(text))}
    return rows, load_workbook(io.BytesIO(xlsx.document.content))


async def next_notice(harness: BotHarness, clock: FakeClock, user: User) -> StubMessage:
    """The next notice in the user's chat. A notice that met flood control (it follows the
    bot's reply within a second) waits `retry_after` on the bot's clock, which a test
    moves: a couple of seconds at a time, so nothing else falls due."""
    for _ in range(40):
        if harness.stub.unread(user):
            break
        clock.advance(timedelta(seconds=2))
        await asyncio.sleep(0.5)
    (message,) = await harness.stub.wait_for_messages(user, 1, timeout=5)
    return message


def engine(preset: str, fx: FxTable, overrides: dict[str, str] | None = None) -> PricingContext:
    channel = get_preset(preset).channel
    if overrides:
        channel = apply_channel_overrides(channel, overrides)
    return PricingContext(channel, RunSettings(Decimal("0.15"), Decimal("0.02")), fx)


KR_SKUS = [
    SkuSpec("K1", Decimal(71), Decimal(29900)),
    SkuSpec("K2", Decimal("48.5"), Decimal(19900), packaging=Decimal("2.5")),
    SkuSpec("K3", Decimal(120), Decimal(59000), first_mile=Decimal(9)),
    SkuSpec("K4", Decimal(33), Decimal(12990)),
    # floor 8,277 won (8,280 on the grid); 20 % off 10,347 is at most 8,277: no multiple of
    # 10 won lies between the lowest safe price and the price the minimum discount allows
    SkuSpec("K5", Decimal(33), Decimal(10347)),
]


async def test_a_korean_team_sees_floors_and_prices_ending_in_zero_won(
    harness: BotHarness, clock: FakeClock
) -> None:
    t = Translator("ko", "Asia/Seoul")
    minji = harness.stub.create_user("민지", language_code="ko")
    team_id = await seed_user(harness.uow_factory, minji, timezone="Asia/Seoul")
    added = await harness.ask(minji, "/channel add aliexpress-kr")
    # the preset's price grid is on the card: steps of 10 won
    assert f"{t('Price step')} (price_step): {t.money(Decimal(10), 'KRW')}" in plain(added.text)
    kr = await channel_id(harness, team_id, "aliexpress-kr")
    await seed_skus(harness.uow_factory, team_id, kr, KR_SKUS)
    await set_fx(harness.uow_factory, team_id, "CNY", "KRW", CNY_KRW)
    context = engine("aliexpress-kr", FxTable(overrides=[FxRate("CNY", "KRW", CNY_KRW)]))
    grid = context.grid
    assert grid.step == 10

    # /floor: the floor ends in 0 won, the exact floor is shown to the won beside it
    moved = 0
    for spec in KR_SKUS:
        sku = SkuCost(spec.code, spec.unit_cost, "CNY", spec.packaging, spec.first_mile)
        want = context.discount(sku, Listing(spec.list_price))
        floor, raw = want.floor.floor, want.floor.raw_floor
        assert floor is not None and raw is not None and floor.amount % 10 == 0
        card = plain((await harness.ask(minji, f"/floor {spec.code}")).text)
        assert plain(
            t("<b>Floor: {amount}</b> (keeps {margin} of net revenue)",
              amount=t.money(floor.amount, "KRW"), margin=t.percent(Decimal("0.15")))
        ) in card  # fmt: skip
        if floor != raw:
            moved += 1
            assert (
                plain(
                    t(
                        "Exact floor: {exact}; the channel's price grid ({grid}) rounds it up to "
                        "the next grid price.",
                        exact=t.money(raw.amount, "KRW"),
                        grid=grid_text(t, grid),
                    )
                )
                in card
            )
        if want.status is Status.OK:
            assert want.customer_floor is not None and want.customer_floor.amount % 10 == 0
            assert t.money(want.customer_floor.amount, "KRW") in card
    assert moved >= 2  # the grid did move floors (13,516 won is not a price a seller uses)

    # a campaign with a 20 % minimum discount: the plan's prices end in 0 won
    card = await harness.ask(
        minji,
        "/newcampaign name=KSF channel=aliexpress-kr start=2026-11-27 end=2026-12-01 "
        "min_discount=20%",
        timeout=20,
    )
    assert t("✅ Campaign created.") in card.text
    enrolled = await harness.ask(minji, "/enroll 1 all")
    assert "K1" in enrolled.text
    async with harness.uow_factory() as uow:
        enrolments = (await uow.session.scalars(select(Enrolment))).all()
    assert enrolments
    table, workbook = await plan_files(harness, minji, 1)
    rules = CampaignRules(Decimal("0.2"))
    priced = 0
    for spec in KR_SKUS:
        sku = SkuCost(spec.code, spec.unit_cost, "CNY", spec.packaging, spec.first_mile)
        want = context.eligibility(sku, Listing(spec.list_price), rules)
        row = table[spec.code]
        assert row["status"] == want.status.value
        assert Decimal(row["floor_price"]) % 10 == 0
        if row["customer_floor"]:
            assert Decimal(row["customer_floor"]) % 10 == 0
        if want.eligible:
            assert want.suggested_price is not None
            assert row["planned_price"] == str(want.suggested_price.amount)
            assert Decimal(row["planned_price"]) % 10 == 0
            priced += 1
    assert priced == 4
    # 29,900 × 0.8 = 23,920: already on the grid; 12,990 × 0.8 = 10,392 → 10,390
    assert table["K1"]["planned_price"] == "23920"
    assert table["K4"]["planned_price"] == "10390"
    assert (table["K5"]["status"], table["K5"]["enrolled"]) == ("no_grid_price", "no")
    others = list(workbook[t("Not enrolled")].iter_rows(values_only=True))
    reasons = {str(row[0]): row[2] for row in others[1:]}
    assert reasons["K5"] == t("no price on the price grid fits")

    # a coarser grid leaves K2 without a grid price between its floor and 20 % off: the
    # team is warned, with the cause
    edited = await harness.ask(minji, "/channel aliexpress-kr price_step=10000")
    assert t.money(Decimal(10000), "KRW") in edited.text
    warning = plain((await next_notice(harness, clock, minji)).text)
    assert (
        plain(
            t(
                "⚠️ <b>{sku}</b> in <b>{campaign}</b> is now planned under its floor.",
                sku="K2",
                campaign="KSF",
            )
        )
        in warning
    )
    assert (
        t(
            "No price on the channel's price grid lies between its lowest safe price and the "
            "price the minimum discount allows."
        )
        in warning
    )
    assert t("the channel's price grid changed") in warning


async def test_price_endings_99_give_99_prices_in_floor_and_plan(harness: BotHarness) -> None:
    t = Translator("en")
    ana = harness.stub.create_user("Ana", language_code="en")
    team_id = await seed_user(harness.uow_factory, ana)
    await harness.ask(ana, "/channel add temu-us-semi name=shop")
    shop = await channel_id(harness, team_id, "shop")
    specs = [
        SkuSpec("A1", Decimal(60), Decimal("29.99")),
        SkuSpec("A2", Decimal(95), Decimal("39.99")),
        SkuSpec("A3", Decimal(140), Decimal("59.99")),
    ]
    await seed_skus(harness.uow_factory, team_id, shop, specs)
    await set_fx(harness.uow_factory, team_id)
    fx = FxTable(overrides=[FxRate("CNY", "USD", CNY_USD)])
    before = plain((await harness.ask(ana, "/floor A1")).text)
    plain_floor = engine("temu-us-semi", fx).floor(SkuCost("A1", Decimal(60), "CNY")).floor
    assert plain_floor is not None and plain_floor.amount % 1 != Decimal("0.99")
    assert f"Floor: {t.money(plain_floor.amount, 'USD')}" in before

    edited = plain((await harness.ask(ana, "/channel shop price_endings=0.99")).text)
    assert "Price endings (price_endings): none → .99" in edited
    context = engine("temu-us-semi", fx, {"price_endings": "0.99"})
    after = plain((await harness.ask(ana, "/floor A1")).text)
    floor = context.floor(SkuCost("A1", Decimal(60), "CNY"))
    assert floor.floor is not None and floor.raw_floor is not None
    assert floor.floor.amount % 1 == Decimal("0.99")
    assert f"Floor: {t.money(floor.floor.amount, 'USD')}" in after
    assert f"Exact floor: {t.money(floor.raw_floor.amount, 'USD')}" in after
    assert "prices ending in .99" in after

    await harness.ask(
        ana,
        "/newcampaign name=BF channel=shop start=2026-11-27 end=2026-11-30 min_discount=15%",
        timeout=20,
    )
    await harness.ask(ana, "/enroll 1 A1 A2 A3")
    await harness.ask(ana, "/enroll 1 A3 discount=max")
    table, _workbook = await plan_files(harness, ana, 1)
    rules = CampaignRules(Decimal("0.15"))
    for spec in specs:
        row = table[spec.code]
        assert row["floor_price"].endswith(".99"), row
        sku = SkuCost(spec.code, spec.unit_cost, "CNY")
        want = context.eligibility(sku, Listing(spec.list_price), rules)
        assert row["status"] == want.status.value
        if want.eligible and spec.code != "A3":
            assert want.suggested_price is not None
            assert row["planned_price"] == str(want.suggested_price.amount)
            assert row["planned_price"].endswith(".99")
    assert table["A1"]["planned_price"] == "24.99"  # 29.99 × 0.85 = 25.49 → 24.99
    a3 = table["A3"]
    assert a3["price_mode"] == "max" and a3["planned_price"] == a3["customer_floor"]
    assert a3["planned_price"].endswith(".99")


async def test_floor_shows_one_consistent_discount_pair(harness: BotHarness) -> None:
    """The trial's card: 12.99 list price, floor 7.16 — 'US$5.83 (44 %)' mixed the exact
    amount with the rounded percentage. Now 44 % goes with 5.71, and 5.83 with 44.88 %."""
    lee = harness.stub.create_user("Lee", language_code="en")
    team_id = await seed_user(harness.uow_factory, lee)
    await harness.ask(lee, "/channel add custom name=shop")
    shop = await channel_id(harness, team_id, "shop")
    await seed_skus(
        harness.uow_factory,
        team_id,
        shop,
        [SkuSpec("T1", Decimal("6.086"), Decimal("12.99"), cost_currency="USD")],
    )
    card = plain((await harness.ask(lee, "/floor T1")).text)
    assert "Floor: $7.16" in card
    assert "Deepest discount: 44% ($5.71)" in card
    assert "Exact maximum: $5.83 (44.88%) → lowest customer price $7.16" in card
    assert "$5.83 (44%)" not in card
    # on a .99 grid the card shows what the grid costs
    await harness.ask(lee, "/channel shop price_endings=0.99")
    card = plain((await harness.ask(lee, "/floor T1")).text)
    assert "Floor: $7.99" in card and "Exact floor: $7.16" in card
    assert "Deepest discount: 38% ($4.93)" in card
    assert (
        "On the price grid (prices ending in .99): $5.00 (38.49%) → lowest customer price $7.99"
        in card
    )
    assert "Exact maximum: $5.83 (44.88%) → customer price $7.16, off the grid" in card


async def test_grid_values_the_currency_refuses_are_explained(harness: BotHarness) -> None:
    t = Translator("ko")
    minji = harness.stub.create_user("민지", language_code="ko")
    team_id = await seed_user(harness.uow_factory, minji, timezone="Asia/Seoul")
    await harness.ask(minji, "/channel add aliexpress-kr name=kr")
    refused = await harness.ask(minji, "/channel kr price_endings=0.99")
    assert plain(
        t(
            "<b>{field}</b>: “{value}” is finer than {currency} allows: its smallest amount "
            "is {unit}.\nWrite it like <code>{example}</code>",
            field="price_endings",
            value="0.99",
            currency="KRW",
            unit="1",
            example="/channel kr price_step=1000 price_endings=900",
        )
    ) == plain(refused.text)
    refused = await harness.ask(minji, "/channel kr price_step=1000 price_endings=1000")
    assert "price_endings" in refused.text and "1000" in refused.text
    refused = await harness.ask(minji, "/channel kr price_step=abc")
    assert "price_step" in refused.text and "abc" in refused.text
    async with harness.uow_factory() as uow:
        row = await uow.session.scalar(select(Channel).where(Channel.team_id == team_id))
    assert row is not None and row.price_step == 10 and row.price_endings is None
    done = plain((await harness.ask(minji, "/channel kr price_step=1000 price_endings=900")).text)
    assert "900" in done
    async with harness.uow_factory() as uow:
        row = await uow.session.scalar(select(Channel).where(Channel.team_id == team_id))
    assert row is not None and (row.price_step, row.price_endings) == (1000, "900")


# --- the floors tool on the bot's own export ----------------------------------------------------
ZH_HEADER = {
    "sku": "货号",
    "name": "名称",
    "unit_cost": "单位成本",
    "cost_currency": "成本币种",
    "packaging": "包装",
    "first_mile": "头程",
    "other_cost": "其他成本",
    "duty_rate": "关税率",
    "list_price": "售价",
    "lowest_30d": "30天最低价",
}


def floors(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "floors", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def expected_rows(specs: list[SkuSpec]) -> list[str]:
    """The floors table computed with the engine's one-SKU API (SPEC §6.1 formatting)."""
    context = engine("temu-us-semi", FxTable(overrides=[FxRate("CNY", "USD", CNY_USD)]))
    lines = []
    for spec in specs:
        sku = SkuCost(
            spec.code, spec.unit_cost, "CNY", spec.packaging, spec.first_mile,
            duty_rate=spec.duty_rate,
        )  # fmt: skip
        result = context.discount(sku, Listing(spec.list_price))
        floor = result.floor
        assert floor.landed is not None and floor.floor is not None
        at_list = result.at_list
        margin = ""
        if at_list is not None and at_list.margin is not None:
            from decimal import ROUND_HALF_UP

            margin = str((at_list.margin * 100).quantize(Decimal("0.01"), ROUND_HALF_UP))
        ok = result.status is Status.OK
        pct = result.max_discount_pct
        cells = [
            spec.code,
            "USD",
            str(floor.landed.amount.amount),
            str(floor.break_even.amount),  # type: ignore[union-attr]
            str(floor.floor.amount),
            "" if spec.list_price is None else str(spec.list_price),
            str(int(pct * 100)) if ok and pct is not None else "",
            str(result.customer_floor.amount) if ok and result.customer_floor else "",
            margin,
            result.status.value,
        ]
        lines.append(",".join(cells))
    return lines


async def test_the_floors_tool_reads_a_real_export(harness: BotHarness, tmp_path: Path) -> None:
    mei = harness.stub.create_user("Mei", language_code="zh-hans")
    team_id = await seed_user(harness.uow_factory, mei)
    await harness.ask(mei, "/channel add temu-us-semi name=temu-us")
    channel = await channel_id(harness, team_id, "temu-us")
    specs = [
        SkuSpec("TM-001", Decimal(60), Decimal("29.99"), packaging=Decimal("1.5")),
        SkuSpec("TM-002", Decimal(95), Decimal("39.99"), first_mile=Decimal(4),
                duty_rate=Decimal("0.075")),
        SkuSpec("TM-003", Decimal(140), Decimal("9.99")),  # below the floor
        SkuSpec("TM-004", Decimal(33), None),  # listed without a price
    ]  # fmt: skip
    await seed_skus(harness.uow_factory, team_id, channel, specs)
    exported = await harness.send(mei, "/export", replies=2, timeout=30)
    files = {m.document.file_name.rsplit(".", 1)[1]: m.document for m in exported if m.document}
    assert set(files) == {"csv", "xlsx"}
    paths = {}
    for kind, document in files.items():
        paths[kind] = tmp_path / f"catalogue.{kind}"
        paths[kind].write_bytes(document.content)
    header = files["csv"].text("utf-8-sig").splitlines()[0]
    assert "list_price@temu-us" in header  # the bot's own export format

    want = expected_rows(specs)
    assert [row.rsplit(",", 1)[1] for row in want] == [
        "ok", "ok", "below_floor", "no_list_price"
    ]  # fmt: skip
    args = ["--channel", "temu-us-semi", "--fx", "CNY:USD=0.1385"]
    for kind in ("csv", "xlsx"):
        done = floors(str(paths[kind]), *args)
        assert (done.returncode, done.stderr) == (0, ""), done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("sku,currency,landed_cost")
        assert lines[1:] == want, kind  # not every row no_list_price any more
    # the same with the listing named, and without a rate: stderr says which --fx is missing
    done = floors(str(paths["csv"]), "--channel", "temu-us-semi", "--listing", "temu-us",
                  "--fx", "CNY:USD=0.1385")  # fmt: skip
    assert done.stdout.splitlines()[1:] == want
    done = floors(str(paths["csv"]), "--channel", "temu-us-semi")
    assert done.returncode == 0
    assert "add --fx CNY:USD=RATE" in done.stderr

    # the localized-header variant: a seller relabels the columns in Chinese
    text = files["csv"].text("utf-8-sig")
    first, rest = text.split("\r\n", 1)
    relabelled = []
    for cell in first.split(","):
        field, at, name = cell.partition("@")
        relabelled.append(ZH_HEADER[field] + at + name)
    localized = tmp_path / "目录.csv"
    localized.write_text(",".join(relabelled) + "\r\n" + rest, encoding="utf-8-sig")
    assert re.search("售价@temu-us", localized.read_text("utf-8-sig"))
    done = floors(str(localized), *args)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    assert done.stdout.splitlines()[1:] == want
