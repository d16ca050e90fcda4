"""Money on `Decimal`, currency metadata from Babel, and strict number parsing.

Rounding is never implicit: amounts stay exact until a caller asks for
`round_up` (floors, thresholds, landed cost) or `round_down` (maximum
discounts and vouchers) — always in the seller's favour (SPEC §3).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from functools import cache
from typing import Any

import babel.numbers

from bot import limits
from bot.pricing.numbers import NumberStyle, canonical_number
from bot.pricing.reasons import InputError, InputProblem

__all__ = [
    "CurrencyMismatchError",
    "Money",
    "UnknownCurrencyError",
    "currency_digits",
    "exact_decimal",
    "is_known_currency",
    "minor_unit",
    "normalize_currency",
    "parse_amount",
    "parse_decimal",
    "parse_percent",
    "parse_rate",
    "round_down",
    "round_up",
]

# Babel knows these codes but they are not money a seller can price in.
_NOT_MONEY = frozenset({"XXX", "XTS"})
_HUNDRED = Decimal(100)
# Plain decimal notation only: ASCII digits (re's \d would take any Unicode digit), no
# exponents, NaN, Infinity, grouping or underscores.
_DECIMAL_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# Keeps pathological inputs ("1" followed by a million zeros) out of the arithmetic.
MAX_NUMBER_LENGTH = limits.MAX_NUMBER_TEXT


class UnknownCurrencyError(InputError):
    """The code is not an ISO 4217 currency Babel knows."""

    def __init__(self, code: object) -> None:
        super().__init__(InputProblem.UNKNOWN_CURRENCY, code)
        self.code = code


class CurrencyMismatchError(ValueError):
    """Two amounts in different currencies were combined."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"currency mismatch: {left} vs {right}")
        self.left = left
        self.right = right


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(babel.numbers.list_currencies()) - _NOT_MONEY


def is_known_currency(code: str) -> bool:
    """True for an upper-case ISO 4217 code known to Babel."""
    return code in _known_currencies()


def normalize_currency(code: object) -> str:
    """Upper-case and validate a currency code; raise `UnknownCurrencyError` otherwise."""
    if not isinstance(code, str):
        raise UnknownCurrencyError(code)
    normalized = code.strip().upper()
    if normalized not in _known_currencies():
        raise UnknownCurrencyError(code)
    return normalized


@cache
def currency_digits(currency: str) -> int:
    """Number of minor-unit digits Babel gives the currency (USD 2, KRW 0, JPY 0, BHD 3)."""
    return int(babel.numbers.get_currency_precision(normalize_currency(currency)))


@cache
def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: Decimal('0.01') for USD, Decimal('1') for KRW."""
    return Decimal(1).scaleb(-currency_digits(currency))


def round_up(amount: Decimal, currency: str) -> Decimal:
    """Round towards +infinity to the minor unit (floors, thresholds, landed cost)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_CEILING)


