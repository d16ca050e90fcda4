"""Text → typed values for the field names of SPEC §3.0.

Shared by the `floors` tool, `--set`, chat `key=value` edits and CSV/XLSX
imports, so a field means and validates the same everywhere. Errors are
`InputError`s naming the field; the caller adds the row and words the message.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple, TypeVar

from bot import limits
from bot.pricing.floors import CostRow
from bot.pricing.grid import MAX_PRICE_ENDINGS
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
    normalize_currency,
    parse_amount,
    parse_percent,
)
from bot.pricing.numbers import NumberStyle
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


def _step(text: str, style: NumberStyle | None = None) -> Decimal:
    step = parse_percent(text, style=style)
    if step <= 0:
        raise InputError(InputProblem.NOT_POSITIVE, text)
    return step


# `price_step=none`, `price_endings=none` (or an empty value) go back to the default grid.
_GRID_DEFAULT = frozenset({"", "none", "-", "off", "default"})
_ENDINGS_SEPARATOR = re.compile(r"[,;\s]+")
_COMMA_ENDINGS_SEPARATOR = re.compile(r"[;\s]+")  # the comma is a decimal mark then
_DECIMAL_COMMA = re.compile(r"[0-9]+,[0-9]{1,2}")


def parse_price_step(text: str, style: NumberStyle | None = None) -> Decimal | None:
    """`price_step` (SPEC §3.8): a positive amount, or None for one minor unit. Whether it
    is a whole number of the currency's minor units is checked with the currency
    (`bot.pricing.grid.PriceGrid`)."""
    stripped = text.strip()
    if stripped.lower() in _GRID_DEFAULT:
        return None
    step = parse_amount(stripped, style=style)
    if step <= 0:
        raise InputError(InputProblem.NOT_POSITIVE, text)
    return step


def parse_price_endings(text: str, style: NumberStyle | None = None) -> tuple[Decimal, ...]:
    """`price_endings` (SPEC §3.8): '0.99', '0.49,0.99' (',' or ';' between endings), or
    'none'. A lone decimal comma ('0,99') is read as 0.99; a reader who writes decimal
    commas (`style`) separates endings with ';' or spaces ('0,49;0,99'). Ranges are checked
    with the currency and step (`bot.pricing.grid.PriceGrid`)."""
    stripped = text.strip()
    if stripped.lower() in _GRID_DEFAULT:
        return ()
    if _DECIMAL_COMMA.fullmatch(stripped):
        stripped = stripped.replace(",", ".")
    # with decimal commas (and no '.': '0.49,0.99' is the plain form) ',' is not a separator
    commas = style is not None and style.decimal_comma and "." not in stripped
    separator = _COMMA_ENDINGS_SEPARATOR if commas else _ENDINGS_SEPARATOR
    parts = [part for part in separator.split(stripped) if part]
    if len(parts) > MAX_PRICE_ENDINGS:
        raise InputError(InputProblem.OVER_MAXIMUM, text, limit=MAX_PRICE_ENDINGS)
    endings: list[Decimal] = []
    for part in parts:
        ending = parse_amount(part, style=style)
        if ending in endings:
            raise InputError(InputProblem.DUPLICATE, part)
        endings.append(ending)
    return tuple(endings)


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
    "payment_fixed": parse_amount,
    "fulfilment_fee": parse_amount,
    "other_channel_fee": parse_amount,
    "duty_basis": _choice(DutyBasis),
    "discount_step": _step,
    "price_step": parse_price_step,
    "price_endings": parse_price_endings,
}


_PERCENT_FIELDS = frozenset({"vat_rate", "commission", "payment_rate", "returns_rate", "ads_rate"})
_AMOUNT_FIELDS = frozenset({"payment_fixed", "fulfilment_fee", "other_channel_fee"})


def _styled(name: str, text: str, style: NumberStyle) -> object:
    """A number field read in the reader's style (`bot.pricing.numbers`)."""
    if name in _PERCENT_FIELDS:
        return parse_percent(text, style=style)
    if name in _AMOUNT_FIELDS:
        return parse_amount(text, style=style)
    if name == "discount_step":
        return _step(text, style)
    if name == "price_step":
        return parse_price_step(text, style)
    if name == "price_endings":
        return parse_price_endings(text, style)
    return CHANNEL_FIELDS[name](text)


