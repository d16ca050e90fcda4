"""/calendar: upcoming shopping festivals, each a button that starts a campaign."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from babel.dates import get_month_names

from bot.calendar import FESTIVAL_NAMES, MARKETS, Occurrence, split_by_markets
from bot.i18n import Translator
from bot.views.callbacks import encode
from bot.views.common import Button, Rendered, chunk, h, keyboard

FESTIVAL = "fes"  # key, year, market|-
SHOWN = 12


def festival_name(_: Translator, key: str) -> str:
    return _(FESTIVAL_NAMES[key]) if key in FESTIVAL_NAMES else key


def month_name(_: Translator, month: int) -> str:
    return str(get_month_names("wide", locale=_.locale)[month])


def calendar_view(
    _: Translator,
    occurrences: Sequence[Occurrence],
    market: str | None,
    today: date,
    *,
    team_markets: Sequence[str] = (),
) -> Rendered:
    """The festivals, soonest first; with `team_markets` (the markets of the team's sales
    channels, when no market was asked for), theirs first, then the rest."""
    title = (
        _("📅 <b>Shopping festivals in {market}</b>", market=market)
        if market
        else _("📅 <b>Upcoming shopping festivals</b>")
    )
    lines = [title, ""]
    buttons: list[Button] = []
    market_arg = market or "-"
    shown = list(occurrences[:SHOWN])
    headings: dict[int, str] = {}  # index in `shown` → the heading above it
    if team_markets and not market:
        ours, rest = split_by_markets(occurrences, team_markets)
        shown = (ours + rest)[:SHOWN]
        if ours:
            headings[0] = _(
                "<b>For your markets ({markets})</b>", markets=h(", ".join(team_markets))
            )
        if rest and len(ours) < SHOWN:
            headings[len(ours)] = _("<b>Other markets</b>")
    for index, item in enumerate(shown):
        if index in headings:
            if index:
                lines.append("")
            lines.append(headings[index])
        key = item.festival.key
        name = festival_name(_, key)
        if item.day is None:
            month = item.festival.rule.usual_month
            note = (
                _(
                    "dates announced by the platform each year, usually in {month}",
                    month=month_name(_, month),
                )
                if month
                else _("dates announced by the platform each year")
            )
            lines.append(f"• <b>{h(name)}</b> — {note}")
        else:
            days = (item.day - today).days
            lines.append(
                _(
                    "• <b>{name}</b> — {date} ({days})",
                    name=h(name),
                    date=_.date(item.day),
                    days=_("today") if days == 0 else _.ngettext("in {n} day", "in {n} days", days),
                )
            )
        year = item.year
        buttons.append((name[:40], encode(FESTIVAL, key, year, market_arg)))
    if not occurrences:
        lines.append(_("No festival for this market in the coming year."))
    lines.append("")
    lines.append(
        _(
            "Tap one to start a campaign with its dates. Festivals for one market: "
            "<code>/calendar US</code> ({markets}).",
            markets=", ".join(MARKETS),
        )
    )
    return "\n".join(lines), keyboard(chunk(buttons, 2)) if buttons else None
