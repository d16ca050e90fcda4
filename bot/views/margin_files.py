"""The file attached to a margin notice that names more SKUs than its text shows: every
SKU, with its prices and causes, as CSV.

Built at send time for one reader (the causes in their language), from the notice's
payload alone — plain data in, bytes out, so the dispatcher can run it in a file worker
(bot/runtime/workers.py) when the list is long. Like the plan's CSV: a header row of
stable English keys, amounts as plain numbers ('.' decimal point) with the currency's
digits, percentages in percent with two decimals, and text cells that a spreadsheet
would run as a formula (= + - @, tab, carriage return) escaped with an apostrophe.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from bot.i18n import Translator
from bot.pricing import UnknownCurrencyError, currency_digits
from bot.views.notifications import CauseTexts, margin_payload

COLUMNS = (
    "campaign_id",
    "campaign",
    "sku",
    "name",
    "change",
    "status",
    "planned_price",
    "lowest_safe_price",
    "margin_pct",
    "target_margin_pct",
    "currency",
    "cause",
)
HEAVY_ROWS = 500  # from this many SKUs the file is built in a file worker
_UNSAFE_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_UNSAFE_START) else text


def _decimal(value: object) -> Decimal | None:
    if value is None:
        return None
    try:
        found = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return found if found.is_finite() else None


def _amount(value: object, digits: int) -> str:
    found = _decimal(value)
    if found is None:
        return ""
    text = format(found.normalize(), "f")
    whole, _dot, fraction = text.partition(".")
    fraction = fraction.ljust(digits, "0")
    return f"{whole}.{fraction}" if fraction else whole


def _percent(value: object) -> str:
    found = _decimal(value)
    if found is None:
        return ""
    return format((found * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def _plain(text: str) -> str:
    """A cause as plain text (the chat's HTML escapes undone)."""
    return html.unescape(text)


def margin_csv(payload: Mapping[str, Any], locale: str, timezone: str) -> bytes:
    """Every SKU of a margin notice, one row each, its causes (shared and its own) in the
    reader's language."""
    _ = Translator(locale, timezone)
    data = margin_payload(payload)
    currency = str(data.get("currency") or "")
    try:
        digits = currency_digits(currency)
    except UnknownCurrencyError:
        digits = 2
    words = CauseTexts(_, data)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in data.get("skus") or []:
        if not isinstance(entry, Mapping):
            continue
        causes = "; ".join(_plain(c) for c in words.of(entry, shared=True))
        writer.writerow(
            [
                str(data.get("campaign_id") or ""),
                safe_text(data.get("campaign")),
                safe_text(entry.get("sku")),
                safe_text(entry.get("name")),
                "under_floor" if entry.get("below") else "back_above_floor",
                safe_text(entry.get("status")),
                _amount(entry.get("planned"), digits),
                _amount(entry.get("floor"), digits),
                _percent(entry.get("margin")),
                _percent(data.get("target")),
                currency,
                safe_text(causes),
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")  # the BOM lets Excel read UTF-8


def margin_filename(payload: Mapping[str, Any], stamp: str) -> str:
    return f"margins-campaign-{payload.get('campaign_id') or 0}-{stamp}.csv"


__all__ = ["COLUMNS", "HEAVY_ROWS", "margin_csv", "margin_filename", "safe_text"]
