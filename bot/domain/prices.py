"""Prices that cannot be right (issue 11): the rules that make the bot ask before it saves.

Pure: no Telegram, no database. A list price or a lowest price of 30 days is accepted
silently unless one of these holds, in which case the change is held and the seller asked
to confirm it (typed commands) or the import preview flags the row (files):

* the new list price is at least ``JUMP_FACTOR`` (10) times the previous one, or at most
  a tenth of it — a decimal point missed (19.99 typed as 1999) or one too many;
* the lowest price of 30 days is above the list price — the rule of SPEC §3.5 takes the
  lower of the two, so a lowest price above the list price is a typo or a stale value;
* the lowest price of 30 days is at most a tenth of the list price — a decimal point
  again, and under a ``lowest_30d`` campaign rule it would drag every discount down.

Prices are compared as they will be after the change: a list-price cut under a lowest
price set by hand is flagged too.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

JUMP_FACTOR = Decimal(10)


class PriceWarningKind(StrEnum):
    JUMP_UP = "jump_up"  # list price ≥ 10 × the previous one
    JUMP_DOWN = "jump_down"  # list price ≤ the previous one / 10
    LOWEST_ABOVE_LIST = "lowest_above_list"  # lowest_30d > list price
    LOWEST_FAR_BELOW = "lowest_far_below"  # lowest_30d ≤ list price / 10


@dataclass(frozen=True, slots=True)
class PriceWarning:
    """One implausible price. `value` is the new price the warning is about (the list
    price for a jump, the lowest price otherwise); `other` what it was compared with
    (the previous list price for a jump, the list price otherwise)."""

    kind: PriceWarningKind
    value: Decimal
    other: Decimal

    @property
    def factor(self) -> Decimal:
        """How many times larger the larger of the two prices is (≥ 1)."""
        high, low = max(self.value, self.other), min(self.value, self.other)
        return high / low if low > 0 else Decimal(0)

    def key(self, field: str) -> str:
        """A stable text naming this warning for `field` (e.g. `list_price@temu-us`), kept
        with a held change: a confirmation covers exactly the warnings it was shown."""
        return f"{self.kind.value}:{field}:{format(self.value, 'f')}:{format(self.other, 'f')}"


def _far_apart(high: Decimal, low: Decimal) -> bool:
    return low > 0 and high >= low * JUMP_FACTOR


def listing_warnings(
    old_list: Decimal | None,
    old_lowest: Decimal | None,
    new_list: Decimal | None,
    new_lowest: Decimal | None,
) -> list[PriceWarning]:
    """What is implausible about a listing going from (old_list, old_lowest) to
    (new_list, new_lowest). Nothing when neither price changes."""
    if (old_list, old_lowest) == (new_list, new_lowest):
        return []
    warnings: list[PriceWarning] = []
    if new_list is not None and old_list is not None and new_list != old_list:
        if _far_apart(new_list, old_list):
            warnings.append(PriceWarning(PriceWarningKind.JUMP_UP, new_list, old_list))
        elif _far_apart(old_list, new_list):
            warnings.append(PriceWarning(PriceWarningKind.JUMP_DOWN, new_list, old_list))
    if new_lowest is not None and new_list is not None:
        if new_lowest > new_list:
            warnings.append(PriceWarning(PriceWarningKind.LOWEST_ABOVE_LIST, new_lowest, new_list))
        elif _far_apart(new_list, new_lowest):
            warnings.append(PriceWarning(PriceWarningKind.LOWEST_FAR_BELOW, new_lowest, new_list))
    return warnings
