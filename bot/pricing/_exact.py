"""Exact rounding of quotients to a currency's minor unit.

SPEC §3 asks for exact intermediates and one rounding at the end. Quotients
such as (F + L)·(1 + v) / D are rarely finite decimals, so instead of dividing
(and rounding twice) we take the exact integer quotient with `divmod` and fix
its direction: the result is the true ceiling / floor of the rational number.
The `EXACT` context traps `Inexact`, so any silent rounding in a sum or product
raises instead of drifting a cent.
"""

from __future__ import annotations

from decimal import (
    ROUND_HALF_EVEN,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

EXACT = Context(
    prec=120,
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)
# For amounts shown in explanations (VAT, net revenue, margins): plenty of digits,
# rounded as Decimal does by default; never used to decide a floor.
DISPLAY = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero])


def ceil_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """⌈numerator / denominator⌉ as an integral Decimal; denominator > 0."""
    quotient, remainder = divmod(numerator, denominator)  # truncates towards zero
    return quotient + 1 if remainder > 0 else quotient


def floor_div(numerator: Decimal, denominator: Decimal) -> Decimal:
    """⌊numerator / denominator⌋ as an integral Decimal; denominator > 0."""
    quotient, remainder = divmod(numerator, denominator)
    return quotient - 1 if remainder < 0 else quotient


def ceil_to_minor(numerator: Decimal, denominator: Decimal, digits: int) -> Decimal:
    """numerator / denominator rounded up to `digits` decimals, exactly."""
    return ceil_div(numerator, denominator.scaleb(-digits)).scaleb(-digits)


def floor_to_minor(numerator: Decimal, denominator: Decimal, digits: int) -> Decimal:
    """numerator / denominator rounded down to `digits` decimals, exactly."""
    return floor_div(numerator, denominator.scaleb(-digits)).scaleb(-digits)
