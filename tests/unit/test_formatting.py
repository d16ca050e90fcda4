"""Issue 12, formatting: zones by their localized names, dates without a doubled period,
one percent formatter."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from string import Formatter
from types import SimpleNamespace
from typing import cast

import pytest
from babel.messages.catalog import Message
from babel.messages.pofile import read_po

from bot.db.models import Campaign, Team
from bot.i18n import LOCALES_DIR, Translator, fill
from bot.services.plan import Plan
from bot.services.settings import Setting
from bot.shipped import SHIPPED_LOCALES
from bot.views import channels as channel_views
from bot.views import enrolment as enrolment_views
from bot.views import exports
from bot.views import notifications as notification_views
from bot.views import settings as settings_views
from bot.views.onboarding import COMMON_TIMEZONES, timezone_picker

WINTER = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
SUMMER = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("locale", "zone", "name", "place", "at_winter"),
    [
        ("en", "Asia/Shanghai", "China Time", "China (Shanghai) Time", "China Standard Time"),
        ("zh_CN", "Asia/Shanghai", "中国时间", "中国（上海）时间", "中国标准时间"),
        ("de", "Europe/Berlin", "Mitteleuropäische Zeit", "Deutschland (Berlin) (Ortszeit)", None),
        ("ko", "Asia/Seoul", "한국 시간", "대한민국 시간", "한국 표준시"),
        ("es", "Europe/Madrid", "hora de Europa central", "hora de España (Madrid)", None),
        ("pt_BR", "America/Sao_Paulo", "Horário de Brasília", "Horário Brasil (São Paulo)", None),
        ("en", "UTC", "Coordinated Universal Time", "Coordinated Universal Time", None),
        ("de", "UTC", "Koordinierte Weltzeit", "Koordinierte Weltzeit", None),
    ],
)
def test_a_zone_is_named_in_the_readers_language(
    locale: str, zone: str, name: str, place: str, at_winter: str | None
) -> None:
    _ = Translator(locale, zone)
    assert _.zone() == name
    assert _.zone_place(zone) == place
    shown = _.datetime(WINTER)
    assert zone not in shown
    if at_winter:
        assert shown.endswith(" " + at_winter)


def test_a_moment_names_summer_time_when_it_is_in_force() -> None:
    berlin = Translator("en", "Europe/Berlin")
    assert berlin.datetime(SUMMER).endswith("Central European Summer Time")
    assert berlin.datetime(WINTER).endswith("Central European Standard Time")
    assert berlin.datetime(WINTER, named=False) == "Dec 2, 2026, 1:00\u202fPM"


def test_an_offset_zone_and_an_unknown_id_are_still_shown() -> None:
    assert Translator("en").zone("Etc/GMT+5") == "GMT-05:00"  # POSIX sign: five hours behind
    assert Translator("en").zone("Mars/Base") == "Mars/Base"  # nothing better to show


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_no_screen_that_shows_a_zone_shows_a_raw_id(locale: str) -> None:
    _ = Translator(locale, "Asia/Seoul")
    _text, markup = timezone_picker(_, "Asia/Seoul", "s")
    assert markup is not None
    labels = [button.text for row in markup.inline_keyboard for button in row]
    assert len(set(labels)) == len(COMMON_TIMEZONES)  # Berlin and Madrid told apart
    assert not any("/" in label for label in labels)
    assert "Asia/Seoul" not in settings_views.value_text(_, Setting.TIMEZONE, "Asia/Seoul")
    # where the id must be typed, it stays beside the name, as code
    shown = channel_views.value_text(_, "timezone", "America/New_York", "USD")
    assert shown.endswith("(<code>America/New_York</code>)")
    assert shown.startswith(_.zone("America/New_York"))


# -- dates never end a sentence with a doubled full stop --------------------------------------


def _catalog_messages(locale: str) -> list[Message]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "bot.po").open("rb") as f:
        return [m for m in read_po(f, locale=locale) if m.id]


def _fields(text: str) -> set[str]:
    return {
        re.split(r"[.\[]", name, maxsplit=1)[0]
        for _, name, _, _ in Formatter().parse(text)
        if name  # positional or absent fields take no keyword
    }


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_no_message_shows_a_date_followed_by_a_second_full_stop(locale: str) -> None:
    """Every catalog message, with a date in each placeholder (a Korean medium date ends in
    "."), renders without ".." or ". ." after the date."""
    _ = Translator(locale)
    day = _.date(date(2026, 12, 2))
    assert locale != "ko" or day == "2026. 12. 2."  # the case this guards
    checked = 0
    for message in _catalog_messages(locale):
        if isinstance(message.id, tuple):
            singular, plural = message.id
            names = _fields(singular) | _fields(plural)
            params = {name: day for name in names - {"n"}}
            rendered = [_.ngettext(singular, plural, n, **params) for n in (1, 2, 5)]
        else:
            names = _fields(message.id)
            if not names:
                continue
            rendered = [_.gettext(message.id, **{name: day for name in names})]
        for text in rendered:
            for at in (m.end() for m in re.finditer(re.escape(day), text)):
                seam = text[at - 1 : at + 2]  # the date's last character and what follows
                assert not seam.startswith(("..", ". .")), (message.id, text)
                checked += 1
    assert checked > 100


def test_a_korean_date_at_a_sentence_end_keeps_one_full_stop() -> None:
    ko = Translator("ko")
    text = ko("Latest ECB rates: {date}.", date=ko.date(date(2026, 12, 2)))
    assert text.endswith("2026. 12. 2.") and ".." not in text
    en = Translator("en")
    assert en("Latest ECB rates: {date}.", date=en.date(date(2026, 12, 2))).endswith("2026.")
    # an ellipsis after a value is not a doubled full stop
    assert fill("{name}...", {"name": "Inc."}) == "Inc...."


# -- one percent formatter --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "thirty", "margin"),
    [
        ("en", "30%", "18.5%"),
        ("de", "30\u00a0%", "18,5\u00a0%"),  # a no-break space
        ("ko", "30%", "18.5%"),
        ("zh_CN", "30%", "18.5%"),
        ("es", "30\u00a0%", "18,5\u00a0%"),
        ("pt_BR", "30%", "18,5%"),
    ],
)
def test_every_percentage_is_written_the_locales_way(locale: str, thirty: str, margin: str) -> None:
    _ = Translator(locale)
    assert _.percent(Decimal("0.3")) == thirty
    assert _.margin(Decimal("0.18449")) == margin.replace("5", "4", 1)  # 18.4
    assert _.margin(Decimal("0.1845")) == margin  # a tie rounds up, like the floors tool
    assert _.percent(None) == "—" and _.margin(None) == "—"


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_percent_buttons_and_notices_use_the_translators_percent(locale: str) -> None:
    _ = Translator(locale)
    team = SimpleNamespace(id=1, name="Acme", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    expected = [_.percent(Decimal(p).scaleb(-2)) for p in ("10", "15", "20", "25", "30")]
    _text, markup = enrolment_views.pick_mode(
        _, cast(Campaign, SimpleNamespace(id=3, name="BF", created_at=team.created_at))
    )
    assert markup is not None
    labels = [button.text for row in markup.inline_keyboard for button in row]
    assert all(label in labels for label in expected)
    _text, markup = settings_views.question(_, cast(Team, team), Setting.MARGIN, Decimal("0.2"))
    assert markup is not None
    labels = [button.text for row in markup.inline_keyboard for button in row]
    assert "✅ " + _.percent(Decimal("0.2")) in labels
    # a notice names a target margin as typed, not with a forced decimal ("15.0 %")
    cause = notification_views.cause_text(_, {"kind": "target", "from": "0.15", "to": "0.2"}, {})
    assert _.percent(Decimal("0.15")) in cause and _.percent(Decimal("0.2")) in cause
    assert "15.0" not in cause and "15,0" not in cause


# -- exported file names -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("黑五大促", "plan-7-黑五大促.csv"),
        ("Black Friday", "plan-7-black-friday.csv"),
        ("블랙 프라이데이", "plan-7-블랙-프라이데이.csv"),
        ("Ärger: Sale/2026 100%", "plan-7-ärger-sale-2026-100.csv"),
        ("a\u202egpj.exe", "plan-7-a-gpj.exe.csv"),  # a right-to-left override cannot spoof
        ("  ", "plan-7-campaign.csv"),
    ],
)
def test_a_plan_file_keeps_the_campaigns_name_in_any_script(name: str, expected: str) -> None:
    plan = cast(Plan, SimpleNamespace(campaign=SimpleNamespace(id=7, name=name)))
    assert exports.filename(plan, "csv") == expected


@pytest.mark.parametrize(
    ("locale", "hundred"), [("en", "100%"), ("de", "100\u00a0%"), ("ko", "100%")]
)
def test_a_margin_notice_writes_its_hundred_percent_the_locales_way(
    locale: str, hundred: str
) -> None:
    legacy = {
        "campaign_id": 3,
        "campaign": "BF",
        "sku": "A1",
        "below": True,
        "status": "no_price",
        "target": "0.9",
        "causes": [],
    }
    text, _shown, _total = notification_views.margin_notice(Translator(locale), legacy)
    assert hundred in text and "{limit}" not in text
