"""Near-misses (SPEC §4.2): the typo matcher, unknown commands and subcommands, and the
import's column names in every shipped language with "did you mean" for the rest."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from typing import Any

import pytest

from bot.config import Settings
from bot.domain.errors import NotFound, UserInputError
from bot.handlers.common import render_user_error
from bot.handlers.guesses import registered_commands, suggest_command
from bot.handlers.menu import COMMANDS
from bot.i18n import Translator
from bot.services.arguments import near_subcommand, suggesting_subcommand
from bot.services.catalogue_file import (
    ALL_FIELDS,
    HEADER_ALIASES,
    field_of_name,
    guess_column,
    guess_columns,
    header_key,
    parse_table,
    read_table,
    resolve_header,
)
from bot.services.guess import edit_distance, nearest
from bot.services.imports import ImportPreview
from bot.shipped import SHIPPED_LOCALES
from bot.views.catalog import FIELD_NAMES, import_preview
from bot.views.guesses import unknown_command

EN = Translator("en")
CHANNELS = {"temu-us": "USD"}


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


# --- the matcher --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("plan", "plan", 0),
        ("plna", "plan", 1),  # two neighbours swapped: one edit
        ("setings", "settings", 1),
        ("skis", "skus", 1),
        ("kitten", "sitting", 3),
        ("", "abc", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 5) == distance


def test_edit_distance_stops_early_past_its_limit() -> None:
    assert edit_distance("a" * 300, "b" * 300, 2) == 3
    assert edit_distance("short", "a much longer word", 2) == 3


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("cots", "cost"),  # a swap in a short word
        ("note", None),  # one wrong letter in a short word makes another word: no guess
        ("nmae", "name"),
        ("packagign", "packaging"),
        ("cost", None),  # a known word is not a near-miss of anything
        ("x" * 100, None),
    ],
)
def test_nearest(word: str, expected: str | None) -> None:
    assert nearest(word, ["cost", "name", "nome", "packaging"]) == expected


# --- unknown commands -----------------------------------------------------------------------------
KNOWN = [name for name, _text, _scopes in COMMANDS] + ["sku", "channel", "campaign", "enroll"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("plna", "plan"),
        ("setings", "settings"),
        ("settngs", "settings"),
        ("skis", "skus"),
        ("campain", "campaign"),
        ("newcampain", "newcampaign"),
        ("helo", "help"),
        ("strat", "start"),
        ("cal", "calendar"),  # the start of one command
        ("xyzzy", None),
        ("weather", None),
        ("a", None),
    ],
)
def test_an_unknown_command_gets_the_nearest_known_one(typed: str, expected: str | None) -> None:
    assert suggest_command(typed, KNOWN) == expected


def test_the_answer_keeps_the_arguments_and_escapes_them() -> None:
    text = unknown_command(EN, "plna", "plan", "2")
    assert plain(text) == "I do not know the command /plna. Did you mean /plan 2?"
    assert "<code>/plan 2</code>" in text
    hostile = unknown_command(EN, "plna", "plan", "<b>x</b>")
    assert "<b>x</b>" not in hostile and "&lt;b&gt;x&lt;/b&gt;" in hostile
    nothing = plain(unknown_command(Translator("de"), "xyzzy", None, ""))
    assert "/xyzzy" in nothing and "/help" in nothing and "kenne ich nicht" in nothing


def test_the_known_commands_are_the_registered_ones_menu_first() -> None:
    """One source of truth: what the Application registered; every menu entry is a
    command it answers, and the menu's order leads."""
    from bot.app import build_application

    values: dict[str, Any] = {"bot_token": "1:x", "database_url": "sqlite+aiosqlite://"}
    app = build_application(Settings(_env_file=None, **values))  # type: ignore[call-arg]
    known = registered_commands(app)
    menu = [name for name, _text, _scopes in COMMANDS]
    assert known[: len(menu)] == menu
    assert {"sku", "channel", "campaign", "enrol", "enroll", "voucher", "unlink"} <= set(known)
    assert len(known) == len(set(known))


# --- subcommands ---------------------------------------------------------------------------------
def render(error: UserInputError) -> str:
    return plain(render_user_error(error, EN))


@pytest.mark.parametrize(
    ("command", "tail", "words", "suggestion"),
    [
        ("sku", "ad TM-006 unit_cost=5", ("add", "del", "delete"), "/sku add TM-006 unit_cost=5"),
        ("sku", "dle TM-006", ("add", "del", "delete"), "/sku del TM-006"),
        ("channel", "ad temu-us", ("add", "del", "delete"), "/channel add temu-us"),
        ("fx", "st USD CNY 7.10", ("set", "refresh", "unset"), "/fx set USD CNY 7.10"),
        ("fx", "refesh", ("set", "refresh", "unset"), "/fx refresh"),
        ("team", "invte viewer", ("invite", "invites", "role"), "/team invite viewer"),
        ("team", "invties", ("invite", "invites", "role"), "/team invites"),
    ],
)
def test_a_subcommand_near_miss_is_suggested_with_the_rest(
    command: str, tail: str, words: tuple[str, ...], suggestion: str
) -> None:
    error = near_subcommand(command, tail, words)
    assert error is not None
    assert f"Did you mean {suggestion}?" in render(error)


