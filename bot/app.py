"""The composition root: the whole bot on one screen."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import ENGINE_KEY, RUNTIME_KEY, BotContext, Runtime
from bot.db.engine import create_engine, create_session_factory
from bot.db.uow import UnitOfWorkFactory
from bot.handlers import calendar as calendar_handlers
from bot.handlers import campaigns as campaign_handlers
from bot.handlers import (
    catalog,
    channels,
    errors,
    flows,
    guesses,
    menu,
    onboarding,
    setup,
    teams,
)
from bot.handlers import enrolment as enrolment_handlers
from bot.handlers import fx as fx_handlers
from bot.handlers import plan as plan_handlers
from bot.handlers import plan_file as plan_file_handlers
from bot.handlers import reminders as reminder_handlers
from bot.handlers import settings as settings_handlers
from bot.handlers import vouchers as voucher_handlers
from bot.i18n import compile_catalogs, warm_up
from bot.jobs import schedule_jobs, shutdown_jobs
from bot.runtime.heap import settle_after_start_up
from bot.runtime.pacer import PACER_KEY, PacedRateLimiter, Pacer, PacerLimits
from bot.runtime.throttle import Throttle
from bot.runtime.updates import ChatOrderedProcessor
from bot.runtime.workers import (
    FILE_WORK_OBSERVER_KEY,
    close_file_workers,
    prestart_chart_workers,
)
from bot.web.metrics import METRICS_KEY, BotMetrics
from bot.web.miniapp import miniapp_routes
from bot.web.server import WebServer, build_web_app

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

log = logging.getLogger(__name__)

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]
WEB_SERVER_KEY = "web_server"  # bot_data: the running WebServer, if any


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
    metrics = BotMetrics()  # this application's own registry (GET /metrics)
    runtime = Runtime(
        settings=settings,
        uow_factory=UnitOfWorkFactory(create_session_factory(engine)),
        clock=clock or SystemClock(),
        extras={
            PACER_KEY: pacer,
            METRICS_KEY: metrics,
            FILE_WORK_OBSERVER_KEY: metrics.observe_file_work,
        },
    )
    application.bot_data[RUNTIME_KEY] = runtime
    metrics.count_retry_after(lambda: getattr(runtime.extras.get(PACER_KEY), "retry_afters", 0))
    _register_handlers(application)
    metrics.instrument(application)  # after every handler is in
    return application


def _register_handlers(app: BotApplication) -> None:
    """Group -2 is the throttling gate, group -1 prepares every update (user, language,
    non-members in linked groups); group 0 holds the features; group 1 answers commands
    none of them knows.
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
    plan_file_handlers.register(app)
    calendar_handlers.register(app)
    fx_handlers.register(app)
    reminder_handlers.register(app)
    flows.register_fallbacks(app)  # last: typed answers to guided flows, stale buttons
    guesses.register(app)  # group 1: a command no feature knows gets the nearest one
    app.add_error_handler(errors.on_error)


async def _post_init(app: BotApplication) -> None:
    runtime: Runtime = app.bot_data[RUNTIME_KEY]
    await menu.set_command_menus(app.bot, runtime.settings.default_locale)
    await schedule_jobs(app)  # dispatcher, margin scan, FX refresh
    prestart_chart_workers(runtime)  # matplotlib loads now, not on the first chart
    warm_up()  # every language's catalog and locale data, before anyone asks
    log.info("bot @%s ready", app.bot.username)


async def _post_shutdown(app: BotApplication) -> None:
    await shutdown_jobs(app)
    await close_file_workers(app.bot_data[RUNTIME_KEY])
    engine = app.bot_data.get(ENGINE_KEY)
    if engine is not None:
        await engine.dispose()


def web_routes(app: BotApplication, settings: Settings) -> Sequence[BaseRoute]:
    """Routes mounted beside the webhook, health and metrics: the Mini App's."""
    return miniapp_routes(app, settings)


async def start_web(
    app: BotApplication, settings: Settings, *, port: int | None = None
) -> WebServer | None:
    """Serve the web side on `settings.web_address` (None: it is turned off); `port`
    overrides the port (0: any free one)."""
    address = settings.web_address
    if address is None:
        return None
    host = address[0]
    server = WebServer(
        build_web_app(app, settings, extra_routes=web_routes(app, settings)),
        host,
        address[1] if port is None else port,
    )
    await server.start()
    app.bot_data[WEB_SERVER_KEY] = server
    return server


def web_server(app: BotApplication) -> WebServer | None:
    found = app.bot_data.get(WEB_SERVER_KEY)
    return found if isinstance(found, WebServer) else None


async def start_polling(
    app: BotApplication, *, poll_timeout: int = 10, web: Settings | None = None
) -> None:
    """Start like `run_polling` does, but inside a running event loop (demo, tests).
    PTB only calls post_init/post_shutdown from its run_* methods. With `web`, the web
    side listens on its WEB_LISTEN:WEB_PORT too."""
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    assert app.updater is not None
    await app.updater.start_polling(
        poll_interval=0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
    )
    await app.start()
    if web is not None:
        await start_web(app, web)


async def start_webhook(app: BotApplication, settings: Settings) -> None:
    """Webhook mode: the web side serves POST /telegram on WEBHOOK_LISTEN:WEBHOOK_PORT
    (PTB's own webhook server is not used); then Telegram is told where to send, with
    the secret it must send back."""
    assert settings.webhook_url and settings.webhook_secret is not None
    await app.initialize()
    if app.post_init is not None:
        await app.post_init(app)
    await app.start()  # processes the update queue the webhook fills
    await start_web(app, settings)
    await app.bot.set_webhook(
        url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value(),
        allowed_updates=Update.ALL_TYPES,
    )


async def stop_polling(app: BotApplication) -> None:
    """Stop what `start_polling` or `start_webhook` started (the web side first: no new
    updates arrive while the queue drains)."""
    server = app.bot_data.pop(WEB_SERVER_KEY, None)
    if isinstance(server, WebServer):
        await server.stop()
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    if app.post_shutdown is not None:
        await app.post_shutdown(app)


async def run_until_stopped(app: BotApplication, settings: Settings) -> None:
    """`campaignbot run`: webhook or polling (with the web side) until SIGINT or
    SIGTERM, then a graceful stop."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            if settings.webhook_url:
                await start_webhook(app, settings)
            else:
                await start_polling(app, web=settings)
            settle_after_start_up()
        except BaseException:
            with contextlib.suppress(Exception):  # the start-up error is what matters
                await stop_polling(app)
            raise
        try:
            await stop.wait()
            log.info("stopping")
        finally:
            await stop_polling(app)
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
