"""FX rates with their date and source: direct, inverse and cross rates (SPEC §3.7).

A quote keeps its rate as an exact fraction `numerator / denominator`, so an
inverse rate (1 / 7.1) or a cross rate through EUR costs no precision: the
floor computed from it is the exact ceiling, not the ceiling of a rounded
approximation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.pricing.money import exact_decimal, normalize_currency

__all__ = ["ECB_SOURCE", "MANUAL_SOURCE", "FxLeg", "FxQuote", "FxRate", "FxTable"]

ECB_SOURCE = "ecb"
MANUAL_SOURCE = "manual"
STALE_AFTER_DAYS = 3
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class FxRate:
    """One unit of `from_currency` buys `rate` units of `to_currency`, as of `as_of`."""

    from_currency: str
    to_currency: str
    rate: Decimal
    as_of: date | None = None
    source: str = MANUAL_SOURCE

    def __post_init__(self) -> None:
        object.__setattr__(self, "from_currency", normalize_currency(self.from_currency))
        object.__setattr__(self, "to_currency", normalize_currency(self.to_currency))
        rate = exact_decimal(self.rate, "rate")
        if rate <= 0:
            raise ValueError(f"an FX rate must be greater than 0, got {rate}")
        if self.from_currency == self.to_currency:
            raise ValueError("an FX rate needs two different currencies")
        object.__setattr__(self, "rate", rate)


@dataclass(frozen=True, slots=True)
class FxLeg:
    """A stored rate as used in a conversion; `inverted` means 1 / rate was used."""

    rate: FxRate
    inverted: bool = False


@dataclass(frozen=True, slots=True)
class FxQuote:
    """The conversion factor from one currency to another, with where it came from."""

    from_currency: str
    to_currency: str
    numerator: Decimal
    denominator: Decimal
    legs: tuple[FxLeg, ...] = ()

    @property
    def is_identity(self) -> bool:
        return not self.legs

    @property
    def rate(self) -> Decimal:
        """The factor as one Decimal (rounded to the context precision when inexact)."""
        return self.numerator / self.denominator

    @property
    def as_of(self) -> date | None:
        """The oldest date among the legs (a cross rate is as stale as its oldest leg)."""
        dates = [leg.rate.as_of for leg in self.legs]
        if not dates or any(d is None for d in dates):
            return None
        return min(d for d in dates if d is not None)

    @property
    def pivot(self) -> str | None:
        """The currency a cross rate goes through (None for a direct rate)."""
        if len(self.legs) < 2:
            return None
        first = self.legs[0]
        return first.rate.from_currency if first.inverted else first.rate.to_currency

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(leg.rate.source for leg in self.legs))

    def is_stale(self, today: date, max_age_days: int = STALE_AFTER_DAYS) -> bool:
        """True when a leg is older than `max_age_days` (or undated). Identity is never stale."""
        if self.is_identity:
            return False
        as_of = self.as_of
        return as_of is None or (today - as_of).days > max_age_days


class FxTable:
    """Rates from a reference source (ECB: EUR-based) plus manual overrides that win.

    Lookup order for A → B: an override A→B or B→A, then a reference rate A→B or
    B→A, then a cross rate A → base → B (or through another currency the table
    knows), each leg looked up the same way.
    """

    __slots__ = ("_base", "_overrides", "_reference")

    def __init__(
        self,
        rates: Iterable[FxRate] = (),
        overrides: Iterable[FxRate] = (),
        *,
        base: str = "EUR",
    ) -> None:
        self._base = normalize_currency(base)
        self._reference = _index(rates)
        self._overrides = _index(overrides)

    @classmethod
    def from_base_rates(
        cls,
        rates: Mapping[str, Decimal],
        *,
        base: str = "EUR",
        as_of: date | None = None,
        source: str = ECB_SOURCE,
        overrides: Iterable[FxRate] = (),
    ) -> FxTable:
        """Build from a base-currency table like the ECB's (1 EUR = 1.0832 USD …)."""
        reference = [FxRate(base, code, rate, as_of, source) for code, rate in rates.items()]
        return cls(reference, overrides, base=base)

    @property
    def base(self) -> str:
        return self._base

    def with_overrides(self, overrides: Iterable[FxRate]) -> FxTable:
        """A new table whose overrides also include `overrides` (later ones win)."""
        table = FxTable(base=self._base)
        table._reference = self._reference
        table._overrides = _index([*self._overrides.values(), *overrides])
        return table

    def quote(self, from_currency: str, to_currency: str) -> FxQuote | None:
        """The factor from `from_currency` to `to_currency`, or None when no rate is known."""
        source = normalize_currency(from_currency)
        target = normalize_currency(to_currency)
        if source == target:
            return FxQuote(source, target, _ONE, _ONE)
        direct = self._leg(source, target)
        if direct is not None:
            return _quote(source, target, (direct,))
        for pivot in self._pivots(source, target):
            first, second = self._leg(source, pivot), self._leg(pivot, target)
            if first is not None and second is not None:
                return _quote(source, target, (first, second))
        return None

    def _pivots(self, source: str, target: str) -> Iterator[str]:
        """The base currency first, then any other currency a rate mentions (sorted, so
        the choice is stable): USD:CNY and EUR:USD also give CNY→EUR through USD."""
        if self._base not in (source, target):
            yield self._base
        known = {code for pair in (*self._overrides, *self._reference) for code in pair}
        yield from sorted(known - {self._base, source, target})

    def _leg(self, source: str, target: str) -> FxLeg | None:
        for table in (self._overrides, self._reference):
            rate = table.get((source, target))
            if rate is not None:
                return FxLeg(rate)
            rate = table.get((target, source))
            if rate is not None:
                return FxLeg(rate, inverted=True)
        return None


def _index(rates: Iterable[FxRate]) -> dict[tuple[str, str], FxRate]:
    """Index by (from, to); a later rate replaces an earlier one for the pair in either
    direction, so USD→CNY set after CNY→USD is the one used both ways."""
    index: dict[tuple[str, str], FxRate] = {}
    for rate in rates:
        index.pop((rate.to_currency, rate.from_currency), None)
        index[(rate.from_currency, rate.to_currency)] = rate
    return index


def _quote(source: str, target: str, legs: tuple[FxLeg, ...]) -> FxQuote:
    numerator = denominator = _ONE
    for leg in legs:
        if leg.inverted:
            denominator *= leg.rate.rate
        else:
            numerator *= leg.rate.rate
    return FxQuote(source, target, numerator, denominator, legs)
