"""Landed cost in the sale currency (SPEC §3.1) and its breakdown."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from enum import StrEnum

from bot.pricing._exact import DISPLAY, EXACT, ceil_to_minor
from bot.pricing.fx import FxQuote
from bot.pricing.model import Channel, DutyBasis, Mode, SkuCost
from bot.pricing.money import Money, currency_digits

__all__ = [
    "CostKind",
    "CostLine",
    "DutyBreakdown",
    "FxUsed",
    "LandedCost",
    "buffer_for",
    "duty_base",
    "explain_landed_cost",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)


class CostKind(StrEnum):
    UNIT_COST = "unit_cost"
    PACKAGING = "packaging"
    FIRST_MILE = "first_mile"
    OTHER_COST = "other_cost"
    DUTY = "duty"


@dataclass(frozen=True, slots=True)
class CostLine:
    kind: CostKind
    amount: Money


@dataclass(frozen=True, slots=True)
class DutyBreakdown:
    """Duty = rate × base; `waived` when the channel is fully managed (the platform pays)."""

    basis: DutyBasis
    base: Money
    rate: Decimal
    amount: Money
    waived: bool


@dataclass(frozen=True, slots=True)
class FxUsed:
    """The rate used (with its date and source in `quote`) and the buffer added on top."""

    quote: FxQuote
    buffer: Decimal

    @property
    def factor(self) -> Decimal:
        """rate × (1 + buffer), for display."""
        with localcontext(DISPLAY):
            return self.quote.numerator * (_ONE + self.buffer) / self.quote.denominator


@dataclass(frozen=True, slots=True)
class LandedCost:
    """L of SPEC §3.1: cost lines in the cost currency, converted with FX and buffer.

    `exact` is the unrounded value (for display); `amount` is rounded up to the
    sale currency's minor unit, in the seller's favour.
    """

    lines: tuple[CostLine, ...]
    duty: DutyBreakdown
    cost_total: Money
    fx: FxUsed
    exact: Money
    amount: Money

    def sale_lines(self) -> tuple[CostLine, ...]:
        """Each cost line converted like the total (rate × (1 + buffer)), in the sale
        currency, unrounded: their sum is `exact`. For explanations (the /floor chart)."""
        quote, currency = self.fx.quote, self.exact.currency
        with localcontext(DISPLAY):
            factor = quote.numerator * (_ONE + self.fx.buffer)
            den = quote.denominator
            return tuple(
                CostLine(line.kind, Money(line.amount.amount * factor / den, currency))
                for line in self.lines
            )


def duty_base(sku: SkuCost, channel: Channel) -> Decimal:
    """unit_cost under FOB; unit_cost + first_mile under CIF."""
    if channel.duty_basis is DutyBasis.CIF:
        return sku.unit_cost + sku.first_mile
    return sku.unit_cost


def buffer_for(quote: FxQuote, fx_buffer: Decimal) -> Decimal:
    """The FX buffer guards against rate moves, so it applies only when a conversion happens."""
    return _ZERO if quote.is_identity else fx_buffer


def explain_landed_cost(
    sku: SkuCost, channel: Channel, quote: FxQuote, fx_buffer: Decimal
) -> LandedCost:
    """The full breakdown of L for one SKU on one channel."""
    cost_ccy = sku.cost_currency
    waived = channel.mode is Mode.FULL
    assert channel.duty_basis is not None  # resolved by Channel.__post_init__
    with localcontext(EXACT):
        base = duty_base(sku, channel)
        duty = _ZERO if waived else sku.duty_rate * base
        total = sku.unit_cost + sku.packaging + sku.first_mile + sku.other_cost + duty
        buffer = buffer_for(quote, fx_buffer)
        numerator = total * quote.numerator * (_ONE + buffer)
        rounded = ceil_to_minor(numerator, quote.denominator, currency_digits(channel.currency))
    with localcontext(DISPLAY):
        exact = numerator / quote.denominator
    lines = (
        CostLine(CostKind.UNIT_COST, Money(sku.unit_cost, cost_ccy)),
        CostLine(CostKind.PACKAGING, Money(sku.packaging, cost_ccy)),
        CostLine(CostKind.FIRST_MILE, Money(sku.first_mile, cost_ccy)),
        CostLine(CostKind.OTHER_COST, Money(sku.other_cost, cost_ccy)),
        CostLine(CostKind.DUTY, Money(duty, cost_ccy)),
    )
    return LandedCost(
        lines=lines,
        duty=DutyBreakdown(
            basis=channel.duty_basis,
            base=Money(base, cost_ccy),
            rate=sku.duty_rate,
            amount=Money(duty, cost_ccy),
            waived=waived,
        ),
        cost_total=Money(total, cost_ccy),
        fx=FxUsed(quote, buffer),
        exact=Money(exact, channel.currency),
        amount=Money(rounded, channel.currency),
    )
