"""Sending a chart after a text answer (/floor, /plan): drawn in a chart worker, off the
event loop, then sent as a photo with its caption.

A chart is an extra. The text answer goes out with every number; when the chart cannot be
drawn (charts off, a worker limit, a bug) or sent, that is logged and the user still has
the text. `start_chart` begins the drawing at once, so that /plan draws while its files
are built; `send_chart` waits for it and sends it.
"""

from __future__ import annotations

import asyncio
import io
import logging

from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.charts.draw import ChartSpec, draw
from bot.context import BotContext
from bot.runtime.workers import WorkerPool, chart_workers
from bot.views.split import fit_caption

log = logging.getLogger(__name__)

FILENAME = "chart.png"
Drawing = asyncio.Task[bytes | None]


def start_chart(context: BotContext, spec: ChartSpec | None) -> Drawing | None:
    """Start drawing `spec` in a chart worker (None: no chart, or charts are off)."""
    pool = chart_workers(context.runtime)
    if spec is None or pool is None:
        return None
    return asyncio.create_task(_draw(pool, spec), name=f"chart {type(spec).__name__}")


async def _draw(pool: WorkerPool, spec: ChartSpec) -> bytes | None:
    try:
        return await pool.run(draw, spec)
    except Exception:  # WorkerLimit, WorkerError, PoolClosed: the text answer stands
        log.exception("chart not drawn (%s)", type(spec).__name__)
        return None


async def send_chart(update: Update, drawing: Drawing | None, caption: str) -> None:
    """Wait for the drawing and send it as a photo with `caption` (at most 1,024)."""
    if drawing is None:
        return
    png = await drawing
    message = update.effective_message
    if png is None or message is None:
        return
    text, _rest = fit_caption(caption)  # a caption is short; never over Telegram's limit
    try:
        await message.reply_photo(
            InputFile(io.BytesIO(png), filename=FILENAME), caption=text, do_quote=False
        )
    except TelegramError:
        log.exception("chart not sent (%d bytes)", len(png))
