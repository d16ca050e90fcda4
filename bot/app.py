"""The composition root: the whole bot on one screen."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import RUNTIME_KEY, BotContext, Runtime
from bot.db.engine import create_engine, create_session_factory
from bot.db.uow import UnitOfWorkFactory
from bot.handlers import calendar as calendar_handlers
from bot.handlers import campaigns as campaign_handlers
from bot.handlers import catalog, channels, errors, flows, menu, onboarding, setup, teams
from bot.handlers import enrolment as enrolment_handlers
from bot.handlers import fx as fx_handlers
from bot.handlers import plan as plan_handlers
from bot.handlers import reminders as reminder_handlers
from bot.handlers import settings as settings_handlers
from bot.handlers import vouchers as voucher_handlers
from bot.i18n import compile_catalogs
from bot.jobs import schedule_jobs, shutdown_jobs
from bot.runtime.pacer import PACER_KEY, PacedRateLimiter, Pacer, PacerLimits
from bot.runtime.throttle import Throttle
from bot.runtime.updates import ChatOrderedProcessor
from bot.runtime.workers import close_file_workers, prestart_chart_workers

log = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]
ENGINE_KEY = "engine"


def build_application(
    settings: Settings, *, clock: Clock | None = None, pacing: PacerLimits | None = None
) -> BotApplication:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    compile_catalogs()
    # One pacer for every message this process sends: replies through the Bot's rate
    # limiter, notices through the dispatcher (bot.jobs), sharing Telegram's windows.
    pacer = Pacer(pacing or PacerLimits(per_second=settings.dispatch_rate_per_second))
    application: BotApplication = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .context_types(ContextTypes(context=BotContext))
        .rate_limiter(PacedRateLimiter(pacer, max_retries=5))
        .concurrent_updates(ChatOrderedProcessor(throttle=Throttle()))
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    engine = create_engine(settings.database_url)
    application.bot_data[ENGINE_KEY] = engine
    application.bot_data[RUNTIME_KEY] = Runtime(
        settings=settings,
        uow_factory=UnitOfWorkFactory(create_session_factory(engine)),
        clock=clock or SystemClock(),
        extras={PACER_KEY: pacer},
    )
    _register_handlers(application)
    return application


def _register_handlers(app: BotApplication) -> None:
    """Group -2 is the throttling gate, group -1 prepares every update (user, language,
    non-members in linked groups); group 0 holds the features.
    Order matters inside a group: the first matching handler wins."""
    setup.register(app)
    onboarding.register(app)
    teams.register(app)
    settings_handlers.register(app)
    flows.register(app)
    channels.register(app)
    catalog.register(app)
    campaign_handlers.register(app)
    enrolment_handlers.register(app)
    voucher_handlers.register(app)
    plan_handlers.register(app)
    calendar_handlers.register(app)
    fx_handlers.register(app)
    reminder_handlers.register(app)
    flows.register_fallbacks(app)  # last: typed answers to guided flows, stale buttons
    app.add_error_handler(errors.on_error)


async def _post_init(app: BotApplication) -> None:
    runtime: Runtime = app.bot_data[RUNTIME_KEY]
    await menu.set_command_menus(app.bot, runtime.settings.default_locale)
    await schedule_jobs(app)  # dispatcher, margin scan, FX refresh
    prestart_chart_workers(runtime)  # matplotlib loads now, not on the first chart
    log.info("bot @%s ready", app.bot.username)


async def _post_shutdown(app: BotApplication) -> None:
    await shutdown_jobs(app)
    await close_file_workers(app.bot_data[RUNTIME_KEY])
    engine = app.bot_data.get(ENGINE_KEY)
    if engine is not None:
        await engine.dispose()


async def start_polling(app: BotApplication, *, poll_timeout: int = 10) -> None:
    """Start like `run_polling` does, but inside a running event loop (demo, tests).
    PTB only calls post_init/post_shutdown from its run_* methods."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )
    await app.start()


WEBHOOK_PATH = "telegram"


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Arguments for PTB's run_webhook/start_webhook. Telegram sends the secret back in
    a header; PTB refuses requests without it."""
    assert settings.webhook_url and settings.webhook_secret is not None
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": WEBHOOK_PATH,
        "webhook_url": settings.webhook_url,
        "secret_token": settings.webhook_secret.get_secret_value(),
        "allowed_updates": Update.ALL_TYPES,
    }


async def start_webhook(app: BotApplication, settings: Settings) -> None:
    """Webhook mode inside a running loop (tests); `campaignbot run` uses run_webhook."""
    options = webhook_options(settings)
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_webhook(**options)
    await app.start()


async def stop_polling(app: BotApplication) -> None:
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)
