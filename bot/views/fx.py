"""/fx: the rates in use — the way the seller quotes them, the other direction beside,
each with its source (the ECB's reference rate of a day, or the manual rate someone set)
and stale mark — overrides, refresh results."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n import Translator
from bot.services.fx import EXAMPLE_SET, FxOverview, PairRate, RateCheck, RefreshResult
from bot.services.margins import significant
from bot.views import rates
from bot.views.callbacks import encode
from bot.views.common import Rendered, h, keyboard

CONFIRM = "fxok"  # base, quote, rate
CANCEL = "fxno"


def rate_text(_: Translator, rate: Decimal) -> str:
    return _.number(significant(rate, 6).normalize())


def _pair(_: Translator, pair: PairRate) -> str:
    """'1 USD = 7.23956 CNY (1 CNY = 0.13813 USD) · ECB reference rate of Nov 25, 2026 ·
    via EUR' for the pair CNY → USD."""
    quote = pair.quote
    if quote is None:
        return f"1 {h(pair.from_currency)} = " + _(
            "? {currency} — no rate", currency=h(pair.to_currency)
        )
    quoted = rates.seller_direction(
        pair.from_currency,
        pair.to_currency,
        quote.numerator / quote.denominator,
        quote.denominator / quote.numerator,
    )
    text = rates.quoted_text(_, quoted)
    if pair.sources:
        text += " · " + rates.sources_label(_, pair.sources)
    elif pair.manual:
        text += " · " + _(rates.MANUAL_LABEL)
    else:
        text += " · " + _(rates.ECB_LABEL)
    if quote.pivot is not None:
        text += " · " + _("via {currency}", currency=h(quote.pivot))
    if pair.stale:
        text += " · ⚠️ " + _("stale")
    return text


def overview(_: Translator, view: FxOverview, *, note: str | None = None) -> Rendered:
    lines = []
    if note:
        lines += [note, ""]
    lines.append(_("💱 <b>Exchange rates</b> — {team}", team=h(view.team.name)))
    if view.pairs:
        lines += [_pair(_, pair) for pair in view.pairs]
    else:
        lines.append(_("No currencies to convert yet."))
    lines.append(
        _(
            "FX buffer: {buffer} on top of every conversion.",
            buffer=_.percent(view.team.fx_buffer, 1),
        )
    )
    if view.overrides:
        lines += ["", _("Manual rates (they win over the ECB's):")]
        for row in view.overrides:
            lines.append(
                f"• {rates.typed_text(_, row.base, row.quote, row.rate)} · "
                + rates.source_label(_, view.override_source(row))
            )
    lines.append("")
    if view.latest is None:
        lines.append(_("No ECB rates are stored yet."))
    else:
        lines.append(_("Latest ECB rates: {date}.", date=_.date(view.latest)))
    if view.last_error and view.last_attempt is not None:
        lines.append(
            _(
                "⚠️ The last update failed ({when}: {error}); I keep the rates I have.",
                when=_.datetime(view.last_attempt),
                error=h(view.last_error),
            )
        )
    lines += [
        "",
        _(
            "Admins: <code>{example}</code> sets a rate, <code>/fx unset USD CNY</code> "
            "removes it, <code>/fx refresh</code> fetches the ECB's rates now.",
            example=EXAMPLE_SET,
        ),
    ]
    return "\n".join(lines), None


def override_saved(_: Translator, base: str, quote: str, rate: Decimal) -> str:
    return _(
        "✅ Manual rate saved: {rate}. Planned margins were rechecked.",
        rate=rates.typed_text(_, base, quote, rate),
    )


def confirm_override(
    _: Translator, base: str, quote: str, rate: Decimal, check: RateCheck
) -> Rendered:
    values = {
        "base": h(base),
        "quote": h(quote),
        "rate": rate_text(_, rate),
        "reference": rate_text(_, check.reference),
    }
    if check.inverted:
        text = _(
            "⚠️ 1 {base} = {rate} {quote} looks like the rate the other way round: the ECB "
            "has 1 {base} = {reference} {quote}. Save {rate} anyway?",
            **values,
        )
    else:
        text = _(
            "⚠️ 1 {base} = {rate} {quote} is {deviation} away from the ECB's rate "
            "(1 {base} = {reference} {quote}). Save it anyway?",
            deviation=_.percent(significant(abs(check.deviation), 3), 0),
            **values,
        )
    buttons = [
        [
            (_("✅ Save it"), encode(CONFIRM, base, quote, format(rate, "f"))),
            (_("Cancel"), encode(CANCEL)),
        ]
    ]
    return text, keyboard(buttons)


def override_not_saved(_: Translator) -> str:
    return _("Nothing was saved.")


def override_removed(_: Translator, base: str, quote: str, removed: bool) -> str:
    if not removed:
        return _("There was no manual rate for {base}/{quote}.", base=h(base), quote=h(quote))
    return _(
        "✅ Manual rate for {base}/{quote} removed; the ECB's rate applies again.",
        base=h(base),
        quote=h(quote),
    )


def refreshed(_: Translator, result: RefreshResult) -> str:
    if not result.ok:
        return _(
            "⚠️ I could not fetch the ECB's rates ({error}); I keep using the rates I have.",
            error=h(result.error or "?"),
        )
    assert result.rate_date is not None
    text = _.ngettext(
        "✅ ECB rates of {date} loaded ({n} currency).",
        "✅ ECB rates of {date} loaded ({n} currencies).",
        result.count,
        date=_.date(result.rate_date),
    )
    if result.check is not None and (result.check.warned or result.check.recovered):
        text += " " + _(
            "Planned margins rechecked: {warned} new warning(s), {recovered} back above the floor.",
            warned=result.check.warned,
            recovered=result.check.recovered,
        )
    return text
