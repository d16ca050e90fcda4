"""Settings from the environment and `.env` (names as SPEC §6 lists them).

Built once in the CLI and passed down; never at import time, so tests and the
demo can build their own.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot import limits
from bot.shipped import SHIPPED_LOCALES

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
LogFormat = Literal["text", "json"]


def _check_http_url(value: str, name: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL, got {mask_secrets(value)!r}")
    return value


# `scheme://user:password@host`: the password runs from the ':' after the user to the last
# '@' before the host, and may itself hold ':', '@' or '/'.
_URL_PASSWORD = re.compile(r"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*:)[^\s]*@")
# `user:password@host` without a well-formed scheme (`postgres//bob:pw@db`, `bob:pw@db`)
_BARE_PASSWORD = re.compile(r"(?P<head>[^\s'\":/@]+:)(?!//)(?!\*\*\*@)[^\s]*@")
# `password=…` in a query string or a key=value connection string
_PASSWORD_PARAM = re.compile(r"(?i)(?P<head>\b(?:password|passwd|pwd|secret|token)=)[^&\s;'\"]*")


def mask_secrets(text: str) -> str:
    """`text` with every password in a URL (`user:***@host`) and every `password=…`
    parameter replaced by ***, also when the URL is malformed."""
    masked = _URL_PASSWORD.sub(lambda m: f"{m['head']}***@", text)
    masked = _BARE_PASSWORD.sub(lambda m: f"{m['head']}***@", masked)
    return _PASSWORD_PARAM.sub(lambda m: f"{m['head']}***", masked)


def _redacted_url(raw: str) -> str:
    """A database URL that did not parse, as an error message may show it: everything
    before the last '@' (user and password, however mangled) is replaced."""
    head, at, host = raw.rpartition("@")
    if not at:
        return mask_secrets(raw)
    scheme, sep, _rest = head.partition("://")
    return f"{scheme}{sep}***@{host}" if sep else f"***@{host}"


def normalise_database_url(raw: str) -> str:
    """Accept the usual spellings and pick the async driver the bot needs."""
    try:
        url: URL = make_url(raw)
    except (ArgumentError, ValueError):
        # the URL as given may hold a password: never echo it
        raise ValueError(f"not a database URL: {_redacted_url(raw)!r}") from None
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"only SQLite and PostgreSQL are supported, got {backend!r}")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", validate_default=True
    )

    bot_token: SecretStr | None = None
    data_dir: Path = Path("data")
    database_url: str = ""
    bot_api_base_url: str = "https://api.telegram.org/bot"
    bot_api_file_url: str = "https://api.telegram.org/file/bot"
    default_locale: str = "en"
    default_timezone: str = "UTC"
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "text"  # json: one JSON object per line, for log collectors
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # The web side (health, metrics, Mini App) in polling mode and in the demo; with a
    # webhook it listens on WEBHOOK_LISTEN:WEBHOOK_PORT instead. 0: no web side.
    web_listen: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    ecb_url: str = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
    dispatch_interval_seconds: float = Field(default=5.0, gt=0, le=3600)
    # notices per second this process may send (Telegram: about 30/s per bot in total;
    # with N processes sharing one token give each 30/N)
    dispatch_rate_per_second: float = Field(default=29.0, gt=0, le=1000)
    # file work (reading uploads, building exports) runs in worker processes, each task
    # under a time limit and each worker under a memory limit (bot/runtime/workers.py)
    file_workers: int = Field(default=2, ge=1, le=32)
    file_worker_seconds: float = Field(default=20.0, gt=0, le=600)
    file_worker_memory_mb: int = Field(default=512, ge=256, le=65536)
    # the Mini App (the plan as a table): the public https base URL the bot's web side is
    # served at, and the app's short name registered with @BotFather (for the
    # t.me/<bot>/<name> links groups get); unset, no button opens it
    miniapp_url: str | None = None
    miniapp_short_name: str | None = None
    # how old (seconds) a Mini App's signed initData may be before the page must reopen
    miniapp_max_age: int = Field(default=86400, ge=60, le=7 * 86400)
    # charts (/floor, /plan pictures) are drawn in their own worker processes, under the
    # file workers' time and memory limits, so a chart never waits behind an upload;
    # 0 turns charts off (the text answers are unchanged)
    chart_workers: int = Field(default=1, ge=0, le=8)

    @field_validator("bot_api_base_url", "bot_api_file_url", "ecb_url")
    @classmethod
    def _http_url(cls, value: str, info: object) -> str:
        name = getattr(info, "field_name", "URL").upper()
        return _check_http_url(value, name)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value:
            from urllib.parse import urlsplit

            if urlsplit(value).scheme != "https":
                raise ValueError(f"WEBHOOK_URL must be an https URL, got {mask_secrets(value)!r}")
        return value or None

    @field_validator("miniapp_url")
    @classmethod
    def _miniapp_url(cls, value: str | None) -> str | None:
        if value:
            from urllib.parse import urlsplit

            parts = urlsplit(value)
            if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
                # Telegram opens Mini Apps over https only
                raise ValueError(
                    f"MINIAPP_URL must be an https base URL, got {mask_secrets(value)!r}"
                )
            return value.rstrip("/")
        return None

    @field_validator("miniapp_short_name")
    @classmethod
    def _miniapp_short_name(cls, value: str | None) -> str | None:
        if value and not re.fullmatch(r"[A-Za-z0-9_]{3,30}", value):
            # @BotFather's rule for a Mini App's short name
            raise ValueError("MINIAPP_SHORT_NAME may only use A-Z, a-z, 0-9 and _ (3 to 30)")
        return value or None

    @field_validator("default_locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        by_lower = {loc.lower().replace("-", "_"): loc for loc in SHIPPED_LOCALES}
        key = value.strip().lower().replace("-", "_")
        if key not in by_lower:
            raise ValueError(
                f"unknown locale {value!r}; shipped locales are {', '.join(SHIPPED_LOCALES)}"
            )
        return by_lower[key]

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        if not is_valid_timezone(value):
            raise ValueError(f"unknown time zone {value!r}; use an IANA name like Asia/Shanghai")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        return normalise_database_url(value) if value else ""

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        # Telegram's rule for secret_token: 1-256 characters A-Z, a-z, 0-9, _ and -
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (1 to 256)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET must be set when WEBHOOK_URL is")
        return self

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            path = (self.data_dir / "campaignbot.sqlite3").resolve()
            self.database_url = f"sqlite+aiosqlite:///{path}"
        return self

    @property
    def web_address(self) -> tuple[str, int] | None:
        """Where the web side listens: the webhook's address in webhook mode, else
        WEB_LISTEN:WEB_PORT (None when WEB_PORT is 0)."""
        if self.webhook_url:
            return (self.webhook_listen, self.webhook_port)
        if self.web_port == 0:
            return None
        return (self.web_listen, self.web_port)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def ensure_data_dir(self) -> None:
        if self.is_sqlite:
            database = make_url(self.database_url).database
            if database and database != ":memory:":
                Path(database).parent.mkdir(parents=True, exist_ok=True)


def is_valid_timezone(name: str) -> bool:
    return limits.is_valid_timezone(name)


def describe_validation_error(exc: ValidationError) -> str:
    """One line per bad setting, named as the environment variable."""
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]).upper() or "settings"
        message = error["msg"].removeprefix("Value error, ")
        lines.append(f"{field}: {mask_secrets(message)}")
    return "; ".join(lines)
