"""Every user-facing string is translated in every shipped catalog, with the same
placeholders and markup, the right plural forms, and the template is current."""

from __future__ import annotations

import re
import subprocess
import sys
from io import BytesIO
from pathlib import Path
from string import Formatter

import pytest
from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR, Translator
from bot.shipped import SHIPPED_LOCALES

ROOT = Path(__file__).resolve().parents[2]
TAG = re.compile(r"</?([a-z-]+)[^>]*>")


def load(locale: str) -> Catalog:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "bot.po").open("rb") as f:
        return read_po(f, locale=locale)


def messages(catalog: Catalog) -> list[Message]:
    return [m for m in catalog if m.id]


def ids(message: Message) -> tuple[str, ...]:
    return message.id if isinstance(message.id, tuple) else (message.id,)


def strings(message: Message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string,)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def tags(text: str) -> list[str]:
    return sorted(TAG.findall(text))


@pytest.fixture(scope="module")
def template() -> Catalog:
    with (LOCALES_DIR / "messages.pot").open("rb") as f:
        return read_po(f)


def test_template_is_current(tmp_path: Path, template: Catalog) -> None:
    """A string added to the code but not extracted would reach users untranslated."""
    fresh = tmp_path / "fresh.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "--no-location",
            "-o",
            str(fresh),
            "bot",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as f:
        extracted = {m.id for m in read_po(f) if m.id}
    assert extracted == {m.id for m in template if m.id}, (
        "locales/messages.pot is stale: run `python tools/i18n.py extract`"
    )


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_catalog_has_every_template_message(locale: str, template: Catalog) -> None:
    catalog_ids = {m.id for m in messages(load(locale))}
    assert {m.id for m in template if m.id} <= catalog_ids


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_every_message_is_translated_and_not_fuzzy(locale: str) -> None:
    catalog = load(locale)
    untranslated = [ids(m)[0][:60] for m in messages(catalog) if not all(strings(m))]
    fuzzy = [ids(m)[0][:60] for m in messages(catalog) if m.fuzzy]
    assert untranslated == [], f"{locale}: untranslated"
    assert fuzzy == [], f"{locale}: fuzzy"


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_placeholders_and_markup_match_the_source(locale: str) -> None:
    problems = []
    for message in messages(load(locale)):
        source = ids(message)
        for translated in strings(message):
            # every form must use the placeholders of the source (plural: of either form)
            expected = set().union(*(placeholders(s) for s in source))
            got = placeholders(translated)
            if got - expected or (len(source) == 1 and got != expected):
                problems.append(f"{source[0][:50]!r}: placeholders {got} != {expected}")
            if tags(translated) != tags(source[0]):
                problems.append(f"{source[0][:50]!r}: markup {tags(translated)}")
    assert problems == [], f"{locale}: " + "\n".join(problems)


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_plural_forms_fit_the_language(locale: str) -> None:
    catalog = load(locale)
    expected = get_plural(Locale.parse(locale))
    assert catalog.num_plurals == expected.num_plurals
    assert catalog.plural_expr == expected.plural_expr
    for message in messages(catalog):
        if message.pluralizable:
            assert len(strings(message)) == expected.num_plurals, ids(message)[0]


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_catalog_header_is_not_fuzzy(locale: str) -> None:
    """`pybabel compile` skips a catalog whose header is fuzzy (and still exits 0)."""
    assert not load(locale).fuzzy


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_catalog_passes_the_compilers_checks(locale: str) -> None:
    """`pybabel compile` in CI runs these checks and fails on any error."""
    errors = [f"{ids(m)[0][:60]!r}: {e}" for m, errs in load(locale).check() for e in errs]
    assert errors == [], f"{locale}: " + "\n".join(errors)


def test_no_message_is_flagged_percent_format() -> None:
    """The bot formats with str.format only; Babel's percent guess ("100 % or more" looks
    like a `% o` conversion) would make the compiler reject a translation writing "100%"."""
    flagged = [m.id for m in messages(load("en")) if "python-format" in m.flags]
    assert flagged == []


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_catalog_compiles(locale: str) -> None:
    buffer = BytesIO()
    write_mo(buffer, load(locale))
    assert buffer.getvalue()


def test_translator_uses_the_catalogs() -> None:
    from bot.i18n import compile_catalogs

    compile_catalogs()
    assert Translator("de")("Cancelled.") != "Cancelled."
    assert Translator("zh_CN")("Cancelled.") != Translator("ko")("Cancelled.")
    assert Translator("en")("Cancelled.") == "Cancelled."


@pytest.mark.parametrize(
    ("locale", "n", "expected"),
    [
        ("es", 1, "1 SKU"),
        ("es", 2, "2 SKU"),
        ("es", 1_000_000, "1000000 de SKU"),  # CLDR's "many": un millón de SKU
        ("pt_BR", 0, "0 SKU"),
        ("pt_BR", 2_000_000, "2000000 de SKUs"),
        ("pt_BR", 7, "7 SKUs"),
    ],
)
def test_compiled_catalogs_pick_every_plural_form(locale: str, n: int, expected: str) -> None:
    assert Translator(locale).ngettext("{n} SKU", "{n} SKUs", n) == expected
