"""Translation workflow helpers (development only).

    python tools/i18n.py extract          # bot/ → locales/messages.pot, then update every catalog
    python tools/i18n.py missing LOCALE   # untranslated/fuzzy msgids of a catalog, as JSON
    python tools/i18n.py apply FILE.json  # merge {"msgid": {"de": "…", "ko": "…"}} into catalogs
    python tools/i18n.py compile          # .po → .mo (the bot also does this on start)

English is the source language: its catalog gets msgstr = msgid automatically.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
SHIPPED = ("en", "zh_CN", "ko", "es", "de", "pt_BR")


def po_path(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "bot.po"


def load(locale: str) -> Catalog:
    with po_path(locale).open("rb") as f:
        return read_po(f, locale=locale)


def save(catalog: Catalog, locale: str) -> None:
    # a fuzzy header makes `pybabel compile` skip the whole catalog
    catalog.fuzzy = False
    with po_path(locale).open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, ignore_obsolete=True)


def extract() -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--project",
            "campaignbot",
            "--msgid-bugs-address",
            "none",
            "-o",
            str(POT),
            "bot",
        ],
        check=True,
        cwd=ROOT,
    )
    for locale in SHIPPED:
        with POT.open("rb") as f:  # fresh per catalog: update() shares message objects
            template = read_po(f)
        path = po_path(locale)
        if path.exists():
            catalog = load(locale)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=locale, domain="bot", project="campaignbot")
            catalog.update(template, no_fuzzy_matching=True)
        if locale == "en":
            for message in catalog:
                if message.id:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        save(catalog, locale)


def missing(locale: str) -> None:
    out = {}
    for message in load(locale):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            out[message.id if isinstance(message.id, str) else message.id[0]] = message.id
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
    print()


def apply(path: str) -> None:
    """Merge translations. Values: a string, or a list of plural forms."""
    data: dict[str, dict[str, str | list[str]]] = json.loads(Path(path).read_text("utf-8"))
    for locale in SHIPPED:
        catalog = load(locale)
        changed = 0
        for message in catalog:
            if not message.id:
                continue
            key = message.id if isinstance(message.id, str) else message.id[0]
            value = data.get(key, {}).get(locale)
            if value is None:
                continue
            message.string = tuple(value) if isinstance(value, list) else value
            message.flags.discard("fuzzy")
            changed += 1
        if changed or catalog.fuzzy:  # only touch catalogs this file changes
            save(catalog, locale)
        print(f"{locale}: {changed} set")


def compile_all() -> None:
    sys.path.insert(0, str(ROOT))
    from bot.i18n import compile_catalogs

    print(f"compiled {compile_catalogs()} catalogs")


if __name__ == "__main__":
    command, *rest = sys.argv[1:] or ["help"]
    if command == "extract":
        extract()
    elif command == "missing":
        missing(rest[0])
    elif command == "apply":
        apply(rest[0])
    elif command == "compile":
        compile_all()
    else:
        print(__doc__)
