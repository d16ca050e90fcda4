"""Shopping-festival dates from the rules in `festivals.json` (pure: no I/O but the data file).

A rule is data, not a code path per festival:

* ``fixed`` — the same month and day every year (Singles' Day 11.11);
* ``nth_weekday`` — the n-th (or last, n = -1) weekday of a month plus an offset
  (Black Friday: the day after the fourth Thursday of November);
* ``table`` — known dates, for lunar festivals (Chinese New Year);
* ``announced`` — no rule: the platform announces the dates each year (Prime Day);
  ``usual_month`` is only a hint for the reader.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

ALL_MARKETS = "*"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# the SPEC's markets; EU is accepted as a shorthand for the EU markets we know
MARKETS = ("US", "UK", "DE", "FR", "KR", "JP", "ZA", "BR")
MARKET_ALIASES = {"GB": "UK", "EU": "DE"}


class RuleKind(StrEnum):
    FIXED = "fixed"
    NTH_WEEKDAY = "nth_weekday"
    TABLE = "table"
    ANNOUNCED = "announced"


@dataclass(frozen=True, slots=True)
class Rule:
    kind: RuleKind
    month: int = 0
    day: int = 0
    weekday: int = 0  # Monday = 0
    n: int = 0  # 1-5, or -1 for the last
    offset_days: int = 0
    dates: tuple[date, ...] = ()
    usual_month: int | None = None

    def on(self, year: int) -> date | None:
        """The festival's day in `year`, or None (announced yearly, or not in the table)."""
        if self.kind is RuleKind.FIXED:
            try:
                return date(year, self.month, self.day)
            except ValueError:  # 29 February outside a leap year
                return None
        if self.kind is RuleKind.NTH_WEEKDAY:
            return nth_weekday(year, self.month, self.weekday, self.n) + timedelta(
                days=self.offset_days
            )
        if self.kind is RuleKind.TABLE:
            return next((d for d in self.dates if d.year == year), None)
        return None


@dataclass(frozen=True, slots=True)
class Festival:
    key: str
    markets: frozenset[str]
    rule: Rule
    start_offset_days: int = 0  # the prefilled campaign starts this many days from the day
    days: int = 1  # and lasts this many days

    def serves(self, market: str | None) -> bool:
        return market is None or ALL_MARKETS in self.markets or market in self.markets

    @property
    def announced(self) -> bool:
        return self.rule.kind is RuleKind.ANNOUNCED


