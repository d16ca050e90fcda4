"""Inputs of the engine as immutable values (SPEC §3.0).

Percentages are fractions here (15 % is Decimal('0.15')); amounts are exact
Decimals in the currency named next to them. Each value checks itself on
construction, so the arithmetic never meets a float, a negative cost or a rate
above 100 %.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.pricing.grid import PriceGrid
from bot.pricing.money import exact_decimal, normalize_currency

__all__ = [
    "DEFAULT_COST_CURRENCY",
    "CampaignRules",
    "Channel",
    "DutyBasis",
    "FeesOn",
    "Listing",
    "Mode",
    "ReferenceRule",
    "RunSettings",
    "SkuCost",
    "Subsidy",
    "SubsidyKind",
    "VoucherFunding",
]

DEFAULT_COST_CURRENCY = "CNY"  # SPEC §3.0: the team's cost currency, usually CNY
_ZERO = Decimal(0)
_ONE = Decimal(1)


class Mode(StrEnum):
    FULL = "full"  # fully managed: the platform buys at a supply price and pays import costs
    SEMI = "semi"  # semi-managed: the seller fulfils, the platform sells
    SELF = "self"  # the seller runs the store


class FeesOn(StrEnum):
    GROSS = "gross"  # % fees on the VAT-inclusive price
    NET = "net"  # % fees on the price without VAT


class DutyBasis(StrEnum):
    FOB = "fob"  # duty on the goods' value only (US)
    CIF = "cif"  # duty on goods plus first-mile freight (EU, UK, KR, ZA …)


class SubsidyKind(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    SHARE = "share"


class ReferenceRule(StrEnum):
    LIST = "list"
    LOWEST_30D = "lowest_30d"


def _amount(value: object, what: str) -> Decimal:
    amount = exact_decimal(value, what)
    if amount < 0:
        raise ValueError(f"{what} must not be negative, got {amount}")
    return amount


def _fraction(value: object, what: str, *, upper: Decimal | None = _ONE) -> Decimal:
    fraction = _amount(value, what)
    if upper is not None and fraction > upper:
        raise ValueError(f"{what} must be at most {upper}, got {fraction}")
    return fraction


def _optional_price(value: object, what: str) -> Decimal | None:
    if value is None:
        return None
    price = exact_decimal(value, what)
    if price <= 0:
        raise ValueError(f"{what} must be greater than 0, got {price}")
    return price


@dataclass(frozen=True, slots=True)
class SkuCost:
    """Cost side of a SKU, per unit, in `cost_currency`. `duty_rate` is a fraction."""

    sku: str
    unit_cost: Decimal
    cost_currency: str = DEFAULT_COST_CURRENCY
    packaging: Decimal = _ZERO
    first_mile: Decimal = _ZERO
    other_cost: Decimal = _ZERO
    duty_rate: Decimal = _ZERO
    name: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.sku, str) or not self.sku.strip():
            raise ValueError("sku must be a non-empty string")
        object.__setattr__(self, "cost_currency", normalize_currency(self.cost_currency))
        for field in ("unit_cost", "packaging", "first_mile", "other_cost"):
            object.__setattr__(self, field, _amount(getattr(self, field), field))
        # Tariffs above 100 % exist (US 2025), so the engine sets no upper bound here.
        object.__setattr__(self, "duty_rate", _fraction(self.duty_rate, "duty_rate", upper=None))

    @property
    def display_name(self) -> str:
        return self.name or self.sku


@dataclass(frozen=True, slots=True)
class Listing:
    """A SKU on a channel: its regular price and the lowest price of the last 30 days
    (both in the channel's currency, VAT-inclusive where the channel's prices are)."""

    list_price: Decimal | None = None
    lowest_30d: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "list_price", _optional_price(self.list_price, "list_price"))
        object.__setattr__(self, "lowest_30d", _optional_price(self.lowest_30d, "lowest_30d"))


@dataclass(frozen=True, slots=True)
class Channel:
    """Sale side: platform × market × mode with currency, VAT and fee schedule.

    `duty_basis` defaults to FOB in the US and CIF elsewhere; `prices_include_vat`
    defaults to true outside the US (SPEC §3.0). `price_step` (None: one minor unit) and
    `price_endings` make the price grid (SPEC §3.8, bot/pricing/grid.py); an invalid grid
    raises `InputError` naming `price_step` or `price_endings`.
    """

    currency: str
    platform: str = "custom"
    market: str = ""
    mode: Mode = Mode.SELF
    vat_rate: Decimal = _ZERO
    prices_include_vat: bool | None = None
    fees_on: FeesOn = FeesOn.GROSS
    commission: Decimal = _ZERO
    payment_rate: Decimal = _ZERO
    returns_rate: Decimal = _ZERO
    ads_rate: Decimal = _ZERO
    payment_fixed: Decimal = _ZERO
    fulfilment_fee: Decimal = _ZERO
    other_channel_fee: Decimal = _ZERO
    duty_basis: DutyBasis | None = None
    discount_step: Decimal = Decimal("0.01")
    price_step: Decimal | None = None
    price_endings: tuple[Decimal, ...] = ()
    grid: PriceGrid = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "currency", normalize_currency(self.currency))
        if self.price_step is not None:
            set_(self, "price_step", exact_decimal(self.price_step, "price_step"))
        endings = tuple(exact_decimal(e, "price_endings") for e in self.price_endings)
        grid = PriceGrid.of(self.currency, self.price_step, endings)
        set_(self, "grid", grid)
        set_(self, "price_endings", grid.endings)
        set_(self, "mode", Mode(self.mode))
        set_(self, "fees_on", FeesOn(self.fees_on))
        us = self.market.strip().upper() == "US"
        if self.prices_include_vat is None:
            set_(self, "prices_include_vat", not us)
        if self.duty_basis is None:
            set_(self, "duty_basis", DutyBasis.FOB if us else DutyBasis.CIF)
        else:
            set_(self, "duty_basis", DutyBasis(self.duty_basis))
        for field in ("vat_rate", "commission", "payment_rate", "returns_rate", "ads_rate"):
            set_(self, field, _fraction(getattr(self, field), field))
        for field in ("payment_fixed", "fulfilment_fee", "other_channel_fee"):
            set_(self, field, _amount(getattr(self, field), field))
        step = _fraction(self.discount_step, "discount_step")
        if step <= 0:
            raise ValueError("discount_step must be greater than 0")
        set_(self, "discount_step", step)

    @property
    def effective_vat_rate(self) -> Decimal:
        """`v` of SPEC §3.2: the VAT rate when shelf prices include it, else 0."""
        return self.vat_rate if self.prices_include_vat else _ZERO

    @property
    def percent_fees(self) -> Decimal:
        """`c` of SPEC §3.2."""
        return self.commission + self.payment_rate + self.returns_rate + self.ads_rate

    @property
    def fixed_fees(self) -> Decimal:
        """`F` of SPEC §3.2 (one unit per order, conservatively)."""
        return self.fulfilment_fee + self.payment_fixed + self.other_channel_fee


@dataclass(frozen=True, slots=True)
class RunSettings:
    """Team / run settings: target margin and FX buffer, as fractions."""

    target_margin: Decimal = Decimal("0.15")
    fx_buffer: Decimal = Decimal("0.02")

    def __post_init__(self) -> None:
        object.__setattr__(self, "target_margin", _fraction(self.target_margin, "target_margin"))
        object.__setattr__(self, "fx_buffer", _fraction(self.fx_buffer, "fx_buffer"))


@dataclass(frozen=True, slots=True)
class Subsidy:
    """Platform funding of an item discount (SPEC §3.4), in the channel's currency.

    `fixed`: S per unit. `share`: s of the discount, capped at `cap` per unit (None: no cap).
    """

    kind: SubsidyKind = SubsidyKind.NONE
    amount: Decimal = _ZERO
    share: Decimal = _ZERO
    cap: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", SubsidyKind(self.kind))
        object.__setattr__(self, "amount", _amount(self.amount, "amount"))
        object.__setattr__(self, "share", _fraction(self.share, "share"))
        if self.cap is not None:
            object.__setattr__(self, "cap", _amount(self.cap, "cap"))
        if self.kind is not SubsidyKind.FIXED and self.amount:
            raise ValueError("only a fixed subsidy has an amount")
        if self.kind is not SubsidyKind.SHARE and (self.share or self.cap is not None):
            raise ValueError("only a share subsidy has a share and a cap")

    @classmethod
    def none(cls) -> Subsidy:
        return cls()

    @classmethod
    def fixed(cls, amount: Decimal | int) -> Subsidy:
        return cls(SubsidyKind.FIXED, amount=exact_decimal(amount, "amount"))

    @classmethod
    def share_of_discount(cls, share: Decimal, cap: Decimal | int | None = None) -> Subsidy:
        return cls(
            SubsidyKind.SHARE,
            share=share,
            cap=None if cap is None else exact_decimal(cap, "cap"),
        )

    def per_unit(self, discount: Decimal) -> Decimal:
        """The platform's contribution per unit at customer discount `discount`."""
        if self.kind is SubsidyKind.FIXED:
            return self.amount
        if self.kind is SubsidyKind.SHARE:
            funded = self.share * discount
            return funded if self.cap is None else min(funded, self.cap)
        return _ZERO


