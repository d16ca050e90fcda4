"""Translations, locale negotiation and locale-aware formatting.

Never installs a process-wide gettext or locale: updates run concurrently, so
every call takes its locale explicitly.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.core import get_global
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from bot.shipped import PROJECT_ROOT, SHIPPED_LOCALES

log = logging.getLogger(__name__)

LOCALES_DIR = PROJECT_ROOT / "locales"
DOMAIN = "bot"

# Telegram sends IETF tags (`zh-hans`, `pt-br`); these pick the shipped catalog.
_LANGUAGE_FALLBACKS = {"zh": "zh_CN", "pt": "pt_BR", "en": "en", "ko": "ko", "es": "es", "de": "de"}

LANGUAGE_NAMES = {
    "en": "English",
    "zh_CN": "简体中文",
    "ko": "한국어",
    "es": "Español",
    "de": "Deutsch",
    "pt_BR": "Português (Brasil)",
}


def negotiate_locale(language_code: str | None, default: str = "en") -> str:
    """Map Telegram's `language_code` to a shipped locale, else `default`."""
    if not language_code:
        return default
    tag = language_code.strip().lower().replace("_", "-")
    by_lower = {loc.lower().replace("_", "-"): loc for loc in SHIPPED_LOCALES}
    if tag in by_lower:
        return by_lower[tag]
    language = tag.split("-", 1)[0]
    return _LANGUAGE_FALLBACKS.get(language, default)


def compile_catalogs(locales_dir: Path = LOCALES_DIR) -> int:
    """Compile every `.po` whose `.mo` is missing or older. Returns how many were written.

    The install path (`pip install -e .`) does not run `pybabel compile`, so the
    bot does it on start; CI compiles explicitly too."""
    written = 0
    for po_path in sorted(locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        written += 1
    get_translations.cache_clear()
    return written


@cache
def get_translations(locale: str) -> NullTranslations:
    translations = Translations.load(str(LOCALES_DIR), [locale], domain=DOMAIN)
    if not isinstance(translations, Translations):
        log.warning("no compiled catalog for %s; showing source text", locale)
    return translations


def warm_up(locales: tuple[str, ...] = SHIPPED_LOCALES) -> None:
    """Load every shipped catalog and its Babel locale data now, at start-up: loading one
    locale takes ~50 ms of CPU, which would otherwise stall the event loop (every chat)
    at the first message someone reads in that language."""
    moment = datetime(2026, 1, 1, 12, tzinfo=ZoneInfo("UTC"))
    for locale in locales:
        get_translations(locale)
        format_money(Decimal("1.5"), "USD", locale)
        format_number(Decimal("1234.5"), locale, 2)
        format_percent(Decimal("0.125"), locale)
        format_datetime(moment, "Europe/Berlin", locale)


@dataclass(frozen=True, slots=True)
class Translator:
    """Everything a view needs to speak one reader's language."""

    locale: str
    timezone: str = "UTC"

    @property
    def _t(self) -> NullTranslations:
        return get_translations(self.locale)

    def gettext(self, message: str, /, **params: object) -> str:
        text = self._t.gettext(message)
        return fill(text, params) if params else text

    def ngettext(self, singular: str, plural: str, n: int, /, **params: object) -> str:
        text = self._t.ngettext(singular, plural, n)
        return fill(text, {"n": n, **params})

    __call__ = gettext

    # -- formatting, always with this locale -------------------------------------------------

    def money(self, amount: Decimal, currency: str) -> str:
        return format_money(amount, currency, self.locale)

    def number(self, value: Decimal | int, digits: int | None = None) -> str:
        return format_number(value, self.locale, digits)

    def percent(self, fraction: Decimal | None, digits: int | None = None) -> str:
        """The one way a percentage is shown ("30 %" in German, "30%" in English, Korean
        and Chinese); "—" for no value."""
        return format_percent(fraction, self.locale, digits)

    def margin(self, fraction: Decimal | None) -> str:
        """A computed margin: one decimal, ties rounded up like the floors tool's."""
        if fraction is None or not _showable(fraction):
            return self.percent(fraction)
        return self.percent(fraction.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP), 1)

    def datetime(self, moment: datetime, zone: str | None = None, *, named: bool = True) -> str:
        """Date and time in `zone` (the reader's by default), followed by the zone's
        localized name unless `named` is false (a screen that names the zone once)."""
        return format_datetime(moment, zone or self.timezone, self.locale, named=named)

    def zone(self, zone: str | None = None) -> str:
        """A time zone as this reader's language names it ("Central European Time",
        "中国时间"), never the raw IANA id."""
        return zone_name(zone or self.timezone, self.locale)

    def zone_place(self, zone: str) -> str:
        """A zone by its place ("Germany (Berlin) Time"): tells apart zones that share a
        name (Berlin and Madrid are both Central European Time), for pickers."""
        return zone_location(zone, self.locale)

    def date(self, day: date) -> str:
        return babel_dates.format_date(day, "medium", locale=self.locale)


