"""Numbers in the reader's words: the chat layer's side of `bot.pricing.numbers`.

The pricing engine reads a number in the reader's style and refuses an ambiguous one
(`1,234` from a decimal-comma reader) with both readings; this module says so in words.
"""

from __future__ import annotations

from bot.domain.errors import N_, UserInputError
from bot.pricing.numbers import Ambiguity, NumberStyle, style_for
from bot.pricing.reasons import InputError, InputProblem

__all__ = ["AmbiguousNumber", "ambiguous_number", "is_ambiguous", "reader_style"]


class AmbiguousNumber(UserInputError):
    """A number that reads two ways; the message offers both (a parser that words its own
    refusals lets this one through)."""


def reader_style(locale: str | None) -> NumberStyle | None:
    """How the reader writes numbers (None: plain digits and '.' only)."""
    return style_for(locale)


def is_ambiguous(exc: InputError) -> bool:
    return exc.problem is InputProblem.AMBIGUOUS and isinstance(exc.limit, Ambiguity)


def ambiguous_number(exc: InputError, field: str | None = None) -> AmbiguousNumber:
    """“1,234” (or “1.234”) can be read two ways: both readings, each written so it reads
    one way only."""
    assert isinstance(exc.limit, Ambiguity)
    params = {
        "value": str(exc.value or "")[:40],
        "whole": exc.limit.whole,
        "fraction": exc.limit.fraction,
    }
    if field:
        return AmbiguousNumber(
            N_(
                "<b>{field}</b>: “{value}” can be read two ways: with a thousands separator or "
                "with decimals. Write <code>{whole}</code> for the whole number or "
                "<code>{fraction}</code> for the number with decimals."
            ),
            field=field,
            **params,
        )
    return AmbiguousNumber(
        N_(
            "“{value}” can be read two ways: with a thousands separator or with decimals. "
            "Write <code>{whole}</code> for the whole number or <code>{fraction}</code> for "
            "the number with decimals."
        ),
        **params,
    )
