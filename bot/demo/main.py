"""`campaignbot demo [--fresh] [--sample]`: the real bot, in a terminal chat.

The real Application runs in polling mode against the embedded Bot API stand-in
and a SQLite file in the data directory; :mod:`bot.demo.chat` plays the Telegram
client. Logs go to ``<data dir>/demo.log``: the terminal shows only what a
Telegram user would see.
"""

from __future__ import annotations

import asyncio
import locale
import logging
import os
import re
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TextIO

from aiohttp import web

from bot.app import (
    BotApplication,
    build_application,
    start_polling,
    start_web,
    stop_polling,
    web_server,
)
from bot.config import Settings
from bot.context import RUNTIME_KEY, Runtime
from bot.db.migrate import upgrade
from bot.demo.chat import HELP, TerminalChat
from bot.demo.console import Console, PlainConsole, PromptConsole
from bot.i18n import Translator, negotiate_locale
from bot.services import fx
from bot.telegram_stub import BotApiStub
from bot.web.miniapp import demo_message
from bot.web.server import WebStartError

log = logging.getLogger(__name__)

DEMO_TOKEN = "1000001:DEMO-TOKEN-NOT-FOR-TELEGRAM"
DATABASE_FILE = "demo.sqlite3"
LOG_FILE = "demo.log"
HISTORY_FILE = "demo-history"
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MAX_READ_FAILURES = 3


def client_language() -> str:
    """The terminal's language, the way a Telegram client would report it."""
    raw = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "")
    tag = raw.split(".")[0].split("@")[0].replace("_", "-").lower()
    return tag if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]+)*", tag) else "en"  # not C or POSIX