def parse_channel_value(field: str, text: str, *, style: NumberStyle | None = None) -> object:
    """Parse the text of one channel field (numbers in the reader's `style` when given);
    raises `InputError` naming the field."""
    name = field.strip().lower()
    parser = CHANNEL_FIELDS.get(name)
    if parser is None:
        raise InputError(InputProblem.UNKNOWN_FIELD, field, field)
    try:
        return parser(text) if style is None else _styled(name, text, style)
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
SKU_COST_FIELDS = (
    "sku",
    "name",
    "unit_cost",
    "cost_currency",
    "packaging",
    "first_mile",
    "other_cost",
    "duty_rate",
)
LISTING_FIELDS = ("list_price", "lowest_30d")
SKU_FIELDS = SKU_COST_FIELDS + LISTING_FIELDS
REQUIRED_SKU_FIELDS = ("sku", "unit_cost")
_ZERO = Decimal(0)
_MEMO_LIMIT = 10_000


def _quick_amount(text: str) -> Decimal | None:
    """'123.45' as a Decimal when the text alone shows it is a plain amount within the
    bounds (at most nine integer digits and six decimals); else None (take the slow path)."""
    if len(text) > 16 or not text.isascii():
        return None
    whole, _dot, fraction = text.partition(".")
    if len(whole) > 9 or len(fraction) > limits.MAX_AMOUNT_DECIMALS:
        return None
    if not (whole + fraction).isdigit():
        return None
    return Decimal(text)


def _fast_decimal(text: str, style: NumberStyle | None = None) -> Decimal:
    """An amount (`parse_amount`, SPEC §4.2 bounds) with a shortcut for the common plain
    '123.45' (plain in every style: a lone '.' is a decimal point); "" is 0."""
    stripped = text.strip()
    value = _quick_amount(stripped)
    if value is not None:
        return value
    if not stripped:
        return _ZERO
    return parse_amount(stripped, style=style)


