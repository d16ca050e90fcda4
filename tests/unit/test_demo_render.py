"""The demo's renderer: bot messages as terminal text (pure; Telegram's HTML parsed by the
stand-in's own parser, as the bot's messages are)."""

from __future__ import annotations

from typing import Any

from bot.demo.render import (
    Place,
    format_entities,
    inline_buttons,
    render_answer,
    render_buttons,
    render_message,
    strip_ansi,
)
from bot.i18n import Translator
from bot.telegram_stub import Button, StubDocument, StubMessage
from bot.telegram_stub.validation import parse_html

EN = Translator("en")
BOLD, ITALIC, CODE, RESET = "\x1b[1m", "\x1b[3m", "\x1b[36m", "\x1b[0m"


def message(
    html: str, keyboard: list[list[dict[str, Any]]] | None = None, **fields: Any
) -> StubMessage:
    text, entities = parse_html(html)
    raw: dict[str, Any] = {"text": text}
    if keyboard is not None:
        raw["reply_markup"] = {"inline_keyboard": keyboard}
    values: dict[str, Any] = {
        "chat_id": 7,
        "message_id": 3,
        "thread_id": None,
        "text": text,
        "entities": entities,
        "source": html,
        "parse_mode": "HTML",
        "buttons": [
            [Button(b["text"], b.get("callback_data", b.get("url"))) for b in row]
            for row in keyboard or []
        ],
        "reply_keyboard": [],
        "document": None,
        "reply_to_message_id": None,
        "sender_id": 1,
        "from_bot": True,
        "date": 0,
        "edited": False,
        "deleted": False,
        "version": 0,
        "raw": raw,
    }
    values.update(fields)
    return StubMessage(**values)


def test_bold_after_an_emoji_counts_utf16_units() -> None:
    text, entities = parse_html("👋 Hi <b>bold</b> and <i>it</i> <code>/floor A1</code>")
    styled = format_entities(text, entities, ansi=True)
    assert f"{BOLD}bold{RESET}" in styled
    assert f"{ITALIC}it{RESET}" in styled
    assert f"{CODE}/floor A1{RESET}" in styled
    assert strip_ansi(styled) == text
    assert format_entities(text, entities, ansi=False) == text


def test_nested_styles_combine_and_a_link_keeps_its_address() -> None:
    text, entities = parse_html('See <a href="https://example.com/x"><b>the</b> docs</a>.')
    styled = format_entities(text, entities, ansi=True)
    assert "\x1b[1;4;34mthe" in styled  # bold inside the link: both
    assert "\x1b[4;34m docs" in styled
    assert strip_ansi(styled) == "See the docs <https://example.com/x>."
    assert format_entities(text, entities, ansi=False) == "See the docs <https://example.com/x>."


def test_buttons_are_numbered_across_rows_and_links_marked() -> None:
    rows = inline_buttons(
        {
            "reply_markup": {
                "inline_keyboard": [
                    [
                        {"text": "English", "callback_data": "1:l:en"},
                        {"text": "中文", "callback_data": "1:l:zh"},
                    ],
                    [{"text": "Docs", "url": "https://example.com"}],
                ]
            }
        }
    )
    assert [(b.number, b.text, b.callback_data, b.url) for row in rows for b in row] == [
        (1, "English", "1:l:en", None),
        (2, "中文", "1:l:zh", None),
        (3, "Docs", None, "https://example.com"),
    ]
    assert render_buttons(rows, ansi=False) == "  [#1 English] [#2 中文]\n  [#3 Docs ↗]"
    assert strip_ansi(render_buttons(rows, ansi=True)) == render_buttons(rows, ansi=False)


def test_a_message_names_its_chat_and_says_when_it_was_edited() -> None:
    keyboard = [
        [
            {"text": "✅ Confirm", "callback_data": "1:imp:4:y"},
            {"text": "Cancel", "callback_data": "1:imp:4:n"},
        ]
    ]
    shown = render_message(
        message("<b>Import these changes?</b>", keyboard, edited=True),
        Place("private", "You"),
        EN,
        ansi=False,
    )
    assert shown == (
        "🤖 private chat · You · edited\nImport these changes?\n  [#1 ✅ Confirm] [#2 Cancel]"
    )
    in_topic = render_message(
        message("Reminder"), Place("group", "Demo team", "Deals"), EN, ansi=False
    )
    assert in_topic.splitlines()[0] == "🤖 group “Demo team” · topic “Deals”"
    styled = render_message(message("<b>Hi</b>"), Place("group", "Demo team"), EN, ansi=True)
    assert f"{BOLD}Hi{RESET}" in styled and "\x1b[1;35m🤖 group “Demo team”" in styled


def test_files_deletions_and_callback_answers() -> None:
    document = StubDocument("plan-1.xlsx", None, b"x", "f1")
    shown = render_message(
        message("Plan (XLSX)", document=document),
        Place("private", "You"),
        EN,
        ansi=False,
        saved_file="data/demo-downloads/plan-1.xlsx",
    )
    assert shown.endswith("📎 plan-1.xlsx → data/demo-downloads/plan-1.xlsx")
    gone = render_message(
        message("Old card\nmore", deleted=True), Place("private", "Li"), EN, ansi=False
    )
    assert gone == "🤖 private chat · Li · deleted\n(Old card)"
    assert render_answer("Saved.", False, EN, ansi=False) == "⚡ toast: Saved."
    assert render_answer("No.", True, EN, ansi=False) == "⚠ alert: No."
    assert render_answer(None, True, EN, ansi=False) is None  # a silent answer shows nothing
    assert render_answer("Saved.", False, Translator("de"), ansi=False) != "⚡ toast: Saved."
