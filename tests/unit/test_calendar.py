"""Festival dates from the rules in festivals.json (data, not code paths)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.calendar import FESTIVAL_NAMES, festivals, normalize_market, nth_weekday, upcoming
from bot.calendar.rules import RuleKind, occurrence, parse_festivals


@pytest.mark.parametrize(
    ("year", "black_friday", "cyber_monday"),
    [
        (2026, date(2026, 11, 27), date(2026, 11, 30)),
        (2027, date(2027, 11, 26), date(2027, 11, 29)),
        (2028, date(2028, 11, 24), date(2028, 11, 27)),
        (2029, date(2029, 11, 23), date(2029, 11, 26)),  # November starts on a Thursday
        (2030, date(2030, 11, 29), date(2030, 12, 2)),  # Cyber Monday falls in December
    ],
)
def test_black_friday_is_the_day_after_the_fourth_thursday(
    year: int, black_friday: date, cyber_monday: date
) -> None:
    bf = occurrence("black_friday", year)
    cm = occurrence("cyber_monday", year)
    assert bf is not None and cm is not None
    assert bf.day == black_friday and black_friday.weekday() == 4
    assert cm.day == cyber_monday and cyber_monday.weekday() == 0


def test_fixed_dates() -> None:
    assert occurrence("singles_day", 2026).day == date(2026, 11, 11)  # type: ignore[union-attr]
    assert occurrence("double_12", 2026).day == date(2026, 12, 12)  # type: ignore[union-attr]
    assert occurrence("christmas", 2027).day == date(2027, 12, 25)  # type: ignore[union-attr]
    assert occurrence("boxing_day", 2027).day == date(2027, 12, 26)  # type: ignore[union-attr]
    assert occurrence("mid_year_618", 2027).day == date(2027, 6, 18)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("year", "day"),
    [
        (2027, date(2027, 2, 6)),
        (2028, date(2028, 1, 26)),
        (2029, date(2029, 2, 13)),
        (2030, date(2030, 2, 3)),
    ],
)
def test_chinese_new_year_comes_from_a_table(year: int, day: date) -> None:
    item = occurrence("chinese_new_year", year)
    assert item is not None and item.day == day


def test_a_year_outside_the_table_has_no_date() -> None:
    item = occurrence("chinese_new_year", 2099)
    assert item is not None and item.day is None


def test_announced_festivals_have_no_computed_date() -> None:
    for key in ("prime_day", "korea_sale_festa", "prime_big_deal_days"):
        item = occurrence(key, 2027)
        assert item is not None and item.day is None and item.festival.announced


def test_nth_weekday() -> None:
    assert nth_weekday(2026, 5, 6, 2) == date(2026, 5, 10)  # Mother's Day (US)
    assert nth_weekday(2026, 11, 3, -1) == date(2026, 11, 26)  # last Thursday
    assert nth_weekday(2026, 12, 3, -1) == date(2026, 12, 31)
    with pytest.raises(ValueError):
        nth_weekday(2026, 2, 0, 5)  # no fifth Monday in February 2026


def test_campaign_template_dates() -> None:
    bf = occurrence("black_friday", 2026)
    assert bf is not None
    assert (bf.campaign_start, bf.campaign_end) == (date(2026, 11, 27), date(2026, 11, 30))
    christmas = occurrence("christmas", 2026)
    assert christmas is not None
    assert (christmas.campaign_start, christmas.campaign_end) == (
        date(2026, 12, 11),
        date(2026, 12, 24),
    )


def test_upcoming_is_sorted_from_today_and_rolls_over_the_year() -> None:
    items = upcoming(date(2026, 11, 26))
    dated = [item for item in items if item.day is not None]
    assert [d.day for d in dated] == sorted(d.day for d in dated)  # type: ignore[type-var]
    assert dated[0].festival.key == "black_friday"
    keys = [item.festival.key for item in dated]
    assert "singles_day" in keys  # 11.11 has passed: next year's
    assert occurrence("singles_day", 2027).day in [d.day for d in dated]  # type: ignore[union-attr]
    assert [item.festival.key for item in items if item.day is None] == [
        "korea_sale_festa",
        "prime_day",
        "prime_big_deal_days",
    ]
    today = upcoming(date(2026, 11, 27))
    assert today[0].festival.key == "black_friday" and today[0].day == date(2026, 11, 27)


def test_markets_filter_the_calendar() -> None:
    uk = {item.festival.key for item in upcoming(date(2026, 11, 26), "UK")}
    us = {item.festival.key for item in upcoming(date(2026, 11, 26), "US")}
    kr = {item.festival.key for item in upcoming(date(2026, 11, 26), "KR")}
    assert "boxing_day" in uk and "boxing_day" not in us
    assert "korea_sale_festa" in kr and "korea_sale_festa" not in us
    assert "singles_day" in uk and "singles_day" in us  # every market
    assert normalize_market("gb") == "UK" and normalize_market("us") == "US"
    assert normalize_market("mars") is None


def test_every_festival_has_a_translatable_name_and_a_valid_rule() -> None:
    kinds = set()
    for item in festivals():
        assert item.key in FESTIVAL_NAMES
        kinds.add(item.rule.kind)
    assert kinds == set(RuleKind)  # the data uses every kind of rule


def test_bad_festival_data_is_refused() -> None:
    good = {"key": "x", "markets": ["US"], "rule": {"kind": "fixed", "month": 2, "day": 29}}
    assert parse_festivals({"festivals": [good]})[0].rule.on(2028) == date(2028, 2, 29)
    with pytest.raises(ValueError):
        parse_festivals({"festivals": [{**good, "rule": {"kind": "fixed", "month": 2, "day": 30}}]})
    with pytest.raises(ValueError):
        parse_festivals({"festivals": [{**good, "markets": ["MARS"]}]})
    with pytest.raises(ValueError):
        parse_festivals({"festivals": [good, good]})
    with pytest.raises(ValueError):
        parse_festivals({"festivals": [{**good, "rule": {"kind": "lunar"}}]})


def test_the_teams_markets_come_first_in_date_order() -> None:
    from bot.calendar import split_by_markets

    items = upcoming(date(2026, 12, 2))
    ours, rest = split_by_markets(items, ["KR"])
    assert ours and rest and len(ours) + len(rest) == len(items)
    assert all(o.festival.serves("KR") for o in ours)
    assert not any(o.festival.serves("KR") for o in rest)
    assert [o for o in items if o in ours] == ours  # each part keeps the calendar's order
    assert split_by_markets(items, []) == ([], items)
