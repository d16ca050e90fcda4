"""Dates as sellers write them (SPEC §4.2): ISO always, and the reader's locale's own short
and medium forms — read with the patterns Babel (CLDR) formats them with, not a hand-written
list per language. So whatever the bot shows a reader (`Translator.datetime`) it reads back.

`2027年11月15日 12:00` (zh_CN), `15.11.2027 12:00` (de), `15/11/2027` (es, pt_BR),
`2027. 11. 15. 오후 12:00` (ko), `11/15/2027` and `Nov 15, 2027` (en). Besides the
locale's time forms a 24-hour `12:00` is accepted everywhere; a two-digit year is 20yy.

Pure: Babel only. Returns the date and the time as written (no zone: the caller reads
them in the zone the question names).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, time
from functools import cache
from typing import Literal

from babel import Locale
from babel.dates import get_date_format, get_datetime_format, get_time_format

__all__ = ["LocalMoment", "read_local_moment"]

_WIDTHS: tuple[Literal["short"], Literal["medium"]] = ("short", "medium")
_FIELD = re.compile(r"([A-Za-z])\1*")
_ANY_SPACE = re.compile(r"\s+")
_MAX_TEXT = 64


@dataclass(frozen=True, slots=True)
class LocalMoment:
    day: date
    clock: time | None  # None: a date alone


def _tokens(pattern: str) -> Iterator[tuple[str, str]]:
    """A CLDR pattern as ("field", "MMM") and ("text", "de ") pieces."""
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "'":
            end = pattern.find("'", index + 1)
            if end == -1:
                end = len(pattern)
            literal = pattern[index + 1 : end] or "'"  # '' is a quote
            yield "text", literal
            index = end + 1
        elif char.isascii() and char.isalpha():
            match = _FIELD.match(pattern, index)
            assert match is not None
            yield "field", match.group(0)
            index = match.end()
        else:
            yield "text", char
            index += 1


def _literal(text: str) -> str:
    """Punctuation as written, spaces optional (`2027.11.15.` = `2027. 11. 15.`)."""
    parts = []
    for char in text:
        if char.isspace():
            parts.append(r"\s*")
        else:
            parts.append(re.escape(char) + r"\s*" if char in ".,/-" else re.escape(char))
    return "".join(parts)


def _names(names: list[str]) -> str:
    words = sorted({n.lower().rstrip(".") for n in names if n}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w) for w in words) + r")\.?"


@cache
def _months(locale: str) -> dict[str, int]:
    """Month names (wide and abbreviated, format and stand-alone) → number."""
    data = Locale.parse(locale).months
    found: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for number, name in data.get(context, {}).get(width, {}).items():
                found.setdefault(str(name).lower().rstrip("."), int(number))
    return found


@cache
def _periods(locale: str) -> dict[str, str]:
    """AM/PM markers (the locale's and the Latin ones) → "am" / "pm"."""
    found = {"am": "am", "pm": "pm", "a.m": "am", "p.m": "pm"}
    periods = Locale.parse(locale).day_periods.get("format", {})
    for width in ("abbreviated", "wide", "narrow"):
        for key in ("am", "pm"):
            name = periods.get(width, {}).get(key)
            if name:
                found[str(name).lower().rstrip(".")] = key
    return found


def _field(token: str, locale: str) -> str:
    letter, width = token[0], len(token)
    if letter in "yu":
        return r"(?P<y>[0-9]{4}|[0-9]{2})" if width == 2 else r"(?P<y>[0-9]{4})"
    if letter in "ML":
        if width >= 3:
            return "(?P<mon>" + _names(list(_months(locale))) + ")"
        return r"(?P<M>[0-9]{1,2})"
    if letter == "d":
        return r"(?P<d>[0-9]{1,2})"
    if letter in "Hk":
        return r"(?P<H>[0-9]{1,2})"
    if letter in "hK":
        return r"(?P<h>[0-9]{1,2})"
    if letter == "m":
        return r"(?P<m>[0-9]{2})"
    if letter == "s":
        return r"(?P<s>[0-9]{2})"
    if letter in "abB":
        return "(?P<a>" + _names(list(_periods(locale))) + ")"
    if letter in "Ec":  # a weekday written along: accepted, not checked
        return r"[^\s,0-9]+\.?"
    return re.escape(token)


def _compile(pattern: str, locale: str) -> str:
    parts = []
    for kind, piece in _tokens(pattern):
        parts.append(_field(piece, locale) if kind == "field" else _literal(piece))
    if parts and list(_tokens(pattern))[-1][0] == "text":  # '2027. 11. 15' without its dot
        parts[-1] = f"(?:{parts[-1]})?"
    return "".join(parts)


@cache
def _patterns(locale: str) -> tuple[re.Pattern[str], ...]:
    """The locale's date forms, each alone and followed by each of its time forms (and a
    24-hour time), glued as the locale glues them."""
    dates = {get_date_format(width, locale=locale).pattern for width in _WIDTHS}
    times = {get_time_format(width, locale=locale).pattern for width in _WIDTHS}
    times |= {"HH:mm", "HH:mm:ss"}
    glues = {str(get_datetime_format(width, locale=locale)) for width in _WIDTHS}
    compiled: list[re.Pattern[str]] = []
    for date_pattern in sorted(dates):
        date_part = _compile(date_pattern, locale)
        compiled.append(re.compile(date_part, re.IGNORECASE))
        for time_pattern in sorted(times):
            time_part = _compile(time_pattern, locale)
            for glue in sorted(glues):
                if "{1}" not in glue or "{0}" not in glue:
                    continue
                between = glue.split("{1}", 1)[1].split("{0}", 1)[0]
                joint = r"(?:\s*,\s*|\s+)" if between.strip() in ("", ",") else _literal(between)
                compiled.append(re.compile(date_part + joint + time_part, re.IGNORECASE))
    return tuple(compiled)


def read_local_moment(text: str, locale: str) -> LocalMoment | None:
    """The date (and time) `text` names in `locale`'s short or medium form; None when it
    is not one of them or names no real day (30 February)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned or len(cleaned) > _MAX_TEXT:
        return None
    cleaned = _ANY_SPACE.sub(" ", cleaned)
    for pattern in _patterns(locale):
        match = pattern.fullmatch(cleaned)
        if match is not None:
            return _moment(match.groupdict(), locale)
    return None


def _moment(groups: dict[str, str | None], locale: str) -> LocalMoment | None:
    year_text = groups.get("y") or ""
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if groups.get("mon"):
        month = _months(locale).get(str(groups["mon"]).lower().rstrip("."))
        if month is None:
            return None
    else:
        month = int(groups.get("M") or 0)
    try:
        day = date(year, month, int(groups.get("d") or 0))
        clock = _clock(groups, locale)
    except ValueError:
        return None
    return LocalMoment(day, clock)


def _clock(groups: dict[str, str | None], locale: str) -> time | None:
    minute, second = int(groups.get("m") or 0), int(groups.get("s") or 0)
    if groups.get("H") is not None:
        return time(int(str(groups["H"])), minute, second)
    if groups.get("h") is None:
        return None
    hour = int(str(groups["h"]))
    period = _periods(locale).get(str(groups.get("a") or "").lower().rstrip("."))
    if not 1 <= hour <= 12:
        raise ValueError("a 12-hour clock runs from 1 to 12")
    if period == "pm":
        hour = hour % 12 + 12
    elif period == "am":
        hour = hour % 12
    return time(hour, minute, second)
