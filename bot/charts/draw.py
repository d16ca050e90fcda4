"""The chart workers' task: a spec in, PNG bytes out. Imports matplotlib only when called
(in a worker, where `bot.charts.warm` has loaded it already), so the bot's own process
never loads it."""

from __future__ import annotations

from bot.charts.specs import PlanChart, WaterfallChart

ChartSpec = WaterfallChart | PlanChart


def draw(spec: ChartSpec) -> bytes:
    from bot.charts.render import render_plan, render_waterfall

    if isinstance(spec, PlanChart):
        return render_plan(spec)
    return render_waterfall(spec)