def test_a_later_word_may_be_the_near_miss() -> None:
    error = near_subcommand("campaign", "3 delte", ("delete",), at=1)
    assert error is not None and "Did you mean /campaign 3 delete?" in render(error)
    error = near_subcommand("voucher", "3 value=5 svae", ("save",), at=2)
    assert error is not None and "Did you mean /voucher 3 value=5 save?" in render(error)
    assert near_subcommand("voucher", "3", ("save",), at=5) is None
    assert near_subcommand("voucher", "3", ("save",), at=-1) is None


def test_a_word_after_a_name_and_a_command_without_names() -> None:
    with (
        pytest.raises(UserInputError) as caught,
        suggesting_subcommand("sku", "A1 histroy", ("add",), after_name=("history",)),
    ):
        raise UserInputError("extra words")
    assert "Did you mean /sku A1 history?" in render(caught.value)
    with (
        pytest.raises(UserInputError) as caught,
        suggesting_subcommand("reminders", "reest", ("reset",), names=False),
    ):
        raise UserInputError("not an offset")
    assert "Did you mean /reminders reset?" in render(caught.value)


@pytest.mark.parametrize("tail", ["TM-006", "A1 unit_cost=5", "add TM-006", "", "x" * 90])
def test_no_suggestion_for_names_or_the_right_word(tail: str) -> None:
    assert near_subcommand("sku", tail, ("add", "del", "delete")) is None


def test_a_long_suggestion_is_shortened() -> None:
    error = near_subcommand("sku", "ad A1 name=" + "x" * 200, ("add",))
    assert error is not None and len(str(error.params["suggestion"])) == 80


def test_suggesting_replaces_not_found_only_for_a_near_miss() -> None:
    not_found = NotFound("no SKU")
    with pytest.raises(UserInputError) as caught, suggesting_subcommand("sku", "ad A1", ("add",)):
        raise not_found
    assert "/sku add A1" in render(caught.value)
    with pytest.raises(NotFound), suggesting_subcommand("sku", "A9", ("add",)):
        raise not_found
    # an input error of a real name with key=value pairs stands
    own = UserInputError("bad unit_cost")
    with pytest.raises(UserInputError) as kept, suggesting_subcommand("sku", "de x=1", ("del",)):
        raise own
    assert kept.value is own


# --- import headers -----------------------------------------------------------------------------
# How sellers head their sheets, per language: every column, written as a person would
# (not copied from the data file: the point is that these are read).
NATURAL: dict[str, dict[str, str]] = {
    "en": {
        "sku": "Seller SKU",
        "name": "Product name",
        "unit_cost": "Unit cost (USD)",
        "cost_currency": "Cost currency",
        "packaging": "Packaging cost",
        "first_mile": "First-mile cost",
        "other_cost": "Other costs",
        "duty_rate": "Duty rate (%)",
        "list_price": "List price",
        "lowest_30d": "Lowest price (30 days)",
    },
    "zh_CN": {
        "sku": "商品编码",
        "name": "商品名称",
        "unit_cost": "采购成本（元）",
        "cost_currency": "成本币种",
        "packaging": "包装费",
        "first_mile": "头程运费",
        "other_cost": "其他费用",
        "duty_rate": "关税税率",
        "list_price": "售价",
        "lowest_30d": "近30天最低价",
    },
    "ko": {
        "sku": "상품코드",
        "name": "상품명",
        "unit_cost": "매입가",
        "cost_currency": "원가 통화",
        "packaging": "포장비",
        "first_mile": "입고 운송비",
        "other_cost": "기타 비용",
        "duty_rate": "관세율(%)",
        "list_price": "정상가",
        "lowest_30d": "최근 30일 최저가",
    },
    "es": {
        "sku": "Código SKU",
        "name": "Nombre del producto",
        "unit_cost": "Coste unitario",
        "cost_currency": "Moneda del coste",
        "packaging": "Embalaje",
        "first_mile": "Primera milla",
        "other_cost": "Otros costes",
        "duty_rate": "Arancel (%)",
        "list_price": "Precio habitual",
        "lowest_30d": "Precio más bajo en 30 días",
    },
    "de": {
        "sku": "Artikelnummer",
        "name": "Artikelname",
        "unit_cost": "Einkaufspreis",
        "cost_currency": "Währung",
        "packaging": "Verpackungskosten",
        "first_mile": "Vorlauffracht",
        "other_cost": "Sonstige Kosten",
        "duty_rate": "Zollsatz [%]",
        "list_price": "Regulärer Preis",
        "lowest_30d": "Niedrigster Preis der letzten 30 Tage",
    },
    "pt_BR": {
        "sku": "Código do produto",
        "name": "Nome do produto",
        "unit_cost": "Custo unitário",
        "cost_currency": "Moeda do custo",
        "packaging": "Custo de embalagem",
        "first_mile": "Frete de origem",
        "other_cost": "Outros custos",
        "duty_rate": "Alíquota de importação",
        "list_price": "Preço cheio",
        "lowest_30d": "Menor preço em 30 dias",
    },
}


