"""Per-unit economics, floors, deepest discounts and eligibility (SPEC §3.2–3.5).

`PricingContext` precomputes everything that depends only on the channel, the
run settings and the FX table (D, c·β, F, the FX factor per cost currency), so
many SKUs are evaluated with a handful of Decimal operations each
(`evaluate_many`). The rich `floor` / `discount` / `eligibility` methods return
the same numbers with their full breakdown, for the chat to explain *why*.

Exactness: with k = fx·(1 + buffer) = k_num / k_den and
D_n = (1 − m) − c·g, where g = 1 + v for fees on gross and 1 for fees on net,

    R_floor = (F + L)·(1 + v) / (D·(1 + v)) = (F·k_den + cost·k_num)·(1 + v) / (k_den·D_n)

is a quotient of two finite decimals, rounded up with an exact integer division.

Price grid (SPEC §3.8, bot/pricing/grid.py): the floor and the customer price floor are
proposed prices, so they round up to the channel's grid; a suggested campaign price rounds
down to it, never below the customer price floor (else `Status.NO_GRID_PRICE`). The exact
floor (`raw_floor`, to the minor unit) stays the margin threshold: a planned price is under
the floor when it is under the exact floor. With the default grid (one minor unit) the grid
changes no number.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import NamedTuple

from bot.pricing._exact import (
    DISPLAY,
    EXACT,
    floor_div,
    floor_to_minor,
)
from bot.pricing.fx import FxQuote, FxTable
from bot.pricing.grid import PriceGrid
from bot.pricing.landed import LandedCost, buffer_for, explain_landed_cost
from bot.pricing.model import (
    CampaignRules,
    Channel,
    DutyBasis,
    FeesOn,
    Listing,
    Mode,
    ReferenceRule,
    RunSettings,
    SkuCost,
    Subsidy,
    SubsidyKind,
)
from bot.pricing.money import Money, currency_digits
from bot.pricing.reasons import FeeKind, InputError, InputProblem, Status

__all__ = [
    "CostRow",
    "DiscountResult",
    "Eligibility",
    "FeeLine",
    "FloorResult",
    "FloorRow",
    "NoPriceReason",
    "PricingContext",
    "UnitEconomics",
    "check_eligibility",
    "deepest_discount",
    "floor_price",
    "landed_cost",
    "unit_economics",
]

_ZERO = Decimal(0)
_ONE = Decimal(1)
_HUNDREDTH = Decimal("0.01")
_new_row = tuple.__new__  # skips the NamedTuple's Python-level __new__ on the hot path


class FloorRow(NamedTuple):
    """One SKU × channel row of the batch API; amounts rounded as SPEC §6.1 asks.

    `floor_price` and `customer_floor` are on the channel's price grid (rounded up to it);
    `raw_floor` and `raw_customer_floor` are the exact ones, to the minor unit.
    `max_discount` is the list price minus `customer_floor`; `max_discount_pct` is a
    fraction rounded down to the discount step; `margin_at_list_pct` is a percentage
    rounded half up to two decimals. Under NO_GRID_PRICE (no grid price between the
    customer price floor and the list price) the three discount fields are None.
    """

    status: Status
    landed_cost: Decimal | None
    break_even: Decimal | None
    floor_price: Decimal | None
    list_price: Decimal | None
    max_discount: Decimal | None
    customer_floor: Decimal | None
    max_discount_pct: Decimal | None
    margin_at_list_pct: Decimal | None
    raw_floor: Decimal | None = None
    raw_customer_floor: Decimal | None = None


# (sku cost fields …, cost_currency, list_price): the row shape `evaluate_many` takes.
CostRow = tuple[Decimal, Decimal, Decimal, Decimal, Decimal, str, Decimal | None]


@dataclass(frozen=True, slots=True)
class FeeLine:
    """A channel fee at the price under study; `rate` is None for a per-unit amount."""

    kind: FeeKind
    rate: Decimal | None
    amount: Money


@dataclass(frozen=True, slots=True)
class UnitEconomics:
    """SPEC §3.2 at seller price R: where every unit of R goes."""

    seller_price: Money
    vat_rate: Decimal  # v: 0 when shelf prices exclude VAT
    vat: Money
    net_revenue: Money
    fees_on: FeesOn
    fee_base: Money  # β·R
    fees: tuple[FeeLine, ...]
    fees_total: Money
    landed_cost: Money
    profit: Money
    margin: Decimal | None  # profit / net revenue (None when net revenue is 0)
    markup: Decimal | None  # profit / landed cost (None when landed cost is 0)


@dataclass(frozen=True, slots=True)
class NoPriceReason:
    """Why no price reaches the target: the % fees, as shares of net revenue, plus the
    margin add up to 100 % or more."""

    target_margin: Decimal
    fee_shares: tuple[tuple[FeeKind, Decimal], ...]  # each % fee as a share of net revenue
    fees_share: Decimal  # c·β·(1 + v)
    total: Decimal  # target_margin + fees_share (≥ 1)


@dataclass(frozen=True, slots=True)
class FloorResult:
    """The floor card (SPEC §3.3): status OK, NO_PRICE or NO_FX_RATE."""

    sku: str
    currency: str
    status: Status
    target_margin: Decimal
    landed: LandedCost | None
    break_even: Money | None
    floor: Money | None
    at_floor: UnitEconomics | None
    no_price: NoPriceReason | None
    missing_rate: tuple[str, str] | None  # (from, to) under NO_FX_RATE
    raw_floor: Money | None = None  # the exact floor, to the minor unit (`floor` is on the grid)
    grid: PriceGrid | None = None  # the channel's price grid

    @property
    def grid_moved_floor(self) -> bool:
        """True when the price grid put the floor above the exact floor."""
        return (
            self.floor is not None and self.raw_floor is not None and self.floor != self.raw_floor
        )


@dataclass(frozen=True, slots=True)
class DiscountResult:
    """The deepest campaign discount (SPEC §3.4).

    Status OK, BELOW_FLOOR (list price under the floor), NO_GRID_PRICE (no price on the
    grid between the customer price floor and the list price), NO_LIST_PRICE, or the
    floor's NO_PRICE / NO_FX_RATE. Discount fields are set only under OK; the exact ones
    (`exact_max_discount`, `raw_customer_floor`) under NO_GRID_PRICE too.

    One consistent pair for the headline: `max_discount_pct` (the percentage, rounded
    down to the step) and `step_discount` (the amount that percentage gives, rounded
    down: the seller's favour). `max_discount` / `customer_floor` are the deepest discount
    and the lowest customer price on the price grid; `exact_max_discount` /
    `raw_customer_floor` the exact maximum, to the minor unit.
    """

    status: Status
    floor: FloorResult
    list_price: Money | None
    subsidy: Subsidy
    discount_step: Decimal
    max_discount: Money | None
    customer_floor: Money | None  # list price − deepest discount
    max_discount_pct: Decimal | None  # fraction, rounded down to the step
    subsidy_at_max: Money | None
    seller_price_at_max: Money | None
    at_list: UnitEconomics | None  # margin at the list price (also when below the floor)
    at_max: UnitEconomics | None
    step_discount: Money | None = None  # list price × max_discount_pct, rounded down
    exact_max_discount: Money | None = None  # SPEC §3.4 D_max, rounded down to the minor unit
    raw_customer_floor: Money | None = None  # list price − exact_max_discount

    @property
    def max_discount_share(self) -> Decimal | None:
        """`max_discount` as a fraction of the list price, rounded down to 0.01 %."""
        return _share(self.max_discount, self.list_price)

    @property
    def exact_max_discount_share(self) -> Decimal | None:
        """`exact_max_discount` as a fraction of the list price, rounded down to 0.01 %."""
        return _share(self.exact_max_discount, self.list_price)

    @property
    def grid_moved_discount(self) -> bool:
        """True when the price grid made the deepest discount smaller than the exact one."""
        return self.exact_max_discount is not None and (
            self.max_discount is None or self.max_discount != self.exact_max_discount
        )


def _share(amount: Money | None, whole: Money | None) -> Decimal | None:
    if amount is None or whole is None or not whole.amount:
        return None
    with localcontext(EXACT):
        return floor_to_minor(amount.amount, whole.amount, 4)


@dataclass(frozen=True, slots=True)
class Eligibility:
    """A SKU under a campaign's minimum discount and reference-price rule (SPEC §3.5)."""

    status: Status
    discount: DiscountResult
    rules: CampaignRules
    reference_price: Money | None  # list price, or min(list, lowest 30 days)
    max_customer_price: Money | None  # ref × (1 − min discount), rounded down
    suggested_price: Money | None  # the highest grid price that meets the rule (OK only)
    suggested_discount: Money | None  # list price − suggested price
    at_suggested: UnitEconomics | None

    @property
    def eligible(self) -> bool:
        return self.status is Status.OK


class _Factor(NamedTuple):
    """Per cost currency constants of the floor formula (see module docstring)."""

    quote: FxQuote
    buffer: Decimal
    k_num: Decimal  # rate numerator × (1 + buffer)
    k_den: Decimal  # rate denominator
    landed_den: Decimal  # k_den scaled for a minor-unit quotient
    a_fixed: Decimal  # F·k_den·(1 + v)
    a_cost: Decimal  # k_num·(1 + v)
    break_even_den: Decimal | None  # k_den·D_n(m = 0), scaled; None when it is ≤ 0
    floor_den: Decimal | None  # k_den·D_n(m), scaled; None when it is ≤ 0
    margin_coef: Decimal  # k_den·D_n(m = 0): margin(R) = (R·margin_coef − A) / (R·k_den)
    percent_den: Decimal  # k_den / 10⁴: margin in hundredths of a percent


class PricingContext:
    """One channel under one run (margin, FX buffer, rates, subsidy): evaluates SKUs.

    Build once per channel and run; reuse for every SKU.
    """

    __slots__ = (
        "_break_even_dn",
        "_cif",
        "_digits",
        "_duty_applies",
        "_factors",
        "_fee_multiplier",
        "_floor_dn",
        "_fx",
        "_one_plus_v",
        "_share_den",
        "_subsidy_cap",
        "_subsidy_fixed",
        "_unit",
        "channel",
        "discount_step",
        "grid",
        "run",
        "subsidy",
    )

    def __init__(
        self,
        channel: Channel,
        run: RunSettings | None = None,
        fx: FxTable | None = None,
        subsidy: Subsidy | None = None,
        discount_step: Decimal | None = None,
    ) -> None:
        self.channel = channel
        self.run = run or RunSettings()
        self.subsidy = subsidy or Subsidy.none()
        self.discount_step = discount_step or channel.discount_step
        self.grid = channel.grid
        self._fx = fx
        self._digits = currency_digits(channel.currency)
        self._unit = Decimal(1).scaleb(-self._digits)
        self._cif = channel.duty_basis is DutyBasis.CIF
        self._duty_applies = channel.mode is not Mode.FULL  # fully managed: platform pays
        with localcontext(EXACT):
            v = channel.effective_vat_rate
            self._one_plus_v = _ONE + v
            # c·β·(1 + v): the % fees as a share of net revenue
            self._fee_multiplier = self._one_plus_v if channel.fees_on is FeesOn.GROSS else _ONE
            fees_share = channel.percent_fees * self._fee_multiplier
            self._floor_dn = _ONE - self.run.target_margin - fees_share
            self._break_even_dn = _ONE - fees_share
            sub = self.subsidy
            self._subsidy_fixed = floor_div(sub.amount, self._unit) * self._unit
            self._subsidy_cap = (
                None if sub.cap is None else floor_div(sub.cap, self._unit) * self._unit
            )
            # (1 − s), scaled for a minor-unit quotient; None when s = 1 (no limit but the cap)
            self._share_den = (_ONE - sub.share).scaleb(-self._digits) if sub.share < 1 else None
        self._factors: dict[str, _Factor | None] = {}

    # --- per-currency constants ------------------------------------------------------
    def quote(self, cost_currency: str) -> FxQuote | None:
        """The FX quote from `cost_currency` to the channel's currency, if any is known."""
        sale = self.channel.currency
        if cost_currency == sale:
            return FxQuote(sale, sale, _ONE, _ONE)
        return None if self._fx is None else self._fx.quote(cost_currency, sale)

    def _factor(self, cost_currency: str) -> _Factor | None:
        if cost_currency in self._factors:
            return self._factors[cost_currency]
        quote = self.quote(cost_currency)
        factor = None if quote is None else self._build_factor(quote)
        self._factors[cost_currency] = factor
        return factor

    def _build_factor(self, quote: FxQuote) -> _Factor:
        digits = self._digits
        with localcontext(EXACT):
            buffer = buffer_for(quote, self.run.fx_buffer)
            k_num = quote.numerator * (_ONE + buffer)
            k_den = quote.denominator
            return _Factor(
                quote=quote,
                buffer=buffer,
                k_num=k_num,
                k_den=k_den,
                landed_den=k_den.scaleb(-digits),
                a_fixed=self.channel.fixed_fees * k_den * self._one_plus_v,
                a_cost=k_num * self._one_plus_v,
                break_even_den=(k_den * self._break_even_dn).scaleb(-digits)
                if self._break_even_dn > 0
                else None,
                floor_den=(k_den * self._floor_dn).scaleb(-digits) if self._floor_dn > 0 else None,
                margin_coef=k_den * self._break_even_dn,
                percent_den=k_den.scaleb(-4),
            )

    # --- batch ----------------------------------------------------------------------
    def evaluate_many(self, rows: Iterable[CostRow]) -> list[FloorRow]:
        """Evaluate many SKUs: rows of (unit_cost, packaging, first_mile, other_cost,
        duty_rate, cost_currency, list_price).

        Inputs must already be valid (non-negative Decimals, duty as a fraction, an
        upper-case currency code, list prices > 0 on the minor unit) — `SkuCost`,
        `Listing` and `SkuRowParser` check exactly that.
        """
        # The hot loop: everything per channel and currency is precomputed and hoisted
        # into locals, and each ceiling is `q, r = divmod(x, y); if r: q += 1` (exact for
        # x ≥ 0 < y). The cyclic GC is paused: the loop allocates only acyclic tuples and
        # Decimals, and would otherwise rescan the growing result list again and again.
        unit = self._unit
        cif = self._cif
        duty_applies = self._duty_applies
        step = self.discount_step
        deepest_discount = self._deepest_discount
        grid_up = None if self.grid.is_minor_unit else self.grid.up_exact
        no_fx, no_price, no_list = Status.NO_FX_RATE, Status.NO_PRICE, Status.NO_LIST_PRICE
        below, ok, no_grid = Status.BELOW_FLOOR, Status.OK, Status.NO_GRID_PRICE
        one, hundredth, new_row = _ONE, _HUNDREDTH, _new_row
        out: list[FloorRow] = []
        append = out.append
        current: str | None = None
        factor: _Factor | None = None
        k_num = landed_den = a_fixed = a_cost = margin_coef = percent_den = _ZERO
        break_even_den: Decimal | None = None
        floor_den: Decimal | None = None
        with localcontext(EXACT), GcPause():
            for unit_cost, packaging, first_mile, other_cost, duty_rate, currency, lp in rows:
                if currency != current:  # rows usually share one cost currency
                    current = currency
                    factor = self._factor(currency)
                    if factor is not None:
                        k_num, landed_den = factor.k_num, factor.landed_den
                        a_fixed, a_cost = factor.a_fixed, factor.a_cost
                        break_even_den, floor_den = factor.break_even_den, factor.floor_den
                        margin_coef, percent_den = factor.margin_coef, factor.percent_den
                if factor is None:
                    append(
                        new_row(
                            FloorRow,
                            (no_fx, None, None, None, lp, None, None, None, None, None, None),
                        )
                    )
                    continue
                cost = unit_cost + packaging + first_mile + other_cost
                if duty_rate and duty_applies:
                    cost += duty_rate * (unit_cost + first_mile if cif else unit_cost)
                units, rest = divmod(cost * k_num, landed_den)
                if rest:
                    units += one
                landed = units * unit
                a = a_fixed + cost * a_cost  # (F + L)·(1 + v)·k_den
                break_even = floor = None
                if break_even_den is not None:
                    units, rest = divmod(a, break_even_den)
                    if rest:
                        units += one
                    break_even = units * unit
                    if floor_den is not None:
                        units, rest = divmod(a, floor_den)
                        if rest:
                            units += one
                        floor = units * unit
                shown_floor = floor if grid_up is None or floor is None else grid_up(floor)
                if lp is None:
                    status = no_price if floor is None else no_list
                    append(
                        new_row(
                            FloorRow,
                            (
                                status,
                                landed,
                                break_even,
                                shown_floor,
                                None,
                                None,
                                None,
                                None,
                                None,
                                floor,
                                None,
                            ),
                        )
                    )
                    continue
                # margin at the list price, in percent rounded half up to 2 decimals:
                # margin = x / (Lp·k_den) with x = Lp·margin_coef − A
                x = lp * margin_coef - a
                den = lp * percent_den
                hundredths, rest = divmod(x.copy_abs(), den)
                if rest + rest >= den:
                    hundredths += one
                margin_pct = hundredths * hundredth
                if x < 0 and hundredths:  # no "-0.00"
                    margin_pct = -margin_pct
                if floor is None or lp < floor:
                    status = no_price if floor is None else below
                    append(
                        new_row(
                            FloorRow,
                            (
                                status,
                                landed,
                                break_even,
                                shown_floor,
                                lp,
                                None,
                                None,
                                None,
                                margin_pct,
                                floor,
                                None,
                            ),
                        )
                    )
                    continue
                discount = deepest_discount(lp, floor)
                raw_customer_floor = customer_floor = lp - discount
                if grid_up is not None:
                    customer_floor = grid_up(raw_customer_floor)
                    if customer_floor > lp:  # no grid price between the floor and the list price
                        append(
                            new_row(
                                FloorRow,
                                (
                                    no_grid,
                                    landed,
                                    break_even,
                                    shown_floor,
                                    lp,
                                    None,
                                    None,
                                    None,
                                    margin_pct,
                                    floor,
                                    raw_customer_floor,
                                ),
                            )
                        )
                        continue
                    discount = lp - customer_floor
                append(
                    new_row(
                        FloorRow,
                        (
                            ok,
                            landed,
                            break_even,
                            shown_floor,
                            lp,
                            discount,
                            customer_floor,
                            discount // (lp * step) * step,  # whole steps, rounded down
                            margin_pct,
                            floor,
                            raw_customer_floor,
                        ),
                    )
                )
        return out

    def evaluate(
        self,
        unit_cost: Decimal,
        packaging: Decimal,
        first_mile: Decimal,
        other_cost: Decimal,
        duty_rate: Decimal,
        cost_currency: str,
        list_price: Decimal | None = None,
    ) -> FloorRow:
        """One row of `evaluate_many`."""
        row = (unit_cost, packaging, first_mile, other_cost, duty_rate, cost_currency, list_price)
        return self.evaluate_many((row,))[0]

    def floor_rows(
        self, skus: Sequence[SkuCost], listings: Sequence[Listing | None] | None = None
    ) -> list[FloorRow]:
        """Batch floors (and discounts where a listing has a list price) for SKU objects."""
        if listings is None:
            listings = [None] * len(skus)
        return self.evaluate_many(
            _cost_row(sku, None if listing is None else listing.list_price)
            for sku, listing in zip(skus, listings, strict=True)
        )

    def _deepest_discount(self, list_price: Decimal, floor: Decimal) -> Decimal:
        """SPEC §3.4 deepest D (rounded down, at most the list price); list_price ≥ floor."""
        gap = list_price - floor
        kind = self.subsidy.kind
        if kind is SubsidyKind.NONE:
            return gap
        if kind is SubsidyKind.FIXED:
            return min(gap + self._subsidy_fixed, list_price)
        deepest = list_price
        if self._share_den is not None:  # (Lp − R_floor) / (1 − s), rounded down (gap ≥ 0)
            deepest = min(deepest, gap // self._share_den * self._unit)
        if self._subsidy_cap is not None:
            deepest = min(deepest, gap + self._subsidy_cap)
        return deepest

    # --- rich results -----------------------------------------------------------------
    def floor(self, sku: SkuCost) -> FloorResult:
        """The floor card for one SKU, with its breakdown."""
        row = self.evaluate(*_cost_row(sku, None))
        return self._floor_result(sku, row)

    def _floor_result(self, sku: SkuCost, row: FloorRow) -> FloorResult:
        channel = self.channel
        currency = channel.currency
        margin = self.run.target_margin
        if row.status is Status.NO_FX_RATE:
            return FloorResult(
                sku.sku,
                currency,
                Status.NO_FX_RATE,
                margin,
                None,
                None,
                None,
                None,
                None,
                (sku.cost_currency, currency),
                None,
                self.grid,
            )
        factor = self._factor(sku.cost_currency)
        assert factor is not None  # the row has an FX rate
        landed = explain_landed_cost(sku, channel, factor.quote, self.run.fx_buffer)
        floor = None if row.floor_price is None else Money(row.floor_price, currency)
        return FloorResult(
            sku=sku.sku,
            currency=currency,
            status=Status.OK if floor is not None else Status.NO_PRICE,
            target_margin=margin,
            landed=landed,
            break_even=None if row.break_even is None else Money(row.break_even, currency),
            floor=floor,
            at_floor=None if floor is None else self._economics(floor.amount, landed),
            no_price=self._no_price_reason() if floor is None else None,
            missing_rate=None,
            raw_floor=None if row.raw_floor is None else Money(row.raw_floor, currency),
            grid=self.grid,
        )

    def _no_price_reason(self) -> NoPriceReason:
        channel = self.channel
        with localcontext(EXACT):
            shares = tuple(
                (kind, getattr(channel, kind.value) * self._fee_multiplier)
                for kind in _PERCENT_FEES
            )
            fees_share = sum((share for _, share in shares), _ZERO)
            margin = self.run.target_margin
            return NoPriceReason(margin, shares, fees_share, margin + fees_share)

    def economics(self, sku: SkuCost, seller_price: Decimal) -> UnitEconomics | None:
        """Profit, margin and markup at `seller_price` (None when there is no FX rate)."""
        factor = self._factor(sku.cost_currency)
        if factor is None:
            return None
        landed = explain_landed_cost(sku, self.channel, factor.quote, self.run.fx_buffer)
        return self._economics(seller_price, landed)

    def margin_at(self, sku: SkuCost, seller_price: Decimal) -> Decimal | None:
        """The margin on net revenue at `seller_price` (a fraction), or None."""
        economics = self.economics(sku, seller_price)
        return None if economics is None else economics.margin

    def _economics(self, seller_price: Decimal, landed: LandedCost) -> UnitEconomics:
        channel = self.channel
        currency = channel.currency
        with localcontext(DISPLAY):
            net = seller_price / self._one_plus_v
            fee_base = seller_price if channel.fees_on is FeesOn.GROSS else net
            lines = [
                FeeLine(
                    kind,
                    getattr(channel, kind.value),
                    Money(fee_base * getattr(channel, kind.value), currency),
                )
                for kind in _PERCENT_FEES
            ]
            lines += [
                FeeLine(kind, None, Money(getattr(channel, kind.value), currency))
                for kind in _FIXED_FEES
            ]
            fees_total = sum((line.amount.amount for line in lines), _ZERO)
            landed_exact = landed.exact.amount
            profit = net - fees_total - landed_exact
            return UnitEconomics(
                seller_price=Money(seller_price, currency),
                vat_rate=channel.effective_vat_rate,
                vat=Money(seller_price - net, currency),
                net_revenue=Money(net, currency),
                fees_on=channel.fees_on,
                fee_base=Money(fee_base, currency),
                fees=tuple(lines),
                fees_total=Money(fees_total, currency),
                landed_cost=landed.exact,
                profit=Money(profit, currency),
                margin=profit / net if net else None,
                markup=profit / landed_exact if landed_exact else None,
            )

    def discount(self, sku: SkuCost, listing: Listing | None) -> DiscountResult:
        """The deepest discount for the SKU's listing under this context's subsidy."""
        list_price = None if listing is None else listing.list_price
        if list_price is not None:
            self._check_price(list_price, "list_price")
        row = self.evaluate(*_cost_row(sku, list_price))
        floor = self._floor_result(sku, row)
        currency = self.channel.currency
        money_list = None if list_price is None else Money(list_price, currency)
        at_list = None
        if floor.landed is not None and list_price is not None:
            at_list = self._economics(list_price, floor.landed)
        exact = raw_customer_floor = None
        if row.raw_customer_floor is not None and list_price is not None:
            raw_customer_floor = Money(row.raw_customer_floor, currency)
            exact = Money(list_price - row.raw_customer_floor, currency)
        if row.status is not Status.OK:
            return DiscountResult(
                row.status,
                floor,
                money_list,
                self.subsidy,
                self.discount_step,
                None,
                None,
                None,
                None,
                None,
                at_list,
                None,
                None,
                exact,
                raw_customer_floor,
            )
        assert row.max_discount is not None and row.customer_floor is not None
        assert row.max_discount_pct is not None and list_price is not None
        assert floor.landed is not None
        with localcontext(EXACT):
            subsidy_at_max = self.subsidy.per_unit(row.max_discount)
            seller_at_max = row.customer_floor + subsidy_at_max
            step_discount = floor_to_minor(list_price * row.max_discount_pct, _ONE, self._digits)
        return DiscountResult(
            status=Status.OK,
            floor=floor,
            list_price=money_list,
            subsidy=self.subsidy,
            discount_step=self.discount_step,
            max_discount=Money(row.max_discount, currency),
            customer_floor=Money(row.customer_floor, currency),
            max_discount_pct=row.max_discount_pct,
            subsidy_at_max=Money(subsidy_at_max, currency),
            seller_price_at_max=Money(seller_at_max, currency),
            at_list=at_list,
            at_max=self._economics(seller_at_max, floor.landed),
            step_discount=Money(step_discount, currency),
            exact_max_discount=exact,
            raw_customer_floor=raw_customer_floor,
        )

    def eligibility(
        self, sku: SkuCost, listing: Listing | None, rules: CampaignRules
    ) -> Eligibility:
        """Whether the SKU can join a campaign with `rules`, and at what price."""
        discount = self.discount(sku, listing)
        if discount.status not in (Status.OK, Status.NO_GRID_PRICE):
            return Eligibility(discount.status, discount, rules, None, None, None, None, None)
        assert listing is not None and listing.list_price is not None
        assert discount.raw_customer_floor is not None and discount.floor.landed is not None
        list_price = listing.list_price
        reference = list_price
        if rules.reference_rule is ReferenceRule.LOWEST_30D and listing.lowest_30d is not None:
            self._check_price(listing.lowest_30d, "lowest_30d")
            reference = min(list_price, listing.lowest_30d)
        currency = self.channel.currency
        with localcontext(EXACT):
            max_price = floor_to_minor(reference * (_ONE - rules.min_discount), _ONE, self._digits)
        lowest = discount.raw_customer_floor.amount
        on_grid = self.grid.highest_between(lowest, max_price)
        if max_price < lowest:
            status = Status.CANNOT_REACH_MIN_DEPTH
        elif on_grid is None:
            status = Status.NO_GRID_PRICE
        else:
            status = Status.OK
        suggested = suggested_discount = at_suggested = None
        if status is Status.OK:
            assert on_grid is not None
            suggested = Money(on_grid, currency)
            with localcontext(EXACT):
                depth = list_price - on_grid
                seller_price = on_grid + self.subsidy.per_unit(depth)
            suggested_discount = Money(depth, currency)
            at_suggested = self._economics(seller_price, discount.floor.landed)
        return Eligibility(
            status=status,
            discount=discount,
            rules=rules,
            reference_price=Money(reference, currency),
            max_customer_price=Money(max_price, currency),
            suggested_price=suggested,
            suggested_discount=suggested_discount,
            at_suggested=at_suggested,
        )

    def _check_price(self, price: Decimal, field: str) -> None:
        """A shelf price is a whole number of minor units; anything finer is a typo."""
        if price % self._unit:
            raise InputError(
                InputProblem.TOO_MANY_DECIMALS, price, field, limit=self.channel.currency
            )


_PERCENT_FEES = (
    FeeKind.COMMISSION,
    FeeKind.PAYMENT_RATE,
    FeeKind.RETURNS_RATE,
    FeeKind.ADS_RATE,
)
_FIXED_FEES = (FeeKind.FULFILMENT_FEE, FeeKind.PAYMENT_FIXED, FeeKind.OTHER_CHANNEL_FEE)


class GcPause:
    """Pause the cyclic garbage collector around a batch that allocates only acyclic
    objects (Decimals, tuples): it would otherwise rescan the growing results again
    and again. Reference counting still frees everything as usual."""

    __slots__ = ("_was_enabled",)

    def __enter__(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self._was_enabled:
            gc.enable()


def _cost_row(sku: SkuCost, list_price: Decimal | None) -> CostRow:
    return (
        sku.unit_cost,
        sku.packaging,
        sku.first_mile,
        sku.other_cost,
        sku.duty_rate,
        sku.cost_currency,
        list_price,
    )


# --- one-off helpers: build a context for a single question ------------------------------
def landed_cost(
    sku: SkuCost, channel: Channel, run: RunSettings | None = None, fx: FxTable | None = None
) -> LandedCost | None:
    """L for one SKU on one channel (None when there is no FX rate)."""
    context = PricingContext(channel, run, fx)
    quote = context.quote(sku.cost_currency)
    if quote is None:
        return None
    return explain_landed_cost(sku, channel, quote, context.run.fx_buffer)


def floor_price(
    sku: SkuCost, channel: Channel, run: RunSettings | None = None, fx: FxTable | None = None
) -> FloorResult:
    """The floor (and break-even) for one SKU on one channel."""
    return PricingContext(channel, run, fx).floor(sku)


def unit_economics(
    sku: SkuCost,
    seller_price: Decimal,
    channel: Channel,
    run: RunSettings | None = None,
    fx: FxTable | None = None,
) -> UnitEconomics | None:
    """Profit, margin and markup at a given seller price (None when there is no FX rate)."""
    return PricingContext(channel, run, fx).economics(sku, seller_price)


def deepest_discount(
    sku: SkuCost,
    listing: Listing | None,
    channel: Channel,
    run: RunSettings | None = None,
    fx: FxTable | None = None,
    subsidy: Subsidy | None = None,
    discount_step: Decimal | None = None,
) -> DiscountResult:
    """The deepest campaign discount for one SKU (SPEC §3.4)."""
    return PricingContext(channel, run, fx, subsidy, discount_step).discount(sku, listing)


def check_eligibility(
    sku: SkuCost,
    listing: Listing | None,
    channel: Channel,
    rules: CampaignRules,
    run: RunSettings | None = None,
    fx: FxTable | None = None,
    subsidy: Subsidy | None = None,
) -> Eligibility:
    """Eligibility under a campaign's minimum discount and reference rule (SPEC §3.5)."""
    context = PricingContext(channel, run, fx, subsidy, rules.discount_step)
    return context.eligibility(sku, listing, rules)
