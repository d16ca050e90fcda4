"""Issue 11, on SQLite and PostgreSQL: one cause gives one margin notice per campaign naming
every SKU it affects (the first 20 in the text, all of them in a CSV sent as a reply to
it), recoveries likewise; FX causes in the seller's direction with their real source; a
SKU priced while its rate was missing is warned about when the rate arrives."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.clock import FakeClock
from bot.db import models
from bot.db.uow import UnitOfWorkFactory
from bot.runtime.pacer import Pacer
from bot.runtime.workers import WorkerPool
from bot.services import fx, margins
from bot.services.notifications import Dispatcher, Outcome, SendResult
from bot.services.outbox import NoticeKind
from bot.views.margin_files import COLUMNS
from tests.ecb_server import FEED
from tests.notifications_fixtures import (
    FakeSender,
    add_campaign,
    add_channel,
    add_ecb_rates,
    add_listing,
    add_notices,
    add_sku,
    add_team,
    add_user,
    bind,
    enrol,
    fast_limits,
    utc,
)

NOW = utc(2026, 11, 25, 18)
FORMULA_NAME = '=HYPERLINK("http://x","click")'


def feed(day: str, **rates: str) -> fx.Fetch:
    """The saved ECB feed, dated `day`, with some rates changed."""
    text = FEED.read_text("utf-8").replace("2026-11-25", day)
    for code, rate in rates.items():
        head = f"currency='{code}' rate='"
        start = text.index(head) + len(head)
        text = text[:start] + rate + text[text.index("'", start) :]

    async def fetch(url: str) -> bytes:
        return text.encode()

    return fetch


@dataclass
class Shop:
    team_id: int
    group: int
    campaigns: dict[str, int]


async def shop(
    uow_factory: UnitOfWorkFactory,
    skus: int,
    *,
    extra_campaign: int = 0,
    rates: dict[str, str] | None = None,
    cost_currency: str = "CNY",
) -> Shop:
    """`skus` SKUs (50 CNY, list price $12.99, planned at $9.99) in "Black Friday";
    `extra_campaign` of them in "Cyber Monday" too; the team's group is bound."""
    async with uow_factory() as uow:
        alice = await add_user(uow, name="Alice")
        team = await add_team(uow, members=[(alice, "owner")])
        group = -3000 - team.id
        await bind(uow, team, group)
        channel = await add_channel(uow, team)
        black = await add_campaign(
            uow, team, channel, name="Black Friday", starts_at=utc(2026, 11, 27),
            ends_at=utc(2026, 11, 30),
        )  # fmt: skip
        cyber = await add_campaign(
            uow, team, channel, name="Cyber Monday", starts_at=utc(2026, 11, 30),
            ends_at=utc(2026, 12, 1),
        )  # fmt: skip
        for n in range(1, skus + 1):
            name = FORMULA_NAME if n == 7 else f"Mug {n}"
            sku = await add_sku(
                uow, team, f"S{n:02}", Decimal("50"), name=name, cost_currency=cost_currency
            )
            await add_listing(uow, sku, channel, Decimal("12.99"))
            await enrol(uow, black, sku, price=Decimal("9.99"))
            if n <= extra_campaign:
                await enrol(uow, cyber, sku, price=Decimal("9.99"))
        if rates is not None:
            await add_ecb_rates(uow, date(2026, 11, 24), rates)
        await uow.commit()
        return Shop(team.id, group, {"Black Friday": black.id, "Cyber Monday": cyber.id})


async def margin_rows(uow_factory: UnitOfWorkFactory) -> list[models.Notification]:
    async with uow_factory() as uow:
        rows = await uow.session.scalars(
            select(models.Notification)
            .where(models.Notification.kind == NoticeKind.MARGIN)
            .order_by(models.Notification.id)
        )
        return list(rows.all())


def dispatcher(
    uow_factory: UnitOfWorkFactory, sender: FakeSender, clock: FakeClock, **kwargs: object
) -> Dispatcher:
    return Dispatcher(uow_factory, sender, clock, pacer=Pacer(fast_limits()), **kwargs)  # type: ignore[arg-type]


