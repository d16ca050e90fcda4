"""Pure parts of issue 11: the /settings one-line form (aliases, bounds, all or nothing) and
the button stamps (stable per object, different per object, within Telegram's 64 bytes)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, available_timezones

import pytest

from bot import limits
from bot.domain.campaigns import deadline_passed
from bot.domain.errors import UserInputError
from bot.services.settings import Setting, parse_changes
from bot.views import settings as settings_views
from bot.views.callbacks import MAX_BYTES, StaleButton, check_stamp, decode, encode, stamp

T0 = datetime(2026, 11, 10, 3, 0, 0, 123456, tzinfo=UTC)


def test_the_one_line_form_reads_every_setting_and_its_aliases() -> None:
    values = parse_changes(
        "margin=20% cost_currency=krw fx_buffer=2.5 timezone=Asia/Seoul language=ko"
    )
    assert values == {
        Setting.MARGIN: Decimal("0.2"),
        Setting.COST_CURRENCY: "KRW",
        Setting.FX_BUFFER: Decimal("0.025"),
        Setting.TIMEZONE: "Asia/Seoul",
        Setting.LANGUAGE: "ko",
    }
    assert parse_changes("target_margin=0 currency=USD tz=UTC lang=zh-CN buffer=0") == {
        Setting.MARGIN: Decimal(0),
        Setting.COST_CURRENCY: "USD",
        Setting.TIMEZONE: "UTC",
        Setting.LANGUAGE: "zh_CN",
        Setting.FX_BUFFER: Decimal(0),
    }


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("margin=95%", "95%"),  # a margin of 95 % or more leaves no room for costs
        ("margin=-5", "-5"),
        ("fx_buffer=51%", "51%"),
        ("fx_buffer=1.00001", "1.00001"),  # beyond the percent precision of bot.limits
        ("cost_currency=XYZ", "XYZ"),
        ("timezone=Mars/Base", "Mars/Base"),
        ("timezone=" + "A" * 70, "A" * 40),  # over the zone length bound: no file is opened
        ("language=klingon", "klingon"),
        ("colour=blue", "colour"),
        ("margin", "margin"),  # no value
    ],
)
def test_a_bad_value_refuses_the_whole_line(line: str, shown: str) -> None:
    with pytest.raises(UserInputError) as refused:
        good = "margin=20" if line.startswith("cost_currency") else "cost_currency=KRW"
        parse_changes(f"{good} {line}")
    assert any(shown in str(value) for value in refused.value.params.values()), refused.value


def test_a_setting_given_twice_under_two_names_is_refused() -> None:
    with pytest.raises(UserInputError):
        parse_changes("margin=20 target_margin=25")


def test_a_stamp_names_one_creation_moment() -> None:
    mark = stamp(T0)
    assert len(mark) == 4 and decode(encode("cpy", 7, mark)).args == ("7", mark)
    assert stamp(T0.astimezone(ZoneInfo("Asia/Seoul"))) == mark  # the same instant
    later = {stamp(T0 + timedelta(microseconds=n)) for n in range(1, 2000)}
    assert mark not in later and len(later) > 1990  # 24 bits: collisions are rare
    check_stamp(mark, T0)
    with pytest.raises(StaleButton):
        check_stamp(mark, T0 + timedelta(microseconds=1))
    with pytest.raises(StaleButton):
        decode("1:cpy:7").check_stamp(1, T0)  # a button without a stamp matches nothing


def test_the_longest_settings_button_fits_in_callback_data() -> None:
    longest = max((z for z in available_timezones() if limits.is_valid_timezone(z)), key=len)
    data = encode(settings_views.SET, limits.MAX_ROW_ID, "tz", longest, stamp(T0))
    assert len(data.encode()) <= MAX_BYTES


def test_a_past_deadline_is_asked_about_only_before_the_start() -> None:
    now = T0
    assert deadline_passed(now - timedelta(days=1), now + timedelta(days=5), now)
    assert not deadline_passed(now + timedelta(hours=1), now + timedelta(days=5), now)
    assert not deadline_passed(now - timedelta(days=2), now - timedelta(days=1), now)
    assert not deadline_passed(None, now + timedelta(days=5), now)
