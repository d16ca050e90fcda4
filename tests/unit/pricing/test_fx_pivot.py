"""The currency a cross rate goes through, for the explanation shown to the seller."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bot.pricing import FxRate, FxTable


def test_cross_rate_through_the_base_names_the_base() -> None:
    table = FxTable.from_base_rates(
        {"CNY": Decimal("7.6"), "USD": Decimal("1.05")}, as_of=date(2026, 11, 25)
    )
    quote = table.quote("CNY", "USD")
    assert quote is not None and quote.pivot == "EUR"
    assert table.quote("EUR", "USD").pivot is None  # type: ignore[union-attr]


def test_cross_rate_through_another_currency_names_it() -> None:
    table = FxTable(
        [], [FxRate("USD", "CNY", Decimal("7.1")), FxRate("USD", "KRW", Decimal("1400"))]
    )
    quote = table.quote("CNY", "KRW")
    assert quote is not None and quote.pivot == "USD"
