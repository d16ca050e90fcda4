"""The Mini App's settings: an https base URL, @BotFather's short-name rule, a bounded age."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import Settings


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_leave_the_mini_app_closed() -> None:
    plain = settings()
    assert (plain.miniapp_url, plain.miniapp_short_name) == (None, None)
    assert plain.miniapp_max_age == 86400


def test_an_https_base_url_is_kept_without_its_trailing_slash() -> None:
    assert settings(miniapp_url="https://bot.example.com/").miniapp_url == (
        "https://bot.example.com"
    )
    assert settings(miniapp_url="").miniapp_url is None


@pytest.mark.parametrize(
    "url",
    ["http://bot.example.com", "bot.example.com", "https://", "https://x.example/?a=1"],
)
def test_other_urls_are_refused(url: str) -> None:
    with pytest.raises(ValidationError, match="MINIAPP_URL"):
        settings(miniapp_url=url)


@pytest.mark.parametrize("name", ["ab", "plan table", "plan-table", "x" * 31])
def test_short_names_follow_botfathers_rule(name: str) -> None:
    with pytest.raises(ValidationError, match="MINIAPP_SHORT_NAME"):
        settings(miniapp_short_name=name)
    assert settings(miniapp_short_name="plan_table").miniapp_short_name == "plan_table"


@pytest.mark.parametrize("age", [0, 59, 8 * 86400])
def test_the_max_age_is_bounded(age: int) -> None:
    with pytest.raises(ValidationError):
        settings(miniapp_max_age=age)
