"""The price grid of a channel (SPEC §3.8): the prices a seller actually uses.

A grid is a `price_step` and optional `price_endings`:

* without endings, the grid prices are the whole multiples of the step — step 10 won:
  13,510, 13,520 …; the default step is one minor unit (every price is on the grid);
* with endings, an ending is what a price ends in within each *period*, and the grid
  prices are `k × period + ending` (k = 0, 1, 2 …). The period is the step when the step
  is at least one whole unit of the currency, else one whole unit: `price_endings=0.99`
  gives 12.99, 13.99 …; `0.49,0.99` gives 12.49, 12.99, 13.49 …; on KRW
  `price_step=1000 price_endings=900` gives 12,900, 13,900 …

Every ending is a whole number of minor units in [0, period): an ending finer than the
currency's minor unit (0.99 on KRW) or not below the period is refused.

Every price the bot proposes lies on the grid: a floor rounds *up* to the next grid price
(`up`), a suggested campaign price rounds *down* (`down`) but never below the customer
price floor. All arithmetic is exact.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, localcontext

from bot.pricing._exact import EXACT, ceil_div, floor_div
from bot.pricing.money import minor_unit, normalize_currency
from bot.pricing.reasons import InputError, InputProblem

__all__ = ["MAX_PRICE_ENDINGS", "PriceGrid", "format_endings"]

MAX_PRICE_ENDINGS = 10
_ZERO = Decimal(0)
_ONE = Decimal(1)


def _text(value: Decimal) -> str:
    return format(value, "f")


def format_endings(endings: Iterable[Decimal]) -> str:
    """Endings as `price_endings` takes and stores them: '0.49,0.99', '900' ('' for none)."""
    return ",".join(format(e.normalize(), "f") for e in sorted(endings))


@dataclass(frozen=True, slots=True)
class PriceGrid:
    """The grid of one currency. Build it with `PriceGrid.of` (which validates)."""

    currency: str
    step: Decimal  # the distance between grid prices without endings; ≥ one minor unit
    endings: tuple[Decimal, ...] = ()  # sorted, each in [0, period)
    unit: Decimal = field(init=False, compare=False)
    period: Decimal = field(init=False, compare=False)
    offsets: tuple[Decimal, ...] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "currency", normalize_currency(self.currency))
        unit = minor_unit(self.currency)
        step = self.step
        if step <= 0:
            raise InputError(InputProblem.NOT_POSITIVE, _text(step), "price_step")
        if step % unit:
            raise InputError(
                InputProblem.TOO_MANY_DECIMALS, _text(step), "price_step", limit=self.currency
            )
        step = step.quantize(unit)
        period = step if not self.endings or step >= _ONE else _ONE.quantize(unit)
        if len(self.endings) > MAX_PRICE_ENDINGS:
            raise InputError(
                InputProblem.OVER_MAXIMUM,
                ",".join(_text(e) for e in self.endings),
                "price_endings",
                limit=MAX_PRICE_ENDINGS,
            )
        endings: list[Decimal] = []
        for ending in self.endings:
            if ending < 0:
                raise InputError(InputProblem.NEGATIVE, _text(ending), "price_endings")
            if ending % unit:
                raise InputError(
                    InputProblem.TOO_MANY_DECIMALS,
                    _text(ending),
                    "price_endings",
                    limit=self.currency,
                )
            if ending >= period:
                raise InputError(
                    InputProblem.NOT_BELOW, _text(ending), "price_endings", limit=_text(period)
                )
            ending = ending.quantize(unit)
            if ending in endings:
                raise InputError(InputProblem.DUPLICATE, _text(ending), "price_endings")
            endings.append(ending)
        set_(self, "step", step)
        set_(self, "endings", tuple(sorted(endings)))
        set_(self, "unit", unit)
        set_(self, "period", period)
        set_(self, "offsets", self.endings or (_ZERO.quantize(unit),))

    @classmethod
    def of(
        cls, currency: str, step: Decimal | None = None, endings: Iterable[Decimal] = ()
    ) -> PriceGrid:
        """The grid for `currency`; `step` None means one minor unit. Raises `InputError`
        naming `price_step` or `price_endings`."""
        code = normalize_currency(currency)
        return cls(code, minor_unit(code) if step is None else step, tuple(endings))

    @property
    def is_minor_unit(self) -> bool:
        """True for the default grid: every whole number of minor units is on it."""
        return self.step == self.unit and not self.endings

    def up(self, price: Decimal) -> Decimal:
        """The smallest grid price ≥ `price` (a floor rounds up)."""
        if self.is_minor_unit:
            with localcontext(EXACT):
                return (ceil_div(price, self.unit) * self.unit).quantize(self.unit)
        period = self.period
        best: Decimal | None = None
        with localcontext(EXACT):
            for offset in self.offsets:
                k = ceil_div(price - offset, period) if price > offset else _ZERO
                candidate = k * period + offset
                if best is None or candidate < best:
                    best = candidate
            assert best is not None
            return best.quantize(self.unit)

    def up_exact(self, price: Decimal) -> Decimal:
        """`up` for the batch loop: the caller holds the `EXACT` context and passes a whole
        number of minor units (so the result needs no quantize)."""
        period = self.period
        best: Decimal | None = None
        for offset in self.offsets:
            if price > offset:
                k, rest = divmod(price - offset, period)
                if rest:
                    k += 1
                candidate = k * period + offset
            else:
                candidate = offset
            if best is None or candidate < best:
                best = candidate
        assert best is not None
        return best

    def down(self, price: Decimal) -> Decimal | None:
        """The largest grid price ≤ `price` (a suggested price rounds down); None when no
        grid price is that low."""
        if self.is_minor_unit:
            if price < 0:
                return None
            with localcontext(EXACT):
                return (floor_div(price, self.unit) * self.unit).quantize(self.unit)
        period = self.period
        best: Decimal | None = None
        with localcontext(EXACT):
            for offset in self.offsets:
                if price < offset:
                    continue
                candidate = floor_div(price - offset, period) * period + offset
                if best is None or candidate > best:
                    best = candidate
            return None if best is None else best.quantize(self.unit)

    def highest_between(self, low: Decimal, high: Decimal) -> Decimal | None:
        """The highest grid price in [low, high], or None when none lies between."""
        price = self.down(high)
        return price if price is not None and price >= low else None

    def contains(self, price: Decimal) -> bool:
        return self.down(price) == price

    def endings_text(self) -> str:
        """The endings as `price_endings` takes them: '0.49,0.99' ('' when none)."""
        return format_endings(self.endings)
