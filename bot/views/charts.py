"""The charts' contents and captions: what the /floor waterfall and the /plan margin chart
show, in the reader's language (bot/charts/specs.py values; drawn in a chart worker by
bot/charts/render.py).

Every amount is the pricing engine's: the floor card's `UnitEconomics` (price, VAT, each
fee, profit, margin), `LandedCost.sale_lines` and the floor and break-even; the plan's
margins at the planned price. Nothing is recomputed here. A chart never carries a number
the reader cannot also read as text: the caption repeats the key ones, and the text
answer (floor card, plan summary) goes out first.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from bot.charts.specs import (
    BarKind,
    Marker,
    PlanBar,
    PlanChart,
    Step,
    StepKind,
    WaterfallChart,
)
from bot.domain.errors import N_
from bot.i18n import Translator
from bot.limits import shorten
from bot.pricing import CostKind, UnitEconomics
from bot.services.catalog import FloorCard
from bot.services.plan import Plan, PlanRow, PlanStatus
from bot.views.campaigns import STATUS_LABELS, _local_day, status_counts, status_label
from bot.views.catalog import COST_LABELS, FEE_LABELS
from bot.views.common import h

AGGREGATE_ABOVE = 60  # more priced SKUs than this: a histogram and the tightest ones
TIGHTEST = 20
NAME_WIDTH = 22  # characters of a SKU name beside its code on a bar
DUTY = N_("Duty")
__all__ = ["STATUS_LABELS", "floor_caption", "floor_chart", "plan_caption", "plan_chart"]
KINDS = {
    PlanStatus.OK: BarKind.OK,
    PlanStatus.BELOW_FLOOR: BarKind.UNDER_FLOOR,
    PlanStatus.MISSES_MIN_DISCOUNT: BarKind.WARNING,
    PlanStatus.CANNOT_REACH_MIN_DEPTH: BarKind.WARNING,
    PlanStatus.NO_GRID_PRICE: BarKind.WARNING,
}  # the others have no margin to draw


def _margin(_: Translator, value: Decimal) -> str:
    """One decimal, ties up, like the floor card and the floors tool."""
    return _.percent(value.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP), 1)


# -- /floor ------------------------------------------------------------------------------------


def _economics(card: FloorCard) -> UnitEconomics | None:
    """The price the waterfall starts from: the list price, else the floor price."""
    result = card.result
    if card.list_price_unusable is None and result.at_list is not None:
        return result.at_list
    return result.floor.at_floor


def floor_chart(_: Translator, card: FloorCard) -> WaterfallChart | None:
    """The waterfall of the floor card, or None when there is nothing to draw (no FX rate,
    no price to start from)."""
    floor = card.result.floor
    landed = floor.landed
    economics = _economics(card)
    if landed is None or economics is None:
        return None
    sale = card.channel.currency
    at_list = economics is card.result.at_list
    price = economics.seller_price.amount
    steps = [
        Step(
            StepKind.PRICE,
            _("List price") if at_list else _("Floor price"),
            price,
            _.money(price, sale),
        )
    ]

    def deduction(kind: StepKind, label: str, amount: Decimal) -> None:
        if amount:
            steps.append(Step(kind, label, amount, _.money(-amount, sale)))

    if economics.vat_rate:
        deduction(
            StepKind.VAT, _("VAT {rate}", rate=_.percent(economics.vat_rate)), economics.vat.amount
        )
    for fee in economics.fees:
        deduction(StepKind.FEE, _(FEE_LABELS[fee.kind]), fee.amount.amount)
    for line in landed.sale_lines():
        label = _(DUTY) if line.kind is CostKind.DUTY else _(COST_LABELS[line.kind])
        deduction(StepKind.COST, label, line.amount.amount)
    profit = economics.profit.amount
    margin = economics.margin
    steps.append(
        Step(
            StepKind.MARGIN,
            _("Margin {margin}", margin=_margin(_, margin)) if margin is not None else _("Margin"),
            profit,
            _.money(profit, sale),
        )
    )
    markers = []
    if floor.floor is not None:
        markers.append(
            Marker(
                _("Floor: {amount}", amount=_.money(floor.floor.amount, sale)),
                floor.floor.amount,
                "floor",
            )
        )
    if floor.break_even is not None:
        markers.append(
            Marker(
                _("Break-even: {amount}", amount=_.money(floor.break_even.amount, sale)),
                floor.break_even.amount,
                "break_even",
            )
        )
    return WaterfallChart(
        locale=_.locale,
        currency=sale,
        title=_("Where the price goes: {sku}", sku=shorten(card.sku.code)),
        subtitle=_(
            "Per unit on {channel} ({currency}) · target margin {margin} · {date}",
            channel=shorten(card.channel.name),
            currency=sale,
            margin=_.percent(card.margin),
            date=_.date(card.today),
        ),
        steps=tuple(steps),
        markers=tuple(markers),
    )


def floor_caption(_: Translator, card: FloorCard) -> str:
    """The chart's numbers as text: the start price, the margin there, the floor."""
    economics = _economics(card)
    floor = card.result.floor
    sale = card.channel.currency
    assert economics is not None  # only called when there is a chart
    margin = economics.margin
    text = _(
        "📊 {sku}: at {price} you keep {profit} per unit, a margin of {margin}.",
        sku=f"<code>{h(shorten(card.sku.code))}</code>",
        price=_.money(economics.seller_price.amount, sale),
        profit=_.money(economics.profit.amount, sale),
        margin=_margin(_, margin) if margin is not None else "—",
    )
    if floor.floor is not None and floor.break_even is not None:
        text += "\n" + _(
            "Floor {floor} · break-even {break_even}",
            floor=_.money(floor.floor.amount, sale),
            break_even=_.money(floor.break_even.amount, sale),
        )
    return text


