"""Machine-readable outcomes of the engine. The chat layer turns them into words.

All enums are str-valued, so they store, compare and print as their value
(`Status.OK == "ok"`).
"""

from __future__ import annotations

from enum import StrEnum

from bot.limits import OutOfBounds

__all__ = [
    "FeeKind",
    "InputError",
    "InputProblem",
    "Status",
    "VoucherStatus",
]


class Status(StrEnum):
    """Outcome of a floor, discount or eligibility computation for one SKU on one channel."""

    OK = "ok"
    BELOW_FLOOR = "below_floor"  # the list price is under the floor: cannot join at any discount
    CANNOT_REACH_MIN_DEPTH = "cannot_reach_min_depth"  # the required discount breaks the floor
    NO_LIST_PRICE = "no_list_price"
    NO_FX_RATE = "no_fx_rate"  # no rate from the cost currency to the sale currency
    NO_PRICE = "no_price"  # fees plus target margin reach 100 % of net revenue
    # no price on the channel's price grid lies between the customer price floor and the
    # highest price allowed (the list price, or the campaign's maximum price)
    NO_GRID_PRICE = "no_grid_price"


class VoucherStatus(StrEnum):
    OK = "ok"
    BLOCKED = "blocked"  # some SKU has no headroom (h ≤ 0): no voucher is safe
    NO_LINES = "no_lines"  # nothing enrolled to check against


class FeeKind(StrEnum):
    """Channel fee components (SPEC §3.0), named as the channel fields."""

    COMMISSION = "commission"
    PAYMENT_RATE = "payment_rate"
    RETURNS_RATE = "returns_rate"
    ADS_RATE = "ads_rate"
    PAYMENT_FIXED = "payment_fixed"
    FULFILMENT_FEE = "fulfilment_fee"
    OTHER_CHANNEL_FEE = "other_channel_fee"


class InputProblem(StrEnum):
    """Why a field value was refused; the chat layer words it in the reader's language."""

    REQUIRED = "required"
    NOT_A_NUMBER = "not_a_number"
    NEGATIVE = "negative"
    NOT_POSITIVE = "not_positive"
    OVER_MAXIMUM = "over_maximum"
    TOO_MANY_DECIMALS = "too_many_decimals"  # a price finer than the currency's minor unit
    UNKNOWN_CURRENCY = "unknown_currency"
    UNKNOWN_FIELD = "unknown_field"
    NOT_A_CHOICE = "not_a_choice"
    NOT_A_BOOLEAN = "not_a_boolean"
    DUPLICATE = "duplicate"
    MALFORMED = "malformed"  # e.g. an --fx or --subsidy argument that does not parse
    # the bounds of bot/limits.py (SPEC §4.2 "Limits"); same values as `limits.Problem`
    TOO_LARGE = "too_large"  # an amount over 10^9
    TOO_PRECISE = "too_precise"  # more decimals than this kind of number takes
    RATE_OUT_OF_RANGE = "rate_out_of_range"  # an FX rate outside 10^-6 … 10^6
    YEAR_OUT_OF_RANGE = "year_out_of_range"
    TOO_LONG = "too_long"  # a name over 200 characters, a code over 64
    NOT_BELOW = "not_below"  # e.g. a price ending not below the grid's period (`limit`)
    # `1,234` for a decimal-comma reader: `limit` is a `bot.pricing.numbers.Ambiguity`
    AMBIGUOUS = "ambiguous"


class InputError(ValueError):
    """A value the engine refuses, with the field it was meant for (when known)."""

    def __init__(
        self,
        problem: InputProblem,
        value: object = None,
        field: str | None = None,
        *,
        limit: object = None,
    ) -> None:
        self.problem = problem
        self.value = value
        self.field = field
        self.limit = limit  # the maximum, the allowed choices, the currency … where relevant
        super().__init__(self.describe())

    def with_field(self, field: str) -> InputError:
        return InputError(self.problem, self.value, field, limit=self.limit)

    @classmethod
    def out_of_bounds(
        cls, exc: OutOfBounds, value: object = None, field: str | None = None
    ) -> InputError:
        """The engine's form of a `bot.limits` refusal (`value`: the text as written)."""
        return cls(
            InputProblem(exc.problem.value),
            exc.value if value is None else value,
            field,
            limit=exc.limit,
        )

    def describe(self) -> str:
        """A short English description for logs and the command-line tool (not for chat)."""
        shown = repr(self.value)
        match self.problem:
            case InputProblem.REQUIRED:
                return "a value is required"
            case InputProblem.NOT_A_NUMBER:
                return f"{shown} is not a number"
            case InputProblem.NEGATIVE:
                return f"{shown} must not be negative"
            case InputProblem.NOT_POSITIVE:
                return f"{shown} must be greater than 0"
            case InputProblem.OVER_MAXIMUM:
                return f"{shown} is over the maximum of {self.limit}"
            case InputProblem.TOO_MANY_DECIMALS:
                return f"{shown} has more decimals than {self.limit} allows"
            case InputProblem.UNKNOWN_CURRENCY:
                return f"{shown} is not a known ISO 4217 currency code"
            case InputProblem.UNKNOWN_FIELD:
                return f"{shown} is not a known field"
            case InputProblem.NOT_A_CHOICE:
                return f"{shown} is not one of {self.limit}"
            case InputProblem.NOT_A_BOOLEAN:
                return f"{shown} is not true/false"
            case InputProblem.AMBIGUOUS:
                return f"{shown} is ambiguous: write {self.limit}"
            case InputProblem.NOT_BELOW:
                return f"{shown} must be below {self.limit}"
            case InputProblem.DUPLICATE:
                return f"{shown} appears more than once{self._limit_suffix()}"
            case InputProblem.TOO_LARGE:
                return f"{shown} is over the largest amount, {self.limit}"
            case InputProblem.TOO_PRECISE:
                return f"{shown} has more than {self.limit} decimals"
            case InputProblem.RATE_OUT_OF_RANGE:
                return f"{shown} is outside the rates accepted (0.000001 to 1000000)"
            case InputProblem.YEAR_OUT_OF_RANGE:
                return f"{shown} is outside the years accepted (2000 to 2100)"
            case InputProblem.TOO_LONG:
                return f"{shown} is longer than {self.limit} characters"
            case _:
                return f"{shown} is malformed{self._limit_suffix()}"

    def _limit_suffix(self) -> str:
        return f" ({self.limit})" if self.limit is not None else ""
