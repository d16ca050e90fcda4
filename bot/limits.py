"""What the bot accepts: the input bounds of SPEC §4.2 ("Limits"), in one place.

Typed commands, guided-flow answers, imported files and button data all pass through
these checks (the pricing engine's field parsers call them, so the `floors` tool and
CSV/XLSX imports get the same bounds as chat). Pure: no Telegram, no database, no
imports from the rest of the bot, so every layer may use it.

* Amounts: up to 10^9 in any currency, with at most `MAX_AMOUNT_DECIMALS` decimals;
  where an amount must be positive, at least one minor unit of its currency.
* FX rates: from 10^-6 to 10^6.
* Percentages: at most `MAX_PERCENT_DECIMALS` decimals (the callers set the range).
* Years: 2000 to 2100.
* Names: up to 200 characters (SKU names; campaign and team names stop at 128, the width
  of their columns); lists show them shortened.
* Ids: a number outside what the database column holds (int32 row ids, int64 Telegram
  ids) is simply "not found" — it never reaches the database.
* Time-zone names: IANA-shaped and at most 64 characters, before any file is opened.

A refusal is an `OutOfBounds` error naming the `Problem`; the pricing engine turns it into
its `InputError`, the chat layer into words.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "INT32_MAX",
    "INT64_MAX",
    "INT64_MIN",
    "MAX_AMOUNT",
    "MAX_AMOUNT_DECIMALS",
    "MAX_CODE_LENGTH",
    "MAX_FX_RATE",
    "MAX_NAME_LENGTH",
    "MAX_NUMBER_TEXT",
    "MAX_PAGE",
    "MAX_PERCENT_DECIMALS",
    "MAX_RATE_DECIMALS",
    "MAX_ROW_ID",
    "MAX_STORED_DUTY",
    "MAX_TIMEZONE_LENGTH",
    "MAX_YEAR",
    "MIN_FX_RATE",
    "MIN_YEAR",
    "SHORT_NAME_LENGTH",
    "OutOfBounds",
    "Problem",
    "check_amount",
    "check_name",
    "check_percent_text",
    "check_rate",
    "check_year",
    "decimal_places",
    "is_valid_timezone",
    "parse_id",
    "parse_int64",
    "parse_page",
    "row_id_in_range",
    "shorten",
    "stored_amount",
    "stored_fraction",
    "stored_rate",
    "year_in_range",
]

MAX_AMOUNT = Decimal(10) ** 9
MAX_AMOUNT_DECIMALS = 6  # costs may be finer than a cent (0.0035 CNY of tape); prices may not
MIN_FX_RATE = Decimal(10) ** -6
MAX_FX_RATE = Decimal(10) ** 6
MAX_RATE_DECIMALS = 12
MAX_PERCENT_DECIMALS = 4  # 12.3456 % — a fraction with six decimals
MIN_YEAR = 2000
MAX_YEAR = 2100
MAX_NAME_LENGTH = 200
MAX_CODE_LENGTH = 64  # SKU codes and channel names: identifiers typed in commands
SHORT_NAME_LENGTH = 40  # a name as shown in a list
MAX_NUMBER_TEXT = 32  # characters of a typed number, before it is read at all
MAX_TIMEZONE_LENGTH = 64  # the column; the longest IANA name has about 30
MAX_PAGE = 100_000  # pages of a list (20 per page: two million rows)
MAX_STORED_DUTY = Decimal(10)  # 1000 %: a stored duty beyond it computes as 1000 %

INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
MAX_ROW_ID = INT32_MAX  # teams, channels, SKUs, campaigns … have INTEGER primary keys

_DIGITS = re.compile(r"[0-9]{1,40}")
_INT64 = re.compile(r"-?[0-9]{1,19}")
_TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*")


class Problem(StrEnum):
    """Why a value is out of bounds (values shared with the engine's `InputProblem`)."""

    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    NOT_POSITIVE = "not_positive"
    TOO_LARGE = "too_large"  # an amount over MAX_AMOUNT
    TOO_PRECISE = "too_precise"  # more decimals than the kind of number allows
    TOO_MANY_DECIMALS = "too_many_decimals"  # finer than the currency's minor unit
    RATE_OUT_OF_RANGE = "rate_out_of_range"
    YEAR_OUT_OF_RANGE = "year_out_of_range"
    TOO_LONG = "too_long"


class OutOfBounds(ValueError):
    """A value outside the bounds; `limit` is the bound it crossed (for messages)."""

    def __init__(self, problem: Problem, value: object = None, limit: object = None) -> None:
        super().__init__(f"{value!r:.60}: {problem.value} (limit {limit})")
        self.problem = problem
        self.value = value
        self.limit = limit


# --- numbers -------------------------------------------------------------------------------


def decimal_places(value: Decimal) -> int:
    """How many decimals `value` needs: trailing zeros do not count ('1.50' needs one)."""
    _sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int) or exponent >= 0 or not any(digits):
        return 0
    places = -exponent
    for digit in reversed(digits):  # '1.50' is written with one decimal that matters
        if digit or not places:
            break
        places -= 1
    return places


