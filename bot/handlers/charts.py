"""Sending a chart after a text answer (/floor, /plan): drawn in a chart worker, off the
event loop, then sent as a photo with its caption.

A chart is an extra. The text answer has already gone out with every number; when the
chart cannot be drawn (charts off, a worker limit, a bug) or sent, that is logged and the
user still has the text."""

from __future__ import annotations

import io
import logging

from telegram import InputFile, Update
from telegram.error import TelegramError

from bot.charts.draw import ChartSpec, draw
from bot.context import BotContext
from bot.runtime.workers import chart_workers
from bot.views.split import fit_caption

log = logging.getLogger(__name__)

FILENAME = "chart.png"


async def send_chart(
    update: Update, context: BotContext, spec: ChartSpec | None, caption: str
) -> None:
    message = update.effective_message
    pool = chart_workers(context.runtime)
    if message is None or spec is None or pool is None:
        return
    kind = type(spec).__name__
    try:
        png = await pool.run(draw, spec)
    except Exception:  # WorkerLimit, WorkerError, PoolClosed: the text answer stands
        log.exception("chart not drawn (%s)", kind)
        return
    text, _rest = fit_caption(caption)  # a caption is short; never over Telegram's 1024
    try:
        await message.reply_photo(
            InputFile(io.BytesIO(png), filename=FILENAME), caption=text, do_quote=False
        )
    except TelegramError:
        log.exception("chart not sent (%s, %d bytes)", kind, len(png))