# -- /plan -------------------------------------------------------------------------------------


def _priced(plan: Plan) -> list[PlanRow]:
    rows = [row for row in plan.rows if row.margin is not None and row.status in KINDS]
    return sorted(rows, key=lambda row: (row.margin, row.code))


def _bar_label(row: PlanRow) -> str:
    code = shorten(row.code, NAME_WIDTH)
    if row.name and row.name != row.code:
        return f"{code} · {shorten(row.name, NAME_WIDTH)}"
    return code


def plan_chart(_: Translator, plan: Plan) -> PlanChart | None:
    """The enrolled SKUs' margins at their planned prices against the target; None when no
    enrolled SKU has a margin to draw."""
    priced = _priced(plan)
    if not priced:
        return None
    campaign = plan.campaign
    aggregate = len(priced) > AGGREGATE_ABOVE
    shown = priced[:TIGHTEST] if aggregate else priced
    bars = tuple(
        PlanBar(_bar_label(row), row.margin, KINDS[row.status], _margin(_, row.margin))
        for row in shown
        if row.margin is not None
    )
    legend = tuple(
        (KINDS.get(status), f"{status_label(_, status)}: {_.number(count)}")
        for status in PlanStatus
        if (count := plan.counts.get(status))
    )
    target = plan.pricing.target_margin
    return PlanChart(
        locale=_.locale,
        title=_("Margins at the planned price: {name}", name=shorten(campaign.name)),
        subtitle=_(
            "#{id} · {channel} ({currency}) · {start} → {end} · recomputed {when}",
            id=campaign.id,
            channel=shorten(plan.channel.name),
            currency=plan.currency,
            start=_.date(_local_day(campaign.starts_at, campaign)),
            end=_.date(_local_day(campaign.ends_at, campaign)),
            when=_.datetime(plan.computed_at),
        ),
        target=target,
        target_label=_("target {margin}", margin=_.percent(target)),
        axis_label=_("Margin on net revenue at the planned price"),
        bars=bars,
        margins=tuple((row.margin, KINDS[row.status]) for row in priced if row.margin is not None),
        legend=legend,
        aggregate=aggregate,
        histogram_title=_.ngettext("Margins of {n} SKU", "Margins of {n} SKUs", len(priced)),
        tightest_title=_.ngettext("The lowest margin", "The {n} lowest margins", len(shown)),
        count_label=_("SKUs"),
    )


def plan_caption(_: Translator, plan: Plan) -> str:
    """Counts per status and the lowest margin: the chart's story as text."""
    priced = _priced(plan)
    target = plan.pricing.target_margin
    lines = [
        _(
            "📊 <b>Margins at the planned price</b>: {name} · target {target}",
            name=h(shorten(plan.campaign.name)),
            target=_.percent(target),
        ),
        status_counts(_, plan.counts),
    ]
    under = sum(1 for row in priced if row.status is PlanStatus.BELOW_FLOOR)
    if under:
        lines.append(
            _.ngettext(
                "⛔ {n} SKU is under the floor (red).",
                "⛔ {n} SKUs are under the floor (red).",
                under,
            )
        )
    if priced:
        lowest = priced[0]
        assert lowest.margin is not None
        lines.append(
            _(
                "Lowest: {sku} at {margin}",
                sku=f"<code>{h(shorten(lowest.code))}</code>",
                margin=_margin(_, lowest.margin),
            )
        )
    return "\n".join(lines)
