"""Text → typed values for the field names of SPEC §3.0.

Shared by the `floors` tool, `--set`, chat `key=value` edits and CSV/XLSX
imports, so a field means and validates the same everywhere. Errors are
`InputError`s naming the field; the caller adds the row and words the message.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, TypeVar

from bot.pricing.model import (
    DEFAULT_COST_CURRENCY,
    Channel,
    DutyBasis,
    FeesOn,
    Listing,
    Mode,
    SkuCost,
)
from bot.pricing.money import (
    UnknownCurrencyError,
    minor_unit,
    normalize_currency,
    parse_decimal,
    parse_percent,
)
from bot.pricing.reasons import InputError, InputProblem

__all__ = [
    "CHANNEL_FIELDS",
    "MAX_DUTY_PERCENT",
    "SKU_FIELDS",
    "ParsedSku",
    "SkuRowParser",
    "apply_channel_overrides",
    "parse_bool",
    "parse_channel_value",
]

# Real tariffs have exceeded 100 % (US 2025); the floors tool still caps input at 100 %
# as the product brief asks, so a typo ("150" for "15.0") is caught. Raise this to allow more.
MAX_DUTY_PERCENT = Decimal(100)

_TRUE = frozenset({"true", "yes", "y", "1", "on"})
_FALSE = frozenset({"false", "no", "n", "0", "off"})

E = TypeVar("E", bound=StrEnum)


def parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise InputError(InputProblem.NOT_A_BOOLEAN, text)


def _choice(enum: type[E]) -> Callable[[str], E]:
    def parse(text: str) -> E:
        try:
            return enum(text.strip().lower())
        except ValueError:
            raise InputError(
                InputProblem.NOT_A_CHOICE, text, limit=", ".join(e.value for e in enum)
            ) from None

    return parse


def _text(text: str) -> str:
    return text.strip()


def _step(text: str) -> Decimal:
    step = parse_percent(text)
    if step <= 0:
        raise InputError(InputProblem.NOT_POSITIVE, text)
    return step


# Channel field → parser of its text form (percent fields become fractions).
CHANNEL_FIELDS: Mapping[str, Callable[[str], object]] = {
    "platform": _text,
    "market": lambda text: text.strip().upper(),
    "mode": _choice(Mode),
    "currency": normalize_currency,
    "vat_rate": parse_percent,
    "prices_include_vat": parse_bool,
    "fees_on": _choice(FeesOn),
    "commission": parse_percent,
    "payment_rate": parse_percent,
    "returns_rate": parse_percent,
    "ads_rate": parse_percent,
    "payment_fixed": parse_decimal,
    "fulfilment_fee": parse_decimal,
    "other_channel_fee": parse_decimal,
    "duty_basis": _choice(DutyBasis),
    "discount_step": _step,
}


def parse_channel_value(field: str, text: str) -> object:
    """Parse the text of one channel field; raises `InputError` naming the field."""
    name = field.strip().lower()
    parser = CHANNEL_FIELDS.get(name)
    if parser is None:
        raise InputError(InputProblem.UNKNOWN_FIELD, field, field)
    try:
        return parser(text)
    except InputError as exc:
        raise exc.with_field(name) from None


def apply_channel_overrides(
    channel: Channel, overrides: Mapping[str, str] | Iterable[tuple[str, str]]
) -> Channel:
    """A copy of `channel` with `field=value` texts applied (later ones win)."""
    pairs = overrides.items() if isinstance(overrides, Mapping) else overrides
    values = {field.strip().lower(): parse_channel_value(field, text) for field, text in pairs}
    return dataclasses.replace(channel, **values)  # type: ignore[arg-type]


# SKU fields a file may carry (SPEC §3.0); `sku` and `unit_cost` are required.
SKU_FIELDS = (
    "sku",
    "name",
    "unit_cost",
    "cost_currency",
    "packaging",
    "first_mile",
    "other_cost",
    "duty_rate",
    "list_price",
    "lowest_30d",
)
REQUIRED_SKU_FIELDS = ("sku", "unit_cost")
_ZERO = Decimal(0)


class ParsedSku(NamedTuple):
    """One SKU row, parsed; percentages as fractions, prices in the sale currency."""

    sku: str
    name: str | None
    unit_cost: Decimal
    cost_currency: str
    packaging: Decimal
    first_mile: Decimal
    other_cost: Decimal
    duty_rate: Decimal
    list_price: Decimal | None
    lowest_30d: Decimal | None

    def sku_cost(self) -> SkuCost:
        return SkuCost(
            self.sku,
            self.unit_cost,
            self.cost_currency,
            self.packaging,
            self.first_mile,
            self.other_cost,
            self.duty_rate,
            self.name,
        )

    def listing(self) -> Listing:
        return Listing(self.list_price, self.lowest_30d)


class SkuRowParser:
    """Parses the data rows of a SKU table whose header row was given once.

    Header names are matched case-insensitively; unknown columns are ignored (seller
    files carry extra columns); a missing required column or a repeated one is an
    error naming that column.
    """

    __slots__ = ("_columns", "_currencies", "_default_currency", "_price_unit", "sale_currency")

    def __init__(
        self,
        header: Sequence[str],
        sale_currency: str,
        default_cost_currency: str = DEFAULT_COST_CURRENCY,
    ) -> None:
        columns: dict[str, int] = {}
        for index, raw in enumerate(header):
            name = (raw or "").strip().lower().lstrip("\ufeff")
            if name in SKU_FIELDS:
                if name in columns:
                    raise InputError(InputProblem.DUPLICATE, name, name, limit="header")
                columns[name] = index
        for name in REQUIRED_SKU_FIELDS:
            if name not in columns:
                raise InputError(InputProblem.REQUIRED, None, name, limit="column")
        self._columns = columns
        self.sale_currency = normalize_currency(sale_currency)
        self._price_unit = minor_unit(self.sale_currency)
        self._default_currency = normalize_currency(default_cost_currency)
        self._currencies: dict[str, str] = {}

    def _cell(self, row: Sequence[str], name: str) -> str:
        index = self._columns.get(name)
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def _amount(self, row: Sequence[str], name: str) -> Decimal:
        text = self._cell(row, name)
        if not text:
            return _ZERO
        try:
            return parse_decimal(text)
        except InputError as exc:
            raise exc.with_field(name) from None

    def _price(self, row: Sequence[str], name: str) -> Decimal | None:
        text = self._cell(row, name)
        if not text:
            return None
        try:
            price = parse_decimal(text)
        except InputError as exc:
            raise exc.with_field(name) from None
        if price <= 0:
            raise InputError(InputProblem.NOT_POSITIVE, text, name)
        if price % self._price_unit:
            raise InputError(InputProblem.TOO_MANY_DECIMALS, text, name, limit=self.sale_currency)
        return price

    def _currency(self, row: Sequence[str]) -> str:
        text = self._cell(row, "cost_currency")
        if not text:
            return self._default_currency
        cached = self._currencies.get(text)
        if cached is None:
            try:
                cached = normalize_currency(text)
            except UnknownCurrencyError:
                raise InputError(InputProblem.UNKNOWN_CURRENCY, text, "cost_currency") from None
            self._currencies[text] = cached
        return cached

    def parse(self, row: Sequence[str]) -> ParsedSku:
        """Parse one data row; raises `InputError` with the offending field."""
        sku = self._cell(row, "sku")
        if not sku:
            raise InputError(InputProblem.REQUIRED, "", "sku")
        if not self._cell(row, "unit_cost"):
            raise InputError(InputProblem.REQUIRED, "", "unit_cost")
        duty_text = self._cell(row, "duty_rate")
        try:
            duty_rate = parse_percent(duty_text, maximum=MAX_DUTY_PERCENT) if duty_text else _ZERO
        except InputError as exc:
            raise exc.with_field("duty_rate") from None
        return ParsedSku(
            sku=sku,
            name=self._cell(row, "name") or None,
            unit_cost=self._amount(row, "unit_cost"),
            cost_currency=self._currency(row),
            packaging=self._amount(row, "packaging"),
            first_mile=self._amount(row, "first_mile"),
            other_cost=self._amount(row, "other_cost"),
            duty_rate=duty_rate,
            list_price=self._price(row, "list_price"),
            lowest_30d=self._price(row, "lowest_30d"),
        )
