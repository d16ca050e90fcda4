"""Dates as sellers write them (SPEC §4.2): ISO always, and each locale's short and medium
forms, read with Babel's own patterns — table-driven with the issue's examples, and a
round trip: whatever Babel writes for a locale, the reader reads back."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date, format_datetime
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.campaigns import Bound, local_example, parse_moment
from bot.domain.dates import LocalMoment, read_local_moment
from bot.domain.errors import UserInputError
from bot.handlers.common import render_user_error
from bot.i18n import Translator

LOCALES = ("en", "zh_CN", "ko", "es", "de", "pt_BR")
NOON = time(12, 0)
DAY = date(2027, 11, 15)


@pytest.mark.parametrize(
    ("locale", "text", "clock"),
    [
        ("zh_CN", "2027年11月15日 12:00", NOON),
        ("zh_CN", "2027/11/15", None),
        ("zh_CN", "2027年11月15日", None),
        ("de", "15.11.2027 12:00", NOON),
        ("de", "15.11.2027, 12:00", NOON),
        ("de", "15.11.27", None),
        ("es", "15/11/2027", None),
        ("es", "15/11/2027 12:00", NOON),
        ("es", "15 nov 2027", None),
        ("pt_BR", "15/11/2027", None),
        ("pt_BR", "15 de nov. de 2027 12:00", NOON),
        ("ko", "2027. 11. 15. 오후 12:00", NOON),
        ("ko", "2027. 11. 15. 12:00", NOON),
        ("ko", "2027. 11. 15.", None),
        ("ko", "2027.11.15", None),
        ("en", "11/15/2027", None),
        ("en", "Nov 15, 2027", None),
        ("en", "Nov 15, 2027, 12:00 PM", NOON),
        ("en", "11/15/2027 12:00", NOON),
        ("en", "november 15, 2027", None),
    ],
)
def test_each_locale_reads_its_own_forms(locale: str, text: str, clock: time | None) -> None:
    assert read_local_moment(text, locale) == LocalMoment(DAY, clock)


@pytest.mark.parametrize(
    ("locale", "text", "clock"),
    [
        ("en", "11/15/2027 12:30 AM", time(0, 30)),
        ("en", "11/15/2027 1:05 PM", time(13, 5)),
        ("ko", "2027. 11. 15. 오전 9:15", time(9, 15)),
        ("ko", "2027. 11. 15. 오후 11:59", time(23, 59)),
    ],
)
def test_twelve_hour_clocks(locale: str, text: str, clock: time) -> None:
    assert read_local_moment(text, locale) == LocalMoment(DAY, clock)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "15/11/2027"),  # day first is not how en_US writes it
        ("de", "11/15/2027"),
        ("de", "31.02.2027"),  # no such day
        ("zh_CN", "15.11.2027"),
        ("ko", "2027. 11. 15. 오후 13:00"),  # a 12-hour clock stops at 12
        ("es", "15 foo 2027"),
        ("pt_BR", "next Friday"),
        ("en", "x" * 200),
    ],
)
def test_what_the_locale_does_not_write_is_refused(locale: str, text: str) -> None:
    assert read_local_moment(text, locale) is None


@settings(max_examples=60, deadline=None)
@given(
    locale=st.sampled_from(LOCALES),
    width=st.sampled_from(("short", "medium")),
    moment=st.datetimes(min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31)),
)
def test_what_babel_writes_is_read_back(locale: str, width: str, moment: datetime) -> None:
    minute = moment.replace(second=0, microsecond=0)
    day_text = format_date(minute, width, locale=locale)  # type: ignore[arg-type]
    assert read_local_moment(day_text, locale) == LocalMoment(minute.date(), None)
    both = format_datetime(minute, width, tzinfo=UTC, locale=locale)  # type: ignore[arg-type]
    assert read_local_moment(both, locale) == LocalMoment(minute.date(), minute.time())


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("bound", list(Bound))
def test_the_examples_the_bot_shows_read_back(locale: str, bound: Bound) -> None:
    assert read_local_moment(local_example(bound, locale), locale) is not None


SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_chinese_deadline_is_read_in_the_zone_the_question_names() -> None:
    moment = parse_moment("2027年11月15日 12:00", "Asia/Shanghai", Bound.DEADLINE, "zh_CN")
    assert moment == datetime(2027, 11, 15, 12, 0, tzinfo=SHANGHAI)
    assert moment.tzinfo is UTC
    # a date alone: the start of the day for a start, its last second for an end
    start = parse_moment("15.11.2027", "Europe/Berlin", Bound.START, "de")
    end = parse_moment("15.11.2027", "Europe/Berlin", Bound.END, "de")
    assert start == datetime(2027, 11, 15, tzinfo=ZoneInfo("Europe/Berlin"))
    assert end == datetime(2027, 11, 15, 23, 59, 59, tzinfo=ZoneInfo("Europe/Berlin"))


@pytest.mark.parametrize("locale", [None, *LOCALES])
def test_iso_is_read_for_every_reader(locale: str | None) -> None:
    moment = parse_moment("2027-11-15T12:00", "Asia/Seoul", Bound.DEADLINE, locale)
    assert moment == datetime(2027, 11, 15, 12, 0, tzinfo=ZoneInfo("Asia/Seoul"))


def test_without_a_locale_only_iso_is_read() -> None:
    with pytest.raises(UserInputError):
        parse_moment("15.11.2027", "UTC", Bound.START)


def test_a_refusal_shows_the_readers_own_form_and_iso() -> None:
    with pytest.raises(UserInputError) as caught:
        parse_moment("next Friday", "Asia/Shanghai", Bound.DEADLINE, "zh_CN")
    text = render_user_error(caught.value, Translator("zh_CN"))
    assert "2026年11月20日 12:00" in text and "2026-11-20T12:00" in text
    with pytest.raises(UserInputError) as caught:
        parse_moment("31.02.2027", "Europe/Berlin", Bound.START, "de")
    assert "27.11.2026" in render_user_error(caught.value, Translator("de"))


def test_a_year_outside_the_bounds_is_refused_in_local_forms_too() -> None:
    with pytest.raises(UserInputError) as caught:
        parse_moment("15.11.2150", "Europe/Berlin", Bound.START, "de")
    assert "2100" in render_user_error(caught.value, Translator("en"))
