"""Rates as a seller quotes them, their source labels, and the grouped margin notice's text
and file — pure views, no database."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.i18n import Translator
from bot.services.rate_sources import RateSource, sources_from_json, sources_to_json
from bot.views import rates
from bot.views.margin_files import COLUMNS, margin_csv
from bot.views.notifications import TEXT_BUDGET, margin_notice, margin_payload

EN = Translator("en", "UTC")


@pytest.mark.parametrize(
    ("cost", "sale", "rate", "shown"),
    [
        ("CNY", "USD", "0.13813", "1 USD = 7.23956 CNY (1 CNY = 0.13813 USD)"),
        ("USD", "KRW", "1380.52", "1 USD = 1,380.52 KRW (1 KRW = 0.000724365 USD)"),
        ("KRW", "USD", "0.000724365", "1 USD = 1,380.52 KRW (1 KRW = 0.000724365 USD)"),
        ("EUR", "USD", "1.0532", "1 EUR = 1.0532 USD (1 USD = 0.949487 EUR)"),
        ("USD", "EUR", "1", "1 USD = 1 EUR (1 EUR = 1 USD)"),
    ],
)
def test_a_rate_is_shown_the_way_the_seller_quotes_it(
    cost: str, sale: str, rate: str, shown: str
) -> None:
    assert rates.pair_text(EN, cost, sale, Decimal(rate)) == shown


def test_quoted_rates_follow_the_readers_locale() -> None:
    de = Translator("de")
    assert rates.pair_text(de, "CNY", "USD", Decimal("0.13813")) == (
        "1 USD = 7,23956 CNY (1 CNY = 0,13813 USD)"
    )
    assert rates.pair_text(EN, "CNY", "USD", Decimal("0.13813"), other=False) == (
        "1 USD = 7.23956 CNY"
    )
    assert rates.typed_text(EN, "CNY", "USD", Decimal("0.14")) == (
        "1 CNY = 0.14 USD (1 USD = 7.14286 CNY)"  # as typed, even under 1
    )


def test_sources_are_labelled_with_their_day_and_who_set_a_manual_rate() -> None:
    late = datetime(2026, 11, 25, 23, 30, tzinfo=UTC)  # already Nov 26 in Shanghai
    shanghai = Translator("en", "Asia/Shanghai")
    assert rates.source_label(EN, RateSource("ecb", date(2026, 11, 24))) == (
        "ECB reference rate of Nov 24, 2026"
    )
    assert rates.source_label(EN, RateSource("ecb")) == "ECB reference rate"
    manual = RateSource("manual", date(2026, 11, 25), late, "Li <Ops>")
    assert rates.source_label(shanghai, manual) == (
        "manual rate set by Li &lt;Ops&gt; on Nov 26, 2026"
    )
    assert rates.source_label(EN, RateSource("manual", date(2026, 11, 25), late)) == (
        "manual rate set on Nov 25, 2026"
    )
    assert rates.source_label(EN, RateSource("manual")) == "manual rate"
    both = (RateSource("ecb", date(2026, 11, 24)), manual)
    assert rates.sources_label(EN, both) == (
        "ECB reference rate of Nov 24, 2026, manual rate set by Li &lt;Ops&gt; on Nov 25, 2026"
    )
    assert sources_from_json(sources_to_json(both)) == both
    assert sources_from_json([{"kind": 3}, "x", {"kind": "ecb", "day": "bad"}]) == (
        RateSource("ecb"),
    )
    assert sources_from_json(None) == ()


def entry(code: str, *, below: bool = True, causes: list[int] | None = None) -> dict[str, Any]:
    return {
        "sku": code,
        "name": f"Name of {code}",
        "below": below,
        "status": "below_floor",
        "planned": "9.99",
        "floor": "10.24",
        "margin": "0.1319",
        "causes": causes or [],
    }


def test_an_old_single_sku_payload_reads_as_a_group_of_one() -> None:
    legacy = {"campaign_id": 3, "campaign": "BF", "sku": "A1", "below": False, "causes": []}
    data = margin_payload(legacy)
    assert [e["sku"] for e in data["skus"]] == ["A1"] and data["shared"] == []
    text, shown, total = margin_notice(EN, legacy)
    assert text.startswith("✅ <b>A1</b> in <b>BF</b> is back above its floor.")
    assert (shown, total) == (1, 1)


def test_the_text_stays_under_telegrams_limit_and_says_the_file_has_the_rest() -> None:
    long_causes = [
        {"kind": "cost", "from": "50", "to": str(60 + n), "currency": "CNY"} for n in range(20)
    ]
    payload = {
        "campaign_id": 1,
        "campaign": "Black Friday " + "x" * 150,
        "currency": "USD",
        "target": "0.15",
        "causes": long_causes * 4,  # every SKU with several causes of its own
        "shared": [],
        "skus": [
            entry(f"SKU-{n:03}-{'y' * 40}", causes=[n, n + 20, n + 40, n + 60]) for n in range(20)
        ],
    }
    text, shown, total = margin_notice(EN, payload)
    assert len(text) <= TEXT_BUDGET
    assert 1 <= shown < total == 20  # fewer lines: the file lists them all
    assert f"… and {total - shown} more — the attached file lists them all." in text


def test_the_file_lists_every_sku_formula_safe_with_the_currencys_digits() -> None:
    payload = {
        "campaign_id": 4,
        "campaign": "=Singles Day",
        "currency": "KRW",
        "target": "0.2",
        "causes": [
            {"kind": "fees", "from": "0.1", "to": "0.12"},
            {"kind": "planned", "from": "13000", "to": "12000", "currency": "KRW"},
        ],
        "shared": [0],
        "skus": [
            {**entry("+A1", causes=[1]), "planned": "12000", "floor": "12510", "name": "@x"},
            {**entry("B2", below=False), "planned": "12990", "floor": "12000", "margin": None},
        ],
    }
    content = margin_csv(payload, "en", "UTC")
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert tuple(rows[0]) == COLUMNS
    first, second = (dict(zip(COLUMNS, row, strict=True)) for row in rows[1:])
    assert first["campaign"] == "'=Singles Day" and first["sku"] == "'+A1"
    assert first["name"] == "'@x" and first["change"] == "under_floor"
    assert (first["planned_price"], first["lowest_safe_price"]) == ("12000", "12510")
    assert first["target_margin_pct"] == "20.00" and first["currency"] == "KRW"
    assert first["cause"] == (
        "channel fees changed from 10% to 12%; planned price changed from ₩13,000 to ₩12,000"
    )
    assert second["change"] == "back_above_floor" and second["margin_pct"] == ""
    assert second["cause"] == "channel fees changed from 10% to 12%"
