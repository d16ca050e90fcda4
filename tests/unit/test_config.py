"""Settings: names as SPEC §6, sensible defaults, and one clear line for a bad value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings, describe_validation_error

CLEAN_ENV = {
    k: v
    for k, v in os.environ.items()
    if k.upper()
    not in {
        "BOT_TOKEN",
        "DATABASE_URL",
        "BOT_API_BASE_URL",
        "BOT_API_FILE_URL",
        "DEFAULT_LOCALE",
        "DEFAULT_TIMEZONE",
        "LOG_LEVEL",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "DATA_DIR",
    }
}


def settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


def test_defaults_use_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    s = settings(data_dir=str(tmp_path))
    assert s.database_url == f"sqlite+aiosqlite:///{tmp_path / 'campaignbot.sqlite3'}"
    assert s.bot_api_base_url == "https://api.telegram.org/bot"
    assert s.default_locale == "en" and s.default_timezone == "UTC"


def test_postgres_url_gets_the_async_driver() -> None:
    s = settings(database_url="postgresql://u:p@db:5432/bot")
    assert s.database_url == "postgresql+asyncpg://u:p@db:5432/bot"


def test_locale_is_normalised() -> None:
    assert settings(default_locale="pt-br").default_locale == "pt_BR"
    assert settings(default_locale="ZH_cn").default_locale == "zh_CN"


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("default_timezone", "Mars/Base", "DEFAULT_TIMEZONE: unknown time zone 'Mars/Base'"),
        ("default_locale", "fr", "DEFAULT_LOCALE: unknown locale 'fr'"),
        ("bot_api_base_url", "localhost:8081", "BOT_API_BASE_URL must be an http(s) URL"),
        ("database_url", "mysql://x@y/z", "only SQLite and PostgreSQL are supported"),
        ("log_level", "LOUD", "LOG_LEVEL"),
    ],
)
def test_bad_values_are_described_in_one_line(field: str, value: str, needle: str) -> None:
    with pytest.raises(ValidationError) as caught:
        settings(**{field: value})
    line = describe_validation_error(caught.value)
    assert needle in line
    assert "\n" not in line


def test_token_is_secret_in_repr() -> None:
    s = settings(bot_token="123:ABCSECRET")
    assert "ABCSECRET" not in repr(s)
    assert s.bot_token is not None and s.bot_token.get_secret_value() == "123:ABCSECRET"


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**CLEAN_ENV, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_without_token_explains_how_to_get_one(tmp_path: Path) -> None:
    result = run_cli("run", env={}, cwd=tmp_path)
    assert result.returncode == 2
    assert "@BotFather" in result.stderr and "campaignbot demo" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_run_with_bad_setting_stops_with_one_clear_line(tmp_path: Path) -> None:
    result = run_cli("run", env={"BOT_TOKEN": "1:x", "DEFAULT_TIMEZONE": "Mars/Base"}, cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "configuration error: DEFAULT_TIMEZONE: unknown time zone 'Mars/Base'; "
        "use an IANA name like Asia/Shanghai"
    ]


def test_settings_are_read_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DEFAULT_TIMEZONE=Asia/Seoul\nDEFAULT_LOCALE=ko\n")
    result = run_cli("db", "upgrade", env={"DATA_DIR": str(tmp_path / "d")}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "d" / "campaignbot.sqlite3").exists()
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        s = Settings()
    finally:
        os.chdir(previous)
    assert s.default_timezone == "Asia/Seoul" and s.default_locale == "ko"


def test_webhook_mode_needs_a_well_formed_secret() -> None:
    with pytest.raises(ValidationError) as caught:
        settings(webhook_url="https://bot.example.com/telegram")
    assert "WEBHOOK_SECRET must be set" in describe_validation_error(caught.value)
    with pytest.raises(ValidationError) as caught:
        settings(webhook_url="https://bot.example.com/telegram", webhook_secret="has spaces!")
    assert "WEBHOOK_SECRET" in describe_validation_error(caught.value)
    ok = settings(webhook_url="https://bot.example.com/telegram", webhook_secret="s3cret_-X")
    assert ok.webhook_secret is not None
    with pytest.raises(ValidationError):
        settings(webhook_url="http://insecure.example.com/")


@pytest.mark.parametrize(
    "url",
    ["postgres//bob:hunter2@db/x", "postgresql://bob:hunter2@db:notaport/x", "bob:hunter2@db"],
)
def test_a_malformed_database_url_does_not_show_its_password_at_start_up(
    tmp_path: Path, url: str
) -> None:
    result = run_cli("run", env={"BOT_TOKEN": "1:x", "DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("configuration error: DATABASE_URL: not a database URL")
    assert "hunter2" not in result.stderr and "hunter2" not in result.stdout
    assert "@db" in result.stderr  # the host is still named, to find the mistake
