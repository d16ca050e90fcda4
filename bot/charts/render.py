"""Draw a chart spec (bot/charts/specs.py) into PNG bytes with matplotlib's Agg backend.

Pure and synchronous, one `Figure` per call (no pyplot and its global figure registry);
the font list is set for the call only (`rc_context`). Runs in a chart worker process
(bot/runtime/workers.py); tests and the bench call it directly. Axis ticks are formatted
by Babel (bot/i18n.py) in the reader's locale; every other text comes ready in the spec.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything imports a backend: no display in a worker

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from bot.charts.fonts import families
from bot.charts.specs import BarKind, PlanChart, StepKind, WaterfallChart
from bot.i18n import format_money, format_number, format_percent

DPI = 100
WIDTH = 10.0  # inches: 1,000 px, readable on a phone once zoomed
MAX_HEIGHT = 24.0  # inches; with 60 bars at most, a plan chart stays well under it
STEP_COLOURS = {
    StepKind.PRICE: "#3b6ea5",
    StepKind.VAT: "#9e9e9e",
    StepKind.FEE: "#e08a2c",
    StepKind.COST: "#8c6d52",
}
PROFIT, LOSS = "#2e8b57", "#c0392b"
BAR_COLOURS = {BarKind.OK: PROFIT, BarKind.UNDER_FLOOR: LOSS, BarKind.WARNING: "#e0a800"}
UNDRAWN = "#d0d0d0"  # statuses with no margin to draw (no list price, no FX rate …)
MARKER_STYLES = {"floor": (LOSS, "--"), "break_even": ("#333333", ":")}
BAR_INCHES = 0.3  # per SKU bar
HISTOGRAM_INCHES = 3.2
GAP_INCHES = 1.0  # between the histogram (its axis labels) and the bars (their title)
LEGEND_COLUMNS = 3
HISTOGRAM_RANGE = (-1.0, 1.0)  # margins beyond ±100 % are counted in the end bins
HISTOGRAM_BINS = 40


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)  # type: ignore[no-untyped-call]
    return buffer.getvalue()


def _fonts(locale: str) -> Any:  # matplotlib types the keys as a Literal of every rc name
    # the families themselves, not "sans-serif": a generic name resolves to one font, and
    # matplotlib falls back glyph by glyph only along the family list
    return {"font.family": families(locale), "font.size": 10}


def _decimal(value: float) -> Decimal:
    """A tick position as Babel takes it (ticks are floats, often numpy's)."""
    return Decimal(str(round(float(value), 6)))


def _money_ticks(locale: str, currency: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: format_money(_decimal(value), currency, locale))


def _percent_ticks(locale: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: format_percent(_decimal(value), locale))


def _titles(figure: Figure, title: str, subtitle: str) -> None:
    figure.suptitle(title, fontsize=13, fontweight="bold", x=0.02, ha="left")
    if subtitle:
        figure.get_axes()[0].set_title(subtitle, fontsize=9, loc="left", color="#555555")


# -- /floor: the waterfall -------------------------------------------------------------------


def render_waterfall(chart: WaterfallChart) -> bytes:
    """The price going down through VAT, fees and landed cost lines to the margin, with
    the floor and the break-even as horizontal lines."""
    with rc_context(_fonts(chart.locale)):
        figure = Figure(figsize=(WIDTH, 6.0), dpi=DPI, layout="constrained")
        axes = figure.add_subplot()
        running = 0.0
        positions = range(len(chart.steps))
        for x, step in zip(positions, chart.steps, strict=True):
            amount = float(step.amount)
            if step.kind is StepKind.PRICE:
                bottom, height, colour = 0.0, amount, STEP_COLOURS[step.kind]
                running = amount
            elif step.kind is StepKind.MARGIN:
                bottom, height = 0.0, amount
                colour = PROFIT if amount >= 0 else LOSS
            else:
                bottom, height, colour = running - amount, amount, STEP_COLOURS[step.kind]
                running -= amount
            axes.bar(x, height, bottom=bottom, color=colour, width=0.7, zorder=2)
            top = max(bottom, bottom + height)
            axes.annotate(
                step.value_text,
                (x, top),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=8,
                zorder=4,
            )
            if step.kind not in (StepKind.PRICE, StepKind.MARGIN) and x + 1 < len(chart.steps):
                axes.plot([x + 0.35, x + 0.65], [running, running], color="#777777", lw=0.8)
        for marker in chart.markers:
            colour, style = MARKER_STYLES.get(marker.style, ("#333333", "-."))
            level = float(marker.amount)
            axes.axhline(level, color=colour, linestyle=style, lw=1.2, zorder=3)
            axes.annotate(
                marker.label,
                (1.0, level),
                xycoords=("axes fraction", "data"),
                xytext=(-4, 3),
                textcoords="offset points",
                ha="right",
                va="bottom",
                fontsize=8,
                color=colour,
                zorder=4,
            )
        axes.axhline(0, color="#333333", lw=0.8)
        axes.set_xticks(list(positions))
        many = len(chart.steps) > 6
        axes.set_xticklabels(
            [step.label for step in chart.steps],
            rotation=30 if many else 0,
            ha="right" if many else "center",
            fontsize=9,
        )
        axes.yaxis.set_major_locator(MaxNLocator(7))
        axes.yaxis.set_major_formatter(_money_ticks(chart.locale, chart.currency))
        axes.grid(axis="y", color="#e5e5e5", zorder=0)
        axes.spines[["top", "right"]].set_visible(False)
        axes.margins(y=0.12)
        _titles(figure, chart.title, chart.subtitle)
        return _png(figure)


# -- /plan: margins against the target ---------------------------------------------------------


def render_plan(chart: PlanChart) -> bytes:
    """One bar per SKU (few SKUs), or a histogram of the margins and the tightest SKUs.

    Laid out by hand, in inches (constrained layout measures every label twice and was
    half the drawing time of a 5,000-SKU chart): the bars' left margin fits the widest
    label, the legend's rows sit at the bottom."""
    with rc_context(_fonts(chart.locale)):
        rows = max(len(chart.bars), 3)
        bars_height = BAR_INCHES * rows
        legend_rows = -(-len(chart.legend) // LEGEND_COLUMNS) if chart.legend else 0
        bottom = 0.75 + 0.3 * legend_rows  # tick labels, axis label, legend
        top = 1.05 if chart.aggregate else 0.85  # title, subtitle (and the histogram's title)
        middle = HISTOGRAM_INCHES + GAP_INCHES if chart.aggregate else 0.0
        height = min(top + middle + bars_height + bottom, MAX_HEIGHT)
        figure = Figure(figsize=(WIDTH, height), dpi=DPI)
        left = min(_label_inches([bar.label for bar in chart.bars]) + 0.15, WIDTH * 0.45)
        width = WIDTH - left - 0.45

        def rect(y: float, h: float) -> tuple[float, float, float, float]:
            return (left / WIDTH, y / height, width / WIDTH, h / height)

        bars = figure.add_axes(rect(bottom, bars_height))
        _bars(bars, chart)
        if chart.aggregate:
            histogram = figure.add_axes(rect(bottom + bars_height + GAP_INCHES, HISTOGRAM_INCHES))
            _histogram(histogram, chart)
            histogram.set_title(chart.histogram_title, fontsize=10, loc="left")
            bars.set_title(chart.tightest_title, fontsize=10, loc="left")
        _heading(figure, height, chart.title, chart.subtitle)
        _legend(figure, chart)
        return _png(figure)


def _label_inches(labels: list[str]) -> float:
    """The width of the widest bar label at 8 pt, estimated: a CJK character or a Hangul
    syllable is about 1 em, a Latin one about 0.55 em."""

    def inches(label: str) -> float:
        return sum(0.111 if ord(c) >= 0x1100 else 0.062 for c in label)

    return max((inches(label) for label in labels), default=0.0)


def _heading(figure: Figure, height: float, title: str, subtitle: str) -> None:
    figure.text(0.015, 1 - 0.12 / height, title, fontsize=13, fontweight="bold", va="top")
    if subtitle:
        figure.text(0.015, 1 - 0.45 / height, subtitle, fontsize=9, color="#555555", va="top")


def _target_line(axes: Axes, chart: PlanChart) -> None:
    axes.axvline(float(chart.target), color="#333333", linestyle="--", lw=1.2, zorder=3)
    axes.annotate(
        chart.target_label,
        (float(chart.target), 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(3, -2),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize=8,
    )


def _percent_axis(axes: Axes, chart: PlanChart) -> None:
    axes.xaxis.set_major_locator(MaxNLocator(8))
    axes.xaxis.set_major_formatter(_percent_ticks(chart.locale))
    axes.axvline(0, color="#999999", lw=0.8, zorder=1)
    axes.grid(axis="x", color="#e5e5e5", zorder=0)
    axes.spines[["top", "right"]].set_visible(False)


def _bars(axes: Axes, chart: PlanChart) -> None:
    """The SKUs lowest margin first, at the top; each bar with its margin written at its end."""
    bars = chart.bars
    y = list(range(len(bars)))
    values = [float(bar.margin) for bar in bars]
    axes.barh(y, values, color=[BAR_COLOURS[bar.kind] for bar in bars], height=0.7, zorder=2)
    for position, value, bar in zip(y, values, bars, strict=True):
        if bar.value_text:
            axes.annotate(
                bar.value_text,
                (value, position),
                xytext=(3 if value >= 0 else -3, 0),
                textcoords="offset points",
                ha="left" if value >= 0 else "right",
                va="center",
                fontsize=8,
            )
    axes.set_yticks(y)
    axes.set_yticklabels([bar.label for bar in bars], fontsize=8)
    axes.invert_yaxis()  # the tightest on top
    axes.set_xlabel(chart.axis_label)
    _percent_axis(axes, chart)
    _target_line(axes, chart)
    axes.margins(x=0.12, y=0.02)


def _histogram(axes: Axes, chart: PlanChart) -> None:
    low, high = HISTOGRAM_RANGE
    by_kind: dict[BarKind, list[float]] = {kind: [] for kind in BarKind}
    for margin, kind in chart.margins:
        by_kind[kind].append(min(max(float(margin), low), high))
    present = [kind for kind in BarKind if by_kind[kind]]
    values = [by_kind[kind] for kind in present]
    smallest = min(min(v) for v in values)
    largest = max(max(v) for v in values)
    span = (min(smallest, float(chart.target)) - 0.02, max(largest, float(chart.target)) + 0.02)
    axes.hist(
        values,
        bins=HISTOGRAM_BINS,
        range=span,
        stacked=True,
        color=[BAR_COLOURS[kind] for kind in present],
        zorder=2,
    )
    axes.set_ylabel(chart.count_label)
    axes.yaxis.set_major_locator(MaxNLocator(6, integer=True))
    axes.yaxis.set_major_formatter(_count_ticks(chart.locale))
    axes.set_xlabel(chart.axis_label)
    _percent_axis(axes, chart)
    _target_line(axes, chart)


def _count_ticks(locale: str) -> FuncFormatter:
    return FuncFormatter(lambda value, _pos: format_number(round(float(value)), locale))


def _legend(figure: Figure, chart: PlanChart) -> None:
    handles = [
        Patch(color=BAR_COLOURS.get(kind, UNDRAWN) if kind else UNDRAWN, label=label)
        for kind, label in chart.legend
    ]
    if handles:
        figure.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, 0.005),
            ncols=min(len(handles), LEGEND_COLUMNS),
            fontsize=9,
            frameon=False,
        )
