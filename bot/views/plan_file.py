"""The plan file sent back, in chat: the preview of its price changes (the under-floor ones
apart, with their own confirmation), the refusals by row and column, the result."""

from __future__ import annotations

from decimal import Decimal

from bot.i18n import Translator
from bot.limits import shorten
from bot.services.catalogue_file import RowError
from bot.services.plan_edits import (
    ABOVE_LIST_PRICE,
    CONTRADICTS,
    NO_LIST_PRICE,
    NOT_ENROLLED,
    UNKNOWN_SKU,
    PriceChangeLine,
    PriceChangesPreview,
    PriceChangesResult,
)
from bot.services.plan_file import NOT_ENROLLED_ROW
from bot.views.callbacks import encode
from bot.views.campaigns import status_label
from bot.views.catalog import quoted, row_error
from bot.views.channels import grid_text
from bot.views.common import Rendered, h, keyboard

PLAN_FILE = "pfile"  # pending id, a (all) | s (skip under floor) | n (cancel)
SHOWN = 25  # changes listed per part of the preview; then "and N more"
ERRORS_SHOWN = 30


def _money(_: Translator, value: Decimal | None, currency: str) -> str:
    return "—" if value is None else _.money(value, currency)


def _line(_: Translator, line: PriceChangeLine, currency: str) -> str:
    text = _(
        "• {sku}: {old} → <b>{new}</b> · margin {margin} · {status}",
        sku=f"<code>{h(line.code)}</code>",
        old=_money(_, line.old_price, currency),
        new=_money(_, line.new_price, currency),
        margin="—" if line.new_margin is None else _.percent(line.new_margin),
        status=status_label(_, line.status),
    )
    if line.discount is not None:
        text += " " + _("({discount} off)", discount=_.percent(line.discount))
    return text


def _under_line(_: Translator, line: PriceChangeLine, currency: str) -> str:
    return (
        _line(_, line, currency)
        + " "
        + _(
            "(floor {floor}, lowest safe price {customer_floor})",
            floor=_money(_, line.floor, currency),
            customer_floor=_money(_, line.customer_floor, currency),
        )
    )


def _more(_: Translator, hidden: int) -> list[str]:
    if hidden <= 0:
        return []
    return [
        _.ngettext("… and {count} more.", "… and {count} more.", hidden, count=_.number(hidden))
    ]


def edit_error(_: Translator, error: RowError) -> str:
    """A refused row of a plan file: row, column, what is wrong and what to do."""
    column, value = quoted(error.column), quoted(error.value)
    if error.problem == UNKNOWN_SKU:
        return _(
            "row {row}, {column}: “{value}” is not a SKU of this team. /skus lists them.",
            row=error.row,
            column=column,
            value=value,
        )
    if error.problem in (NOT_ENROLLED, NOT_ENROLLED_ROW):
        return _(
            "row {row}, {column}: {sku} is not enrolled in this campaign; enrol it first "
            "(/enroll), then change its price.",
            row=error.row,
            column=column,
            sku=f"<code>{value}</code>",
        )
    if error.problem == ABOVE_LIST_PRICE:
        return _(
            "row {row}, {column}: “{value}” is above the list price. A campaign price is a "
            "discount: write a lower price.",
            row=error.row,
            column=column,
            value=value,
        )
    if error.problem == NO_LIST_PRICE:
        return _(
            "row {row}, {column}: {sku} has no list price on this channel, so a discount "
            "gives no price. Write the price instead.",
            row=error.row,
            column=column,
            sku=f"<code>{value}</code>",
        )
    if error.problem == CONTRADICTS:
        return _(
            "row {row}, {column}: the new price {value} and the new discount beside it "
            "disagree. Change one of them and leave the other as it was.",
            row=error.row,
            column=column,
            value=value,
        )
    return row_error(_, error)


