"""Issue 6 end to end: the real Application over HTTP against the Bot API stand-in, on
SQLite and PostgreSQL — reminders across time zones, margin warnings after an FX refresh,
Telegram's flood limits with 2,000 notices, /reminders and /fx."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import time
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from bot.clock import Clock, FakeClock
from bot.context import RUNTIME_KEY
from bot.db import models
from bot.i18n import Translator
from bot.jobs import TIMER_KEY
from bot.runtime.pacer import VirtualTimer
from bot.services import margins, reminders
from bot.services.outbox import NoticeKind, enqueue
from bot.telegram_stub import BotApiStub, StubMessage
from bot.telegram_stub.ratelimit import ManualClock
from tests.conftest import TestDatabase
from tests.e2e.conftest import BotHarness, eventually, make_settings
from tests.ecb_server import EcbServer, ecb_server
from tests.notifications_fixtures import (
    add_campaign,
    add_channel,
    add_ecb_rates,
    add_listing,
    add_sku,
    add_team,
    add_user,
    bind,
    enrol,
    utc,
)

START = utc(2026, 11, 10, 0)


@pytest.fixture
def clock() -> Clock:
    return FakeClock(START)


@pytest.fixture
async def ecb() -> AsyncIterator[EcbServer]:
    async with ecb_server() as server:
        yield server


@pytest.fixture
async def bot(
    stub: BotApiStub, database: TestDatabase, clock: Clock, ecb: EcbServer
) -> AsyncIterator[BotHarness]:
    harness = BotHarness(stub, make_settings(stub, database, ecb_url=ecb.url), clock)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.close()


async def quiet(stub: BotApiStub, chat: object, seconds: float = 1.0) -> list[StubMessage]:
    """What else arrives in `chat` within `seconds` (the dispatcher ticks every 0.2 s)."""
    await asyncio.sleep(seconds)
    return stub.unread(chat)  # type: ignore[arg-type]


async def test_a_deadline_given_in_los_angeles_is_reminded_in_shanghai(
    bot: BotHarness, clock: FakeClock
) -> None:
    stub = bot.stub
    alice = stub.create_user("Alice", language_code="en")
    group = stub.create_group("Sellers", members=[alice], with_bot=True)
    async with bot.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, timezone="Asia/Shanghai", members=[(owner, "owner")])
        await bind(uow, team, group.id, timezone="Asia/Shanghai", title="Sellers")
        channel = await add_channel(uow, team, timezone="America/Los_Angeles")
        campaign = await add_campaign(
            uow,
            team,
            channel,
            name="Black Friday",
            deadline=utc(2026, 11, 20, 20),  # 2026-11-20 12:00 in Los Angeles (PST)
            starts_at=utc(2026, 11, 27, 8),
            ends_at=utc(2026, 12, 1, 8),
            timezone="America/Los_Angeles",
        )
        await reminders.schedule_campaign_notices(uow, campaign, START)
        await uow.commit()

    shanghai, los_angeles = Translator("en", "Asia/Shanghai"), Translator("en", "UTC")
    deadline = utc(2026, 11, 20, 20)
    for before, left in ((72, "3 days"), (24, "24 hours"), (2, "2 hours")):
        clock.set(deadline - timedelta(hours=before))
        (message,) = await stub.wait_for_messages(group, 1, timeout=10)
        assert f"closes in {left}" in message.text
        assert shanghai.datetime(deadline) in message.text  # Nov 21, 2026, 4:00 AM Asia/Shanghai
        assert los_angeles.datetime(deadline, "America/Los_Angeles") in message.text
        assert "Sent late" not in message.text
    assert "4:00" in shanghai.datetime(deadline) and "12:00" in los_angeles.datetime(
        deadline, "America/Los_Angeles"
    )
    assert await quiet(stub, group) == []


async def test_reminders_command_shows_and_edits(bot: BotHarness, clock: FakeClock) -> None:
    stub = bot.stub
    alice = stub.create_user("Alice", language_code="en", started=True)
    bob = stub.create_user("Bob", language_code="en", started=True)
    async with bot.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice", timezone="Europe/Berlin")
        viewer = await add_user(uow, bob.id, name="Bob")
        team = await add_team(uow, name="Acme", members=[(owner, "owner"), (viewer, "viewer")])
        owner.active_team_id = viewer.active_team_id = team.id
        channel = await add_channel(uow, team)
        campaign = await add_campaign(
            uow,
            team,
            channel,
            name="Singles Day",
            deadline=utc(2026, 11, 12, 12),
            starts_at=utc(2026, 11, 13),
            ends_at=utc(2026, 11, 14),
        )
        await reminders.schedule_campaign_notices(uow, campaign, START)
        await uow.commit()
    shown = await bot.ask(alice, "/reminders")
    assert "Singles Day" in shown.text and "Central European Time" in shown.text
    assert "3 days before, 24 hours before, 2 hours before" in shown.text
    assert "Admins change them" in shown.text

    refused = await bot.ask(bob, "/reminders deadline=1h")
    assert "viewer" in refused.text
    bad = await bot.ask(alice, "/reminders deadline=soon")
    assert "“soon” is not a time" in bad.text
    saved = await bot.ask(alice, "/reminders deadline=48h,30m start=off end=off summary=off")
    assert "Saved" in saved.text and "2 days before, 30 minutes before" in saved.text
    async with bot.uow_factory() as uow:
        queued = (
            await uow.session.scalars(
                select(models.Notification.key).where(models.Notification.status == "pending")
            )
        ).all()
    assert sorted(k.split(":")[3] for k in queued) == ["-30m", "-30m", "-48h", "-48h"]


async def test_an_fx_refresh_warns_the_group_once_in_its_language(
    bot: BotHarness, ecb: EcbServer
) -> None:
    stub = bot.stub
    alice = stub.create_user("Alice", language_code="en")
    group = stub.create_group("Verkauf", members=[alice], with_bot=True)
    async with bot.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, timezone="Europe/Berlin", members=[(owner, "owner")])
        await bind(uow, team, group.id, locale="de", timezone="Europe/Berlin", title="Verkauf")
        channel = await add_channel(uow, team)
        sku = await add_sku(uow, team, "A1", Decimal("50"))
        await add_listing(uow, sku, channel, Decimal("12.99"))
        campaign = await add_campaign(
            uow,
            team,
            channel,
            name="Black Friday",
            starts_at=utc(2026, 11, 27),
            ends_at=utc(2026, 11, 30),
        )
        await enrol(uow, campaign, sku, mode="price", price=Decimal("9.99"))
        await add_ecb_rates(uow, date(2026, 11, 9), {"USD": "1.0532", "CNY": "7.6247"})
        await margins.recheck_margins(uow, team.id, START)  # floor 9.40: fine
        await uow.commit()
    de = Translator("de", "Europe/Berlin")

    ecb.publish("2026-11-10", CNY="7.0")  # CNY dearer: the floor is now 10.24
    first = await bot.send(alice, "/fx refresh", chat=group, replies=2)
    replies = [m for m in first if "loaded" in m.text]  # Alice reads English
    (warning,) = [m for m in first if m not in replies]
    assert len(replies) == 1
    headline = de(
        "⚠️ <b>{sku}</b> in <b>{campaign}</b> is now planned under its floor.",
        sku="A1",
        campaign="Black Friday",
    )
    assert warning.source is not None and warning.source.startswith(headline)
    assert de.money(Decimal("9.99"), "USD") in warning.text
    assert de.money(Decimal("10.24"), "USD") in warning.text
    assert "0,13813" in warning.text and "0,150457" in warning.text
    assert await quiet(stub, group) == []

    again = await bot.ask(alice, "/fx refresh", chat=group)  # same feed: no change of state
    assert "loaded" in again.text
    assert await quiet(stub, group) == []

    ecb.publish("2026-11-11", CNY="7.6247")
    last = await bot.send(alice, "/fx refresh", chat=group, replies=2)
    (recovery,) = [m for m in last if "loaded" not in m.text]
    back = de(
        "✅ <b>{sku}</b> in <b>{campaign}</b> is back above its floor.",
        sku="A1",
        campaign="Black Friday",
    )
    assert recovery.source is not None and recovery.source.startswith(back)
    assert await quiet(stub, group) == []
    async with bot.uow_factory() as uow:
        kinds = (
            await uow.session.scalars(
                select(models.Notification.kind).where(models.Notification.status == "sent")
            )
        ).all()
    assert sorted(kinds) == ["margin", "margin"]


async def test_fx_command_shows_rates_and_sets_an_override(bot: BotHarness, ecb: EcbServer) -> None:
    stub = bot.stub
    alice = stub.create_user("Alice", language_code="en", started=True)
    async with bot.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, members=[(owner, "owner")])
        owner.active_team_id = team.id
        await add_channel(uow, team, currency="USD")
        await uow.commit()
    refreshed = await bot.ask(alice, "/fx refresh")
    assert "ECB rates of Nov 25, 2026 loaded (29 currencies)" in refreshed.text
    shown = await bot.ask(alice, "/fx")  # as a CNY seller quotes it, and the other way round
    assert (
        "1 USD = 7.23956 CNY (1 CNY = 0.13813 USD) · ECB reference rate of Nov 25, 2026 · via EUR"
    ) in shown.text
    wrong = await bot.ask(alice, "/fx set USD CNY seven")
    assert "“seven” is not a rate" in wrong.text and "/fx set USD CNY 7.10" in wrong.text
    saved = await bot.ask(alice, "/fx set USD CNY 7.10")
    assert "Manual rate saved: 1 USD = 7.1 CNY (1 CNY = 0.140845 USD)" in saved.text
    assert (
        "1 USD = 7.1 CNY (1 CNY = 0.140845 USD) · manual rate set by Alice on Nov 10, 2026"
    ) in saved.text
    removed = await bot.ask(alice, "/fx unset USD CNY")
    assert "removed" in removed.text


# -- issue 11: one cause, one message; rates labelled with their source -------------------------


async def test_one_fx_refresh_warns_a_group_once_about_25_skus_with_a_file(
    bot: BotHarness, ecb: EcbServer
) -> None:
    """Before: 25 SKUs under their floors were 25 messages, and a 429 from the 21st. Now:
    one message naming the first 20, the CSV of all 25 as a reply to it — and no 429
    from the stand-in, whose group limit is a strict rolling 60-second window."""
    stub = bot.stub
    alice = stub.create_user("Alice", language_code="en")
    group = stub.create_group("Sellers", members=[alice], with_bot=True)
    async with bot.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, members=[(owner, "owner")])
        await bind(uow, team, group.id, title="Sellers")
        channel = await add_channel(uow, team)
        campaign = await add_campaign(
            uow, team, channel, name="Black Friday", starts_at=utc(2026, 11, 27),
            ends_at=utc(2026, 11, 30),
        )  # fmt: skip
        for n in range(1, 26):
            sku = await add_sku(uow, team, f"S{n:02}", Decimal("50"), name=f"=Mug {n}")
            await add_listing(uow, sku, channel, Decimal("12.99"))
            await enrol(uow, campaign, sku, mode="price", price=Decimal("9.99"))
        await add_ecb_rates(uow, date(2026, 11, 9), {"USD": "1.0532", "CNY": "7.6247"})
        await margins.recheck_margins(uow, team.id, START)  # floors 9.40: all fine
        await uow.commit()

    ecb.publish("2026-11-10", CNY="7.0")  # CNY dearer: every floor is now 10.24
    first = await bot.send(alice, "/fx refresh", chat=group, replies=3)
    (reply,) = [m for m in first if "loaded" in m.text]
    assert "25 new warning(s)" in reply.text
    (warning,) = [m for m in first if m.document is None and m is not reply]
    (attached,) = [m for m in first if m.document is not None]
    assert warning.text.startswith("⚠️ 25 SKUs in Black Friday are now planned under their floor:")
    assert warning.text.count("⚠️ S") == 20
    assert "… and 5 more — the attached file lists them all." in warning.text
    assert "(ECB reference rate of Nov 10, 2026)" in warning.text
    assert attached.reply_to_message_id == warning.message_id
    assert attached.document is not None and attached.document.file_name is not None
    assert attached.document.file_name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(attached.document.content.decode("utf-8-sig"))))
    assert [row["sku"] for row in rows] == [f"S{n:02}" for n in range(1, 26)]
    assert {row["name"][:2] for row in rows} == {"'="}  # formula-safe
    assert await quiet(stub, group) == []

    ecb.publish("2026-11-11", CNY="7.6247")  # and back: the recoveries, grouped alike
    last = await bot.send(alice, "/fx refresh", chat=group, replies=3)
    (recovery,) = [m for m in last if m.document is None and "loaded" not in m.text]
    assert recovery.text.startswith("✅ 25 SKUs in Black Friday are back above their floor:")
    (attached,) = [m for m in last if m.document is not None]
    assert attached.reply_to_message_id == recovery.message_id
    assert await quiet(stub, group) == []
    assert stub.count_429 == 0
    async with bot.uow_factory() as uow:
        sent = (
            await uow.session.scalars(
                select(models.Notification.kind).where(models.Notification.status == "sent")
            )
        ).all()
    assert sorted(sent) == ["margin", "margin"]  # one notice (and row) per cause


async def test_a_manual_rate_supplying_a_missing_pair_warns_at_once_and_says_who_set_it(
    bot: BotHarness,
) -> None:
    stub = bot.stub
    alice = stub.create_user("Alice", language_code="en")
    group = stub.create_group("Sellers", members=[alice], with_bot=True)
    async with bot.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, members=[(owner, "owner")])
        await bind(uow, team, group.id, title="Sellers")
        channel = await add_channel(uow, team)
        campaign = await add_campaign(
            uow, team, channel, name="Black Friday", starts_at=utc(2026, 11, 27),
            ends_at=utc(2026, 11, 30),
        )  # fmt: skip
        mug = await add_sku(uow, team, "A1", Decimal("50"))  # CNY: the ECB has a rate
        hat = await add_sku(uow, team, "V1", Decimal("200000"), cost_currency="VND")  # none
        for sku in (mug, hat):
            await add_listing(uow, sku, channel, Decimal("12.99"))
            await enrol(uow, campaign, sku, mode="price", price=Decimal("9.99"))
        await add_ecb_rates(uow, date(2026, 11, 9), {"USD": "1.0532", "CNY": "7.6247"})
        await margins.recheck_margins(uow, team.id, START)  # A1 fine; V1 waits for a rate
        await uow.commit()

    # the missing rate arrives: V1 (200,000 VND = $10) is under its floor — said now,
    # not at tomorrow's digest
    first = await bot.send(alice, "/fx set USD VND 20000", chat=group, replies=2)
    (warning,) = [m for m in first if "Manual rate saved" not in m.text]
    assert warning.text.startswith("⚠️ V1 in Black Friday is now planned under its floor.")
    assert (
        "Cause: the exchange rate it was planned without is now known: 1 USD = 20,000 VND "
        "(1 VND = 0.00005 USD), manual rate set by Alice on Nov 10, 2026."
    ) in warning.text
    assert await quiet(stub, group) == []

    # a manual rate that moves A1 under its floor: labelled as manual, not as the ECB's
    second = await bot.send(alice, "/fx set USD CNY 6.5", chat=group, replies=2)
    (warning,) = [m for m in second if "Manual rate saved" not in m.text]
    assert warning.text.startswith("⚠️ A1 in Black Friday is now planned under its floor.")
    assert (
        "FX moved from 1 USD = 7.23956 CNY (ECB reference rate of Nov 9, 2026) to 6.5 CNY "
        "(manual rate set by Alice on Nov 10, 2026); 1 CNY = 0.13813 → 0.153846 USD."
    ) in warning.text
    shown = await bot.ask(alice, "/fx", chat=group)
    assert "1 USD = 6.5 CNY (1 CNY = 0.153846 USD) · manual rate set by Alice on" in shown.text
    assert stub.count_429 == 0


# -- Telegram's limits -------------------------------------------------------------------------


@pytest.fixture
def manual() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def limited(manual: ManualClock) -> AsyncIterator[BotApiStub]:
    """Telegram's limits on, measured on a clock the dispatcher's pacer shares."""
    async with BotApiStub(rate_limits=True, clock=manual) as running:
        yield running


async def test_two_thousand_notices_to_groups_and_private_chats_meet_no_429(
    limited: BotApiStub, database: TestDatabase, manual: ManualClock
) -> None:
    from bot.clock import SystemClock

    stub = limited
    groups = [stub.create_group(f"G{i}", with_bot=True) for i in range(100)]
    people = [stub.create_user(f"P{i}", started=True) for i in range(200)]
    harness = BotHarness(stub, make_settings(stub, database), SystemClock())
    now = harness.clock.now()
    async with harness.uow_factory() as uow:
        group_team = await add_team(uow, name="Groups")
        for group in groups:
            await bind(uow, group_team, group.id, title=group.title or "")
        users = [await add_user(uow, p.id, name=p.first_name) for p in people]
        people_team = await add_team(uow, name="People", members=[(u, "viewer") for u in users])
        for team, count in ((group_team, 10), (people_team, 5)):
            for n in range(count):
                await enqueue(
                    uow,
                    base_key=f"load:{team.id}:{n}",
                    team_id=team.id,
                    kind=NoticeKind.MARGIN,
                    payload={
                        "sku": f"S{n}",
                        "campaign": team.name,
                        "below": True,
                        "currency": "USD",
                        "campaign_id": 1,
                    },
                    due_at=now,
                    expires_at=None,
                    now=now,
                )
        await uow.commit()
        total = await uow.session.scalar(select(func.count(models.Notification.id)))
    assert total == 2000

    app_started = time.monotonic()
    harness.app = None
    from bot.app import build_application, start_polling

    app = build_application(harness.settings, clock=harness.clock)
    app.bot_data[RUNTIME_KEY].extras[TIMER_KEY] = VirtualTimer(manual, manual.advance)
    await start_polling(app, poll_timeout=2)
    harness.app = app
    try:

        async def all_sent() -> bool:
            async with harness.uow_factory() as uow:
                sent = await uow.session.scalar(
                    select(func.count(models.Notification.id)).where(
                        models.Notification.status == "sent"
                    )
                )
            return sent == 2000

        await eventually(all_sent, timeout=240, interval=0.5)
        elapsed = time.monotonic() - app_started
    finally:
        await harness.close()
    assert stub.count_429 == 0
    assert sum(len(stub.messages(g)) for g in groups) == 1000
    assert sum(len(stub.messages(p)) for p in people) == 1000
    texts = [m.text for p in people for m in stub.messages(p)]
    assert len({(t, c) for t, c in zip(texts, range(len(texts)), strict=True)}) == 1000
    print(f"2,000 notices in {elapsed:.1f} s real time, {manual() - 1000.0:.1f} s virtual")
    per_person = {len(stub.messages(p)) for p in people}
    assert per_person == {5}
    assert re.search(r"S\d", texts[0])


async def test_jobs_run_however_late(bot: BotHarness) -> None:
    """APScheduler's default skips a run more than a second late; ours never do."""
    from datetime import UTC, datetime

    from bot.jobs.dispatcher import JOB_KWARGS

    assert bot.app is not None and bot.app.job_queue is not None
    job_queue = bot.app.job_queue
    jobs = {job.name: job for job in job_queue.jobs()}
    assert {"dispatch-tick", "margin-scan", "fx-refresh"} <= set(jobs)
    for job in jobs.values():
        assert job.job.misfire_grace_time is None and job.job.coalesce
    ran: list[str] = []

    async def ours(context: object) -> None:
        ran.append("late")

    async def default(context: object) -> None:
        ran.append("default")

    late = datetime.now(UTC) - timedelta(seconds=10)  # e.g. the event loop was blocked
    job_queue.run_once(ours, when=late, job_kwargs=JOB_KWARGS)
    job_queue.run_once(default, when=late)
    await eventually(lambda: _ran(ran), timeout=5)
    await asyncio.sleep(0.3)
    assert ran == ["late"]  # the default one was silently dropped


