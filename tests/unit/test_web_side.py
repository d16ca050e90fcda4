"""Pieces of the web side without a server: JSON log lines (secrets masked), the
handler instrumentation's outcomes, the 429 and file-work metrics, WEB_PORT settings."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from telegram.ext import ApplicationBuilder, ApplicationHandlerStop, CommandHandler

from bot.cli import JsonFormatter, RedactSecrets
from bot.config import Settings
from bot.domain.errors import UserInputError
from bot.runtime.pacer import Pacer
from bot.runtime.workers import WorkerPool
from bot.web.metrics import BotMetrics

TOKEN = "123456:AAH-a-token-that-must-never-be-logged"


def value(metrics: BotMetrics, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(metrics.render().decode()):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return None


def test_json_log_lines_parse_and_keep_secrets_masked() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(TOKEN))
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("test.json")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    try:
        logger.info("plain %s and ünïcode", 42)
        try:
            raise RuntimeError(f"rejected {TOKEN}\nsecond line")
        except RuntimeError:
            logger.exception("could not start with %s", TOKEN)
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2  # one line per record, the traceback included
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "plain 42 and ünïcode"
    assert first["level"] == "INFO" and first["logger"] == "test.json"
    assert first["time"].endswith("+00:00") and "exc_info" not in first
    assert second["level"] == "ERROR"
    assert second["message"] == "could not start with <redacted>"
    assert second["exc_info"].startswith("Traceback") and "RuntimeError" in second["exc_info"]
    assert TOKEN not in stream.getvalue()


async def fine(update: Any, context: Any) -> None:
    return None


async def typo(update: Any, context: Any) -> None:
    raise UserInputError("write it like this")


async def stop(update: Any, context: Any) -> None:
    raise ApplicationHandlerStop


async def broken(update: Any, context: Any) -> None:
    raise RuntimeError("bug")


async def on_error(update: object, context: Any) -> None:
    return None


async def test_handlers_are_counted_by_outcome_and_unexpected_errors_by_source() -> None:
    app = ApplicationBuilder().token(TOKEN).build()
    for callback in (fine, typo, stop, broken):
        app.add_handler(CommandHandler(callback.__name__, callback))
    app.add_error_handler(on_error)
    metrics = BotMetrics()
    metrics.instrument(app)

    handlers = {h.callback.__name__: h.callback for h in app.handlers[0]}
    await handlers["fine"](None, None)
    with pytest.raises(UserInputError):
        await handlers["typo"](None, None)
    with pytest.raises(ApplicationHandlerStop):
        await handlers["stop"](None, None)
    with pytest.raises(RuntimeError):
        await handlers["broken"](None, None)

    def outcome(name: str, result: str) -> float | None:
        label = f"{__name__}.{name}"
        return value(metrics, "campaignbot_updates_total", handler=label, outcome=result)

    assert outcome("fine", "ok") == 1
    assert outcome("typo", "refused") == 1
    assert outcome("stop", "ok") == 1  # a handler that stops the other groups did its job
    assert outcome("broken", "error") == 1
    assert outcome("broken", "ok") is None
    assert value(metrics, "campaignbot_handler_seconds_count", handler=f"{__name__}.fine") == 1

    (wrapped,) = app.error_handlers
    job_context = type("Ctx", (), {"error": RuntimeError("job"), "job": object()})()
    user_context = type("Ctx", (), {"error": UserInputError("typo"), "job": None})()
    await wrapped(None, job_context)
    await wrapped(None, user_context)  # answered to the person: not an error of the bot
    assert value(metrics, "campaignbot_errors_total", source="job") == 1
    assert value(metrics, "campaignbot_errors_total", source="other") is None


async def test_retry_afters_and_file_work_are_measured() -> None:
    metrics = BotMetrics()
    pacer = Pacer()
    metrics.count_retry_after(lambda: pacer.retry_afters)
    assert value(metrics, "campaignbot_telegram_retry_after_total") == 0
    pacer.pause(0.01, chat_id=5)
    pacer.pause(0.01)
    assert value(metrics, "campaignbot_telegram_retry_after_total") == 2

    pool = WorkerPool(workers=1, seconds=30, observer=metrics.observe_file_work, preload=())
    try:
        assert await pool.run(sorted, [3, 1, 2]) == [1, 2, 3]
    finally:
        await pool.close()
    assert value(metrics, "campaignbot_file_work_seconds_count", task="sorted", outcome="ok") == 1


def test_web_address_follows_the_mode() -> None:
    base: dict[str, Any] = {"_env_file": None, "bot_token": TOKEN}
    assert Settings(**base).web_address == ("127.0.0.1", 8080)
    assert Settings(**base, web_port=0).web_address is None
    hook = Settings(
        **base,
        web_port=0,
        webhook_url="https://bot.example.com/telegram",
        webhook_secret="s3cret",
        webhook_listen="0.0.0.0",
        webhook_port=8443,
    )
    assert hook.web_address == ("0.0.0.0", 8443)  # the webhook's server is the web side
