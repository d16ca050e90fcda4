"""Babel extractor for user-facing text kept in data files.

`babel.cfg` maps `**/presets.json` here: every preset's `source` note becomes a
msgid, so the notes are translated like any other string and shown with `_()`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from typing import IO, Any


def extract_presets(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Yield (line, function, message, comments) for each preset's source note."""
    text = fileobj.read().decode("utf-8")
    data = json.loads(text)
    for name, preset in data.get("presets", {}).items():
        source = preset.get("source")
        if isinstance(source, str) and source:
            line = text[: text.find(json.dumps(source, ensure_ascii=False)[1:-1])].count("\n") + 1
            yield line, None, source, [f"source note of the channel preset {name}"]
