"""The sanity rules for prices (bot/domain/prices.py): which changes are asked about."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.prices import JUMP_FACTOR, PriceWarning, PriceWarningKind, listing_warnings

D = Decimal
UP, DOWN = PriceWarningKind.JUMP_UP, PriceWarningKind.JUMP_DOWN
ABOVE, FAR_BELOW = PriceWarningKind.LOWEST_ABOVE_LIST, PriceWarningKind.LOWEST_FAR_BELOW


def kinds(
    old_list: str | None, old_lowest: str | None, new_list: str | None, new_lowest: str | None
) -> list[PriceWarningKind]:
    def dec(text: str | None) -> Decimal | None:
        return None if text is None else D(text)

    found = listing_warnings(dec(old_list), dec(old_lowest), dec(new_list), dec(new_lowest))
    return [warning.kind for warning in found]


@pytest.mark.parametrize(
    ("old_list", "old_lowest", "new_list", "new_lowest", "expected"),
    [
        # the list price: ten times, or a tenth, of the previous one (a decimal point)
        ("19.99", None, "1999", None, [UP]),  # 19.99 typed without its point: ×100
        ("19.99", None, "19990", None, [UP]),  # ×1000
        ("19.99", None, "199.90", None, [UP]),  # exactly ×10 is asked about
        ("19.99", None, "199.89", None, []),  # just under ×10 is a price change
        ("19.99", None, "1.999", None, [DOWN]),  # a tenth, exactly
        ("19.99", None, "2.00", None, []),  # just over a tenth
        ("1999", None, "19.99", None, [DOWN]),  # ÷100: the fix of a typo is asked about too
        ("19.99", None, "24.99", None, []),  # an ordinary change
        (None, None, "1999", None, []),  # a first price has nothing to compare with
        ("19.99", None, None, None, []),  # clearing the price is not a jump
        # the lowest price of 30 days against the list price, as they will be
        ("19.99", None, "19.99", "25", [ABOVE]),  # a lowest price above the list price
        ("19.99", None, "19.99", "19.99", []),  # equal is fine
        ("19.99", None, "19.99", "17.99", []),
        ("19.99", None, "19.99", "1.99", [FAR_BELOW]),  # a tenth or less: a decimal point
        ("19.99", None, "19.99", "2.00", []),
        ("19.99", "17.99", "15.99", "17.99", [ABOVE]),  # a price cut under a lowest set by hand
        (None, None, "9.99", "12.99", [ABOVE]),  # a new listing with both prices
        ("19.99", "25", "19.99", "25", []),  # nothing changes: nothing to ask
        ("19.99", None, "1999", "25", [UP, FAR_BELOW]),  # both rules at once
        ("1999", None, "19.99", "25", [DOWN, ABOVE]),
        (None, None, None, "25", []),  # no list price to compare the lowest price with
    ],
)
def test_rules(
    old_list: str | None,
    old_lowest: str | None,
    new_list: str | None,
    new_lowest: str | None,
    expected: list[PriceWarningKind],
) -> None:
    assert kinds(old_list, old_lowest, new_list, new_lowest) == expected


def test_a_warning_says_what_it_compared() -> None:
    (jump,) = listing_warnings(D("19.99"), None, D("1999.00"), None)
    assert jump == PriceWarning(UP, D("1999.00"), D("19.99"))
    assert jump.factor == D("1999.00") / D("19.99")
    assert jump.key("temu-us") == "jump_up:temu-us:1999.00:19.99"
    (lowest,) = listing_warnings(D("19.99"), None, D("19.99"), D("1.99"))
    assert (lowest.value, lowest.other) == (D("1.99"), D("19.99"))
    assert lowest.factor > 10


def test_keys_differ_by_value_channel_and_kind() -> None:
    a = PriceWarning(UP, D("1999"), D("19.99"))
    assert a.key("x") != a.key("y")
    assert a.key("x") != PriceWarning(UP, D("1998"), D("19.99")).key("x")
    assert a.key("x") != PriceWarning(DOWN, D("1999"), D("19.99")).key("x")


prices = st.decimals(min_value=D("0.01"), max_value=D("1000000"), places=2)


@given(old=prices, new=prices)
def test_a_jump_is_asked_about_exactly_beyond_the_factor(old: Decimal, new: Decimal) -> None:
    found = kinds(str(old), None, str(new), None)
    if new >= old * JUMP_FACTOR:
        assert found == [UP]
    elif new * JUMP_FACTOR <= old:
        assert found == [DOWN]
    else:
        assert found == []


@given(list_price=prices, lowest=prices)
def test_a_lowest_price_is_asked_about_above_the_list_or_far_below(
    list_price: Decimal, lowest: Decimal
) -> None:
    found = kinds(None, None, str(list_price), str(lowest))
    if lowest > list_price:
        assert found == [ABOVE]
    elif lowest * JUMP_FACTOR <= list_price:
        assert found == [FAR_BELOW]
    else:
        assert found == []


@given(list_price=prices, lowest=st.none() | prices)
def test_an_unchanged_listing_is_never_asked_about(
    list_price: Decimal, lowest: Decimal | None
) -> None:
    assert listing_warnings(list_price, lowest, list_price, lowest) == []
