"""JobQueue jobs, as thin as handlers: they wake services; the database keeps the state.

`schedule_jobs` runs from the application's post_init, `shutdown_jobs` from its
post_shutdown."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Bot
from telegram.ext import Application
from telegram.request import HTTPXRequest

from bot.context import RUNTIME_KEY, Runtime
from bot.jobs import fx, scans
from bot.jobs.dispatcher import (
    DISPATCHER_KEY,
    JOB_KWARGS,
    SENDER_BOT_KEY,
    TICK_NAME,
    TelegramSender,
    dispatch_job,
    wake_dispatcher,
)
from bot.runtime.pacer import PACER_KEY, Pacer, PacerLimits, Timer
from bot.runtime.workers import file_workers
from bot.services.notifications import Dispatcher
from bot.web.metrics import METRICS_KEY, BotMetrics

TIMER_KEY = "dispatch_timer"  # tests put a VirtualTimer here before start-up (for the pacer)

__all__ = ["schedule_jobs", "shutdown_jobs", "wake_dispatcher"]


class _FileWorkers:
    """The bot's file workers for the dispatcher (a notice's long file is built there),
    looked up at each use: the pool is made lazily and replaced after a shutdown."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    async def run(self, function: Callable[..., bytes], *args: Any) -> bytes:
        return await file_workers(self.runtime).run(function, *args)


async def schedule_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    runtime: Runtime = application.bot_data[RUNTIME_KEY]
    settings = runtime.settings
    job_queue = application.job_queue
    if job_queue is None:
        raise RuntimeError("the JobQueue is missing: install python-telegram-bot[job-queue]")
    # The process's one pacer (bot.app): notices and replies share Telegram's windows.
    pacer = runtime.extras.get(PACER_KEY)
    if not isinstance(pacer, Pacer):
        pacer = runtime.extras[PACER_KEY] = Pacer(
            PacerLimits(per_second=settings.dispatch_rate_per_second)
        )
    timer: Timer | None = runtime.extras.get(TIMER_KEY)
    if timer is not None:
        pacer.use_timer(timer)
    limits = pacer.limits
    # Notices go through their own Bot, without a rate limiter: the dispatcher takes
    # the pacer's slots itself and sees RetryAfter at once (to put the notice back in
    # the outbox), where the application's rate limiter would retry behind its back.
    sender_bot = Bot(
        application.bot.token,
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_api_file_url,
        request=HTTPXRequest(
            connection_pool_size=limits.in_flight + 2,
            connect_timeout=10.0,
            read_timeout=20.0,
            write_timeout=20.0,
            pool_timeout=5.0,
        ),
    )
    await sender_bot.initialize()
    dispatcher = Dispatcher(
        runtime.uow_factory,
        TelegramSender(sender_bot),
        runtime.clock,
        pacer=pacer,
        files=_FileWorkers(runtime),
        default_locale=settings.default_locale,
        default_timezone=settings.default_timezone,
    )
    metrics = runtime.extras.get(METRICS_KEY)
    if isinstance(metrics, BotMetrics):
        dispatcher.on_sent = metrics.observe_lateness
    runtime.extras[DISPATCHER_KEY] = dispatcher
    runtime.extras[SENDER_BOT_KEY] = sender_bot
    job_queue.run_repeating(
        dispatch_job,
        interval=settings.dispatch_interval_seconds,
        first=0.1,
        name=TICK_NAME,
        job_kwargs=JOB_KWARGS,
    )
    job_queue.run_repeating(
        scans.scan_job, interval=scans.TICK_SECONDS, first=5.0, name="margin-scan",
        job_kwargs=JOB_KWARGS,
    )  # fmt: skip
    job_queue.run_repeating(
        fx.fx_job, interval=fx.TICK_SECONDS, first=fx.FIRST_SECONDS, name="fx-refresh",
        job_kwargs=JOB_KWARGS,
    )  # fmt: skip


async def shutdown_jobs(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    runtime: Runtime = application.bot_data[RUNTIME_KEY]
    runtime.extras.pop(DISPATCHER_KEY, None)
    sender_bot = runtime.extras.pop(SENDER_BOT_KEY, None)
    if isinstance(sender_bot, Bot):
        await sender_bot.shutdown()
