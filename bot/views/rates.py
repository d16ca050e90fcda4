"""Exchange rates as a seller reads them: in the direction they quote, with the other
direction beside it, and labelled with their real source (SPEC §3.7).

A rate is stored and used as "1 unit of the cost currency = r units of the sale
currency". A CNY seller selling in USD does not think "1 CNY = 0.13813 USD" but "USD/CNY
7.24": when r < 1 the rate is shown inverted, "1 USD = 7.23956 CNY (1 CNY = 0.13813
USD)"; a rate of 1 or more is shown as it is ("1 USD = 1,380.5 KRW (1 KRW = 0.000724375
USD)").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.domain.errors import N_
from bot.i18n import Translator
from bot.pricing.fx import ECB_SOURCE, MANUAL_SOURCE
from bot.services.rate_sources import RateSource
from bot.views.common import h

SIGNIFICANT = 6
_ONE = Decimal(1)

ECB_LABEL = N_("ECB reference rate")
MANUAL_LABEL = N_("manual rate")


def rate_value(value: Decimal, digits: int = SIGNIFICANT) -> Decimal:
    """`digits` significant digits, trailing zeros dropped: 0.150457, 7.6247, 1380.52."""
    if not value or not value.is_finite():
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1)).normalize()


def rate_number(_: Translator, value: Decimal) -> str:
    return _.number(rate_value(value))


def inverse(value: Decimal) -> Decimal:
    return _ONE / value if value else value


@dataclass(frozen=True, slots=True)
class Quoted:
    """A rate the way the seller quotes it: 1 `base` = `rate` `quote`, and the other way
    round: 1 `quote` = `other` `base`."""

    base: str
    quote: str
    rate: Decimal
    other: Decimal


def seller_direction(
    cost_currency: str, sale_currency: str, rate: Decimal, inverse_rate: Decimal | None = None
) -> Quoted:
    """`rate`: 1 cost currency = `rate` sale currency. Inverted when under 1."""
    back = inverse_rate if inverse_rate is not None else inverse(rate)
    if rate < _ONE:
        return Quoted(sale_currency, cost_currency, back, rate)
    return Quoted(cost_currency, sale_currency, rate, back)


def quoted_text(_: Translator, quoted: Quoted, *, other: bool = True) -> str:
    """'1 USD = 7.23956 CNY (1 CNY = 0.13813 USD)'; without `other` only the first part."""
    text = f"1 {h(quoted.base)} = {rate_number(_, quoted.rate)} {h(quoted.quote)}"
    if other:
        text += f" (1 {h(quoted.quote)} = {rate_number(_, quoted.other)} {h(quoted.base)})"
    return text


def pair_text(
    _: Translator, cost_currency: str, sale_currency: str, rate: Decimal, *, other: bool = True
) -> str:
    return quoted_text(_, seller_direction(cost_currency, sale_currency, rate), other=other)


def typed_text(_: Translator, base: str, quote: str, rate: Decimal) -> str:
    """A rate in the direction it was typed, the other direction beside it."""
    return quoted_text(_, Quoted(base, quote, rate, inverse(rate)))


def _local_day(_: Translator, moment: datetime) -> str:
    try:
        return _.date(moment.astimezone(ZoneInfo(_.timezone)).date())
    except (OverflowError, ValueError, OSError):
        return _.date(moment.date())


def source_label(_: Translator, source: RateSource) -> str:
    """'ECB reference rate of Nov 10, 2026' / 'manual rate set by Alice on Nov 10, 2026'."""
    if source.kind == ECB_SOURCE:
        if source.day is None:
            return _(ECB_LABEL)
        return _("ECB reference rate of {date}", date=_.date(source.day))
    if source.kind == MANUAL_SOURCE:
        when = (
            _local_day(_, source.set_at)
            if source.set_at is not None
            else (_.date(source.day) if source.day is not None else None)
        )
        if when is not None and source.set_by:
            return _("manual rate set by {name} on {date}", name=h(source.set_by), date=when)
        if when is not None:
            return _("manual rate set on {date}", date=when)
        return _(MANUAL_LABEL)
    return h(source.kind)


def sources_label(_: Translator, sources: Iterable[RateSource]) -> str:
    return ", ".join(source_label(_, source) for source in sources)


__all__ = [
    "Quoted",
    "inverse",
    "pair_text",
    "quoted_text",
    "rate_number",
    "rate_value",
    "seller_direction",
    "source_label",
    "sources_label",
    "typed_text",
]