def round_down(amount: Decimal, currency: str) -> Decimal:
    """Round towards -infinity to the minor unit (maximum discounts and vouchers)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_FLOOR)


def exact_decimal(value: object, what: str) -> Decimal:
    """Accept a finite Decimal or an int; refuse floats (already inexact) with TypeError."""
    # bool is an int subclass and would slip through as 0/1.
    if isinstance(value, bool | float):
        raise TypeError(f"{what} must be a Decimal or int, not {type(value).__name__}")
    if isinstance(value, int):
        return Decimal(value)
    if not isinstance(value, Decimal):
        raise TypeError(f"{what} must be a Decimal or int, not {type(value).__name__}")
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency. Floats are refused; mixing currencies raises."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        # Fast path first: the engine builds many Money values for one explanation.
        amount = self.amount
        if type(amount) is not Decimal or not amount.is_finite():
            object.__setattr__(self, "amount", exact_decimal(amount, "amount"))
        if self.currency not in _known_currencies():
            object.__setattr__(self, "currency", normalize_currency(self.currency))

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    # arithmetic -----------------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency)
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * exact_decimal(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Decimal | int) -> Money:
        return Money(self.amount / exact_decimal(divisor, "divisor"), self.currency)

    # comparisons (same currency only) ---------------------------------------------
    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    # rounding and presentation ------------------------------------------------------
    @property
    def digits(self) -> int:
        return currency_digits(self.currency)

    @property
    def minor_unit(self) -> Decimal:
        return minor_unit(self.currency)

    def round_up(self) -> Money:
        return Money(round_up(self.amount, self.currency), self.currency)

    def round_down(self) -> Money:
        return Money(round_down(self.amount, self.currency), self.currency)

    def is_rounded(self) -> bool:
        """True when the amount is a whole number of minor units."""
        return self.amount == self.amount.quantize(self.minor_unit, rounding=ROUND_FLOOR)

    def plain(self) -> str:
        """'58.34' — plain digits, '.' as decimal point, no grouping; the amount must be rounded."""
        if not self.is_rounded():
            raise ValueError(f"{self.amount} is not rounded to {self.currency} minor units")
        return format(self.amount.quantize(self.minor_unit), "f")

    def __str__(self) -> str:
        return f"{format(self.amount, 'f')} {self.currency}"


def parse_decimal(
    text: Any, *, allow_negative: bool = False, style: NumberStyle | None = None
) -> Decimal:
    """Parse '12', '12.5', '.5' into a Decimal; with the reader's `style` also as the reader
    writes it ('19,99', '1.234,56' for a decimal-comma reader; `bot.pricing.numbers`).

    Refuses NaN, Infinity, exponents ('1e3'), grouping without a style, and overly long input,
    so spreadsheet oddities cannot sneak into the arithmetic; and, whatever the number
    means, anything over 10^9 or with more than 12 decimals (SPEC §4.2: no amount, rate or
    percentage the bot takes is larger or finer). Raises `InputError`.
    """
    if not isinstance(text, str):
        raise InputError(InputProblem.NOT_A_NUMBER, text)
    stripped = canonical_number(text, style) if style is not None else text.strip()
    if len(stripped) > MAX_NUMBER_LENGTH or not _DECIMAL_RE.fullmatch(stripped):
        raise InputError(InputProblem.NOT_A_NUMBER, text)
    value = Decimal(stripped)
    if value < 0 and not allow_negative:
        raise InputError(InputProblem.NEGATIVE, text)
    if abs(value) > limits.MAX_AMOUNT:
        raise InputError(InputProblem.TOO_LARGE, text, limit=limits.MAX_AMOUNT)
    if limits.decimal_places(value) > limits.MAX_RATE_DECIMALS:
        raise InputError(InputProblem.TOO_PRECISE, text, limit=limits.MAX_RATE_DECIMALS)
    return value if value else value.copy_abs()  # "-0" is 0, not a signed zero


def parse_amount(
    text: Any,
    *,
    positive: bool = False,
    currency: str | None = None,
    style: NumberStyle | None = None,
) -> Decimal:
    """An amount of money (SPEC §4.2): 0 ≤ amount ≤ 10^9 with at most six decimals; with
    `positive`, at least one minor unit. With `currency`, a whole number of its minor units
    (a shelf price, a voucher), returned with the currency's digits ('19.9' → 19.90)."""
    value = parse_decimal(text, style=style)
    unit = minor_unit(currency) if currency is not None else None
    try:
        limits.check_amount(value, positive=positive, unit=unit)
    except limits.OutOfBounds as exc:
        error = InputError.out_of_bounds(exc, text)
        if exc.problem is limits.Problem.TOO_MANY_DECIMALS:  # name the currency, as prices do
            error = InputError(error.problem, text, limit=currency)
        raise error from None
    return value.quantize(unit) if unit is not None else value


def parse_rate(text: Any, *, style: NumberStyle | None = None) -> Decimal:
    """An FX rate: from 0.000001 to 1 000 000 (SPEC §4.2)."""
    value = parse_decimal(text, style=style)
    try:
        return limits.check_rate(value)
    except limits.OutOfBounds as exc:
        raise InputError.out_of_bounds(exc, text) from None


def parse_percent(
    text: Any, *, maximum: Decimal = _HUNDRED, style: NumberStyle | None = None
) -> Decimal:
    """Parse '15', '15%' or '15.5 %' (with a style also '15,5 %') into the fraction
    Decimal('0.155'); 0 ≤ percent ≤ maximum.

    Raises `InputError` (not a number, negative, over the maximum).
    """
    if not isinstance(text, str):
        raise InputError(InputProblem.NOT_A_NUMBER, text)
    stripped = text.strip()
    if stripped.endswith(("%", "％")):
        stripped = stripped[:-1].rstrip()
    try:
        value = parse_decimal(stripped, style=style)
    except InputError as exc:
        raise InputError(exc.problem, text, limit=exc.limit) from None
    if value > maximum:
        raise InputError(InputProblem.OVER_MAXIMUM, text, limit=f"{maximum} %")
    if limits.decimal_places(value) > limits.MAX_PERCENT_DECIMALS:
        raise InputError(InputProblem.TOO_PRECISE, text, limit=limits.MAX_PERCENT_DECIMALS)
    return value.scaleb(-2)  # exact, unlike a division under a limited precision
