"""The 30-day lowest price (EU Art. 6a) taken from a listing's price history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.services.pricing_inputs import lowest_in_window

START = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


def at(days_before: float) -> datetime:
    return START - timedelta(days=days_before)


def test_price_in_effect_when_the_window_opens_counts() -> None:
    changes = [(at(60), Decimal("19.99")), (at(10), Decimal("24.99"))]
    assert lowest_in_window(changes, START) == Decimal("19.99")


def test_a_short_dip_inside_the_window_is_the_lowest() -> None:
    changes = [(at(90), Decimal("29.99")), (at(20), Decimal("21.00")), (at(18), Decimal("29.99"))]
    assert lowest_in_window(changes, START) == Decimal("21.00")


def test_a_dip_that_ended_before_the_window_does_not_count() -> None:
    changes = [(at(90), Decimal("9.99")), (at(40), Decimal("29.99")), (at(5), Decimal("31.00"))]
    assert lowest_in_window(changes, START) == Decimal("29.99")


def test_changes_at_or_after_the_start_are_ignored() -> None:
    changes = [(at(40), Decimal("29.99")), (START, Decimal("1.00")), (at(-1), Decimal("2.00"))]
    assert lowest_in_window(changes, START) == Decimal("29.99")


def test_no_history_gives_none() -> None:
    assert lowest_in_window([], START) is None