@dataclass(frozen=True, slots=True)
class CampaignRules:
    """Minimum discount (fraction) and the price it is measured from (SPEC §3.5).

    `discount_step` overrides the channel's step for this campaign when given.
    """

    min_discount: Decimal = _ZERO
    reference_rule: ReferenceRule = ReferenceRule.LIST
    discount_step: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "min_discount", _fraction(self.min_discount, "min_discount"))
        object.__setattr__(self, "reference_rule", ReferenceRule(self.reference_rule))
        if self.discount_step is not None:
            step = _fraction(self.discount_step, "discount_step")
            if step <= 0:
                raise ValueError("discount_step must be greater than 0")
            object.__setattr__(self, "discount_step", step)


@dataclass(frozen=True, slots=True)
class VoucherFunding:
    """Platform share `s_v` of an order voucher, capped at `cap` per order (SPEC §3.6)."""

    share: Decimal = _ZERO
    cap: Decimal | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "share", _fraction(self.share, "share"))
        if self.cap is not None:
            object.__setattr__(self, "cap", _amount(self.cap, "cap"))

    def seller_part(self, voucher: Decimal) -> Decimal:
        """`V_s = V − min(s_v·V, C_v)`: what the seller funds of a voucher worth `voucher`."""
        platform = self.share * voucher
        if self.cap is not None:
            platform = min(platform, self.cap)
        return voucher - platform
