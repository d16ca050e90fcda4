"""The FX job: fetch the ECB's reference rates after each publication (see
`bot.services.fx`), then recheck every team's margins. A failure is logged and
recorded; the bot carries on with the rates it has."""

from __future__ import annotations

import logging

from telegram.ext import ContextTypes

from bot.context import RUNTIME_KEY, Runtime
from bot.jobs.dispatcher import wake_dispatcher
from bot.services import fx

log = logging.getLogger(__name__)

TICK_SECONDS = 600.0  # how often the job looks whether a fetch is due
FIRST_SECONDS = 30.0  # after start-up


async def fx_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime: Runtime = context.application.bot_data[RUNTIME_KEY]
    try:
        result = await fx.refresh_if_due(
            runtime.uow_factory, runtime.settings.ecb_url, runtime.clock.now()
        )
    except Exception:
        log.exception("FX refresh failed")
        return
    if result is not None and result.ok:
        wake_dispatcher(context.application)
