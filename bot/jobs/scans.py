"""The margin scan job: once a day every plan is priced again (a 30-day lowest price
moves, a campaign starts …), and the next 09:00 digest is queued for teams with a
planned price under its floor. When it last ran is kept in `job_state`, so a restart
neither skips nor repeats it."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram.ext import ContextTypes

from bot.context import RUNTIME_KEY, Runtime
from bot.db.models import JobState
from bot.jobs.dispatcher import wake_dispatcher
from bot.services import margins
from bot.services.fx import claim_job, record_job

log = logging.getLogger(__name__)

SCAN_JOB = "margin_scan"
SCAN_EVERY = timedelta(days=1)
RETRY_AFTER_FAILURE = timedelta(hours=1)
TICK_SECONDS = 300.0  # how often the job looks (cheap); the full scan runs daily


def scan_due(state: JobState | None, now: datetime) -> bool:
    if state is None or state.last_attempt_at is None:
        return True
    failed = state.last_success_at is None or state.last_attempt_at > state.last_success_at
    return now - state.last_attempt_at >= (RETRY_AFTER_FAILURE if failed else SCAN_EVERY)


async def scan_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    runtime: Runtime = context.application.bot_data[RUNTIME_KEY]
    uow_factory, now = runtime.uow_factory, runtime.clock.now()
    try:
        async with uow_factory() as uow:
            claimed = await claim_job(uow, SCAN_JOB, now, scan_due)
        if claimed:
            check = await margins.recheck_all(uow_factory, now)
            async with uow_factory() as uow:
                await record_job(uow, SCAN_JOB, now)
                await uow.commit()
            log.info("daily margin scan: %s", check)
        async with uow_factory() as uow:
            await margins.ensure_digests(uow, now)
            await uow.commit()
    except Exception:
        log.exception("margin scan failed")
        return
    wake_dispatcher(context.application)
