"""The dispatcher's JobQueue side: wake-ups and the Telegram sender. The work is in
`bot.services.notifications.Dispatcher`; the database is the record of what is due.

Wake-ups: a short repeating tick (`DISPATCH_INTERVAL_SECONDS`) catches notices
written by other processes; after every pass a one-off job is set for the next due
time, so a reminder goes out on the second. APScheduler's default
``misfire_grace_time=1`` would silently skip a wake-up more than a second late (a
busy event loop, a suspended laptop); these jobs run however late
(``misfire_grace_time=None``) and a backlog of missed runs collapses into one
(``coalesce=True``) — checked against APScheduler 3.11 (`run_coroutine_job` skips a
run only when the job's grace time is not None) and PTB 22.8 (`JobQueue.run_*` pass
`job_kwargs` to `add_job`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable
from typing import Any

import httpx
from telegram import Bot, InputFile, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ContextTypes

from bot.context import RUNTIME_KEY, Runtime
from bot.runtime.pacer import is_group_chat, retry_after_seconds
from bot.services.notifications import Dispatcher, Outcome, PassReport, SendResult
from bot.web.metrics import METRICS_KEY, BotMetrics

log = logging.getLogger(__name__)

JOB_KWARGS: dict[str, Any] = {"misfire_grace_time": None, "coalesce": True, "max_instances": 2}
DISPATCHER_KEY = "dispatcher"
SENDER_BOT_KEY = "sender_bot"
TICK_NAME = "dispatch-tick"
WAKE_NAME = "dispatch-wake"
# Runtime.extras: time.monotonic() when a dispatcher pass last returned (GET /readyz)
LAST_TICK_KEY = "dispatcher_last_tick"
SEND_TIMEOUT = 60.0  # a send still pending after this is abandoned as uncertain


class TelegramSender:
    """Sends one notice and says what happened, in the outbox's terms."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, thread_id: int, text: str) -> SendResult:
        return await self._call(
            chat_id,
            self.bot.send_message(
                chat_id,
                text,
                message_thread_id=thread_id or None,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
        )

    async def send_document(
        self,
        chat_id: int,
        thread_id: int,
        filename: str,
        content: bytes,
        caption: str,
        reply_to: int | None,
    ) -> SendResult:
        """A notice's file, as a reply to its text (sent anyway if that message is gone)."""
        return await self._call(
            chat_id,
            self.bot.send_document(
                chat_id,
                InputFile(content, filename=filename),
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                message_thread_id=thread_id or None,
                reply_parameters=(
                    None
                    if reply_to is None
                    else ReplyParameters(reply_to, allow_sending_without_reply=True)
                ),
            ),
        )

    async def _call(self, chat_id: int, request: Awaitable[Message]) -> SendResult:
        try:
            message = await asyncio.wait_for(request, SEND_TIMEOUT)
        except RetryAfter as exc:
            seconds = retry_after_seconds(exc)
            return SendResult(Outcome.RETRY_AFTER, retry_after=seconds, error=str(exc))
        except ChatMigrated as exc:
            return SendResult(Outcome.MIGRATED, new_chat_id=exc.new_chat_id, error=str(exc))
        except Forbidden as exc:
            return SendResult(self._forbidden(chat_id, exc.message), error=exc.message)
        except BadRequest as exc:
            return SendResult(self._bad_request(chat_id, exc.message), error=exc.message)
        except TimedOut as exc:
            never_left = isinstance(exc.__cause__, httpx.ConnectTimeout | httpx.PoolTimeout)
            outcome = Outcome.TRANSIENT if never_left else Outcome.UNCERTAIN
            return SendResult(outcome, error=f"timed out ({type(exc.__cause__).__name__})")
        except NetworkError as exc:
            cause = exc.__cause__
            never_left = cause is None or isinstance(cause, httpx.ConnectError)
            outcome = Outcome.TRANSIENT if never_left else Outcome.UNCERTAIN
            return SendResult(outcome, error=exc.message)
        except TelegramError as exc:
            return SendResult(Outcome.TRANSIENT, error=exc.message)
        except TimeoutError:
            return SendResult(Outcome.UNCERTAIN, error=f"no answer within {SEND_TIMEOUT:.0f}s")
        return SendResult(Outcome.SENT, message_id=message.message_id)

    @staticmethod
    def _forbidden(chat_id: int, message: str) -> Outcome:
        text = message.lower()
        if is_group_chat(chat_id):
            return Outcome.CHAT_GONE
        if "initiate" in text:
            return Outcome.CANNOT_INITIATE
        return Outcome.BLOCKED  # blocked by the user, or the user is deactivated

    @staticmethod
    def _bad_request(chat_id: int, message: str) -> Outcome:
        text = message.lower()
        if "thread not found" in text or "topic" in text:
            return Outcome.THREAD_GONE
        if is_group_chat(chat_id) and ("chat not found" in text or "not enough rights" in text):
            return Outcome.CHAT_GONE
        return Outcome.FAILED


def _runtime(application: Application[Any, Any, Any, Any, Any, Any]) -> Runtime:
    runtime = application.bot_data[RUNTIME_KEY]
    assert isinstance(runtime, Runtime)
    return runtime


def dispatcher_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Dispatcher | None:
    found = _runtime(application).extras.get(DISPATCHER_KEY)
    return found if isinstance(found, Dispatcher) else None


async def dispatch_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Tick and wake-up: one dispatcher pass, then the next wake-up."""
    application = context.application
    dispatcher = dispatcher_of(application)
    if dispatcher is None:
        return
    runtime = _runtime(application)
    try:
        report = await dispatcher.run(lambda: bool(application.running))
    except Exception:
        log.exception("dispatcher pass failed")
        metrics = runtime.extras.get(METRICS_KEY)
        if isinstance(metrics, BotMetrics):
            metrics.error("dispatcher")
        return
    # a pass already running here answers "skipped" at once: the dispatcher is alive
    runtime.extras[LAST_TICK_KEY] = time.monotonic()
    if not report.skipped and application.running:
        try:
            _schedule_wake(application, dispatcher, report)
        except Exception:  # the tick still comes: nothing is lost
            log.exception("could not schedule the next dispatcher wake-up")


def _schedule_wake(
    application: Application[Any, Any, Any, Any, Any, Any],
    dispatcher: Dispatcher,
    report: PassReport,
) -> None:
    job_queue = application.job_queue
    if job_queue is None:
        return
    for job in job_queue.get_jobs_by_name(WAKE_NAME):
        with contextlib.suppress(Exception):  # another pass may have removed it just now
            job.schedule_removal()
    if report.more_due:
        delay = 0.0
    elif report.next_due is not None:
        delay = max((report.next_due - dispatcher.clock.now()).total_seconds(), 0.0)
    else:
        return
    job_queue.run_once(dispatch_job, when=delay, name=WAKE_NAME, job_kwargs=JOB_KWARGS)


def wake_dispatcher(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Ask for a pass now (after committing notices that are due at once)."""
    job_queue = application.job_queue
    if job_queue is None or dispatcher_of(application) is None:
        return
    job_queue.run_once(dispatch_job, when=0, name=WAKE_NAME, job_kwargs=JOB_KWARGS)


__all__ = [
    "DISPATCHER_KEY",
    "JOB_KWARGS",
    "LAST_TICK_KEY",
    "SENDER_BOT_KEY",
    "TICK_NAME",
    "TelegramSender",
    "dispatch_job",
    "dispatcher_of",
    "wake_dispatcher",
]
