"""Telegram Mini App `initData`: checked exactly as Telegram documents it
(https://core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app).

    secret_key = HMAC_SHA256(key="WebAppData", msg=bot_token)
    data_check_string = the received fields but `hash`, as "key=value" lines sorted by key,
                        joined with "\\n"
    valid when hex(HMAC_SHA256(key=secret_key, msg=data_check_string)) == hash

and not older than the configured age (`auth_date`, seconds since the epoch). The
result carries only what Telegram signed: the user, and the start parameter of a
`t.me/<bot>/<app>?startapp=…` link. Pure: no Telegram, no database.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

# initData is a few hundred bytes; anything much longer is not from Telegram
MAX_INIT_DATA = 4096
# a clock a little ahead of Telegram's must not refuse a fresh signature
CLOCK_SKEW_SECONDS = 60


class InvalidInitData(Exception):
    """The initData is missing, malformed, wrongly signed or too old. The reason is for
    logs only: the client is told no more than "sign in again"."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class InitData:
    user: WebAppUser
    auth_date: int
    start_param: str | None = None
    chat_type: str | None = None


def _secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def data_check_string(fields: dict[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def _signature(bot_token: str, fields: dict[str, str]) -> str:
    return hmac.new(
        _secret_key(bot_token), data_check_string(fields).encode(), hashlib.sha256
    ).hexdigest()


def validate_init_data(raw: str, bot_token: str, *, max_age: float, now: datetime) -> InitData:
    """The signed fields of `raw` (the query string Telegram hands the page), or
    `InvalidInitData`."""
    if not raw or len(raw) > MAX_INIT_DATA:
        raise InvalidInitData("missing or oversized initData")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData("initData is not a query string") from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:  # one value per key, or the check string is ambiguous
            raise InvalidInitData(f"repeated field {key!r}")
        fields[key] = value
    received = fields.get("hash", "")
    if not hmac.compare_digest(_signature(bot_token, fields), received):
        raise InvalidInitData("bad signature")
    try:
        auth_date = int(fields["auth_date"])
    except (KeyError, ValueError):
        raise InvalidInitData("no auth_date") from None
    age = now.timestamp() - auth_date
    if age > max_age or age < -CLOCK_SKEW_SECONDS:
        raise InvalidInitData(f"auth_date is {age:.0f} s old")
    return InitData(
        _user(fields.get("user")),
        auth_date,
        fields.get("start_param") or None,
        fields.get("chat_type") or None,
    )


def _user(raw: str | None) -> WebAppUser:
    if not raw:
        raise InvalidInitData("no user")
    try:
        data: Any = json.loads(raw)
    except ValueError:
        raise InvalidInitData("user is not JSON") from None
    if not isinstance(data, dict):
        raise InvalidInitData("user is not an object")
    user_id = data.get("id")
    if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id <= 0:
        raise InvalidInitData("user has no id")

    def text(key: str) -> str | None:
        value = data.get(key)
        return value if isinstance(value, str) else None

    return WebAppUser(
        user_id,
        text("first_name") or "",
        text("last_name"),
        text("username"),
        text("language_code"),
    )


def sign_init_data(
    bot_token: str,
    user: dict[str, Any],
    auth_date: int,
    *,
    start_param: str | None = None,
    extra: dict[str, str] | None = None,
) -> str:
    """initData as Telegram would sign it for this user (the demo and the tests; the
    bot never signs for a real user)."""
    fields = {
        "auth_date": str(auth_date),
        "query_id": f"demo{auth_date}",
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        **(extra or {}),
    }
    if start_param is not None:
        fields["start_param"] = start_param
    fields["hash"] = _signature(bot_token, fields)
    return urlencode(fields)
