"""The shopping-festival calendar: rules in `festivals.json`, evaluated by `rules`."""

from bot.calendar.names import FESTIVAL_NAMES
from bot.calendar.rules import (
    MARKETS,
    Festival,
    Occurrence,
    Rule,
    RuleKind,
    festival,
    festivals,
    normalize_market,
    nth_weekday,
    occurrence,
    split_by_markets,
    upcoming,
)

__all__ = [
    "FESTIVAL_NAMES",
    "MARKETS",
    "Festival",
    "Occurrence",
    "Rule",
    "RuleKind",
    "festival",
    "festivals",
    "normalize_market",
    "nth_weekday",
    "occurrence",
    "split_by_markets",
    "upcoming",
]