def log_to_file(path: Path, level: str) -> None:
    """Every log record to ``path`` and nowhere else (not the chat, not stderr)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.captureWarnings(True)


@asynccontextmanager
async def sample_fx_feed() -> AsyncIterator[str]:
    """Serve the bundled ECB sample on loopback (the demo has no network), dated today
    so it is not shown as stale."""
    sample = resources.files("bot.demo_data").joinpath("ecb-sample.xml").read_text("utf-8")
    today = date.today().isoformat()  # noqa: DTZ011 - the feed's date is a calendar day
    body = re.sub(r"time='\d{4}-\d{2}-\d{2}'", f"time='{today}'", sample)

    async def feed(_request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/xml")

    app = web.Application()
    app.router.add_get("/eurofxref-daily.xml", feed)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/eurofxref-daily.xml"
    finally:
        await runner.cleanup()


async def _start_web(application: BotApplication, settings: Settings) -> None:
    """The web side (health, metrics, Mini App) on WEB_LISTEN:WEB_PORT; on any free
    port when that one is taken (a demo must not fail over a busy port)."""
    try:
        await start_web(application, settings)
    except WebStartError as exc:
        log.warning("%s; the web side takes a free port instead", exc)
        await start_web(application, settings, port=0)


def _console(stdin: TextIO, out: TextIO, history: Path) -> Console:
    """prompt_toolkit for a person at a terminal, a plain line reader otherwise."""
    ansi = out.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    if stdin.isatty() and out.isatty() and stdin is sys.stdin and out is sys.stdout:
        return PromptConsole(history=history, ansi=ansi)
    return PlainConsole(stdin, out, ansi=ansi)


async def _converse(chat: TerminalChat, console: Console) -> None:
    """Read and act until the person leaves. Nothing raised here ends the demo: it is
    reported in one line (a terminal that keeps failing to read ends it after a few)."""
    failures = 0
    while failures < MAX_READ_FAILURES:
        try:
            line = await console.read(chat.prompt())
        except Exception as exc:
            failures += 1
            chat.report(exc)
            await asyncio.sleep(0.2)
            continue
        failures = 0
        if line is None or not await chat.handle(line):
            return
        if not console.interactive:
            try:
                await chat.settle()
            except Exception as exc:
                chat.report(exc)


async def _demo(settings: Settings, *, sample: bool, stdin: TextIO, out: TextIO) -> None:
    data_dir = settings.data_dir
    db_path = (data_dir / DATABASE_FILE).resolve()
    log_path = (data_dir / LOG_FILE).resolve()
    language = client_language()
    _ = Translator(negotiate_locale(language), "UTC")
    async with (
        # one person typing: no flood limits (the tests exercise those), so replies are
        # never held back behind a retry_after while the terminal waits for them
        BotApiStub(
            token=DEMO_TOKEN, bot_username="CampaignPlannerDemoBot", rate_limits=False
        ) as stub,
        sample_fx_feed() as ecb_url,
    ):
        settings = settings.model_copy(
            update={
                "ecb_url": ecb_url,
                "database_url": f"sqlite+aiosqlite:///{db_path}",
                "bot_api_base_url": stub.base_url,
                "bot_api_file_url": stub.base_file_url,
                "webhook_url": None,
            }
        )
        settings.ensure_data_dir()
        await asyncio.to_thread(upgrade, settings.database_url)
        application = build_application(settings)
        runtime: Runtime = application.bot_data[RUNTIME_KEY]
        await fx.refresh(runtime.uow_factory, ecb_url, runtime.clock.now(), recheck=False)
        await start_polling(application, poll_timeout=5)
        await _start_web(application, settings)
        console = _console(stdin, out, data_dir / HISTORY_FILE)
        chat = TerminalChat(
            stub,
            console,
            _,
            downloads=data_dir / "demo-downloads",
            log_path=log_path,
            uow_factory=runtime.uow_factory,
            today=lambda: runtime.clock.now().date(),
            client_language=language,
        )
        if isinstance(console, PromptConsole):
            console.complete_with(chat.completions)
        with console.running():
            watcher = asyncio.create_task(chat.watch(), name="demo-watcher")
            try:
                console.show(
                    _(
                        "Campaign planner demo: the real bot, talking to a stand-in for "
                        "Telegram on this computer. Data: {path}",
                        path=db_path,
                    )
                )
                console.show(_(HELP, log=log_path))
                server = web_server(application)
                if server is not None:  # the Mini App, signed for the demo user
                    console.show(demo_message(_, settings, server.url, chat.me.id))
                if sample:
                    await chat.load_sample()
                else:
                    console.show(_("Try /start"))
                await _converse(chat, console)
            finally:
                watcher.cancel()
                await stop_polling(application)
                console.show(_("Bye."))


def run_demo(
    settings: Settings,
    *,
    fresh: bool = False,
    sample: bool = False,
    stdin: TextIO | None = None,
    out: TextIO | None = None,
) -> int:
    """Run the demo with ``settings`` (its data directory and log level; the rest is
    the demo's own). ``fresh``: start from an empty database. ``sample``: load the
    sample team (idempotent; see :mod:`bot.demo.sample`)."""
    _ = Translator(negotiate_locale(client_language()), "UTC")
    data_dir = settings.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        log_to_file(data_dir / LOG_FILE, settings.log_level)
        if fresh:
            for suffix in ("", "-wal", "-shm", "-journal"):
                (data_dir / f"{DATABASE_FILE}{suffix}").unlink(missing_ok=True)
    except OSError as exc:
        print(_("The demo could not go on: {error}", error=exc), file=sys.stderr)
        return 1
    try:
        asyncio.run(_demo(settings, sample=sample, stdin=stdin or sys.stdin, out=out or sys.stdout))
    except KeyboardInterrupt:  # Ctrl-C outside the line editor: the finally blocks have run
        pass
    except Exception as exc:  # the demo could not start (the chat itself never raises)
        log.exception("the demo stopped")
        message = _(
            "The demo could not go on ({error}). Details: {log}",
            error=f"{type(exc).__name__}: {exc}",
            log=(data_dir / LOG_FILE).resolve(),
        )
        print(message, file=sys.stderr)
        return 1
    return 0
