"""Campaign input as users write it: dates in a market's zone, percentages, amounts,
subsidies, the one-line key=value form."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from bot.domain.campaigns import (
    Bound,
    SubsidySpec,
    check_order,
    command_tail,
    parse_amount,
    parse_campaign_ref,
    parse_margin,
    parse_min_discount,
    parse_moment,
    parse_name,
    parse_reference_rule,
    parse_subsidy,
    split_args,
)
from bot.domain.enums import ReferenceRule, SubsidyKind
from bot.domain.errors import UserInputError

NY = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("text", "bound", "local"),
    [
        ("2026-11-27", Bound.START, datetime(2026, 11, 27, 0, 0, tzinfo=NY)),
        ("2026-11-30", Bound.END, datetime(2026, 11, 30, 23, 59, 59, tzinfo=NY)),
        ("2026-11-20", Bound.DEADLINE, datetime(2026, 11, 20, 23, 59, 59, tzinfo=NY)),
        ("2026-11-20T12:00", Bound.DEADLINE, datetime(2026, 11, 20, 12, 0, tzinfo=NY)),
        ("2026-11-20 12:00", Bound.DEADLINE, datetime(2026, 11, 20, 12, 0, tzinfo=NY)),
        ("2026-11-27T08:30:15", Bound.START, datetime(2026, 11, 27, 8, 30, 15, tzinfo=NY)),
        ("2026-11-30T18:00", Bound.END, datetime(2026, 11, 30, 18, 0, tzinfo=NY)),
        (" 2026-7-4 ", Bound.START, datetime(2026, 7, 4, 0, 0, tzinfo=NY)),
    ],
)
def test_dates_are_read_in_the_market_zone_and_stored_as_utc(
    text: str, bound: Bound, local: datetime
) -> None:
    moment = parse_moment(text, "America/New_York", bound)
    assert moment == local
    assert moment.utcoffset() is not None and moment.tzinfo is UTC


def test_the_same_date_is_a_different_instant_in_another_market() -> None:
    shanghai = parse_moment("2026-11-11", "Asia/Shanghai", Bound.START)
    berlin = parse_moment("2026-11-11", "Europe/Berlin", Bound.START)
    assert shanghai == datetime(2026, 11, 10, 16, 0, tzinfo=UTC)
    assert berlin == datetime(2026, 11, 10, 23, 0, tzinfo=UTC)


def test_daylight_saving_is_the_zones_not_a_fixed_offset() -> None:
    summer = parse_moment("2026-07-01T12:00", "America/New_York", Bound.START)
    winter = parse_moment("2026-12-01T12:00", "America/New_York", Bound.START)
    assert (summer.hour, winter.hour) == (16, 17)


@pytest.mark.parametrize(
    "text",
    ["27.11.2026", "2026-13-01", "2026-02-30", "2026-11-27T25:00", "tomorrow", "", "2026/11/27"],
)
def test_malformed_dates_say_how_to_write_them(text: str) -> None:
    with pytest.raises(UserInputError) as caught:
        parse_moment(text, "UTC", Bound.START)
    assert caught.value.params["example"] == "2026-11-27"
    assert "{example}" in caught.value.message


def test_unknown_zone_is_refused() -> None:
    with pytest.raises(UserInputError) as caught:
        parse_moment("2026-11-27", "Mars/Base", Bound.START)
    assert caught.value.params["value"] == "Mars/Base"


def test_impossible_orders_are_refused() -> None:
    start = datetime(2026, 11, 27, tzinfo=UTC)
    end = datetime(2026, 11, 30, tzinfo=UTC)
    check_order(datetime(2026, 11, 20, tzinfo=UTC), start, end)  # fine
    check_order(start, start, end)  # registration may close as the campaign starts
    with pytest.raises(UserInputError, match="end after it starts"):
        check_order(None, end, start)
    with pytest.raises(UserInputError, match="end after it starts"):
        check_order(None, start, start)
    with pytest.raises(UserInputError, match="deadline is after the start"):
        check_order(datetime(2026, 11, 28, tzinfo=UTC), start, end)


@pytest.mark.parametrize(
    ("text", "fraction"),
    [("20%", Decimal("0.2")), ("20", Decimal("0.2")), (" 12.5 % ", Decimal("0.125"))],
)
def test_minimum_discount(text: str, fraction: Decimal) -> None:
    assert parse_min_discount(text) == fraction


@pytest.mark.parametrize("text", ["none", "0", "-", "NONE"])
def test_minimum_discount_can_be_cleared(text: str) -> None:
    assert parse_min_discount(text) is None


@pytest.mark.parametrize("text", ["100%", "150", "-5", "20,5%", "abc", "1e1", "%"])
def test_bad_minimum_discounts(text: str) -> None:
    with pytest.raises(UserInputError):
        parse_min_discount(text)


def test_margin_override() -> None:
    assert parse_margin("18%") == Decimal("0.18")
    assert parse_margin("0") == Decimal(0)  # break-even is a margin too
    assert parse_margin("team") is None
    with pytest.raises(UserInputError):
        parse_margin("95%")


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("none", SubsidySpec(SubsidyKind.NONE)),
        ("fixed:2", SubsidySpec(SubsidyKind.FIXED, Decimal(2))),
        ("fixed:1.50", SubsidySpec(SubsidyKind.FIXED, Decimal("1.50"))),
        ("share:30%", SubsidySpec(SubsidyKind.SHARE, Decimal("0.3"))),
        ("share:30%:cap:5", SubsidySpec(SubsidyKind.SHARE, Decimal("0.3"), Decimal(5))),
        ("SHARE:30:CAP:5.5", SubsidySpec(SubsidyKind.SHARE, Decimal("0.3"), Decimal("5.5"))),
        ("share:100%", SubsidySpec(SubsidyKind.SHARE, Decimal(1))),
    ],
)
def test_subsidy_syntax(text: str, spec: SubsidySpec) -> None:
    parsed = parse_subsidy(text, 2)
    assert parsed == spec
    assert parse_subsidy(parsed.text(), 2) == spec  # the text form round-trips


@pytest.mark.parametrize(
    "text",
    [
        "share",
        "share:",
        "share:30%:cap",
        "share:30%:max:5",
        "share:130%",
        "fixed",
        "fixed:-2",
        "fixed:2.999",
        "half",
        "share:30%:cap:5:extra",
    ],
)
def test_bad_subsidies_say_how_to_write_them(text: str) -> None:
    with pytest.raises(UserInputError) as caught:
        parse_subsidy(text, 2)
    assert "share:30%:cap:5" in caught.value.message


def test_amounts_keep_to_the_currencys_digits() -> None:
    assert parse_amount("19.99", 2) == Decimal("19.99")
    assert parse_amount("1990", 0) == Decimal(1990)
    for bad, digits in (("19.999", 2), ("19.9", 0), ("0", 2), ("1,000", 2), ("-3", 2)):
        with pytest.raises(UserInputError):
            parse_amount(bad, digits)
    assert parse_amount("0", 2, allow_zero=True) == 0


def test_reference_rules() -> None:
    assert parse_reference_rule("list") is ReferenceRule.LIST
    assert parse_reference_rule("lowest_30d") is ReferenceRule.LOWEST_30D
    assert parse_reference_rule("Lowest-30d") is ReferenceRule.LOWEST_30D
    with pytest.raises(UserInputError):
        parse_reference_rule("median")


def test_one_line_form_keeps_quoted_values_together() -> None:
    args = split_args('name="Black Friday" channel=temu-us start=2026-11-27 min_discount=20% extra')
    assert args.options == {
        "name": "Black Friday",
        "channel": "temu-us",
        "start": "2026-11-27",
        "min_discount": "20%",
    }
    assert args.positional == ("extra",)
    assert split_args("name=“Black Friday”").options == {"name": "Black Friday"}  # smart quotes
    assert split_args("Name='Singles Day'").options == {"name": "Singles Day"}


def test_one_line_form_refuses_broken_input() -> None:
    with pytest.raises(UserInputError, match="quote is not closed"):
        split_args('name="Black Friday')
    with pytest.raises(UserInputError, match="given twice"):
        split_args("start=2026-11-27 start=2026-11-28")
    with pytest.raises(UserInputError, match="no name before"):
        split_args("=2026-11-27")


def test_command_tail_and_campaign_refs() -> None:
    assert command_tail("/newcampaign@planner_bot name=x") == "name=x"
    assert command_tail("/plan") == ""
    assert parse_campaign_ref("#12") == 12
    assert parse_campaign_ref("7") == 7
    for bad in ("x", "-1", "1.5", "١٢"):  # Arabic-Indic digits are not ours either
        with pytest.raises(UserInputError):
            parse_campaign_ref(bad)


def test_names() -> None:
    assert parse_name("  Black   Friday ") == "Black Friday"
    with pytest.raises(UserInputError):
        parse_name("   ")
    with pytest.raises(UserInputError):
        parse_name("x" * 129)
