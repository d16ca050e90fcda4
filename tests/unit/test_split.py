"""The one message-splitting helper: parts within Telegram's limits, cut at line breaks, never
inside a tag or an entity, each part valid Telegram HTML on its own — checked with the Bot API
stand-in's own HTML parser, the one that answers "can't parse entities" and "message is too
long" in the end-to-end tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.telegram_stub.errors import ApiError
from bot.telegram_stub.validation import parse_html
from bot.views.split import CAPTION_LIMIT, TEXT_LIMIT, fit_caption, split_html, visible_length


def shown(part: str) -> str:
    """What a client shows for a part (the stand-in refuses invalid HTML here)."""
    return parse_html(part)[0]


def test_a_short_text_is_one_part_unchanged() -> None:
    text = "<b>SKUs</b> 1–20 of 25\n&amp; more"
    assert split_html(text) == [text]


def test_lines_are_kept_whole_and_parts_fit() -> None:
    lines = [f"<code>A{i:03d}</code> · Blue mug &amp; lid — $19.99" for i in range(300)]
    text = "\n".join(lines)
    parts = split_html(text)
    assert len(parts) > 1
    assert all(visible_length(part) <= TEXT_LIMIT for part in parts)
    rebuilt = [line for part in parts for line in part.strip("\n").split("\n")]
    assert rebuilt == lines  # cut only between lines


def test_a_tag_open_across_a_cut_is_closed_and_reopened() -> None:
    text = "<b>" + "\n".join("x" * 50 for _ in range(200)) + "</b>"
    parts = split_html(text, 1000)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith("<b>") and part.endswith("</b>")
        plain, entities = parse_html(part)
        assert entities and entities[0]["type"] == "bold"
        assert len(plain) <= 1000


def test_a_long_line_is_cut_at_spaces_then_anywhere_but_never_in_an_entity() -> None:
    words = " ".join(["mug&amp;lid"] * 1000)
    parts = split_html(words, 100)
    assert all("&amp;" in part or "&" not in part for part in parts)
    assert all(visible_length(p) <= 100 for p in parts)
    one_word = "&amp;" * 500
    parts = split_html(one_word, 64)
    assert all(p.count("&") == p.count("&amp;") for p in parts)
    assert "".join(shown(p) for p in parts) == "&" * 500


def test_wide_characters_count_twice() -> None:
    text = "😀" * 3000  # 6000 UTF-16 code units
    parts = split_html(text)
    assert [visible_length(p) for p in parts] == [4096, 1904]


def test_a_caption_and_what_follows_it() -> None:
    caption, rest = fit_caption("Plan of <b>Black Friday</b>\n" + "line\n" * 400)
    assert visible_length(caption) <= CAPTION_LIMIT
    assert rest and all(visible_length(p) <= TEXT_LIMIT for p in rest)
    assert fit_caption("short") == ("short", [])


def test_an_empty_text_stays_for_the_caller_to_refuse() -> None:
    assert split_html("") == [""]


# Telegram-HTML made of the tags the bot uses, entities, emoji, spaces and line breaks.
_WORDS = st.sampled_from(
    ["mug", "&amp;", "&lt;b&gt;", "😀", "¥12.00", "Ä", " ", " ", "\n", "\n", "x" * 30]
)
_INLINE = st.lists(_WORDS, max_size=30).map("".join)


@st.composite
def telegram_html(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(0, 60))):
        tag = draw(st.sampled_from([None, "b", "i", "code", "pre", "u"]))
        body = draw(_INLINE)
        pieces.append(body if tag is None else f"<{tag}>{body}</{tag}>")
        if draw(st.booleans()):
            pieces.append(f'<a href="https://t.me/x">{draw(_INLINE)}</a>')
    return "".join(pieces)


@settings(max_examples=300, deadline=None)
@given(text=telegram_html(), limit=st.integers(8, 400))
def test_any_valid_text_splits_into_valid_parts_that_fit(text: str, limit: int) -> None:
    plain = shown(text) if text else ""
    parts = split_html(text, limit)
    if visible_length(text) <= limit:
        assert parts == [text]
        return
    seen = []
    for part in parts:
        try:
            part_plain = shown(part)
        except ApiError as exc:  # pragma: no cover - the assertion names the part
            raise AssertionError(f"invalid part {part!r}: {exc}") from None
        assert len(part_plain.encode("utf-16-le")) // 2 <= limit
        seen.append(part_plain)
    # nothing visible is lost or repeated: only whitespace at the cuts may go
    squeeze = "".join(plain.split())
    assert "".join("".join(p.split()) for p in seen) == squeeze


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_tiny_limits_still_terminate(limit: int) -> None:
    parts = split_html("ab😀&amp;<b>cd</b>\nef", limit)
    assert "".join(shown(p) for p in parts).replace("\n", "") == "ab😀&cdef"