def preview(_: Translator, result: PriceChangesPreview, filename: str) -> Rendered:
    campaign, currency = result.campaign, result.currency
    lines = [
        _(
            "📝 <b>Plan file for {name}</b> · #{id} ({file})",
            name=h(shorten(campaign.name)),
            id=campaign.id,
            file=quoted(filename),
        )
    ]
    if result.errors:
        lines.append(
            _.ngettext(
                "❌ Nothing was changed: {count} cell needs fixing. Correct it and send the "
                "file again.",
                "❌ Nothing was changed: {count} cells need fixing. Correct them and send the "
                "file again.",
                len(result.errors),
                count=_.number(len(result.errors)),
            )
        )
        lines += [edit_error(_, error) for error in result.errors[:ERRORS_SHOWN]]
        lines += _more(_, len(result.errors) - ERRORS_SHOWN)
        return "\n".join(lines), None
    if not result.total:
        lines.append(
            _(
                "No campaign price differs from the plan: nothing to change "
                "({n} SKUs as they are).",
                n=_.number(result.unchanged),
            )
        )
        return "\n".join(lines), None
    lines.append(
        _(
            "{changes}, {unchanged} unchanged. Nothing is saved until you confirm.",
            changes=_.ngettext("{n} new campaign price", "{n} new campaign prices", result.total),
            unchanged=_.number(result.unchanged),
        )
    )
    if result.changes:
        lines.append("")
        lines.append(
            _(
                "<b>Keep the target margin ({margin}):</b>",
                margin=_.percent(result.target_margin),
            )
        )
        lines += [_line(_, line, currency) for line in result.changes[:SHOWN]]
        lines += _more(_, len(result.changes) - SHOWN)
    if result.under_floor:
        lines.append("")
        lines.append(
            _.ngettext(
                "⛔ <b>{n} price under the floor</b>: it loses the target margin. It is saved "
                "only if you confirm it explicitly.",
                "⛔ <b>{n} prices under the floor</b>: they lose the target margin. They are "
                "saved only if you confirm them explicitly.",
                len(result.under_floor),
            )
        )
        lines += [_under_line(_, line, currency) for line in result.under_floor[:SHOWN]]
        lines += _more(_, len(result.under_floor) - SHOWN)
    off_grid = [line for line in (*result.changes, *result.under_floor) if line.off_grid]
    if off_grid:
        lines.append("")
        lines.append(
            _(
                "ℹ️ Off the channel's price grid ({grid}); saved as written, like a price typed "
                "with /enroll:",
                grid=grid_text(_, result.grid),
            )
        )
        for line in off_grid[:SHOWN]:
            assert line.off_grid is not None
            below, above = line.off_grid
            lines.append(
                _(
                    "• {sku}: {price} (grid prices around it: {below} and {above})",
                    sku=f"<code>{h(line.code)}</code>",
                    price=_money(_, line.new_price, currency),
                    below=_money(_, below, currency),
                    above=_money(_, above, currency),
                )
            )
        lines += _more(_, len(off_grid) - SHOWN)
    assert result.pending_id is not None
    pending_id = result.pending_id
    buttons: list[list[tuple[str, str]]] = []
    if result.under_floor:
        buttons.append(
            [
                (
                    _(
                        "⚠️ Save all {n}, {k} under the floor",
                        n=result.total,
                        k=len(result.under_floor),
                    ),
                    encode(PLAN_FILE, pending_id, "a"),
                )
            ]
        )
        if result.changes:
            buttons.append(
                [
                    (
                        _("✅ Save {n}, leave out those under the floor", n=len(result.changes)),
                        encode(PLAN_FILE, pending_id, "s"),
                    )
                ]
            )
    else:
        buttons.append(
            [(_("✅ Save {n} prices", n=result.total), encode(PLAN_FILE, pending_id, "a"))]
        )
    buttons.append([(_("Cancel"), encode(PLAN_FILE, pending_id, "n"))])
    return "\n".join(lines), keyboard(buttons)


def done(_: Translator, result: PriceChangesResult) -> Rendered:
    campaign = result.campaign
    lines = [
        _.ngettext(
            "✅ Saved {n} new campaign price in {name}.",
            "✅ Saved {n} new campaign prices in {name}.",
            len(result.applied),
            name=h(shorten(campaign.name)),
        )
    ]
    if result.accepted_under_floor:
        lines.append(
            _.ngettext(
                "⛔ {n} of them is under the floor, as you confirmed; the plan marks it.",
                "⛔ {n} of them are under the floor, as you confirmed; the plan marks them.",
                len(result.accepted_under_floor),
            )
        )
    if result.skipped_under_floor:
        lines.append(
            _(
                "Left as they were (under the floor): {codes}",
                codes=", ".join(f"<code>{h(c)}</code>" for c in result.skipped_under_floor[:20]),
            )
        )
    lines.append(_("/plan {id} shows the plan with the new prices.", id=campaign.id))
    return "\n".join(lines), None


def cancelled(_: Translator) -> Rendered:
    return _("Cancelled: no campaign price was changed."), None