def check_amount(
    value: Decimal,
    *,
    positive: bool = False,
    unit: Decimal | None = None,
    decimals: int = MAX_AMOUNT_DECIMALS,
) -> Decimal:
    """An amount of money: finite, 0 ≤ value ≤ 10^9, at most `decimals` decimals.

    `positive`: it must be at least one minor unit (`unit`, e.g. Decimal('0.01') for
    USD; then the amount must also be a whole number of minor units)."""
    if not value.is_finite():
        raise OutOfBounds(Problem.NOT_A_NUMBER, value)
    if value < 0:
        raise OutOfBounds(Problem.NEGATIVE, value)
    if value > MAX_AMOUNT:
        raise OutOfBounds(Problem.TOO_LARGE, value, MAX_AMOUNT)
    if unit is not None:
        if value % unit:
            raise OutOfBounds(Problem.TOO_MANY_DECIMALS, value, unit)
    elif decimal_places(value) > decimals:
        raise OutOfBounds(Problem.TOO_PRECISE, value, decimals)
    if positive and (value <= 0 or (unit is not None and value < unit)):
        raise OutOfBounds(Problem.NOT_POSITIVE, value, unit)
    return value


def check_rate(value: Decimal) -> Decimal:
    """An FX rate: 10^-6 ≤ rate ≤ 10^6, with at most `MAX_RATE_DECIMALS` decimals."""
    if not value.is_finite():
        raise OutOfBounds(Problem.NOT_A_NUMBER, value)
    if not MIN_FX_RATE <= value <= MAX_FX_RATE:
        raise OutOfBounds(Problem.RATE_OUT_OF_RANGE, value, (MIN_FX_RATE, MAX_FX_RATE))
    if decimal_places(value) > MAX_RATE_DECIMALS:
        raise OutOfBounds(Problem.TOO_PRECISE, value, MAX_RATE_DECIMALS)
    return value


def check_percent_text(value: Decimal) -> Decimal:
    """A percentage as typed (15.5 for 15.5 %): at most `MAX_PERCENT_DECIMALS` decimals.
    The range (0–100, 1–99 …) is the caller's."""
    if not value.is_finite():
        raise OutOfBounds(Problem.NOT_A_NUMBER, value)
    if decimal_places(value) > MAX_PERCENT_DECIMALS:
        raise OutOfBounds(Problem.TOO_PRECISE, value, MAX_PERCENT_DECIMALS)
    return value


