"""Mini App initData, checked with Telegram's documented algorithm."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web.initdata import InvalidInitData, sign_init_data, validate_init_data

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
USER = {"id": 279058397, "first_name": "Ana", "username": "ana", "language_code": "pt-br"}
DAY = 86400


def signed() -> str:
    return sign_init_data(TOKEN, USER, int(NOW.timestamp()) - 60, start_param="7")


def telegram_hash(fields: dict[str, str], token: str) -> str:
    """The documented algorithm, written out independently of the bot's code."""
    secret = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    return hmac.new(secret, check.encode(), hashlib.sha256).hexdigest()


def test_a_valid_signature_gives_the_signed_user_and_start_param() -> None:
    raw = signed()
    fields = dict(parse_qsl(raw))
    assert fields["hash"] == telegram_hash(fields, TOKEN)  # the documented algorithm
    init = validate_init_data(raw, TOKEN, max_age=DAY, now=NOW)
    assert init.user.id == 279058397
    assert init.user.first_name == "Ana"
    assert init.user.language_code == "pt-br"
    assert init.start_param == "7"


def test_an_init_data_signed_by_hand_as_telegram_does_is_accepted() -> None:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": 42, "first_name": "Wei"}),
        "auth_date": str(int(NOW.timestamp())),
        "chat_type": "private",
    }
    fields["hash"] = telegram_hash(fields, TOKEN)
    init = validate_init_data(urlencode(fields), TOKEN, max_age=DAY, now=NOW)
    assert (init.user.id, init.chat_type) == (42, "private")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("user", json.dumps({"id": 1, "first_name": "Mallory"})),  # another identity
        ("auth_date", str(int(NOW.timestamp()))),  # a fresher date
        ("start_param", "8"),  # another campaign
        ("hash", "0" * 64),
    ],
)
def test_a_tampered_field_is_refused(field: str, value: str) -> None:
    fields = dict(parse_qsl(signed()))
    fields[field] = value
    with pytest.raises(InvalidInitData):
        validate_init_data(urlencode(fields), TOKEN, max_age=DAY, now=NOW)


def test_an_added_field_is_refused() -> None:
    with pytest.raises(InvalidInitData):
        validate_init_data(signed() + "&can_send_after=0", TOKEN, max_age=DAY, now=NOW)


def test_a_repeated_field_is_refused() -> None:
    raw = signed()
    user = dict(parse_qsl(raw))["user"]
    with pytest.raises(InvalidInitData):
        validate_init_data(raw + "&" + urlencode({"user": user}), TOKEN, max_age=DAY, now=NOW)


def test_a_signature_from_another_bot_token_is_refused() -> None:
    other = sign_init_data("999999:another-bots-token", USER, int(NOW.timestamp()))
    with pytest.raises(InvalidInitData):
        validate_init_data(other, TOKEN, max_age=DAY, now=NOW)
    validate_init_data(other, "999999:another-bots-token", max_age=DAY, now=NOW)  # its own


def test_an_expired_auth_date_is_refused() -> None:
    raw = sign_init_data(TOKEN, USER, int(NOW.timestamp()) - DAY - 1)
    with pytest.raises(InvalidInitData):
        validate_init_data(raw, TOKEN, max_age=DAY, now=NOW)
    # the same data within a longer configured age is fine
    assert validate_init_data(raw, TOKEN, max_age=2 * DAY, now=NOW).user.id == USER["id"]


def test_an_auth_date_from_the_future_is_refused() -> None:
    raw = sign_init_data(TOKEN, USER, int(NOW.timestamp()) + 3600)
    with pytest.raises(InvalidInitData):
        validate_init_data(raw, TOKEN, max_age=DAY, now=NOW)


@pytest.mark.parametrize(
    "user",
    [
        {"first_name": "no id"},
        {"id": "42", "first_name": "id as text"},
        {"id": True},
        {"id": -5},
    ],
)
def test_a_signed_user_without_a_usable_id_is_refused(user: dict[str, object]) -> None:
    raw = sign_init_data(TOKEN, user, int(NOW.timestamp()))
    with pytest.raises(InvalidInitData):
        validate_init_data(raw, TOKEN, max_age=DAY, now=NOW)


@pytest.mark.parametrize("raw", ["", "not a query string", "hash=", "x" * 5000])
def test_garbage_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInitData):
        validate_init_data(raw, TOKEN, max_age=DAY, now=NOW)


def test_the_demo_url_carries_a_valid_signature_where_telegram_puts_it() -> None:
    from urllib.parse import unquote, urlsplit

    from bot.config import Settings
    from bot.i18n import Translator
    from bot.web.miniapp import demo_message, demo_url

    settings = Settings(_env_file=None, bot_token=TOKEN)  # type: ignore[call-arg]
    url = demo_url(settings, "http://127.0.0.1:8080/", 42, campaign_id=3, now=int(NOW.timestamp()))
    parts = urlsplit(url)
    assert (parts.path, parts.query) == ("/miniapp/", "campaign=3")
    key, _, value = parts.fragment.partition("=")
    assert key == "tgWebAppData"
    init = validate_init_data(unquote(value), TOKEN, max_age=DAY, now=NOW)
    assert init.user.id == 42
    with pytest.raises(InvalidInitData):  # signed with the demo's token, nobody else's
        validate_init_data(unquote(value), "1:other", max_age=DAY, now=NOW)
    line = demo_message(Translator("de"), settings, "http://127.0.0.1:8080", 42)
    assert "http://127.0.0.1:8080/miniapp/#tgWebAppData=" in line
    assert "Browser" in line
