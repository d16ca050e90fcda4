"""Imported by a chart worker before it reports ready: loads matplotlib and draws one small
chart with Latin, Chinese and Korean text, so both fonts (the CJK one is large) are parsed
at start-up and no user's first chart pays for them."""

from __future__ import annotations

from decimal import Decimal

from bot.charts.render import render_plan
from bot.charts.specs import BarKind, PlanBar, PlanChart


def warm_up() -> None:
    for locale in ("en",):  # DejaVu first, the CJK font as the fallback: both load
        bar = PlanBar("A1 保温杯 텀블러", Decimal("0.2"), BarKind.OK, "20 %")
        render_plan(
            PlanChart(
                locale=locale,
                title="Plan",
                subtitle="",
                target=Decimal("0.15"),
                target_label="15 %",
                axis_label="",
                bars=(bar,),
                margins=((bar.margin, bar.kind),),
                legend=((BarKind.OK, "ok: 1"),),
                aggregate=False,
            )
        )


warm_up()
