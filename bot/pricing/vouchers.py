"""Voucher floors: "spend ≥ T, get V off" (SPEC §3.6).

Headroom per unit of customer spend is h_i = (R_i − R_floor_i) / P_i; with
h = min h_i and the seller-funded part V_s = V − min(s_v·V, C_v):

    T_min    = V_s / h                                  rounded up (and never below V)
    V_max(T) = min(T·h / (1 − s_v), T·h + C_v)           rounded down (and never above T)

h stays an exact fraction (numerator, denominator) so the rounding is exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext

from bot.pricing._exact import DISPLAY, EXACT, ceil_to_minor, floor_to_minor
from bot.pricing.model import Subsidy, VoucherFunding
from bot.pricing.money import Money, currency_digits, exact_decimal, normalize_currency
from bot.pricing.reasons import VoucherStatus

__all__ = [
    "Headroom",
    "VoucherLine",
    "VoucherResult",
    "largest_voucher",
    "minimum_threshold",
    "voucher_line",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class VoucherLine:
    """An enrolled SKU at its campaign prices: customer price P, seller price R (P plus the
    item subsidy) and floor R_floor, all in the campaign channel's currency."""

    sku: str
    customer_price: Decimal
    seller_price: Decimal
    floor: Decimal

    def __post_init__(self) -> None:
        for field in ("customer_price", "seller_price", "floor"):
            object.__setattr__(self, field, exact_decimal(getattr(self, field), field))
        if self.customer_price <= 0:
            raise ValueError("customer_price must be greater than 0")


def voucher_line(
    sku: str, list_price: Decimal, customer_price: Decimal, floor: Decimal, subsidy: Subsidy
) -> VoucherLine:
    """A line at `customer_price`, its seller price including the item subsidy."""
    with localcontext(EXACT):
        seller_price = customer_price + subsidy.per_unit(list_price - customer_price)
    return VoucherLine(sku, customer_price, seller_price, floor)


@dataclass(frozen=True, slots=True)
class Headroom:
    """h_i = (R_i − R_floor_i) / P_i, kept as an exact fraction."""

    sku: str
    numerator: Decimal
    denominator: Decimal

    @property
    def value(self) -> Decimal:
        with localcontext(DISPLAY):
            return self.numerator / self.denominator

    def __lt__(self, other: Headroom) -> bool:
        return self.numerator * other.denominator < other.numerator * self.denominator


@dataclass(frozen=True, slots=True)
class VoucherResult:
    """The answer to one voucher question.

    Under BLOCKED, `blockers` names the SKUs with no headroom and `without_blockers`
    answers the same question as if they were left out (None when nothing is left).
    """

    status: VoucherStatus
    currency: str
    funding: VoucherFunding
    voucher: Money | None  # V: given, or the largest safe one for the threshold
    threshold: Money | None  # T: given, or the minimum safe one for the voucher
    seller_funded: Money | None  # V_s at that voucher
    weakest: Headroom | None  # the SKU that sets h
    headrooms: tuple[Headroom, ...]
    blockers: tuple[str, ...] = ()
    without_blockers: VoucherResult | None = None


def _headrooms(lines: Sequence[VoucherLine]) -> tuple[Headroom, ...]:
    with localcontext(EXACT):
        return tuple(
            Headroom(line.sku, line.seller_price - line.floor, line.customer_price)
            for line in lines
        )


def minimum_threshold(
    lines: Sequence[VoucherLine],
    voucher: Decimal,
    currency: str,
    funding: VoucherFunding | None = None,
) -> VoucherResult:
    """The smallest order threshold T at which a voucher worth `voucher` keeps every
    enrolled SKU at or above its floor (T_min = V_s / h, rounded up)."""
    return _solve(lines, currency, funding or VoucherFunding(), voucher=voucher)


def largest_voucher(
    lines: Sequence[VoucherLine],
    threshold: Decimal,
    currency: str,
    funding: VoucherFunding | None = None,
) -> VoucherResult:
    """The largest voucher V that an order threshold `threshold` can carry without pushing
    any enrolled SKU under its floor (rounded down, never above the threshold)."""
    return _solve(lines, currency, funding or VoucherFunding(), threshold=threshold)


def _solve(
    lines: Sequence[VoucherLine],
    currency: str,
    funding: VoucherFunding,
    *,
    voucher: Decimal | None = None,
    threshold: Decimal | None = None,
) -> VoucherResult:
    currency = normalize_currency(currency)
    given = voucher if voucher is not None else threshold
    if exact_decimal(given, "voucher" if voucher is not None else "threshold") < 0:
        raise ValueError("a voucher or threshold must not be negative")
    headrooms = _headrooms(lines)
    if not headrooms:
        return VoucherResult(
            VoucherStatus.NO_LINES, currency, funding, None, None, None, None, headrooms
        )
    blockers = tuple(h.sku for h in headrooms if h.numerator <= 0)
    if blockers:
        rest = [line for line in lines if line.sku not in blockers]
        without = (
            _solve(rest, currency, funding, voucher=voucher, threshold=threshold) if rest else None
        )
        return VoucherResult(
            VoucherStatus.BLOCKED,
            currency,
            funding,
            None if voucher is None else Money(voucher, currency),
            None if threshold is None else Money(threshold, currency),
            None,
            min(headrooms),
            headrooms,
            blockers,
            without,
        )
    weakest = min(headrooms)
    digits = currency_digits(currency)
    with localcontext(EXACT):
        if voucher is not None:
            seller_funded = funding.seller_part(voucher)
            # T_min = V_s / h = V_s·P / (R − R_floor); an order never pays less than 0,
            # so the threshold is at least the voucher itself.
            threshold = max(
                ceil_to_minor(voucher, _ONE, digits),
                ceil_to_minor(seller_funded * weakest.denominator, weakest.numerator, digits),
            )
        else:
            assert threshold is not None
            t_h_num = threshold * weakest.numerator  # T·h = t_h_num / P
            voucher = floor_to_minor(threshold, _ONE, digits)
            if funding.share < 1:
                voucher = min(
                    voucher,
                    floor_to_minor(t_h_num, weakest.denominator * (_ONE - funding.share), digits),
                )
            if funding.cap is not None:
                voucher = min(
                    voucher,
                    floor_to_minor(
                        t_h_num + funding.cap * weakest.denominator, weakest.denominator, digits
                    ),
                )
            seller_funded = funding.seller_part(voucher)
    return VoucherResult(
        VoucherStatus.OK,
        currency,
        funding,
        Money(voucher, currency),
        Money(threshold, currency),
        Money(seller_funded, currency),
        weakest,
        headrooms,
    )
