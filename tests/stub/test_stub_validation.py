"""Telegram's HTML rules, limits and markup checks, as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from bot.telegram_stub.errors import ApiError
from bot.telegram_stub.validation import (
    check_commands,
    check_language_code,
    check_reply_markup,
    detect_entities,
    entity_text,
    parse_html,
    prepare_text,
    utf16_len,
)


@pytest.mark.parametrize(
    ("html", "plain", "entities"),
    [
        ("plain & simple", "plain & simple", []),
        ("<b>bold</b>", "bold", [{"type": "bold", "offset": 0, "length": 4}]),
        (
            "<strong>x</strong><em>y</em>",
            "xy",
            [
                {"type": "bold", "offset": 0, "length": 1},
                {"type": "italic", "offset": 1, "length": 1},
            ],
        ),
        ("a &lt;b&gt; &amp; &quot;c&quot;", 'a <b> & "c"', []),
        ("&#65;&#x42;", "AB", []),
        ("&nbsp;stays", "&nbsp;stays", []),  # unknown named entities stay literal
        (
            "<u>u</u><ins>i</ins><s>s</s><strike>k</strike><del>d</del>",
            "uiskd",
            [
                {"type": "underline", "offset": 0, "length": 1},
                {"type": "underline", "offset": 1, "length": 1},
                {"type": "strikethrough", "offset": 2, "length": 1},
                {"type": "strikethrough", "offset": 3, "length": 1},
                {"type": "strikethrough", "offset": 4, "length": 1},
            ],
        ),
        (
            '<span class="tg-spoiler">x</span><tg-spoiler>y</tg-spoiler>',
            "xy",
            [
                {"type": "spoiler", "offset": 0, "length": 1},
                {"type": "spoiler", "offset": 1, "length": 1},
            ],
        ),
        (
            '<a href="https://example.com/?a=1&amp;b=2">link</a>',
            "link",
            [
                {
                    "type": "text_link",
                    "offset": 0,
                    "length": 4,
                    "url": "https://example.com/?a=1&b=2",
                },
            ],
        ),
        (
            '<pre><code class="language-python">x = 1</code></pre>',
            "x = 1",
            [
                {"type": "pre", "offset": 0, "length": 5, "language": "python"},
            ],
        ),
        ("<code>c</code>", "c", [{"type": "code", "offset": 0, "length": 1}]),
        (
            "<blockquote expandable>q</blockquote>",
            "q",
            [
                {"type": "expandable_blockquote", "offset": 0, "length": 1},
            ],
        ),
        (
            "<b>a <i>b</i></>",
            "a b",
            [
                {"type": "bold", "offset": 0, "length": 3},
                {"type": "italic", "offset": 2, "length": 1},
            ],
        ),
        # Offsets and lengths are UTF-16 code units: the emoji counts twice.
        ("😀 <b>x</b>", "😀 x", [{"type": "bold", "offset": 3, "length": 1}]),
        ("<B>upper</B>", "upper", [{"type": "bold", "offset": 0, "length": 5}]),
    ],
)
def test_parse_html_accepts_telegram_html(html: str, plain: str, entities: list[Any]) -> None:
    assert parse_html(html) == (plain, entities)


@pytest.mark.parametrize(
    ("html", "error"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("price < 5", 'Unsupported start tag "" at byte offset 6'),
        ("é<p>", 'Unsupported start tag "p" at byte offset 2'),  # byte offsets, not chars
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b", "Unclosed start tag at byte offset 0"),
        ('<span class="other">x</span>', 'Tag "span" must have class "tg-spoiler"'),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<tg-emoji emoji-id="abc">x</tg-emoji>', "Invalid custom emoji identifier specified"),
        ("<br/>", 'Unsupported start tag "br/"'),
    ],
)
def test_parse_html_refuses_what_telegram_refuses(html: str, error: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(html)
    assert caught.value.code == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: ")
    assert error in caught.value.description


def test_invalid_link_target_is_dropped_silently() -> None:
    assert parse_html('<a href="not a url">x</a>') == ("x", [])


def test_prepare_text_strips_and_realigns_entities() -> None:
    text, entities = prepare_text("  \n<b>hi</b> there \n", "HTML", None)
    assert text == "hi there"
    assert entities == [{"type": "bold", "offset": 0, "length": 2}]


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("", None, "Bad Request: message text is empty"),
        ("   ", None, "Bad Request: message text is empty"),
        ("<b></b>", "HTML", "Bad Request: message text is empty"),
        ("x" * 4097, None, "Bad Request: message is too long"),
        ("x", "Weird", "Bad Request: unsupported parse_mode"),
    ],
)
def test_prepare_text_limits(text: str, parse_mode: str | None, error: str) -> None:
    with pytest.raises(ApiError, match=error):
        prepare_text(text, parse_mode, None)


def test_length_limit_counts_characters_after_parsing() -> None:
    # 4096 characters of text wrapped in tags is fine: the tags are not counted.
    text, _ = prepare_text("<b>" + "é" * 4096 + "</b>", "HTML", None)
    assert len(text) == 4096


def test_caption_limit() -> None:
    assert prepare_text("", None, None, caption=True) == ("", [])
    with pytest.raises(ApiError, match="message caption is too long"):
        prepare_text("x" * 1025, None, None, caption=True)


def _keyboard(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"inline_keyboard": [list(buttons)]}


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        (_keyboard({"text": "a", "callback_data": "x" * 65}), "BUTTON_DATA_INVALID"),
        (_keyboard({"text": "a", "callback_data": "é" * 33}), "BUTTON_DATA_INVALID"),  # 66 bytes
        (_keyboard({"text": "a", "callback_data": ""}), "BUTTON_DATA_INVALID"),
        (_keyboard({"text": "a"}), "text buttons are unallowed in the inline keyboard"),
        (_keyboard({"callback_data": "x"}), 'Field "text" must be of type String'),
        ({"inline_keyboard": [{"text": "a"}]}, "must be an Array"),
        (_keyboard({"text": "a", "url": "not a url"}), "is invalid"),
        ({"inline_keyboard": [[{"text": "a", "callback_data": "x"}] * 101]}, "too long"),
        ({"nothing": True}, "can't parse reply keyboard markup JSON object"),
    ],
)
def test_reply_markup_refusals(markup: dict[str, Any], error: str) -> None:
    with pytest.raises(ApiError, match=error):
        check_reply_markup(markup)


def test_reply_markup_accepts_64_bytes_and_url_buttons() -> None:
    markup = _keyboard(
        {"text": "a", "callback_data": "é" * 32},
        {"text": "b", "url": "https://example.com"},
    )
    assert check_reply_markup(markup) is markup


@pytest.mark.parametrize(
    ("commands", "error"),
    [
        ([{"command": "Start", "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "/start", "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "x" * 33, "description": "x"}], "BOT_COMMAND_INVALID"),
        ([{"command": "start"}], "description"),
        ([{"command": "start", "description": ""}], "DESCRIPTION_INVALID"),
    ],
)
def test_command_refusals(commands: list[Any], error: str) -> None:
    with pytest.raises(ApiError, match=error):
        check_commands(commands)


def test_language_codes_are_two_letters() -> None:
    assert check_language_code("ko") == "ko"
    assert check_language_code(None) == ""
    with pytest.raises(ApiError):
        check_language_code("pt-br")


def test_detect_entities_like_a_client() -> None:
    text = "/help@CampaignPlannerBot hi @alice_b #sale https://x.io/a 😀 /cmd"
    found = {(e["type"], entity_text(text, e)) for e in detect_entities(text)}
    assert found == {
        ("bot_command", "/help@CampaignPlannerBot"),
        ("mention", "@alice_b"),
        ("hashtag", "#sale"),
        ("url", "https://x.io/a"),
        ("bot_command", "/cmd"),
    }
    last = detect_entities(text)[-1]
    assert last["offset"] == utf16_len(text) - 4  # after the surrogate pair


def test_web_app_buttons_only_in_private_chats() -> None:
    markup = _keyboard({"text": "Plan", "web_app": {"url": "https://example.com/miniapp/"}})
    assert check_reply_markup(markup, chat_type="private") is markup
    for chat_type in ("group", "supergroup"):
        with pytest.raises(ApiError, match="BUTTON_TYPE_INVALID"):
            check_reply_markup(markup, chat_type=chat_type)
    # a t.me link opens a Mini App from a group
    link = _keyboard({"text": "Plan", "url": "https://t.me/planbot/plan?startapp=3"})
    assert check_reply_markup(link, chat_type="group") is link


def test_web_app_buttons_need_an_https_url() -> None:
    for url in ("http://example.com/miniapp/", "example.com", 5):
        markup = _keyboard({"text": "Plan", "web_app": {"url": url}})
        with pytest.raises(ApiError):
            check_reply_markup(markup, chat_type="private")
