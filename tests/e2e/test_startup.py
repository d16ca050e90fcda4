"""Start-up errors (security review, finding 7): `campaignbot run` with a rejected token, a
wrong Bot API address, an unreachable Bot API or an unusable database prints one line
that names what to check, never a secret or a traceback, and exits non-zero. The bot runs
as its own process against the Bot API stand-in."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from bot.cli import EXIT_STARTUP
from bot.telegram_stub import BotApiStub

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "987654321:AAF-rejected-token-0123456789abcdef"
DB_PASSWORD = "pa55-w0rd-never-shown"


async def run_bot(env: dict[str, str], workdir: Path) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=workdir,  # no .env from the checkout
        env={**os.environ, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING", **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), 90)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise AssertionError("the bot kept running instead of stopping at start-up") from None
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "case, expected",
    [
        ("rejected token", "rejected BOT_TOKEN"),
        ("wrong Bot API path", "rejected BOT_TOKEN"),
        ("unreachable Bot API", "cannot reach the Bot API at http://127.0.0.1:9/bot"),
        ("database refuses", "the database failed"),
    ],
)
async def test_a_start_up_error_is_one_line_without_secrets_and_a_non_zero_exit(
    stub: BotApiStub, tmp_path: Path, case: str, expected: str
) -> None:
    env = {
        "BOT_TOKEN": TOKEN,
        "BOT_API_BASE_URL": stub.base_url,
        "BOT_API_FILE_URL": stub.base_file_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        "ECB_URL": "http://127.0.0.1:9/eurofxref-daily.xml",
    }
    if case == "wrong Bot API path":
        env["BOT_TOKEN"] = stub.token + "-" + TOKEN.split(":")[1]  # accepted nowhere
        env["BOT_API_BASE_URL"] = f"{stub.url}/not-the-bot-api"
    elif case == "unreachable Bot API":
        env["BOT_API_BASE_URL"] = "http://127.0.0.1:9/bot"
    elif case == "database refuses":
        env["BOT_TOKEN"] = stub.token  # a good token: the database is what fails
        env["DATABASE_URL"] = f"postgresql://campaignbot:{DB_PASSWORD}@127.0.0.1:9/campaigns"
    code, out, err = await run_bot(env, tmp_path)
    assert code == EXIT_STARTUP != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("start-up error: ") and expected in lines[0]
    secret = env["BOT_TOKEN"].split(":", 1)[1]
    for shown in (out, err):
        assert secret not in shown and DB_PASSWORD not in shown
        assert "Traceback" not in shown


async def test_the_log_filter_redacts_secrets_in_tracebacks_too() -> None:
    """A logged exception whose text holds the token is redacted in its traceback."""
    import io
    import logging

    from bot.cli import RedactSecrets

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecrets(TOKEN, DB_PASSWORD))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise RuntimeError(f"The token `{TOKEN}` was rejected; url=pg://u:{DB_PASSWORD}@h")
        except RuntimeError:
            logger.exception("could not start with %s", TOKEN)
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text and "<redacted>" in text
    assert TOKEN not in text and DB_PASSWORD not in text


async def test_a_taken_web_port_is_a_one_line_start_up_error(
    stub: BotApiStub, tmp_path: Path
) -> None:
    """The web side cannot listen (another process has WEB_PORT): one line naming the
    settings to check, exit 3, nothing left running."""
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        env = {
            "BOT_TOKEN": stub.token,
            "BOT_API_BASE_URL": stub.base_url,
            "BOT_API_FILE_URL": stub.base_file_url,
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
            "ECB_URL": "http://127.0.0.1:9/eurofxref-daily.xml",
            "WEB_LISTEN": "127.0.0.1",
            "WEB_PORT": str(port),
        }
        code, out, err = await run_bot(env, tmp_path)
    assert code == EXIT_STARTUP
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"start-up error: the web side cannot listen on 127.0.0.1:{port}")
    assert "WEB_PORT" in lines[0] and "Traceback" not in err
    assert stub.token.split(":")[1] not in out + err