def test_the_table_covers_every_shipped_language_and_column() -> None:
    assert set(NATURAL) == set(SHIPPED_LOCALES) == set(HEADER_ALIASES)
    for locale, headers in NATURAL.items():
        assert set(headers) == ALL_FIELDS, locale
        assert set(HEADER_ALIASES[locale]) == ALL_FIELDS, locale


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_every_language_heads_every_column_naturally(locale: str) -> None:
    headers = NATURAL[locale]
    cells = [
        f"{text}@temu-us" if field in ("list_price", "lowest_30d") else text
        for field, text in headers.items()
    ]
    header = resolve_header(cells, CHANNELS)
    assert header.errors == [] and header.ignored == []
    assert set(header.columns) == ALL_FIELDS - {"list_price", "lowest_30d"}
    assert {c.field for c in header.listings} == {"list_price", "lowest_30d"}
    # and a plain listing column is the only channel's
    plain_cells = [headers["sku"], headers["list_price"]]
    assert [c.channel for c in resolve_header(plain_cells, CHANNELS).listings] == ["temu-us"]


@pytest.mark.parametrize("locale", SHIPPED_LOCALES)
def test_the_bots_own_field_labels_are_read_back(locale: str) -> None:
    """What the bot calls a field (previews, cards, a localized export) imports as it."""
    _ = Translator(locale)
    for field, label in FIELD_NAMES.items():
        assert field_of_name(_(label)) == field, (locale, _(label))


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("ＳＫＵ", "sku"),  # full-width letters
        ("单位成本（元）", "单位成本元"),  # full-width brackets are punctuation too
        ("Duty-Rate %", "dutyrate"),
        ("  unit_cost ", "unitcost"),
        ("\ufeffsku", "sku"),
        ("Código", "codigo"),
        ("Stückkosten", "stuckkosten"),
        ("관세 세율", "관세세율"),  # Hangul stays whole
        ("Lowest price (30 days)", "lowestprice30days"),
    ],
)
def test_header_names_are_normalised(text: str, key: str) -> None:
    assert header_key(text) == key


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("单位成本（元）", "unit_cost"),  # a note in brackets
        ("Unit cost (USD)", "unit_cost"),
        ("Lowest price (30 days)", "lowest_30d"),  # brackets that are part of the name
        ("(note)", None),
    ],
)
def test_a_bracketed_note_does_not_count(text: str, field: str | None) -> None:
    assert field_of_name(text) == field


def test_a_chinese_file_reads_its_duty_column() -> None:
    """关税税率 was ignored as an unknown column: duty was silently 0."""
    text = "货号,采购成本,关税税率\nTM-006,35,25\n"
    parsed = parse_table(read_table("skus.csv", text.encode()), CHANNELS, "CNY")
    assert parsed.errors == [] and parsed.ignored == []
    assert dict(zip(parsed.fields, parsed.rows[0].values, strict=True))["duty_rate"] == Decimal(
        "0.25"
    )


@pytest.mark.parametrize(
    ("header", "guess"),
    [
        ("unit cots", "unit_cost"),
        ("Packagign", "packaging"),
        ("dutty rate", "duty rate"),
        ("lowest 30 dyas", "lowest 30 days"),
        ("list_pirce@temu-us", "list price@temu-us"),
        ("采购成本价", "采购成本"),
        ("Artikelnumer", "artikelnummer"),
        ("costo unitaro", "costo unitario"),
    ],
)
def test_a_near_miss_column_is_guessed(header: str, guess: str) -> None:
    found = guess_column(header)
    assert found is not None and header_key(found.partition("@")[0]) == header_key(
        guess.partition("@")[0]
    )
    assert found.partition("@")[2] == guess.partition("@")[2]


@pytest.mark.parametrize(
    "header",
    [
        "notes",
        "note",
        "weight",
        "height",
        "colour",
        "size",
        "brand",
        "stock",
        "category",
        "ean",
        "备注",
        "库存",
        "品种",
        "退税率",
        "재고",
        "Gewicht",
        "Farbe",
        "peso",
        "cor",
        "sku",  # known: not a guess
    ],
)
def test_no_guess_for_unrelated_words(header: str) -> None:
    assert guess_column(header) is None


def test_the_preview_names_the_did_you_mean_columns() -> None:
    ignored = ["unit cots", "notes"]
    assert guess_columns(ignored) == {"unit cots": "unit_cost"}
    preview = ImportPreview(
        pending_id=1,
        filename="skus.csv",
        data_rows=1,
        new=1,
        changed=0,
        unchanged=0,
        errors=[],
        ignored=ignored,
        guesses=guess_columns(ignored),
    )
    text = plain(import_preview(EN, preview)[0])
    assert "Columns I do not use: unit cots (did you mean unit_cost?), notes" in text
    german = plain(import_preview(Translator("de"), preview)[0])
    assert "(meintest du unit_cost?)" in german