async def _ran(ran: list[str]) -> bool:
    return bool(ran)


async def test_after_downtime_a_useful_reminder_comes_late_and_a_stale_one_expires(
    bot: BotHarness, clock: FakeClock
) -> None:
    stub = bot.stub
    alice = stub.create_user("Alice", language_code="en")
    group = stub.create_group("Sellers", members=[alice], with_bot=True)
    deadline, start = utc(2026, 11, 12, 12), utc(2026, 11, 13, 12)
    async with bot.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, members=[(owner, "owner")])
        await bind(uow, team, group.id)
        channel = await add_channel(uow, team)
        campaign = await add_campaign(
            uow,
            team,
            channel,
            name="Singles Day",
            deadline=deadline,
            starts_at=start,
            ends_at=utc(2026, 11, 20),
        )
        await reminders.schedule_campaign_notices(uow, campaign, START)
        await uow.commit()
    await bot.stop()  # down from here …
    clock.set(deadline + timedelta(hours=1))  # … until the deadline has passed
    await bot.start()
    (late,) = await stub.wait_for_messages(group, 1, timeout=10)
    assert "starts in 23 hours" in late.text and "Sent late" in late.text
    assert await quiet(stub, group) == []  # no deadline reminder after the deadline
    async with bot.uow_factory() as uow:
        rows = (
            await uow.session.execute(
                select(models.Notification.key, models.Notification.status).where(
                    models.Notification.due_at <= clock.now()
                )
            )
        ).all()
    assert sorted((key.split(":")[2] + key.split(":")[3], status) for key, status in rows) == [
        ("deadline-24h", "expired"),
        ("deadline-2h", "expired"),
        ("start-24h", "sent"),
    ]
