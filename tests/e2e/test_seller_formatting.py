"""Issue 12, formatting, through the stand-in: dates, zones, percentages, buttons by role,
hints with real ids, file names, the plan CSV's status label and /calendar's order."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.db.models import FxRate
from bot.i18n import LANGUAGE_NAMES, Translator
from tests.e2e.conftest import BotHarness


@pytest.fixture(autouse=True)
def _no_rate_limits(harness: BotHarness) -> None:
    harness.stub.set_rate_limits(False)


async def store_ecb_rates(harness: BotHarness, day: date) -> None:
    async with harness.uow_factory() as uow:
        for quote, rate in (("USD", "1.08"), ("CNY", "7.80")):
            uow.session.add(
                FxRate(
                    source="ecb",
                    base="EUR",
                    quote=quote,
                    rate=rate,
                    rate_date=day,
                    fetched_at=datetime(2026, 12, 2, 15, tzinfo=UTC),
                )
            )
        await uow.commit()


@pytest.mark.parametrize(
    ("language", "locale", "shown"),
    [("ko", "ko", "2026. 12. 2."), ("de", "de", "02.12.2026."), ("en", "en", "Dec 2, 2026.")],
)
async def test_a_date_ending_a_sentence_has_one_full_stop(
    harness: BotHarness, language: str, locale: str, shown: str
) -> None:
    await store_ecb_rates(harness, date(2026, 12, 2))
    user = harness.stub.create_user("Seller", language_code=language)
    reply = await harness.ask(user, "/fx")
    _ = Translator(locale)
    line = _("Latest ECB rates: {date}.", date=_.date(date(2026, 12, 2)))
    assert line in reply.text and line.endswith(shown)
    assert ".." not in reply.text and ". ." not in reply.text


@pytest.mark.parametrize(
    ("language", "locale", "zone", "twenty"),
    [
        ("de", "de", "Europe/Berlin", "20\u00a0%"),
        ("ko", "ko", "Asia/Seoul", "20%"),
        ("en", "en", "America/New_York", "20%"),
    ],
)
async def test_start_names_zones_and_percentages_the_readers_way(
    harness: BotHarness, language: str, locale: str, zone: str, twenty: str
) -> None:
    _ = Translator(locale)
    user = harness.stub.create_user("Seller", language_code=language)
    welcome = await harness.ask(user, "/start")
    zones = await harness.press(user, welcome, "✅ " + LANGUAGE_NAMES[locale])
    assert not any("/" in label for label in zones.button_texts)  # no IANA ids
    currencies = await harness.press(user, zones, _.zone_place(zone))
    margins = await harness.press(user, currencies, "EUR")
    assert twenty in margins.button_texts
    done = await harness.press(user, margins, twenty)
    assert _.zone(zone) in done.text and zone not in done.text
    assert _.percent(Decimal("0.2")) in done.text