# --- values read back from the database --------------------------------------------------
# Rows written before these bounds existed may hold anything the old parsers let through
# (a cost of 10^31, a voucher share of 1E-999999999). Screens show such a value as it is
# stored; the pricing engine computes with it brought within the bounds, so one bad row
# gives visibly absurd figures for its SKU — never an error for the whole team.
_ZERO = Decimal(0)
_ONE = Decimal(1)
_TINY = -MAX_RATE_DECIMALS  # below 10^-12 a stored amount or fraction counts as 0


def stored_amount(value: Decimal) -> Decimal:
    """A stored amount for the engine: within 0 … 10^9 (cheap: the plan calls it per SKU)."""
    if not value.is_finite() or value < 0 or (value and value.adjusted() < _TINY):
        return _ZERO
    return MAX_AMOUNT if value > MAX_AMOUNT else value


def stored_fraction(value: Decimal, maximum: Decimal = _ONE) -> Decimal:
    """A stored percentage (as a fraction) for the engine: within 0 … `maximum` (100 %;
    a duty may be more: tariffs have passed 100 %)."""
    if not value.is_finite() or value < 0 or (value and value.adjusted() < _TINY):
        return _ZERO
    return maximum if value > maximum else value


def stored_rate(value: Decimal) -> Decimal | None:
    """A stored FX rate for the engine, or None (no usable rate) outside the bounds."""
    if not value.is_finite() or not MIN_FX_RATE <= value <= MAX_FX_RATE:
        return None
    return value


# --- dates ---------------------------------------------------------------------------------


def year_in_range(year: int) -> bool:
    return MIN_YEAR <= year <= MAX_YEAR


def check_year(value: int | date | datetime) -> None:
    """Refuse a year outside 2000–2100 (a date or a datetime: its year)."""
    year = value if isinstance(value, int) else value.year
    if not year_in_range(year):
        raise OutOfBounds(Problem.YEAR_OUT_OF_RANGE, year, (MIN_YEAR, MAX_YEAR))


# --- names ---------------------------------------------------------------------------------


def check_name(text: str, limit: int = MAX_NAME_LENGTH) -> str:
    """A display name: spaces collapsed, at most `limit` characters ("" stays "")."""
    name = " ".join(text.split())
    if len(name) > limit:
        raise OutOfBounds(Problem.TOO_LONG, name, limit)
    return name


def shorten(text: str | None, width: int = SHORT_NAME_LENGTH) -> str:
    """A name as a list shows it: one line, at most `width` characters, "…" when cut.
    (Escape for HTML after shortening, so an entity is never cut in half.)"""
    flat = " ".join((text or "").split())
    if len(flat) <= width:
        return flat
    return flat[: max(width - 1, 0)].rstrip() + "…"


# --- ids -----------------------------------------------------------------------------------


def row_id_in_range(value: int, maximum: int = MAX_ROW_ID) -> bool:
    return 1 <= value <= maximum


def parse_id(text: str, maximum: int = MAX_ROW_ID) -> int | None:
    """A database id as typed or as carried by a button: plain ASCII digits.

    Returns None for anything that is not a number, and for a number the column cannot
    hold (0, or over `maximum`) — such an id names nothing, so it is "not found"."""
    raw = text.strip()
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if row_id_in_range(value, maximum) else None


def parse_int64(text: str) -> int | None:
    """A signed 64-bit integer (Telegram chat ids) or None."""
    if not _INT64.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None


def parse_page(text: str) -> int | None:
    """A 0-based page number (None when not ASCII digits). One past MAX_PAGE is MAX_PAGE:
    a list shows its last page for any page beyond it."""
    if not _DIGITS.fullmatch(text.strip()):
        return None
    return min(int(text), MAX_PAGE)


# --- time zones ----------------------------------------------------------------------------


def is_valid_timezone(name: str) -> bool:
    """An IANA zone name that exists. Checked by shape and length first, so a hostile
    string never reaches the file system (`zoneinfo` opens a file per name)."""
    if not name or len(name) > MAX_TIMEZONE_LENGTH or not _TIMEZONE.fullmatch(name):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True