def fill(template: str, params: Mapping[str, object]) -> str:
    """`template.format(**params)`, without a doubled full stop where a value that ends in
    one meets the sentence's own: Korean medium dates end in "." ("2026. 12. 2."), so
    "…: {date}." would read "2026. 12. 2..". An ellipsis ("{value}...") is left alone."""
    for name, value in params.items():
        if isinstance(value, str) and value.endswith(".") and "{" + name + "}." in template:
            template = re.sub(r"\{" + re.escape(name) + r"\}\.(?!\.)", "{" + name + "}", template)
    return template.format(**params)


# Formatting never raises, whatever a row holds (values stored before the input bounds of
# SPEC §4.2 existed may be far beyond them): a wide context for large numbers, and a plain
# rendering — or "—" — for what even that cannot show.
_FORMAT_CONTEXT = Context(
    prec=80, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)
_MAX_SHOWN_EXPONENT = 60
NO_VALUE = "—"


def _showable(value: object) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return bool(abs(value) < 10**_MAX_SHOWN_EXPONENT)
    return bool(
        isinstance(value, Decimal) and value.is_finite() and value.adjusted() <= _MAX_SHOWN_EXPONENT
    )


def _plain(value: object, suffix: str = "") -> str:
    """What a value that Babel cannot format shows: its scientific form, or "—"."""
    if isinstance(value, Decimal) and value.is_finite():
        return format(value, ".4E") + suffix
    if isinstance(value, int) and not isinstance(value, bool):
        return format(Decimal(value), ".4E") + suffix
    return NO_VALUE


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    """Amount with the currency's own digits (USD 2, KRW 0), as the locale writes it.
    Amounts reaching here are already rounded the seller's way; this only formats."""
    if _showable(amount):
        try:
            with localcontext(_FORMAT_CONTEXT):
                return babel_numbers.format_currency(
                    amount, currency, locale=locale, currency_digits=True
                )
        except (ArithmeticError, ValueError, TypeError):
            log.warning("cannot format %r %s", amount, currency)
    return _plain(amount, f" {currency}")


def format_number(value: Decimal | int, locale: str, digits: int | None = None) -> str:
    if _showable(value):
        try:
            with localcontext(_FORMAT_CONTEXT):
                if digits is None:
                    return babel_numbers.format_decimal(
                        value, locale=locale, decimal_quantization=False
                    )
                pattern = "#,##0" + ("." + "0" * digits if digits else "")
                return babel_numbers.format_decimal(value, format=pattern, locale=locale)
        except (ArithmeticError, ValueError, TypeError):
            log.warning("cannot format %r", value)
    return _plain(value)


