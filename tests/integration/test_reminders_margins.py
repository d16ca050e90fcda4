"""Reminders and margin warnings in the outbox, on SQLite and PostgreSQL: regeneration on
edits, warnings once per change of state with their cause, the 09:00 digest across DST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from bot.clock import FakeClock
from bot.db import models
from bot.db.uow import UnitOfWork, UnitOfWorkFactory
from bot.i18n import Translator
from bot.runtime.pacer import Pacer
from bot.services import margins, reminders
from bot.services.notices import render_notice
from bot.services.notifications import Dispatcher
from tests.notifications_fixtures import (
    FakeSender,
    add_campaign,
    add_channel,
    add_ecb_rates,
    add_listing,
    add_sku,
    add_team,
    add_user,
    bind,
    enrol,
    fast_limits,
    utc,
)

NOW = utc(2026, 11, 10, 12)
ECB_OK = {"USD": "1.0532", "CNY": "7.6247"}  # CNY→USD 0.13813: floor of A1 9.40
ECB_DEAR = {"USD": "1.0532", "CNY": "7.0"}  # CNY→USD 0.15046: floor of A1 10.24


async def pending_keys(uow: UnitOfWork, prefix: str = "") -> dict[str, datetime]:
    rows = await uow.session.execute(
        select(models.Notification.key, models.Notification.due_at).where(
            models.Notification.status == "pending", models.Notification.key.like(f"{prefix}%")
        )
    )
    return dict(rows.all())  # type: ignore[arg-type]


async def test_reminders_follow_the_campaign_dates_and_the_team_offsets(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        team = await add_team(uow, timezone="Asia/Shanghai")
        await bind(uow, team, -1001)
        channel = await add_channel(uow, team)
        campaign = await add_campaign(
            uow,
            team,
            channel,
            starts_at=utc(2026, 11, 27, 8),
            ends_at=utc(2026, 11, 30, 8),
            deadline=NOW + timedelta(hours=30),  # 72 h before is already past
            timezone="America/Los_Angeles",
        )
        await reminders.schedule_campaign_notices(uow, campaign, NOW)
        await uow.commit()
        first = await pending_keys(uow)
    assert sorted(k.split(":")[2] + k.split(":")[3] for k in first) == sorted(
        ["deadline-24h", "deadline-2h", "start-24h", "start-1h", "start0", "end-2h", "summary0"]
    )
    assert all(k.endswith(":chat:-1001") for k in first)

    async with uow_factory() as uow:  # an edit that moves no date changes nothing
        campaign = await uow.session.get(models.Campaign, campaign.id)
        assert campaign is not None
        campaign.name = "Black Friday 2026"
        await reminders.schedule_campaign_notices(uow, campaign, NOW)
        await uow.commit()
        assert await pending_keys(uow) == first

    async with uow_factory() as uow:  # the deadline moves: its reminders are regenerated
        campaign = await uow.session.get(models.Campaign, campaign.id)
        assert campaign is not None
        campaign.registration_deadline = utc(2026, 11, 22, 20)
        await reminders.schedule_campaign_notices(uow, campaign, NOW)
        await uow.commit()
        moved = await pending_keys(uow, f"campaign:{campaign.id}:deadline")
        cancelled = (
            await uow.session.scalars(
                select(models.Notification.key).where(models.Notification.status == "cancelled")
            )
        ).all()
    assert sorted(moved.values()) == [
        utc(2026, 11, 19, 20),
        utc(2026, 11, 21, 20),
        utc(2026, 11, 22, 18),
    ]
    assert len(cancelled) == 2 and all("deadline" in k for k in cancelled)

    async with uow_factory() as uow:  # the team wants fewer reminders
        team_row = await uow.session.get(models.Team, team.id)
        assert team_row is not None
        offsets = reminders.parse_offsets(
            ["deadline=24h", "start=0", "end=off"], reminders.team_offsets(team_row)
        )
        await reminders.set_offsets(uow, team_row, offsets, NOW)
        await uow.commit()
        kinds = sorted(k.split(":")[2] + k.split(":")[3] for k in await pending_keys(uow))
    assert kinds == ["deadline-24h", "start0", "summary0"]

    async with uow_factory() as uow:  # deleted
        await reminders.cancel_campaign_notices(uow, campaign.id, NOW)
        await uow.commit()
        assert await pending_keys(uow) == {}


async def test_an_overdue_queued_reminder_survives_an_unrelated_edit(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        alice = await add_user(uow, 11)
        team = await add_team(uow, members=[(alice, "owner")])
        channel = await add_channel(uow, team)
        campaign = await add_campaign(
            uow,
            team,
            channel,
            starts_at=NOW + timedelta(days=3),
            ends_at=NOW + timedelta(days=5),
            deadline=NOW + timedelta(days=1),
        )
        await reminders.schedule_campaign_notices(uow, campaign, NOW)
        await uow.commit()
    later = NOW + timedelta(hours=1)  # the -24h reminder is now overdue (the bot was down)
    async with uow_factory() as uow:
        campaign = await uow.session.get(models.Campaign, campaign.id)
        assert campaign is not None
        await reminders.schedule_campaign_notices(uow, campaign, later)
        await uow.commit()
        assert any(":deadline:-24h:" in key for key in await pending_keys(uow))


# -- margins ----------------------------------------------------------------------------------


@dataclass
class Shop:
    team_id: int
    campaign_id: int
    enrolment_id: int


async def shop(
    uow_factory: UnitOfWorkFactory,
    *,
    zone: str = "UTC",
    locale: str = "en",
    mode: str = "price",
    price: Decimal | None = Decimal("9.99"),
    min_discount: Decimal | None = None,
    rates: dict[str, str] = ECB_OK,
    ends_at: datetime | None = None,
) -> Shop:
    async with uow_factory() as uow:
        team = await add_team(uow, timezone=zone, locale=locale)
        await bind(uow, team, -2000 - team.id, locale=locale, timezone=zone)
        channel = await add_channel(uow, team)
        sku = await add_sku(uow, team, "A1", Decimal("50"))
        await add_listing(uow, sku, channel, Decimal("12.99"))
        campaign = await add_campaign(
            uow,
            team,
            channel,
            starts_at=NOW + timedelta(days=10),
            ends_at=ends_at or NOW + timedelta(days=13),
            min_discount=min_discount,
        )
        enrolment = await enrol(uow, campaign, sku, mode=mode, price=price)
        existing = await uow.session.scalar(select(models.FxRate.id).limit(1))
        if existing is None:
            await add_ecb_rates(uow, date(2026, 11, 9), rates)
        await margins.recheck_margins(uow, team.id, NOW)  # first sight: silent
        await uow.commit()
        return Shop(team.id, campaign.id, enrolment.id)


async def set_rates(uow_factory: UnitOfWorkFactory, day: date, rates: dict[str, str]) -> None:
    async with uow_factory() as uow:
        await add_ecb_rates(uow, day, rates)
        await uow.commit()


async def recheck(uow_factory: UnitOfWorkFactory, team_id: int, now: datetime = NOW) -> list[str]:
    async with uow_factory() as uow:
        before = set(await pending_keys(uow, "campaign:"))
        await margins.recheck_margins(uow, team_id, now)
        await uow.commit()
        after = await pending_keys(uow, "campaign:")
    return sorted(set(after) - before)


async def test_a_floor_crossing_is_told_once_with_its_cause_and_the_recovery_once(
    uow_factory: UnitOfWorkFactory,
) -> None:
    s = await shop(uow_factory)
    async with uow_factory() as uow:
        enrolment = await uow.session.get(models.Enrolment, s.enrolment_id)
        assert enrolment is not None and not enrolment.below_floor
        assert enrolment.last_inputs is not None and enrolment.last_inputs["seq"] == 0
        assert await pending_keys(uow) == {}

    await set_rates(uow_factory, date(2026, 11, 10), ECB_DEAR)
    warned = await recheck(uow_factory, s.team_id)
    group = -2000 - s.team_id
    assert warned == [f"campaign:{s.campaign_id}:margin:{s.enrolment_id}:1:chat:{group}"]
    assert await recheck(uow_factory, s.team_id) == []  # same state: nothing more
    async with uow_factory() as uow:
        row = await uow.session.scalar(
            select(models.Notification).where(models.Notification.kind == "margin")
        )
        assert row is not None
        payload = row.payload
        digest = await pending_keys(uow, "digest:")
    (entry,) = payload["skus"]  # one SKU crossed: a group of one
    assert entry["sku"] == "A1" and entry["below"] is True
    assert entry["planned"] == "9.99" and entry["floor"] == "10.24" and entry["causes"] == []
    assert payload["shared"] == [0]  # its causes are told once, for the whole notice
    assert payload["causes"] == [
        {
            "kind": "fx",
            "from": "0.13813002",
            "to": "0.15045714",
            "from_inverse": "7.2395556",
            "to_inverse": "6.6464109",
            "pair": ["CNY", "USD"],
            "date": "2026-11-10",
            "from_source": [{"kind": "ecb", "day": "2026-11-09"}],
            "to_source": [{"kind": "ecb", "day": "2026-11-10"}],
        }
    ]
    assert list(digest.values()) == [utc(2026, 11, 11, 9)]  # 09:00 team time (UTC)

    await set_rates(uow_factory, date(2026, 11, 11), ECB_OK)
    recovered = await recheck(uow_factory, s.team_id)
    assert recovered == [
        f"campaign:{s.campaign_id}:margin:{s.enrolment_id}:2:chat:{-2000 - s.team_id}"
    ]
    async with uow_factory() as uow:
        enrolment = await uow.session.get(models.Enrolment, s.enrolment_id)
        assert enrolment is not None and not enrolment.below_floor
        assert enrolment.last_floor == Decimal("9.40")


async def test_suggested_price_under_the_floor_by_the_minimum_discount(
    uow_factory: UnitOfWorkFactory,
) -> None:
    # 25 % off 12.99 is 9.74: safe with a floor at 9.40, not at 10.24
    s = await shop(uow_factory, mode="suggested", price=None, min_discount=Decimal("0.25"))
    await set_rates(uow_factory, date(2026, 11, 10), ECB_DEAR)
    assert len(await recheck(uow_factory, s.team_id)) == 1
    async with uow_factory() as uow:
        row = await uow.session.scalar(
            select(models.Notification).where(models.Notification.kind == "margin")
        )
        assert row is not None
    (entry,) = row.payload["skus"]
    assert entry["status"] == "cannot_reach_min_depth"
    assert entry["planned"] == "9.74"


async def test_ended_campaigns_are_not_checked(uow_factory: UnitOfWorkFactory) -> None:
    s = await shop(uow_factory, ends_at=NOW + timedelta(hours=1))
    await set_rates(uow_factory, date(2026, 11, 10), ECB_DEAR)
    assert await recheck(uow_factory, s.team_id, NOW + timedelta(hours=2)) == []


async def test_the_warning_renders_in_the_groups_language(uow_factory: UnitOfWorkFactory) -> None:
    s = await shop(uow_factory, locale="de", zone="Europe/Berlin")
    await set_rates(uow_factory, date(2026, 11, 10), ECB_DEAR)
    await recheck(uow_factory, s.team_id)
    sender = FakeSender()
    dispatcher = Dispatcher(uow_factory, sender, FakeClock(NOW), pacer=Pacer(fast_limits()))
    await dispatcher.run()
    (text,) = sender.texts(-2000 - s.team_id)
    assert "9,99" in text and "10,24" in text  # German number formatting
    de = Translator("de")
    ecb = "ECB reference rate of {date}"
    moved = de(  # as a CNY seller quotes it, each rate with its source
        "FX moved from 1 {base} = {old} {quote} ({old_source}) to {new} {quote} ({new_source})",
        base="USD",
        quote="CNY",
        old=de.number(Decimal("7.23956")),
        new=de.number(Decimal("6.64641")),
        old_source=de(ecb, date=de.date(date(2026, 11, 9))),
        new_source=de(ecb, date=de.date(date(2026, 11, 10))),
    )
    assert moved in text
    assert "1 CNY = 0,13813 → 0,150457 USD" in text  # and the other way round


# -- the daily digest, across daylight saving time ----------------------------------------------


async def test_the_digest_comes_once_a_local_day_at_nine_across_dst(
    uow_factory: UnitOfWorkFactory,
) -> None:
    new_york = await shop(
        uow_factory, zone="America/New_York", rates=ECB_DEAR, ends_at=utc(2026, 11, 20)
    )
    berlin = await shop(uow_factory, zone="Europe/Berlin", ends_at=utc(2026, 11, 20))
    async with uow_factory() as uow:  # both are under their floor (first sight: silent)
        await uow.session.execute(update(models.Enrolment).values(below_floor=True))
        await uow.commit()
    clock = FakeClock(utc(2026, 10, 22, 0))
    sender = FakeSender()
    dispatcher = Dispatcher(uow_factory, sender, clock, pacer=Pacer(fast_limits()))
    # as the application runs it: the scan job every few hours, the dispatcher woken at
    # the next due time
    while clock.now() < utc(2026, 11, 3, 0):
        async with uow_factory() as uow:
            await margins.ensure_digests(uow, clock.now())
            await uow.commit()
        report = await dispatcher.run()
        step = clock.now() + timedelta(hours=5)
        if report.next_due is not None and clock.now() < report.next_due < step:
            step = report.next_due
        clock.set(step)

    async with uow_factory() as uow:
        rows = (
            await uow.session.scalars(
                select(models.Notification)
                .where(models.Notification.kind == "digest", models.Notification.status == "sent")
                .order_by(models.Notification.sent_at)
            )
        ).all()
    for s, zone in ((new_york, "America/New_York"), (berlin, "Europe/Berlin")):
        sent = [r for r in rows if r.team_id == s.team_id]
        local = [r.sent_at.astimezone(ZoneInfo(zone)) for r in sent if r.sent_at is not None]
        days = [moment.date() for moment in local]
        assert days == [date(2026, 10, 22) + timedelta(d) for d in range(12)]  # one a day
        assert {moment.time() for moment in local} == {time(9, 0)}
        assert len(sender.texts(-2000 - s.team_id)) == 12
    utc_hours = {
        s.team_id: sorted({r.sent_at.hour for r in rows if r.sent_at and r.team_id == s.team_id})
        for s in (new_york, berlin)
    }
    assert utc_hours[new_york.team_id] == [13, 14]  # EDT, then EST from 2026-11-01
    assert utc_hours[berlin.team_id] == [7, 8]  # CEST, then CET from 2026-10-25


async def test_no_digest_when_the_problem_is_gone(uow_factory: UnitOfWorkFactory) -> None:
    s = await shop(uow_factory)
    async with uow_factory() as uow:
        await uow.session.execute(update(models.Enrolment).values(below_floor=True))
        await margins.ensure_digests(uow, NOW)
        await uow.commit()
    sender = FakeSender()
    dispatcher = Dispatcher(
        uow_factory,
        sender,
        FakeClock(utc(2026, 11, 11, 9)),
        pacer=Pacer(fast_limits()),
        renderer=render_notice,
    )
    report = await dispatcher.run()
    assert report.cancelled == 1 and not sender.sent  # priced again: it is above its floor
    assert s.team_id


async def test_the_summary_after_the_end_lists_the_plan(uow_factory: UnitOfWorkFactory) -> None:
    s = await shop(uow_factory)
    async with uow_factory() as uow:
        campaign = await uow.session.get(models.Campaign, s.campaign_id)
        assert campaign is not None
        await reminders.schedule_campaign_notices(uow, campaign, NOW)
        await uow.commit()
        ends_at = campaign.ends_at
    sender = FakeSender()
    clock = FakeClock(ends_at + timedelta(minutes=1))  # the bot slept through the campaign
    report = await Dispatcher(uow_factory, sender, clock, pacer=Pacer(fast_limits())).run()
    (text,) = sender.texts(-2000 - s.team_id)
    assert "Black Friday" in text and "has ended" in text
    assert "1 SKU was enrolled" in text and "<b>A1</b>: planned $9.99, margin 19.5%" in text
    assert report.expired == 4  # start −24 h, −1 h, at the start, end −2 h: too late now
