"""What a chart shows, as plain values: built on the event loop by bot/views/charts.py,
pickled to a chart worker, drawn by bot/charts/render.py. No matplotlib here.

Texts are final (translated, numbers formatted by Babel for the reader); amounts are the
engine's Decimals, turned into floats only for drawing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class StepKind(StrEnum):
    PRICE = "price"  # the starting bar: the list (or planned) price
    VAT = "vat"
    FEE = "fee"
    COST = "cost"  # a landed cost line
    MARGIN = "margin"  # the closing bar: what the seller keeps


@dataclass(frozen=True, slots=True)
class Step:
    """One bar of the waterfall: `amount` is the price for PRICE, the profit for MARGIN,
    and a deduction (positive) for the others."""

    kind: StepKind
    label: str
    amount: Decimal
    value_text: str


@dataclass(frozen=True, slots=True)
class Marker:
    """A horizontal line across the waterfall (the floor, the break-even)."""

    label: str  # with its amount, e.g. "Floor: $12.34"
    amount: Decimal
    style: str  # "floor" or "break_even"


@dataclass(frozen=True, slots=True)
class WaterfallChart:
    locale: str
    currency: str
    title: str
    subtitle: str
    steps: tuple[Step, ...]  # PRICE first, MARGIN last
    markers: tuple[Marker, ...]


class BarKind(StrEnum):
    OK = "ok"
    UNDER_FLOOR = "under_floor"  # under the floor: stands out
    WARNING = "warning"  # another status (misses the minimum discount …)


@dataclass(frozen=True, slots=True)
class PlanBar:
    label: str  # SKU code and short name
    margin: Decimal  # a fraction
    kind: BarKind
    value_text: str  # the margin as the reader writes it ("" when not shown)


@dataclass(frozen=True, slots=True)
class PlanChart:
    """Every priced enrolled SKU's margin at its planned price, sorted lowest first.

    Up to `BAR_LIMIT` SKUs: one bar each (`bars` holds all, labelled). More: a histogram
    of `margins` and the `bars` of the tightest ones only."""

    locale: str
    title: str
    subtitle: str
    target: Decimal
    target_label: str
    axis_label: str
    bars: tuple[PlanBar, ...]
    margins: tuple[tuple[Decimal, BarKind], ...]  # every priced SKU (the histogram's data)
    # one entry per status present: (its colour's kind, None when not drawn; label: count)
    legend: tuple[tuple[BarKind | None, str], ...]
    aggregate: bool  # histogram + the tightest ones
    histogram_title: str = ""
    tightest_title: str = ""
    count_label: str = ""  # the histogram's y axis