def read_csv(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert tuple(header) == COLUMNS
    return [dict(zip(header, row, strict=True)) for row in reader]


async def test_one_fx_refresh_is_one_message_per_campaign_with_every_sku_in_a_file(
    uow_factory: UnitOfWorkFactory,
) -> None:
    s = await shop(uow_factory, 25, extra_campaign=3)
    first = await fx.refresh(uow_factory, "ecb", NOW - timedelta(days=1), fetch=feed("2026-11-24"))
    assert first.check is not None and first.check.checked == 28 and not first.check.warned
    assert await margin_rows(uow_factory) == []  # first sight: silent

    dear = await fx.refresh(uow_factory, "ecb", NOW, fetch=feed("2026-11-25", CNY="7.0"))
    assert dear.check is not None and (dear.check.warned, dear.check.recovered) == (28, 0)
    rows = await margin_rows(uow_factory)
    assert [(r.chat_id, len(r.payload["skus"])) for r in rows] == [(s.group, 25), (s.group, 3)]
    assert rows[0].payload["shared"] == [0]  # the FX move, told once for all 25

    sender = FakeSender()
    clock = FakeClock(NOW)
    report = await dispatcher(uow_factory, sender, clock).run()
    assert report.sent == 2
    black, cyber = sender.texts(s.group)
    assert black.startswith("⚠️ 25 SKUs in <b>Black Friday</b> are now planned under their floor:\n")
    listed = [line for line in black.splitlines() if line.startswith("⚠️ <b>S")]
    assert listed[0] == "⚠️ <b>S01</b>: planned $9.99, lowest safe $10.24, margin 13.2%"
    assert [line[6:9] for line in listed] == [f"S{n:02}" for n in range(1, 21)]
    assert "… and 5 more — the attached file lists them all." in black
    assert "Target margin: 15%." in black
    assert (
        "Cause: FX moved from 1 USD = 7.23956 CNY (ECB reference rate of Nov 24, 2026) to "
        "6.64641 CNY (ECB reference rate of Nov 25, 2026); 1 CNY = 0.13813 → 0.150457 USD."
    ) in black
    assert black.count("FX moved") == 1 and black.endswith("Plan: /plan {}".format(
        s.campaigns["Black Friday"]))  # fmt: skip
    assert cyber.startswith("⚠️ 3 SKUs in <b>Cyber Monday</b> are now planned under their floor:")
    assert "attached" not in cyber

    (file,) = sender.files(s.group)  # only the campaign with more than 20 SKUs has one
    assert file.reply_to == 1  # a reply to the Black Friday message (the first one sent)
    assert file.filename.startswith(f"margins-campaign-{s.campaigns['Black Friday']}-")
    assert "All 25 SKUs" in file.caption
    table = read_csv(file.content)
    assert [row["sku"] for row in table] == [f"S{n:02}" for n in range(1, 26)]
    assert {row["change"] for row in table} == {"under_floor"}
    assert table[0]["planned_price"] == "9.99" and table[0]["lowest_safe_price"] == "10.24"
    assert table[0]["margin_pct"] == "13.19" and table[0]["target_margin_pct"] == "15.00"
    assert table[6]["name"] == "'" + FORMULA_NAME  # formula-safe
    assert table[24]["cause"].startswith("FX moved from 1 USD = 7.23956 CNY")

    async with uow_factory() as uow:
        digests = (
            await uow.session.scalars(
                select(models.Notification.key).where(models.Notification.kind == "digest")
            )
        ).all()
    assert len(digests) == 1  # the 09:00 digest stays

    # the rate comes back: the recoveries, grouped the same way
    back = await fx.refresh(uow_factory, "ecb", NOW + timedelta(days=1), fetch=feed("2026-11-26"))
    assert back.check is not None and (back.check.warned, back.check.recovered) == (0, 28)
    clock.set(NOW + timedelta(days=1))
    await dispatcher(uow_factory, sender, clock).run()
    _, _, black_back, cyber_back = sender.texts(s.group)
    assert black_back.startswith(
        "✅ 25 SKUs in <b>Black Friday</b> are back above their floor:\n✅ <b>S01</b>: "
        "planned $9.99, lowest safe $9.40"
    )
    assert "… and 5 more — the attached file lists them all." in black_back
    assert cyber_back.startswith("✅ 3 SKUs in <b>Cyber Monday</b> are back above their floor:")
    files = sender.files(s.group)
    assert len(files) == 2
    assert {row["change"] for row in read_csv(files[1].content)} == {"back_above_floor"}


async def test_one_cause_that_moves_skus_both_ways_is_one_message(
    uow_factory: UnitOfWorkFactory,
) -> None:
    s = await shop(uow_factory, 1)
    async with uow_factory() as uow:  # a KRW-costed SKU, under its floor at 1,471.98 KRW/EUR
        team = await uow.session.get(models.Team, s.team_id)
        assert team is not None
        channel = await uow.session.scalar(select(models.Channel))
        campaign = await uow.session.get(models.Campaign, s.campaigns["Black Friday"])
        assert channel is not None and campaign is not None
        sku = await add_sku(uow, team, "K1", Decimal("11000"), cost_currency="KRW")
        await add_listing(uow, sku, channel, Decimal("12.99"))
        await enrol(uow, campaign, sku, price=Decimal("9.99"))
        await uow.commit()
    await fx.refresh(uow_factory, "ecb", NOW - timedelta(days=1), fetch=feed("2026-11-24"))
    async with uow_factory() as uow:
        flags = (await uow.session.scalars(select(models.Enrolment.below_floor))).all()
    assert sorted(flags) == [False, True]  # K1 starts under (first sight: silent)

    # one refresh: CNY dearer (S01 goes under), KRW cheaper (K1 comes back)
    await fx.refresh(uow_factory, "ecb", NOW, fetch=feed("2026-11-25", CNY="7.0", KRW="1700"))
    (row,) = await margin_rows(uow_factory)
    sender = FakeSender()
    await dispatcher(uow_factory, sender, FakeClock(NOW)).run()
    (text,) = sender.texts(s.group)
    assert text.startswith(
        "⚠️ 1 SKU in <b>Black Friday</b> is now planned under its floor:\n⚠️ <b>S01</b>"
    )
    assert "\n\n✅ 1 SKU in <b>Black Friday</b> is back above its floor:\n✅ <b>K1</b>" in text
    # each SKU's own FX move on its line (they share none)
    assert "<b>S01</b>: planned $9.99, lowest safe $10.24, margin 13.2% — FX moved from" in text
    assert "1 KRW = 0.000715499 → 0.000619529 USD" in text
    assert "Cause:" not in text and not sender.files(s.group)
    assert row.payload["shared"] == []


async def test_a_sku_priced_without_a_rate_is_warned_when_the_rate_arrives(
    uow_factory: UnitOfWorkFactory,
) -> None:
    s = await shop(uow_factory, 2, rates={"USD": "1.0532"})  # no CNY rate yet
    async with uow_factory() as uow:  # S02 is planned high enough to stay above any floor
        s02 = await uow.session.scalar(select(models.Sku.id).where(models.Sku.code == "S02"))
        enrolment = await uow.session.scalar(
            select(models.Enrolment).where(models.Enrolment.sku_id == s02)
        )
        assert enrolment is not None
        enrolment.planned_price = Decimal("12.49")
        check = await margins.recheck_margins(uow, s.team_id, NOW - timedelta(hours=1))
        await uow.commit()
        waiting = (await uow.session.scalars(select(models.Enrolment.last_inputs))).all()
    assert check.checked == 0  # nothing can be judged without the rate …
    assert waiting == [{"status": "no_fx_rate", "seq": 0}] * 2  # … so both wait for it

    # the ECB's rates arrive (with CNY): S01 is under its floor and is warned about now
    result = await fx.refresh(uow_factory, "ecb", NOW, fetch=feed("2026-11-25", CNY="7.0"))
    assert result.check is not None and result.check.warned == 1
    (row,) = await margin_rows(uow_factory)
    assert [e["sku"] for e in row.payload["skus"]] == ["S01"]  # S02 is fine: silent
    sender = FakeSender()
    await dispatcher(uow_factory, sender, FakeClock(NOW)).run()
    (text,) = sender.texts(s.group)
    assert text.startswith("⚠️ <b>S01</b> in <b>Black Friday</b> is now planned under its floor.")
    assert (
        "Cause: the exchange rate it was planned without is now known: 1 USD = 6.64641 CNY "
        "(1 CNY = 0.150457 USD), ECB reference rate of Nov 25, 2026."
    ) in text
    async with uow_factory() as uow:
        states = (
            await uow.session.execute(
                select(models.Enrolment.below_floor, models.Enrolment.last_inputs).order_by(
                    models.Enrolment.id
                )
            )
        ).all()
    assert [below for below, _ in states] == [True, False]
    assert [inputs["seq"] for _, inputs in states] == [1, 0]
    # and nothing more on the next check
    async with uow_factory() as uow:
        again = await margins.recheck_margins(uow, s.team_id, NOW)
        await uow.commit()
    assert (again.warned, again.recovered) == (0, 0)


async def test_a_warning_after_a_manual_rate_says_who_set_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    s = await shop(uow_factory, 1)
    await fx.refresh(uow_factory, "ecb", NOW - timedelta(days=1), fetch=feed("2026-11-24"))
    async with uow_factory() as uow:
        team = await uow.session.get(models.Team, s.team_id)
        alice = await uow.session.scalar(
            select(models.User).where(models.User.first_name == "Alice")
        )
        assert team is not None and alice is not None
        check = await fx.set_override(uow, team, alice.id, "USD", "CNY", Decimal("6.5"), NOW)
        await uow.commit()
    assert check.warned == 1
    sender = FakeSender()
    await dispatcher(uow_factory, sender, FakeClock(NOW)).run()
    (text,) = sender.texts(s.group)
    assert (
        "FX moved from 1 USD = 7.23956 CNY (ECB reference rate of Nov 24, 2026) to 6.5 CNY "
        "(manual rate set by Alice on Nov 25, 2026); 1 CNY = 0.13813 → 0.153846 USD"
    ) in text
    assert "ECB reference rate of Nov 25" not in text

    overview = None
    async with uow_factory() as uow:
        team = await uow.session.get(models.Team, s.team_id)
        assert team is not None
        overview = await fx.overview(uow, team, NOW)
    (pair,) = overview.pairs
    assert pair.manual and [source.set_by for source in pair.sources] == ["Alice"]


async def test_a_refused_file_is_sent_again_without_its_text(
    uow_factory: UnitOfWorkFactory,
) -> None:
    s = await shop(uow_factory, 21)
    await fx.refresh(uow_factory, "ecb", NOW - timedelta(days=1), fetch=feed("2026-11-24"))
    await fx.refresh(uow_factory, "ecb", NOW, fetch=feed("2026-11-25", CNY="7.0"))
    refusals = [SendResult(Outcome.RETRY_AFTER, retry_after=30, error="Flood control")]

    def flood_once(chat_id: int, thread_id: int, filename: str) -> SendResult:
        return refusals.pop() if refusals else SendResult(Outcome.SENT)

    sender = FakeSender(document_script=flood_once)
    clock = FakeClock(NOW)
    report = await dispatcher(uow_factory, sender, clock).run()
    assert report.retried == 1 and len(sender.texts(s.group)) == 1 and not sender.files(s.group)
    (row,) = await margin_rows(uow_factory)
    assert row.status == "pending" and row.telegram_message_id == 1  # the text is out
    assert row.due_at == NOW + timedelta(seconds=30)

    clock.set(NOW + timedelta(seconds=31))
    report = await dispatcher(uow_factory, sender, clock).run()
    assert report.sent == 1
    assert len(sender.texts(s.group)) == 1  # not twice
    (file,) = sender.files(s.group)
    assert file.reply_to == 1 and len(read_csv(file.content)) == 21
    (row,) = await margin_rows(uow_factory)
    assert row.status == "sent" and row.telegram_message_id == 1


class CountingPool:
    def __init__(self, pool: WorkerPool) -> None:
        self.pool = pool
        self.runs = 0

    async def run(self, function: object, *args: object) -> bytes:
        self.runs += 1
        return await self.pool.run(function, *args)  # type: ignore[arg-type]


async def test_a_long_list_is_built_in_a_file_worker_and_old_rows_still_render(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        team = await add_team(uow)
        await bind(uow, team, -4001)
        skus = [
            {"sku": f"=X{n}", "name": f"Item {n}", "below": True, "status": "below_floor",
             "planned": "9.99", "floor": "10.24", "margin": "0.1246", "causes": []}
            for n in range(600)
        ]  # fmt: skip
        payload = {
            "campaign_id": 9, "campaign": "Prime Day", "currency": "USD", "target": "0.15",
            "causes": [{"kind": "planned", "from": "10.99", "to": "9.99", "currency": "USD"}],
            "shared": [0], "skus": skus,
        }  # fmt: skip
        await add_notices(
            uow, team.id, [("campaign:9:margin:1:1:600-x:chat:-4001", -4001, NOW)],
            kind=NoticeKind.MARGIN, payload=payload,
        )  # fmt: skip
        legacy = {  # queued by the previous version: one SKU at the top level
            "campaign_id": 9, "campaign": "Prime Day", "sku": "OLD1", "below": True,
            "status": "below_floor", "currency": "USD", "planned": "9.99", "floor": "10.24",
            "margin": "0.1246", "target": "0.15", "causes": [],
        }  # fmt: skip
        await add_notices(
            uow, team.id, [("campaign:9:margin:2:1:chat:-4001", -4001, NOW)],
            kind=NoticeKind.MARGIN, payload=legacy,
        )  # fmt: skip
        await uow.commit()
    pool = CountingPool(WorkerPool(workers=1, seconds=30, memory_mb=512))
    sender = FakeSender()
    try:
        report = await dispatcher(uow_factory, sender, FakeClock(NOW), files=pool).run()
    finally:
        await pool.pool.close()
    assert report.sent == 2 and pool.runs == 1
    big, old = sender.texts(-4001)
    assert big.startswith("⚠️ 600 SKUs in <b>Prime Day</b>")
    assert "… and 580 more — the attached file lists them all." in big
    assert "Cause: planned price changed from $10.99 to $9.99." in big
    assert old.startswith("⚠️ <b>OLD1</b> in <b>Prime Day</b> is now planned under its floor.")
    (file,) = sender.files(-4001)
    table = read_csv(file.content)
    assert len(table) == 600 and table[599]["sku"] == "'=X599"
    assert table[0]["cause"] == "planned price changed from $10.99 to $9.99"
