"""Pure rules behind reminders, digests and FX refresh: parsing, time zones, DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from bot.db.models import DEFAULT_REMINDER_OFFSETS, JobState
from bot.domain.errors import UserInputError
from bot.i18n import Translator
from bot.pricing import style_for
from bot.services.fx import FxFeedError, next_publication, parse_ecb, parse_override, refresh_due
from bot.services.margins import causes, next_local_time, num
from bot.services.reminders import offset_label, parse_duration, parse_offsets, plan_reminders
from bot.views import notifications as views

FEED = Path(__file__).resolve().parents[1] / "data" / "ecb" / "eurofxref-daily.xml"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# -- ECB feed -----------------------------------------------------------------------------


def test_the_saved_ecb_feed_parses_with_its_date() -> None:
    day, rates = parse_ecb(FEED.read_bytes())
    assert day == date(2026, 11, 25)
    assert rates["USD"] == Decimal("1.0532") and rates["CNY"] == Decimal("7.6247")
    assert {"GBP", "KRW", "JPY", "ZAR", "BRL"} <= set(rates)
    assert all(isinstance(r, Decimal) for r in rates.values())


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"<html>maintenance</html>",
        b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>",
        FEED.read_bytes().replace(b"rate='1.0532'", b"rate='abc'"),
        FEED.read_bytes().replace(b"rate='1.0532'", b"rate='-1'"),
        FEED.read_bytes().replace(b"time='2026-11-25'", b"time='yesterday'"),
    ],
)
def test_a_broken_feed_is_refused(content: bytes) -> None:
    with pytest.raises(FxFeedError):
        parse_ecb(content)


def test_fx_refresh_runs_after_each_publication_and_retries_failures_hourly() -> None:
    assert refresh_due(None, utc(2026, 11, 25, 9))
    # 16:30 in Berlin is 15:30 UTC in winter
    assert next_publication(utc(2026, 11, 25, 9)) == utc(2026, 11, 25, 15, 30)
    assert next_publication(utc(2026, 11, 25, 15, 30)) == utc(2026, 11, 26, 15, 30)
    assert next_publication(utc(2026, 7, 1, 9)) == utc(2026, 7, 1, 14, 30)  # summer time
    ok = JobState(
        name="fx",
        last_attempt_at=utc(2026, 11, 25, 15, 31),
        last_success_at=utc(2026, 11, 25, 15, 31),
    )
    assert not refresh_due(ok, utc(2026, 11, 26, 15, 29))
    assert refresh_due(ok, utc(2026, 11, 26, 15, 30))
    failed = JobState(
        name="fx", last_attempt_at=utc(2026, 11, 26, 15, 30), last_success_at=ok.last_success_at
    )
    assert not refresh_due(failed, utc(2026, 11, 26, 16, 29))
    assert refresh_due(failed, utc(2026, 11, 26, 16, 30))


def test_fx_override_arguments() -> None:
    assert parse_override(["USD", "CNY", "7.10"]) == ("USD", "CNY", Decimal("7.10"))
    # a decimal comma as the reader's locale writes it (the one number reader, SPEC §4.2)
    assert parse_override(["usd/cny", "7,1"], style_for("de")) == ("USD", "CNY", Decimal("7.1"))
    for bad in (["USD", "CNY"], ["USD", "XXQ", "7"], ["USD", "USD", "1"], ["USD", "CNY", "-3"]):
        with pytest.raises(UserInputError) as caught:
            parse_override(bad)
        assert "/fx set USD CNY 7.10" in caught.value.params.get("example", "/fx set USD CNY 7.10")


# -- reminder settings ---------------------------------------------------------------------


def test_durations_and_offsets() -> None:
    assert parse_duration("72h") == 72 * 60
    assert parse_duration("3d") == 72 * 60
    assert parse_duration("30m") == 30
    assert parse_duration("0") == 0
    for bad in ("24", "1.5h", "h", "-2h", "31d"):
        with pytest.raises(UserInputError):
            parse_duration(bad)
    offsets = parse_offsets(
        ["deadline=72h,24h,2h", "start=24h,1h,0", "end=off", "summary=1h"],
        DEFAULT_REMINDER_OFFSETS,
    )
    assert offsets == {
        "deadline": [-4320, -1440, -120],
        "start": [-1440, -60, 0],
        "end": [],
        "summary": [60],
    }
    assert [offset_label(m) for m in (-4320, -90, 0, 60)] == ["-72h", "-90m", "0", "+1h"]
    with pytest.raises(UserInputError):
        parse_offsets(["launch=2h"], DEFAULT_REMINDER_OFFSETS)


def _campaign(**values: Any) -> Any:
    base = {
        "id": 42,
        "registration_deadline": utc(2026, 11, 20, 20),
        "starts_at": utc(2026, 11, 27, 8),
        "ends_at": utc(2026, 11, 30, 8),
    }
    return SimpleNamespace(**{**base, **values})


def test_reminders_come_from_the_dates_and_offsets_with_their_expiry() -> None:
    planned = plan_reminders(_campaign(), DEFAULT_REMINDER_OFFSETS)
    by_key = {r.base_key: r for r in planned}
    deadline = by_key["campaign:42:deadline:-24h:20261120T2000Z"]
    assert deadline.due_at == utc(2026, 11, 19, 20) and deadline.expires_at == utc(2026, 11, 20, 20)
    at_start = by_key["campaign:42:start:0:20261127T0800Z"]
    assert at_start.expires_at == utc(2026, 11, 30, 8)  # "has started" makes sense until the end
    summary = by_key["campaign:42:summary:0:20261130T0800Z"]
    assert summary.expires_at == utc(2026, 12, 7, 8)
    assert len(planned) == 8
    assert [r.due_at for r in planned] == sorted(r.due_at for r in planned)
    no_deadline = plan_reminders(_campaign(registration_deadline=None), DEFAULT_REMINDER_OFFSETS)
    assert all(r.event != "deadline" for r in no_deadline)


# -- the digest's 09:00, daylight saving time ------------------------------------------------


@pytest.mark.parametrize(
    "zone, now, expected",
    [
        # New York leaves summer time on 2026-11-01: 09:00 is 13:00 UTC before, 14:00 after
        ("America/New_York", utc(2026, 10, 31, 13, 30), utc(2026, 11, 1, 14)),
        ("America/New_York", utc(2026, 10, 31, 12, 59), utc(2026, 10, 31, 13)),
        ("America/New_York", utc(2026, 11, 1, 14), utc(2026, 11, 2, 14)),
        # Berlin leaves summer time on 2026-10-25: 07:00 UTC before, 08:00 after
        ("Europe/Berlin", utc(2026, 10, 24, 7), utc(2026, 10, 25, 8)),
        ("Europe/Berlin", utc(2026, 10, 25, 7, 30), utc(2026, 10, 25, 8)),
        ("Asia/Shanghai", utc(2026, 11, 20, 1, 0, 1), utc(2026, 11, 21, 1)),
    ],
)
def test_next_nine_local(zone: str, now: datetime, expected: datetime) -> None:
    assert next_local_time(now, zone) == expected


# -- texts ------------------------------------------------------------------------------------


def test_a_reminder_shows_the_readers_time_and_the_markets() -> None:
    data = views.ReminderData(
        campaign_id=7,
        name="Black <Friday>",
        channel="temu-us",
        event="deadline",
        offset=-1440,
        moment=utc(2026, 11, 20, 20),  # 12:00 in Los Angeles, 04:00 next day in Shanghai
        market_zone="America/Los_Angeles",
        starts_at=utc(2026, 11, 27, 8),
        ends_at=utc(2026, 11, 30, 8),
    )
    reader = Translator("en", "Asia/Shanghai")
    text = views.reminder(reader, data, utc(2026, 11, 19, 20))
    assert "Black &lt;Friday&gt;" in text and "closes in 24 hours" in text
    assert reader.datetime(data.moment) in text  # Nov 21, 2026, 4:00 AM China Standard Time
    assert reader.datetime(data.moment, "America/Los_Angeles") in text
    assert "China Standard Time" in text and "Pacific Standard Time" in text
    assert "Asia/Shanghai" not in text and "America/Los_Angeles" not in text  # no raw ids
    same_zone = views.reminder(Translator("en", "America/Los_Angeles"), data, utc(2026, 11, 19))
    assert "China" not in same_zone and same_zone.count("Pacific Standard Time") == 1


def test_a_margin_warning_names_the_cause() -> None:
    before = {"fx": "0.1381", "cost": "30", "currency": "USD", "cost_currency": "CNY"}
    after = {
        **before,
        "fx": "0.145",
        "fx_date": "2026-11-25",
        "cost": "32.5",
    }
    found = causes(before, after)
    assert [c["kind"] for c in found] == ["fx", "cost"]
    text = views.margin_change(
        Translator("en"),
        {
            "sku": "A1",
            "campaign": "BF",
            "campaign_id": 3,
            "below": True,
            "status": "below_floor",
            "currency": "USD",
            "cost_currency": "CNY",
            "planned": "9.99",
            "floor": "10.41",
            "margin": "0.1123",
            "target": "0.15",
            "causes": found,
        },
    )
    assert "A1" in text and "$9.99" in text and "$10.41" in text and "11.2%" in text
    # as a CNY seller quotes it (USD/CNY), the stored direction after it; a snapshot taken
    # before sources were kept names none
    assert "FX moved from 1 USD = 7.24113 CNY to 6.89655 CNY; 1 CNY = 0.1381 → 0.145 USD" in text
    assert "unit costs changed from CN¥30.00 to CN¥32.50" in text
    assert num(Decimal("7.10")) == num(Decimal("7.1")) == "7.1"


def test_late_and_repeat_notes() -> None:
    _ = Translator("en", "UTC")
    assert "I was offline" in views.late_note(_, utc(2026, 11, 20, 9))
    assert "already got this message" in views.repeat_note(_)
    assert views.duration(_, utc(2026, 11, 20, 12), utc(2026, 11, 17, 12, 0, 5)) == "3 days"
    assert views.duration(_, utc(2026, 11, 20, 12), utc(2026, 11, 20, 10)) == "2 hours"
    assert views.duration(_, utc(2026, 11, 20, 12), utc(2026, 11, 19, 13)) == "23 hours"
    assert views.duration(_, utc(2026, 11, 20, 12), utc(2026, 11, 20, 11)) == "60 minutes"
    assert views.duration(_, utc(2026, 11, 20, 12), utc(2026, 11, 20, 12) + timedelta(1)) == (
        "0 seconds"
    )
