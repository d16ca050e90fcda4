"""Fonts for chart text: Latin from DejaVu Sans (matplotlib's own), Chinese and Korean from
Noto Sans CJK (Debian/Ubuntu `fonts-noto-cjk`). matplotlib falls back glyph by glyph along
the family list, so a Korean SKU name in an English chart still renders.

Found through matplotlib's font manager; when no CJK font is installed the charts still
render (CJK text shows as boxes) and the worker logs once how to install one."""

from __future__ import annotations

import logging
from functools import cache

log = logging.getLogger(__name__)

LATIN = "DejaVu Sans"
# One .ttc holds all of them; the regional variant picks the glyph shapes readers expect.
CJK_BY_LOCALE = {"zh_CN": "Noto Sans CJK SC", "ko": "Noto Sans CJK KR"}
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK KR",
    "Noto Sans CJK JP",
    "Noto Sans CJK TC",
    "Source Han Sans SC",
    "Source Han Sans K",
)


@cache
def installed_families() -> frozenset[str]:
    from matplotlib import font_manager

    return frozenset(entry.name for entry in font_manager.fontManager.ttflist)


@cache
def cjk_available() -> bool:
    found = [family for family in CJK_FAMILIES if family in installed_families()]
    if not found:
        log.warning(
            "charts: no CJK font found (looked for %s); Chinese and Korean text in charts "
            "will show as boxes. Install one: apt install fonts-noto-cjk",
            ", ".join(CJK_FAMILIES),
        )
    return bool(found)


def families(locale: str) -> list[str]:
    """The font family list for a reader's charts: their script's font first."""
    installed = installed_families()
    cjk = [family for family in CJK_FAMILIES if family in installed]
    cjk_available()  # logs once when there is none
    first = CJK_BY_LOCALE.get(locale)
    if first in cjk:
        return [first, *[f for f in cjk if f != first][:1], LATIN]
    return [LATIN, *cjk[:1]]
