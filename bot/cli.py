"""`campaignbot` — run | demo | db upgrade | floors."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.config import Settings, describe_validation_error

EXIT_CONFIG = 2

NO_TOKEN_MESSAGE = (
    "BOT_TOKEN is not set. Create a bot with @BotFather in Telegram (/newbot), then put "
    "BOT_TOKEN=<token> in the environment or in .env (see .env.example). "
    "To try the bot without a token or network, run: campaignbot demo"
)


class RedactSecrets(logging.Filter):
    """Keep the token out of every log line (httpx logs request URLs, which contain it)."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                for secret in self._secrets:
                    message = message.replace(secret, "<redacted>")
                record.msg, record.args = message, None
        return True


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    token = settings.bot_token.get_secret_value() if settings.bot_token else ""
    redact = RedactSecrets(token)
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
    from telegram import Update

    from bot.app import build_application, webhook_options
    from bot.db.migrate import upgrade

    settings.ensure_data_dir()
    upgrade(settings.database_url)
    application = build_application(settings)
    if settings.webhook_url:
        application.run_webhook(**webhook_options(settings))
    else:
        # run_polling stops gracefully on SIGINT and SIGTERM
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


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
