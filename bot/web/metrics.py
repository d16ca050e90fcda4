"""The bot's Prometheus metrics (served at `GET /metrics`, bot.web.server).

Each application has its own `CollectorRegistry` — never prometheus-client's global
one — so several applications in one process (tests, the demo) keep their own counts.

What is measured, and where:

* updates by handler and outcome, and the handler latency histogram: every handler's
  callback is wrapped once at start-up (`instrument`);
* unexpected errors, by where they happened: the error handler (updates and jobs) and
  the dispatcher's pass;
* outbox rows by status: counted in the database when the metrics are scraped;
* notice lateness: how long after its due time a notice went out (the dispatcher);
* Telegram's 429s (`retry_after`): counted by the process's pacer, read at scrape time;
* file-work durations by task and outcome (the file workers).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop

from bot.db.models import Notification
from bot.domain.enums import NotificationStatus
from bot.domain.errors import UserFacingError
from bot.views.callbacks import BadCallbackData

log = logging.getLogger(__name__)

# No `*_created` sample beside every counter and histogram (process-wide; the bot is the
# only user of prometheus-client in its process): Prometheus does not need them.
disable_created_metrics()  # type: ignore[no-untyped-call]

METRICS_KEY = "metrics"  # Runtime.extras: the application's BotMetrics
PREFIX = "campaignbot"
# Answered to the person (a typo, a refusal, a stale button): not a fault of the bot.
EXPECTED_ERRORS: tuple[type[BaseException], ...] = (UserFacingError, BadCallbackData)

HANDLER_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
LATENESS_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 86400.0)
FILE_WORK_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 60.0, 120.0, 600.0)

Callback = Callable[[Any, Any], Coroutine[Any, Any, Any]]


class BotMetrics:
    """The metrics of one application, in its own registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.updates = Counter(
            f"{PREFIX}_updates",
            "Updates handled, by handler and outcome (ok; refused: answered with a "
            "message saying what was wrong; error: an unexpected exception).",
            ["handler", "outcome"],
            registry=registry,
        )
        self.handler_seconds = Histogram(
            f"{PREFIX}_handler_seconds",
            "Time a handler took, from its start to its end (waiting for the pacer included).",
            ["handler"],
            buckets=HANDLER_BUCKETS,
            registry=registry,
        )
        self.errors = Counter(
            f"{PREFIX}_errors",
            "Unexpected errors, by where they happened (update, job, dispatcher).",
            ["source"],
            registry=registry,
        )
        self.outbox_rows = Gauge(
            f"{PREFIX}_outbox_rows",
            "Notification outbox rows by status (counted in the database at scrape time).",
            ["status"],
            registry=registry,
        )
        self.notice_lateness = Histogram(
            f"{PREFIX}_notice_lateness_seconds",
            "How long after its due time a notice was sent.",
            buckets=LATENESS_BUCKETS,
            registry=registry,
        )
        self.file_work_seconds = Histogram(
            f"{PREFIX}_file_work_seconds",
            "File work in the worker processes (reading uploads, building files), by task "
            "and outcome (ok, refused, error, time, memory, crash).",
            ["task", "outcome"],
            buckets=FILE_WORK_BUCKETS,
            registry=registry,
        )
        self._retry_after = _RetryAfterCollector()
        registry.register(self._retry_after)

    # -- hooks -------------------------------------------------------------------------------

    def count_retry_after(self, read: Callable[[], int]) -> None:
        """Where the 429s received are counted (the pacer's own counter)."""
        self._retry_after.read = read

    def observe_lateness(self, seconds: float) -> None:
        self.notice_lateness.observe(max(seconds, 0.0))

    def observe_file_work(self, task: str, outcome: str, seconds: float) -> None:
        self.file_work_seconds.labels(task, outcome).observe(seconds)

    def error(self, source: str) -> None:
        self.errors.labels(source).inc()

    # -- handlers ----------------------------------------------------------------------------

    def instrument(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Wrap every registered handler's callback (count, time) and the error
        handlers (count unexpected errors). Call once, after all handlers are added."""
        for handlers in application.handlers.values():
            for handler in handlers:
                handler.callback = self._timed(handler.callback)
        for callback, block in list(application.error_handlers.items()):
            application.remove_error_handler(callback)
            application.add_error_handler(self._counting_errors(callback), block=block)

    def _timed(self, callback: Callback) -> Callback:
        name = handler_name(callback)
        # label sets are made on first use: ~100 handlers would otherwise expose ~2000
        # zero samples

        @functools.wraps(callback)
        async def timed(update: object, context: Any) -> Any:
            started = time.perf_counter()
            outcome = "error"
            try:
                result = await callback(update, context)
                outcome = "ok"
                return result
            except ApplicationHandlerStop:
                outcome = "ok"  # the handler chose to stop the other groups
                raise
            except EXPECTED_ERRORS:
                outcome = "refused"
                raise
            finally:
                self.handler_seconds.labels(name).observe(time.perf_counter() - started)
                self.updates.labels(name, outcome).inc()

        return timed

    def _counting_errors(self, callback: Callback) -> Callback:
        @functools.wraps(callback)
        async def counting(update: object, context: Any) -> Any:
            if not isinstance(context.error, EXPECTED_ERRORS):
                if isinstance(update, Update):
                    source = "update"
                else:
                    source = "job" if getattr(context, "job", None) is not None else "other"
                self.error(source)
            return await callback(update, context)

        return counting

    # -- scraping ----------------------------------------------------------------------------

    async def collect_outbox(self, engine: AsyncEngine) -> None:
        """Count the outbox rows by status now (every status, zero included). When the
        database does not answer, the gauge is emptied rather than left stale."""
        try:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        select(Notification.status, func.count()).group_by(Notification.status)
                    )
                ).all()
        except Exception as exc:
            log.warning("could not count the outbox rows: %s", type(exc).__name__)
            self.outbox_rows.clear()
            return
        counts = {str(status): int(n) for status, n in rows}
        for known in NotificationStatus:
            self.outbox_rows.labels(str(known)).set(counts.pop(str(known), 0))
        for other, n in counts.items():  # a status this code does not know (yet)
            self.outbox_rows.labels(other).set(n)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _RetryAfterCollector(Collector):
    def __init__(self) -> None:
        self.read: Callable[[], int] = lambda: 0

    def collect(self) -> Iterable[CounterMetricFamily]:
        yield CounterMetricFamily(
            f"{PREFIX}_telegram_retry_after",
            "Flood-control answers (429, retry_after) received from Telegram.",
            value=self.read(),
        )


def handler_name(callback: Callable[..., Any]) -> str:
    """`plan.plan_command` for bot.handlers.plan.plan_command (a bounded label)."""
    module = getattr(callback, "__module__", "") or ""
    name = getattr(callback, "__qualname__", None) or type(callback).__name__
    return f"{module.removeprefix('bot.handlers.')}.{name}"