def format_percent(fraction: Decimal | None, locale: str, digits: int | None = None) -> str:
    """A fraction as a percentage in the locale's style. Without `digits`, with as many
    decimals as the value needs, up to two: 20 %, 12.5 %, 3.25 %."""
    if isinstance(fraction, Decimal | int) and _showable(fraction):
        try:
            with localcontext(_FORMAT_CONTEXT):
                return _format_percent(Decimal(fraction), locale, digits)
        except (ArithmeticError, ValueError, TypeError):
            log.warning("cannot format %r as a percentage", fraction)
    return _plain(fraction)


def _format_percent(fraction: Decimal, locale: str, digits: int | None) -> str:
    if digits is None:
        exponent = fraction.scaleb(2).normalize().as_tuple().exponent
        digits = min(max(-exponent, 0), 2) if isinstance(exponent, int) else 0
    pattern = Locale.parse(locale).percent_formats[None].pattern
    # keep the locale's sign placement and spacing; set the number of decimals
    number_part = "#,##0" + ("." + "0" * digits if digits else "")
    pattern = pattern.replace("#,##0", number_part, 1)
    return babel_numbers.format_percent(fraction, format=pattern, locale=locale)


def format_datetime(moment: datetime, zone: str, locale: str, *, named: bool = True) -> str:
    """Medium date, short time, in `zone`, followed by the zone's localized name at that
    moment ("Central European Summer Time") unless `named` is false. A moment the zone
    cannot express (year 9999 stored before the bounds) is shown in UTC."""
    try:
        local = moment.astimezone(ZoneInfo(zone))
    except (OverflowError, ValueError, OSError, KeyError):
        return moment.isoformat(sep=" ", timespec="minutes")
    day = babel_dates.format_date(local, "medium", locale=locale)
    time = babel_dates.format_time(local, "short", locale=locale)
    glue = Locale.parse(locale).datetime_formats["medium"]
    glue_pattern = glue if isinstance(glue, str) else str(glue)
    text = glue_pattern.replace("{1}", day).replace("{0}", time)
    return f"{text} {_zone_name_at(local, zone, locale)}" if named else text


def _has_region(zone: str) -> bool:
    """Whether CLDR places the zone in a country (UTC and Etc/GMT±n have none: Babel
    would call them "Unknown Region (UTC) Time")."""
    canonical = get_global("zone_aliases").get(zone, zone)
    return str(get_global("zone_territories").get(canonical, "ZZ")) != "ZZ"


def _tzinfo(zone: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(zone)
    except (ValueError, OSError, KeyError):
        return None


@lru_cache(maxsize=4096)
def zone_name(zone: str, locale: str) -> str:
    """The zone's generic localized name ("Central European Time", "Mitteleuropäische
    Zeit", "中国时间"); UTC and fixed offsets by their own names ("Coordinated Universal
    Time", "GMT-05:00"). An id no zone database knows is shown as given."""
    tz = _tzinfo(zone)
    if tz is None:
        return zone
    try:
        if not _has_region(zone):
            return babel_dates.get_timezone_name(
                datetime(2026, 1, 1, tzinfo=tz), "long", locale=locale
            )
        return babel_dates.get_timezone_name(tz, "long", locale=locale, zone_variant="generic")
    except (LookupError, ValueError):
        return zone


@lru_cache(maxsize=4096)
def zone_location(zone: str, locale: str) -> str:
    """The zone by country and city ("Germany (Berlin) Time", "中国（上海）时间")."""
    tz = _tzinfo(zone)
    if tz is None or not _has_region(zone):
        return zone_name(zone, locale)
    try:
        return babel_dates.get_timezone_location(tz, locale=locale)
    except (LookupError, ValueError):
        return zone


def _zone_name_at(local: datetime, zone: str, locale: str) -> str:
    """The zone's name at a moment: standard or summer time ("Central European Summer
    Time", "中国标准时间")."""
    try:
        return babel_dates.get_timezone_name(local, "long", locale=locale)
    except (LookupError, ValueError):
        return zone_name(zone, locale)
