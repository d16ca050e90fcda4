"""Money, currency metadata and the strict number parsers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.pricing import (
    CurrencyMismatchError,
    InputError,
    InputProblem,
    Money,
    UnknownCurrencyError,
    currency_digits,
    minor_unit,
    normalize_currency,
    parse_decimal,
    parse_percent,
    round_down,
    round_up,
)


def test_money_rejects_floats_outright() -> None:
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(Decimal("1.50"), "USD") * 1.1  # type: ignore[operator]
    with pytest.raises(TypeError):
        Money(True, "USD")  # type: ignore[arg-type]


def test_money_accepts_ints_and_normalizes_currency() -> None:
    money = Money(3, "usd")
    assert money.amount == Decimal(3)
    assert isinstance(money.amount, Decimal)
    assert money.currency == "USD"


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_money_rejects_non_finite(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        Money(bad, "USD")


@pytest.mark.parametrize("code", ["ABC", "XXX", "US", "", "€"])
def test_unknown_currency_codes_are_rejected(code: str) -> None:
    with pytest.raises(UnknownCurrencyError):
        Money(Decimal(1), code)
    with pytest.raises(UnknownCurrencyError):
        normalize_currency(code)


def test_mixing_currencies_raises() -> None:
    usd, eur = Money(Decimal("1.00"), "USD"), Money(Decimal("1.00"), "EUR")
    with pytest.raises(CurrencyMismatchError):
        usd + eur
    with pytest.raises(CurrencyMismatchError):
        usd - eur
    with pytest.raises(CurrencyMismatchError):
        _ = usd < eur
    assert usd + Money(Decimal("0.50"), "USD") == Money(Decimal("1.50"), "USD")


@pytest.mark.parametrize(
    ("currency", "digits"), [("USD", 2), ("EUR", 2), ("GBP", 2), ("KRW", 0), ("JPY", 0), ("BHD", 3)]
)
def test_minor_units_come_from_babel(currency: str, digits: int) -> None:
    assert currency_digits(currency) == digits
    assert minor_unit(currency) == Decimal(1).scaleb(-digits)


@pytest.mark.parametrize(
    ("amount", "currency", "up", "down"),
    [
        ("1.001", "USD", "1.01", "1.00"),
        ("1.00", "USD", "1.00", "1.00"),
        ("-1.001", "USD", "-1.00", "-1.01"),
        ("100.1", "KRW", "101", "100"),
        ("99.999", "JPY", "100", "99"),
        ("0.0001", "BHD", "0.001", "0.000"),
    ],
)
def test_rounding_is_explicit_and_directed(amount: str, currency: str, up: str, down: str) -> None:
    value = Decimal(amount)
    assert round_up(value, currency) == Decimal(up)
    assert round_down(value, currency) == Decimal(down)
    assert str(Money(value, currency).round_up().amount) == up
    assert str(Money(value, currency).round_down().amount) == down


def test_arithmetic_does_not_round_implicitly() -> None:
    third = Money(Decimal(10), "USD") / 3
    assert not third.is_rounded()
    with pytest.raises(ValueError):
        third.plain()
    assert third.round_up().plain() == "3.34"
    assert Money(Decimal(15000), "KRW").plain() == "15000"


@pytest.mark.parametrize(
    ("text", "fraction"),
    [
        ("15", "0.15"),
        ("15%", "0.15"),
        ("15.5 %", "0.155"),
        (" 7.25% ", "0.0725"),
        ("0", "0"),
        ("100", "1"),
        ("0.001", "0.00001"),
    ],
)
def test_parse_percent(text: str, fraction: str) -> None:
    assert parse_percent(text) == Decimal(fraction)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("100.01", InputProblem.OVER_MAXIMUM),
        ("150%", InputProblem.OVER_MAXIMUM),
        ("-1", InputProblem.NEGATIVE),
        ("abc", InputProblem.NOT_A_NUMBER),
        ("", InputProblem.NOT_A_NUMBER),
        ("%", InputProblem.NOT_A_NUMBER),
        ("1e1", InputProblem.NOT_A_NUMBER),
        ("NaN", InputProblem.NOT_A_NUMBER),
        ("Infinity", InputProblem.NOT_A_NUMBER),
        ("1,5", InputProblem.NOT_A_NUMBER),
        ("1_0", InputProblem.NOT_A_NUMBER),
        ("١٥", InputProblem.NOT_A_NUMBER),  # Arabic-Indic digits: Decimal would take them
    ],
)
def test_parse_percent_rejects(text: str, problem: InputProblem) -> None:
    with pytest.raises(InputError) as caught:
        parse_percent(text)
    assert caught.value.problem is problem


@pytest.mark.parametrize(
    ("text", "value"), [("12", "12"), ("12.5", "12.5"), (".5", "0.5"), ("5.", "5"), ("-0", "0")]
)
def test_parse_decimal_plain_numbers(text: str, value: str) -> None:
    parsed = parse_decimal(text)
    assert parsed == Decimal(value)
    assert not parsed.is_signed()  # "-0" is plain 0


@pytest.mark.parametrize(
    "text", ["1e3", "1E-2", "nan", "sNaN", "inf", "-Infinity", "0x10", "1 000", "+", ".", "9" * 40]
)
def test_parse_decimal_rejects_tricks(text: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_decimal(text)
    assert caught.value.problem is InputProblem.NOT_A_NUMBER


def test_parse_decimal_sign_rules() -> None:
    with pytest.raises(InputError) as caught:
        parse_decimal("-3")
    assert caught.value.problem is InputProblem.NEGATIVE
    assert parse_decimal("-3", allow_negative=True) == Decimal(-3)