def _name(text: str) -> str | None:
    """A SKU's display name (None when blank); at most 200 characters (an export's
    formula escape, a leading apostrophe, does not count)."""
    name = text.strip()
    if not name:
        return None
    escaped = name[0] == "'" and name[1:2] in ("=", "+", "-", "@")
    if len(name) - escaped > limits.MAX_NAME_LENGTH:
        raise InputError(InputProblem.TOO_LONG, name, "name", limit=limits.MAX_NAME_LENGTH)
    return name


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
    error naming that column. Parsed texts are memoised (bounded), because a table
    repeats the same packaging, freight, duty and currency cells row after row.
    """

    __slots__ = (
        "_amount_indices",
        "_amounts",
        "_columns",
        "_currencies",
        "_default_currency",
        "_indices",
        "_percents",
        "_prices",
        "_sku_index",
        "_style",
        "_unit_costs",
        "_width",
        "sale_currency",
    )

    def __init__(
        self,
        header: Sequence[str],
        sale_currency: str,
        default_cost_currency: str = DEFAULT_COST_CURRENCY,
        style: NumberStyle | None = None,
    ) -> None:
        """`style`: how the numbers are written (the reader's locale, or a `;`-separated
        CSV's decimal comma); None reads plain digits with '.' only."""
        self._style = style
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
        self._width = max(columns.values()) + 1
        self._sku_index = columns["sku"]
        self._indices = tuple(
            columns.get(name) for name in ("cost_currency", "duty_rate", "list_price")
        )
        self._amount_indices = (
            columns["unit_cost"],
            columns.get("packaging"),
            columns.get("first_mile"),
            columns.get("other_cost"),
        )
        self.sale_currency = normalize_currency(sale_currency)
        self._default_currency = normalize_currency(default_cost_currency)
        self._currencies: dict[str, str] = {"": self._default_currency}
        self._amounts: dict[str, Decimal] = {"": _ZERO}
        self._unit_costs: dict[str, Decimal] = {}
        self._percents: dict[str, Decimal] = {"": _ZERO}
        self._prices: dict[str, Decimal] = {}

    def _amount(self, text: str, field: str) -> Decimal:
        """A memo miss: parse and remember. Blank means 0, except for unit_cost, where it
        means missing (so unit costs have a memo of their own, without blanks)."""
        stripped = text.strip()
        if field == "unit_cost":
            if not stripped:
                raise InputError(InputProblem.REQUIRED, "", field)
            memo = self._unit_costs
        else:
            memo = self._amounts
        try:
            value = _fast_decimal(stripped, self._style)
        except InputError as exc:
            raise exc.with_field(field) from None
        if len(memo) < _MEMO_LIMIT:
            memo[text] = value
        return value

    def _price(self, text: str, field: str) -> Decimal | None:
        price = self._prices.get(text)
        if price is not None:
            return price
        if not text.strip():
            return None
        try:  # > 0, at most 10^9, a whole number of minor units; '19.9' → 19.90
            price = parse_amount(
                text, positive=True, currency=self.sale_currency, style=self._style
            )
        except InputError as exc:
            raise exc.with_field(field) from None
        if len(self._prices) < _MEMO_LIMIT:
            self._prices[text] = price
        return price

    def _duty(self, text: str) -> Decimal:
        value = self._percents.get(text)
        if value is None:
            try:  # a blank cell is 0 %, like the other optional numbers
                value = (
                    parse_percent(text, maximum=MAX_DUTY_PERCENT, style=self._style)
                    if text.strip()
                    else _ZERO
                )
            except InputError as exc:
                raise exc.with_field("duty_rate") from None
            if len(self._percents) < _MEMO_LIMIT:
                self._percents[text] = value
        return value

    def _currency(self, text: str) -> str:
        code = self._currencies.get(text)
        if code is None:
            try:  # a blank cell means the default cost currency
                code = normalize_currency(text) if text.strip() else self._default_currency
            except UnknownCurrencyError:
                raise InputError(InputProblem.UNKNOWN_CURRENCY, text, "cost_currency") from None
            if len(self._currencies) < _MEMO_LIMIT:
                self._currencies[text] = code
        return code

    def _padded(self, row: Sequence[str]) -> Sequence[str]:
        """Short rows (trailing empty cells dropped by the writer) are padded with ""."""
        missing = self._width - len(row)
        return row if missing <= 0 else [*row, *[""] * missing]

    def parse(self, row: Sequence[str]) -> ParsedSku:
        """Parse one data row; raises `InputError` with the offending field."""
        row = self._padded(row)
        sku, (unit_cost, packaging, first_mile, other_cost, duty_rate, currency, list_price) = (
            self.parse_cost(row)
        )
        name_index = self._columns.get("name")
        lowest_index = self._columns.get("lowest_30d")
        return ParsedSku(
            sku=sku,
            name=_name(row[name_index]) if name_index is not None else None,
            unit_cost=unit_cost,
            cost_currency=currency,
            packaging=packaging,
            first_mile=first_mile,
            other_cost=other_cost,
            duty_rate=duty_rate,
            list_price=list_price,
            lowest_30d=None
            if lowest_index is None
            else self._price(row[lowest_index], "lowest_30d"),
        )

    def parse_cost(self, row: Sequence[str]) -> tuple[str, CostRow]:
        """The SKU code and its `CostRow` — the fast path for batch evaluation.

        Unrolled on purpose: it runs once per row of files with 100 000 rows.
        """
        if len(row) < self._width:
            row = self._padded(row)
        sku = row[self._sku_index].strip()
        if not sku:
            raise InputError(InputProblem.REQUIRED, "", "sku")
        unit_index, packaging_index, first_mile_index, other_index = self._amount_indices
        text = row[unit_index]
        unit_cost = self._unit_costs.get(text)
        if unit_cost is None:
            # mostly distinct per row: the plain-digits shortcut, no memo
            unit_cost = _quick_amount(text)
            if unit_cost is None:
                unit_cost = self._amount(text, "unit_cost")
        cached = self._amounts.get
        packaging = first_mile = other_cost = _ZERO
        if packaging_index is not None:
            text = row[packaging_index]
            value = cached(text)
            packaging = self._amount(text, "packaging") if value is None else value
        if first_mile_index is not None:
            text = row[first_mile_index]
            value = cached(text)
            first_mile = self._amount(text, "first_mile") if value is None else value
        if other_index is not None:
            text = row[other_index]
            value = cached(text)
            other_cost = self._amount(text, "other_cost") if value is None else value
        currency_index, duty_index, list_price_index = self._indices
        currency = self._default_currency
        if currency_index is not None:
            text = row[currency_index]
            currency = self._currencies.get(text) or self._currency(text)
        duty_rate = _ZERO
        if duty_index is not None:
            text = row[duty_index]
            value = self._percents.get(text)
            duty_rate = self._duty(text) if value is None else value
        list_price = None
        if list_price_index is not None:
            text = row[list_price_index]
            list_price = self._prices.get(text)
            if list_price is None and text:
                list_price = self._price(text, "list_price")
        return sku, (unit_cost, packaging, first_mile, other_cost, duty_rate, currency, list_price)
