"""The catalogs keep to locales/glossary.toml: one term per concept and language.

A translation fails when it uses a term the glossary marks as wrong for a concept (within the
concept's scope, when it has one), and the glossary fails when one of its preferred terms occurs
nowhere in its catalog (a glossary that drifts from the catalogs helps nobody). Messages added
later are checked the same way, so translate them with the glossary's preferred terms."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from bot.i18n import LOCALES_DIR
from bot.shipped import SHIPPED_LOCALES

GLOSSARY = LOCALES_DIR / "glossary.toml"
TRANSLATED = tuple(loc for loc in SHIPPED_LOCALES if loc != "en")
KEYS = {"concept", "en", *TRANSLATED, "wrong", "scope", "note"}
PLACEHOLDER = re.compile(r"\{[^{}]*\}")


@dataclass(frozen=True)
class Entry:
    concept: str
    en: str  # the English source wording ("" for a rule)
    preferred: dict[str, str]  # locale → the one term to use (a rule has none)
    wrong: dict[str, tuple[re.Pattern[str], ...]]
    scope: re.Pattern[str] | None  # on the English msgid; None: every message

    def applies_to(self, msgid: str) -> bool:
        return self.scope is None or self.scope.search(msgid) is not None


def load() -> dict[str, Any]:
    return tomllib.loads(GLOSSARY.read_text("utf-8"))


def entry(row: dict[str, Any]) -> Entry:
    scope = row.get("scope")
    return Entry(
        concept=row["concept"],
        en=row.get("en", ""),
        preferred={loc: row[loc] for loc in TRANSLATED if loc in row},
        wrong={
            loc: tuple(re.compile(p) for p in patterns)
            for loc, patterns in row.get("wrong", {}).items()
        },
        scope=re.compile(scope) if scope else None,
    )


@cache
def terms() -> tuple[Entry, ...]:
    return tuple(entry(row) for row in load()["term"])


@cache
def entries() -> tuple[Entry, ...]:
    """Terms and language-wide rules: everything with wrong terms to look for."""
    return terms() + tuple(entry(row) for row in load().get("rule", []))


def blank_placeholders(text: str) -> str:
    """Placeholder names are code, not wording: {buffer} is not the word 'buffer'."""
    return PLACEHOLDER.sub("{}", text)


@cache
def messages(locale: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(English msgid, translated forms) of every translated message of a catalog."""
    with Path(LOCALES_DIR, locale, "LC_MESSAGES", "bot.po").open("rb") as f:
        catalog = read_po(f, locale=locale)
    out = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        out.append((msgid, tuple(blank_placeholders(s) for s in forms if s)))
    return tuple(out)


def wrong_uses(locale: str, msgid: str, text: str) -> list[str]:
    """What the glossary objects to in one translation of `msgid`."""
    found = []
    for item in entries():
        if not item.applies_to(msgid):
            continue
        for pattern in item.wrong.get(locale, ()):
            match = pattern.search(blank_placeholders(text))
            if match:
                use = item.preferred.get(locale)
                found.append(
                    f"{match.group(0)!r} ({item.concept[:60]})" + (f" → use {use!r}" if use else "")
                )
    return found


def test_the_glossary_is_well_formed() -> None:
    data = load()
    rows, rules = data["term"], data.get("rule", [])
    assert len(rows) >= 30
    concepts = [row["concept"] for row in rows + rules]
    assert len(concepts) == len(set(concepts)), "a concept is listed twice"
    for row in rows:
        missing = [loc for loc in ("en", *TRANSLATED) if not row.get(loc)]
        assert not missing, f"{row['concept']}: no preferred term for {missing}"
    for row in rules:
        assert row.get("wrong"), f"{row['concept']}: a rule needs wrong terms"
    for row in rows + rules:
        assert not set(row) - KEYS, f"{row['concept']}: unknown keys {set(row) - KEYS}"
        assert set(row.get("wrong", {})) <= set(TRANSLATED), row["concept"]
        for loc, patterns in row.get("wrong", {}).items():
            assert patterns and isinstance(patterns, list), f"{row['concept']}: wrong.{loc}"
            for pattern in patterns:
                # a wrong term that matches the preferred one would make the row unusable
                assert not (row.get(loc) and re.search(pattern, row[loc])), (
                    f"{row['concept']}: wrong.{loc} {pattern!r} matches the preferred term"
                )


@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_catalog_uses_a_wrong_term(locale: str) -> None:
    problems = [
        f"{msgid[:50]!r}: {problem}"
        for msgid, forms in messages(locale)
        for form in forms
        for problem in wrong_uses(locale, msgid, form)
    ]
    assert problems == [], f"{locale}: {len(problems)} wrong terms\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_preferred_term_occurs_in_its_catalog(locale: str) -> None:
    text = "\n".join(form for _, forms in messages(locale) for form in forms).casefold()
    absent = [
        f"{item.concept[:60]}: {item.preferred[locale]!r}"
        for item in terms()
        if item.preferred[locale].casefold() not in text
    ]
    assert absent == [], f"{locale}: preferred terms missing from the catalog\n" + "\n".join(absent)


def test_every_english_term_occurs_in_the_source() -> None:
    text = "\n".join(msgid for msgid, _ in messages("en")).casefold()
    # "channel (Telegram)": the part in brackets only says which sense is meant
    absent = [
        item.en for item in terms() if re.sub(r"\s*\(.*\)$", "", item.en).casefold() not in text
    ]
    assert absent == []


@pytest.mark.parametrize(
    ("locale", "msgid", "text", "wrong"),
    [
        # ko 등록 is wrong for enrolling a SKU in a campaign, right for adding it to the catalogue
        ("ko", "Enrolled in {n} campaign.", "캠페인 {n}개에 등록됨.", True),
        ("ko", "Enrolled in {n} campaign.", "캠페인 {n}개에 참여 중.", False),
        ("ko", "Add a SKU", "SKU를 등록하세요.", False),
        # a bare word for "channel" is wrong for the sales channel; compounds are fine
        ("de", "No channel fees set.", "Noch kein Kanal.", True),
        ("de", "No channel fees set.", "Kein Verkaufskanal; keine Kanalgebühren.", False),
        ("de", "Link channel", "Telegram-Kanal verknüpfen", False),
        ("de", "Link channel", "Verkaufskanal verknüpfen", True),
        ("es", "Channel", "Canal", True),
        ("es", "Channel", "Canal de venta", False),
        ("pt_BR", "channel {title}", "canal do Telegram {title}", False),
        ("ko", "The tightest SKU is {sku}.", "가장 빠듯한 SKU는 {sku}예요.", True),
        ("ko", "The tightest SKU is {sku}.", "가장 빠듯한 SKU: {sku}.", False),
        ("ko", "is over 100 %.", "100 % 초과예요.", True),
        ("zh_CN", "stale", "已过期", True),
        ("zh_CN", "This invite link has expired.", "此邀请链接已过期。", False),
        ("de", "It ends {when}.", "Sie endet am {when}.", True),
        ("pt_BR", "FX buffer: {buffer}", "Margem de segurança cambial: {buffer}", False),
    ],
)
def test_the_checks_catch_what_they_should(locale: str, msgid: str, text: str, wrong: bool) -> None:
    """The patterns themselves: a broken regular expression would pass every catalog."""
    assert bool(wrong_uses(locale, msgid, text)) is wrong
