"""Guessing what was meant: the nearest of a few known words to a near-miss.

Pure, no Telegram. One matcher for every "did you mean": unknown commands (`/plna` →
`/plan`), subcommands (`/sku ad` → `/sku add`) and import columns (`unit cots` →
`unit cost`). A typo is one or two edits (a wrong, missing, extra or swapped character);
how many edits a word may carry grows with its length, so that short unrelated words
(`note`, `size`) are never "corrected" into a field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

MAX_GUESSED_LENGTH = 64  # longer words are not typos of anything we know


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance (insert, delete, substitute, swap two adjacent
    characters), or `limit + 1` as soon as it is certainly over `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[len(b)]


def typo_budget(length: int) -> int:
    """Edits a word of `length` characters may carry and still be recognised. Four
    characters or fewer allow only a swap of two neighbours (`cots` → `cost`), which
    `nearest` checks apart: one wrong letter makes another word there (`note`, `name`)."""
    if length <= 4:
        return 0
    if length <= 8:
        return 1
    return 2


def _is_swap(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]]


def nearest(
    word: str,
    candidates: Iterable[str],
    *,
    budget: Callable[[int], int] = typo_budget,
    key: Callable[[str], str] = str.lower,
) -> str | None:
    """The candidate `word` is most likely a typo of (fewest edits; the earlier candidate
    on a tie), or None when none is near or `word` is one of them."""
    typed = key(word)
    if not typed or len(typed) > MAX_GUESSED_LENGTH:
        return None
    best: tuple[int, str] | None = None
    for candidate in candidates:
        known = key(candidate)
        if not known:
            continue
        if known == typed:
            return None
        allowed = budget(max(len(typed), len(known)))
        if allowed == 0:
            distance = 1 if _is_swap(typed, known) else 2
            allowed = 1
        else:
            distance = edit_distance(typed, known, allowed)
        if distance <= allowed and (best is None or distance < best[0]):
            best = (distance, candidate)
    return best[1] if best is not None else None


def command_budget(length: int) -> int:
    """Commands are fewer and typed on purpose: a wrong letter is a typo even in a
    short one (`/skis` → `/skus`), two in a long one (`/newcampain`)."""
    if length <= 2:
        return 0
    return 1 if length <= 6 else 2
