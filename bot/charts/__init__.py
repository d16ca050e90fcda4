"""Charts in chat: PNG pictures of the floor card and the plan (issue 13).

`specs` holds what a chart shows, as plain picklable values built by the views
(bot/views/charts.py: every label already translated, every amount from the pricing
engine); `render` draws a spec with matplotlib's Agg backend into PNG bytes. Rendering is
CPU work, so the bot runs it in a worker process (bot/runtime/workers.py, `chart_workers`)
that imports `bot.charts.warm` first; nothing here imports matplotlib at the package level.
"""
