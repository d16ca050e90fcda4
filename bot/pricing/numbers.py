"""Numbers as sellers write them (SPEC §4.2 "Reading what sellers type").

The one place that decides what a typed or imported number means; every reader of
numbers (`bot.pricing.money.parse_decimal` and the parsers built on it) goes through
`canonical_number`, which turns the reader's writing into plain digits with '.' as the
decimal point. Pure: Babel for the locale's symbols, nothing else.

* `.` on its own is a decimal point for every reader (`19.99`, `0.125`) — except where a
  decimal-comma reader would mean a thousands separator (`1.234`): that is ambiguous.
* For a reader whose locale writes decimal commas (de, es, pt_BR …) a single `,` is a
  decimal comma when it cannot be a thousands separator (`19,99`, `0,5`, `7,2345`); with
  both marks the locale's order decides (`1.234,56`).
* For a reader whose locale writes decimal points (en, zh_CN, ko) `,` groups thousands
  (`1,234.56`, `1,234`).
* `1,234` (and `1.234`) for a decimal-comma reader stays ambiguous: it is refused with
  both readings (`AMBIGUOUS`, `limit` = `Ambiguity`).
* Spaces (also the no-break ones) may group thousands in any locale: `1 234,56`.

Grouping must be well formed (groups of three after the first), so `1,23,4` is not
quietly read as 1234.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import babel.numbers

from bot.pricing.reasons import InputError, InputProblem

__all__ = [
    "DECIMAL_COMMA",
    "DECIMAL_POINT",
    "Ambiguity",
    "NumberStyle",
    "canonical_number",
    "style_for",
    "unambiguous",
]

_SPACES = ("\u00a0", "\u202f", "\u2009", " ")
_SHAPE = re.compile(r"[+-]?[0-9.,]+")
# Long inputs are refused by the strict parser after this; no need to inspect them.
_MAX_TEXT = 64


@dataclass(frozen=True, slots=True)
class NumberStyle:
    """How a reader writes numbers: the decimal mark and the thousands separator."""

    decimal: str  # "." or ","
    group: str  # "," or "."

    @property
    def decimal_comma(self) -> bool:
        return self.decimal == ","


DECIMAL_POINT = NumberStyle(".", ",")
DECIMAL_COMMA = NumberStyle(",", ".")


@cache
def style_for(locale: str | None) -> NumberStyle | None:
    """The reader's style from Babel's number symbols; None (plain digits and '.' only,
    as machine-written files) when there is no locale."""
    if not locale:
        return None
    try:
        decimal = babel.numbers.get_decimal_symbol(locale)
    except (ValueError, LookupError):
        return DECIMAL_POINT
    return DECIMAL_COMMA if decimal == "," else DECIMAL_POINT


@dataclass(frozen=True, slots=True)
class Ambiguity:
    """The two readings of an ambiguous number, each as text that reads back unambiguously
    in the same style (`whole`: '1234'; `fraction`: '1,2340')."""

    whole: str
    fraction: str

    def __str__(self) -> str:  # for logs and the command-line tool
        return f"{self.whole} or {self.fraction}"


@cache
def _grouping(separator: str) -> re.Pattern[str]:
    return re.compile(rf"[1-9][0-9]{{0,2}}(?:{re.escape(separator)}[0-9]{{3}})+")


def _grouped(text: str, separator: str) -> bool:
    return _grouping(separator).fullmatch(text) is not None


def canonical_number(text: str, style: NumberStyle | None) -> str:
    """`text` as plain digits with '.' as the decimal point, read in `style` (None: as it
    is). Text that is not a number in any reading comes back unchanged, for the strict
    parser to refuse; an ambiguous number raises `InputError(AMBIGUOUS)`."""
    stripped = text.strip()
    if style is None or len(stripped) > _MAX_TEXT:
        return stripped
    if not stripped.isascii():  # full-width digits and marks from CJK keyboards: １９．９９
        stripped = unicodedata.normalize("NFKC", stripped)
    for space in _SPACES:
        if space in stripped:
            spaced = stripped.replace(space, "")
            if not _spaced_groups_ok(stripped, space):
                return stripped
            stripped = spaced
    if not _SHAPE.fullmatch(stripped):
        return stripped
    sign = stripped[0] if stripped[0] in "+-" else ""
    body = stripped[len(sign) :]
    commas, points = body.count(","), body.count(".")
    if not commas and points <= 1:
        if points and style.decimal_comma and _grouped(body, "."):
            # '1.234' to a reader who writes '1.234' for a thousand: ask, never guess
            raise _ambiguous(text, *body.split("."))
        return stripped  # '.' alone is a decimal point for everyone
    if style.decimal_comma:
        read = _comma_decimal(body, commas, points, text)
    else:
        read = _point_decimal(body, commas, points)
    return stripped if read is None else sign + read


def _spaced_groups_ok(text: str, space: str) -> bool:
    """Spaces group thousands only in well-formed groups (`1 234 567,5`)."""
    whole = re.split(r"[.,]", text.lstrip("+-"), maxsplit=1)[0]
    return _grouped(whole, space)


def _comma_decimal(body: str, commas: int, points: int, text: str) -> str | None:
    if points and commas:  # 1.234,56: '.' groups, one ',' after them marks decimals
        whole, _sep, fraction = body.rpartition(",")
        if commas != 1 or not fraction or not _grouped(whole, "."):
            return None
        return whole.replace(".", "") + "." + fraction
    if points:  # 1.234.567
        return body.replace(".", "") if _grouped(body, ".") else None
    if commas != 1:
        return None
    whole, _sep, fraction = body.partition(",")
    if not fraction:
        return None
    if len(fraction) == 3 and _grouped(body, ","):
        raise _ambiguous(text, whole, fraction)
    return (whole or "0") + "." + fraction


def _ambiguous(text: str, whole: str, fraction: str) -> InputError:
    """'1,234' or '1.234' from a decimal-comma reader: a thousand and more, or one and a
    bit. Both readings are offered in forms that read one way only ('1234', '1,2340')."""
    return InputError(
        InputProblem.AMBIGUOUS,
        text.strip(),
        limit=Ambiguity(whole + fraction, f"{whole},{fraction}0"),
    )


def _point_decimal(body: str, commas: int, points: int) -> str | None:
    whole, _sep, fraction = body.partition(".")
    if points > 1 or not commas or not _grouped(whole, ","):
        return None
    return whole.replace(",", "") + ("." + fraction if points else "")


_THOUSAND_LIKE = re.compile(r"[+-]?[1-9][0-9]{0,2}\.[0-9]{3}")


def unambiguous(plain: str) -> str:
    """A plain number ('1.234', already a value: a typed spreadsheet cell) written so that
    no reader's style reads it two ways: '1.2340' (a trailing zero changes nothing)."""
    return plain + "0" if _THOUSAND_LIKE.fullmatch(plain) else plain
