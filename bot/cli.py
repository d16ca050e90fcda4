"""`campaignbot` — run | demo | db upgrade | floors."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from urllib.parse import quote, unquote

from pydantic import ValidationError

from bot.config import Settings, describe_validation_error

EXIT_CONFIG = 2
EXIT_STARTUP = 3  # the Bot API or the database refused to start with us

NO_TOKEN_MESSAGE = (
    "BOT_TOKEN is not set. Create a bot with @BotFather in Telegram (/newbot), then put "
    "BOT_TOKEN=<token> in the environment or in .env (see .env.example). "
    "To try the bot without a token or network, run: campaignbot demo"
)


class RedactSecrets(logging.Filter):
    """Keep secrets out of every log line (httpx logs request URLs, which contain the
    token; an exception's text may name it too: its traceback is redacted as well)."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<redacted>")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in self._secrets):
            record.msg, record.args = self.redact(message), None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def secrets_of(settings: Settings) -> list[str]:
    """The token, the webhook secret and the database password."""
    found = [
        value.get_secret_value()
        for value in (settings.bot_token, settings.webhook_secret)
        if value is not None
    ]
    password = _database_password(settings.database_url)
    if password:
        found.append(password)
        found.append(quote(password, safe=""))  # as it may be written in the URL
    return [s for s in found if s.strip()]


def _database_password(url: str) -> str | None:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password
    except Exception:  # a malformed URL: take what sits between user: and @
        match = re.search(r"://[^/@:]*:([^@/]*)@", url)
        return unquote(match.group(1)) if match else None


class JsonFormatter(logging.Formatter):
    """One JSON object per record, on one line (LOG_FORMAT=json, for log collectors).
    Runs after `RedactSecrets`, so the message and traceback are already masked."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format=TEXT_LOG_FORMAT)
    if settings.log_format == "json":
        for handler in logging.getLogger().handlers:
            handler.setFormatter(JsonFormatter())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    redact = RedactSecrets(*secrets_of(settings))
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        print(f"configuration error: {describe_validation_error(exc)}", file=sys.stderr)
        raise SystemExit(EXIT_CONFIG) from None


def cmd_run(_args: argparse.Namespace) -> int:
    settings = load_settings()
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        print(NO_TOKEN_MESSAGE, file=sys.stderr)
        return EXIT_CONFIG
    configure_logging(settings)
    redact = RedactSecrets(*secrets_of(settings))
    from bot.app import build_application, run_until_stopped
    from bot.db.migrate import upgrade

    try:
        settings.ensure_data_dir()
        upgrade(settings.database_url)
        application = build_application(settings)
        asyncio.run(check_bot_api(settings))
        # webhook or polling, with the web side (bot/web), until SIGINT or SIGTERM
        asyncio.run(run_until_stopped(application, settings))
    except Exception as exc:  # a start-up error: one line, no secrets, no traceback
        print(redact.redact(describe_startup_error(exc, settings)), file=sys.stderr)
        return EXIT_STARTUP
    return 0


async def check_bot_api(settings: Settings) -> None:
    """Ask the Bot API who we are before anything else (PTB would print the token in its
    traceback when the server rejects it)."""
    from telegram import Bot

    assert settings.bot_token is not None
    bot = Bot(
        settings.bot_token.get_secret_value(),
        base_url=settings.bot_api_base_url,
        base_file_url=settings.bot_api_file_url,
    )
    ptb = logging.getLogger("telegram")
    level = ptb.level
    ptb.setLevel(logging.CRITICAL + 1)  # a failure here is reported by us, in one line
    try:
        async with bot:  # initialize() calls getMe
            pass
    finally:
        ptb.setLevel(level)


def describe_startup_error(exc: BaseException, settings: Settings) -> str:
    """One line saying what failed and what to check."""
    from sqlalchemy.exc import SQLAlchemyError
    from telegram.error import InvalidToken, NetworkError, TelegramError

    from bot.web.server import WebStartError

    detail = " ".join(str(exc).split())[:300] or type(exc).__name__
    api = settings.bot_api_base_url
    if isinstance(exc, WebStartError):
        return (
            f"start-up error: the web side {detail}. Check WEB_LISTEN and WEB_PORT "
            "(WEBHOOK_LISTEN and WEBHOOK_PORT in webhook mode; WEB_PORT=0 turns it off)."
        )
    if isinstance(exc, InvalidToken):
        return (
            f"start-up error: the Bot API at {api} rejected BOT_TOKEN. Check the token "
            "(@BotFather can show or revoke it) and that BOT_API_BASE_URL is a Bot API "
            "address ending in /bot."
        )
    if isinstance(exc, NetworkError):
        return (
            f"start-up error: cannot reach the Bot API at {api} ({detail}). Check "
            "BOT_API_BASE_URL and the network."
        )
    if isinstance(exc, TelegramError):
        return f"start-up error: the Bot API at {api} answered: {detail}"
    if isinstance(exc, SQLAlchemyError | OSError) or "database" in detail.lower():
        return (
            f"start-up error: the database failed ({type(exc).__name__}: {detail}). "
            "Check DATABASE_URL."
        )
    return f"start-up error: {type(exc).__name__}: {detail}"


def cmd_demo(args: argparse.Namespace) -> int:
    from bot.demo.main import DEMO_TOKEN, run_demo

    return run_demo(load_settings(bot_token=DEMO_TOKEN), fresh=args.fresh, sample=args.sample)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    from bot.db.migrate import upgrade

    settings.ensure_data_dir()
    upgrade(settings.database_url, args.revision)
    print(f"database upgraded to {args.revision}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="campaignbot",
        description="Campaign planner bot for cross-border e-commerce sellers.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run the bot against Telegram (needs BOT_TOKEN)")
    run.set_defaults(handler=cmd_run)

    demo = commands.add_parser(
        "demo", help="try the bot in the terminal: no token, no network (local Bot API stand-in)"
    )
    demo.add_argument("--fresh", action="store_true", help="start from an empty demo database")
    demo.add_argument(
        "--sample",
        action="store_true",
        help="load a sample team (a Temu US channel, 20 SKUs, a Black Friday campaign) unless "
        "it is already there; with --fresh it is campaign #1",
    )
    demo.set_defaults(handler=cmd_demo)

    db = commands.add_parser("db", help="database schema (Alembic migrations)")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_upgrade = db_commands.add_parser("upgrade", help="upgrade the schema (default: to head)")
    db_upgrade.add_argument("revision", nargs="?", default="head")
    db_upgrade.set_defaults(handler=cmd_db_upgrade)

    from bot.floors_cli import add_floors_parser, run_floors

    floors = add_floors_parser(commands)
    floors.set_defaults(handler=run_floors)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