@dataclass(frozen=True, slots=True)
class Occurrence:
    """A festival in one year: its day, and the campaign dates a template suggests."""

    festival: Festival
    year: int
    day: date | None  # None: announced yearly

    @property
    def campaign_start(self) -> date | None:
        if self.day is None:
            return None
        return self.day + timedelta(days=self.festival.start_offset_days)

    @property
    def campaign_end(self) -> date | None:
        start = self.campaign_start
        return None if start is None else start + timedelta(days=self.festival.days - 1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th `weekday` (Monday = 0) of the month; n = -1 is the last one."""
    if n == -1:
        following = date(year + (month == 12), month % 12 + 1, 1)
        last = following - timedelta(days=1)
        return last - timedelta(days=(last.weekday() - weekday) % 7)
    if not 1 <= n <= 5:
        raise ValueError(f"n must be 1-5 or -1, got {n}")
    first = date(year, month, 1)
    day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    if day.month != month:
        raise ValueError(f"there is no weekday #{n} in {year}-{month:02d}")
    return day


def parse_rule(raw: Mapping[str, Any]) -> Rule:
    kind = RuleKind(raw["kind"])
    if kind is RuleKind.FIXED:
        rule = Rule(kind, month=int(raw["month"]), day=int(raw["day"]))
        date(2028, rule.month, rule.day)  # a leap year: refuses only impossible days
        return rule
    if kind is RuleKind.NTH_WEEKDAY:
        return Rule(
            kind,
            month=int(raw["month"]),
            weekday=WEEKDAYS.index(str(raw["weekday"]).lower()),
            n=int(raw["n"]),
            offset_days=int(raw.get("offset_days", 0)),
        )
    if kind is RuleKind.TABLE:
        dates = tuple(sorted(date.fromisoformat(str(d)) for d in raw["dates"]))
        if len({d.year for d in dates}) != len(dates):
            raise ValueError("a table rule has one date per year")
        return Rule(kind, dates=dates)
    usual = raw.get("usual_month")
    return Rule(kind, usual_month=None if usual is None else int(usual))


def parse_festivals(data: Mapping[str, Any]) -> tuple[Festival, ...]:
    festivals: list[Festival] = []
    for raw in data["festivals"]:
        campaign = raw.get("campaign", {})
        markets = frozenset(str(m).upper() for m in raw["markets"])
        unknown = markets - {*MARKETS, ALL_MARKETS}
        if unknown:
            raise ValueError(f"festival {raw['key']}: unknown markets {sorted(unknown)}")
        festival = Festival(
            key=str(raw["key"]),
            markets=markets,
            rule=parse_rule(raw["rule"]),
            start_offset_days=int(campaign.get("start_offset_days", 0)),
            days=int(campaign.get("days", 1)),
        )
        if festival.days < 1:
            raise ValueError(f"festival {festival.key}: a campaign lasts at least one day")
        festivals.append(festival)
    keys = [f.key for f in festivals]
    if len(set(keys)) != len(keys):
        raise ValueError("festival keys must be unique")
    return tuple(festivals)


@cache
def festivals() -> tuple[Festival, ...]:
    """The shipped festivals, in file order."""
    text = resources.files("bot.calendar").joinpath("festivals.json").read_text(encoding="utf-8")
    return parse_festivals(json.loads(text))


def festival(key: str) -> Festival | None:
    return next((f for f in festivals() if f.key == key), None)


def normalize_market(text: str) -> str | None:
    """A market code the calendar knows (case-insensitive; GB → UK, EU → DE), else None."""
    code = text.strip().upper()
    code = MARKET_ALIASES.get(code, code)
    return code if code in MARKETS else None


def upcoming(
    today: date,
    market: str | None = None,
    *,
    horizon_days: int = 366,
    catalogue: Iterable[Festival] | None = None,
) -> list[Occurrence]:
    """Festivals from `today` on (within the horizon), soonest first; then the ones whose
    dates are announced yearly (no date), in file order."""
    dated: list[Occurrence] = []
    announced: list[Occurrence] = []
    until = today + timedelta(days=horizon_days)
    for item in catalogue if catalogue is not None else festivals():
        if not item.serves(market):
            continue
        if item.announced:
            announced.append(Occurrence(item, today.year, None))
            continue
        for year in (today.year, today.year + 1):
            day = item.rule.on(year)
            if day is not None and today <= day <= until:
                dated.append(Occurrence(item, year, day))
                break
    dated.sort(key=lambda o: (o.day or today, o.festival.key))
    return [*dated, *announced]


def split_by_markets(
    occurrences: Sequence[Occurrence], markets: Iterable[str]
) -> tuple[list[Occurrence], list[Occurrence]]:
    """(the festivals that serve any of `markets` — their own or every market's —, the
    rest), each in the given order."""
    wanted = tuple(markets)
    ours = [o for o in occurrences if any(o.festival.serves(m) for m in wanted)]
    rest = [o for o in occurrences if not any(o.festival.serves(m) for m in wanted)]
    return ours, rest


def occurrence(key: str, year: int) -> Occurrence | None:
    """One festival in one year (a template for a campaign), or None for unknown keys."""
    item = festival(key)
    if item is None:
        return None
    return Occurrence(item, year, item.rule.on(year))


def known_keys() -> Sequence[str]:
    return [f.key for f in festivals()]
