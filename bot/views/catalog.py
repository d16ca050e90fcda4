"""Catalogue screens: SKU pages and cards, changes, import previews, the floor card."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from bot.db.models import Sku
from bot.domain.errors import N_
from bot.domain.prices import PriceWarning, PriceWarningKind
from bot.i18n import Translator
from bot.limits import shorten
from bot.pricing import FeeKind, FxQuote, Status
from bot.pricing.landed import CostKind
from bot.services.arguments import HUNDRED_PERCENT, problem_hint, shown
from bot.services.catalog import (
    PAGE_SIZE,
    EntryRef,
    FloorCard,
    HeldChange,
    HistoryEntry,
    HistoryFix,
    HistoryPage,
    ListingLine,
    SkuCard,
    SkuPage,
    SkuSaved,
)
from bot.services.imports import (
    CONTROL_CHARACTER,
    FieldChange,
    ImportPreview,
    ImportResult,
    RowChange,
    RowError,
)
from bot.services.rate_sources import RateSource
from bot.views.callbacks import encode, stamp
from bot.views.channels import grid_text
from bot.views.common import Button, Rendered, h, keyboard
from bot.views.rates import quoted_text, seller_direction, sources_label

ERRORS_SHOWN = 20
IGNORED_SHOWN = 10
PREVIEW_CHARACTERS = 3800  # Telegram's limit is 4096; file texts quoted back stay short
FIELD_NAMES = {
    "name": N_("Name"),
    "unit_cost": N_("Unit cost"),
    "cost_currency": N_("Cost currency"),
    "packaging": N_("Packaging"),
    "first_mile": N_("First mile"),
    "other_cost": N_("Other costs"),
    "duty_rate": N_("Duty rate"),
    "list_price": N_("List price"),
    "lowest_30d": N_("Lowest price in 30 days"),
}
COST_LABELS = {
    CostKind.UNIT_COST: N_("Unit cost"),
    CostKind.PACKAGING: N_("Packaging"),
    CostKind.FIRST_MILE: N_("First mile"),
    CostKind.OTHER_COST: N_("Other costs"),
}
FEE_LABELS = {
    FeeKind.COMMISSION: N_("Commission"),
    FeeKind.PAYMENT_RATE: N_("Payment fee"),
    FeeKind.RETURNS_RATE: N_("Returns allowance"),
    FeeKind.ADS_RATE: N_("Advertising"),
    FeeKind.PAYMENT_FIXED: N_("Payment fee per order"),
    FeeKind.FULFILMENT_FEE: N_("Fulfilment fee"),
    FeeKind.OTHER_CHANNEL_FEE: N_("Other channel fee"),
}
SOURCE_LABELS = {"ecb": N_("ECB reference rate"), "manual": N_("manual rate")}


def money(_: Translator, amount: Decimal | None, currency: str) -> str:
    return "—" if amount is None else _.money(amount, currency)


def sku_title(sku: Sku, *, short: bool = False) -> str:
    """The SKU's code and name; in a list (`short`), the name shortened."""
    shown = shorten(sku.name) if short else sku.name
    name = f" · {h(shown)}" if sku.name and sku.name != sku.code else ""
    return f"<code>{h(sku.code)}</code>{name}"


# --- lists and cards ---------------------------------------------
def sku_page(_: Translator, page: SkuPage) -> Rendered:
    if not page.total:
        return (
            _(
                "No SKUs yet. Add one with <code>/sku add A1 unit_cost=35 first_mile=4</code>, "
                "or send me a CSV or XLSX file (/import shows the columns)."
            ),
            None,
        )
    first = page.page * PAGE_SIZE + 1
    last = first + len(page.skus) - 1
    lines = [
        _(
            "<b>SKUs</b> {first}–{last} of {total}",
            first=_.number(first),
            last=_.number(last),
            total=_.number(page.total),
        ),
        "",
    ]
    for sku in page.skus:
        lines.append(f"{sku_title(sku, short=True)} — {_.money(sku.unit_cost, sku.cost_currency)}")
    lines += ["", _("Details: <code>/sku CODE</code> · floor: <code>/floor CODE</code>")]
    buttons: list[Button] = []
    if page.page > 0:
        buttons.append(("◀", encode("skus", page.page - 1)))
    if page.pages > 1:
        buttons.append((f"{page.page + 1}/{page.pages}", encode("skus", page.page)))
    if page.page < page.pages - 1:
        buttons.append(("▶", encode("skus", page.page + 1)))
    return "\n".join(lines), keyboard([buttons]) if page.pages > 1 else None


def sku_card(_: Translator, card: SkuCard) -> Rendered:
    sku = card.sku
    ccy = sku.cost_currency
    lines = [
        f"📦 {sku_title(sku)}",
        "",
        _("<b>Costs</b> per unit"),
        f"{_(FIELD_NAMES['unit_cost'])}: {_.money(sku.unit_cost, ccy)}",
        f"{_(FIELD_NAMES['packaging'])}: {_.money(sku.packaging, ccy)}",
        f"{_(FIELD_NAMES['first_mile'])}: {_.money(sku.first_mile, ccy)}",
        f"{_(FIELD_NAMES['other_cost'])}: {_.money(sku.other_cost, ccy)}",
        f"{_(FIELD_NAMES['duty_rate'])}: {_.percent(sku.duty_rate)}",
        "",
        _("<b>Listings</b>"),
    ]
    for line in card.listings:
        currency = line.channel.currency
        lowest = money(_, line.lowest_30d, currency)
        if line.lowest_30d is not None and line.lowest_is_manual:
            lowest = _("{price} (set by hand)", price=lowest)
        lines.append(
            _(
                "{channel}: list price {price}, lowest in 30 days {lowest}",
                channel=f"<b>{h(line.channel.name)}</b>",
                price=money(_, line.list_price, currency),
                lowest=lowest,
            )
        )
    if not card.listings:
        lines.append(_("No list prices yet."))
    if card.unlisted and card.can_edit:
        lines.append(
            _(
                "Not listed on: {channels}. Set a price with "
                "<code>/sku {code} list_price@{channel}=19.99</code>",
                channels=", ".join(h(n) for n in card.unlisted),
                code=h(sku.code),
                channel=h(card.unlisted[0]),
            )
        )
    if card.history:
        lines += ["", _("<b>Price history</b>")]
        for change in card.history:
            lines.append(
                f"{_.datetime(change.at)} · {h(change.channel)}: "
                f"{_.money(change.price, change.currency)}"
            )
        lines.append(
            _(
                "All of it, to correct a mistyped price: <code>/sku {code} history</code>",
                code=h(sku.code),
            )
        )
    if card.campaigns:
        lines += [
            "",
            _.ngettext("Enrolled in {n} campaign.", "Enrolled in {n} campaigns.", card.campaigns),
        ]
    lines += [
        "",
        _(
            "Change: <code>/sku {code} unit_cost=12.5</code> · floor: <code>/floor {code}</code>"
            " · delete: <code>/sku del {code}</code>",
            code=h(sku.code),
        )
        if card.can_edit
        else _("Floor: <code>/floor {code}</code>", code=h(sku.code)),
    ]
    return "\n".join(lines), None


def _change_value(_: Translator, field: str, value: object, currency: str | None) -> str:
    if value is None:
        return "—"
    if field == "duty_rate" and isinstance(value, Decimal):
        return _.percent(value)
    if currency is not None and isinstance(value, Decimal):
        return _.money(value, currency)
    return h(value) if str(value) else "—"


def _field_label(_: Translator, field: str) -> str:
    base, _at, channel = field.partition("@")
    label = _(FIELD_NAMES[base]) if base in FIELD_NAMES else h(base)
    return f"{label} ({h(channel)})" if channel else label


def sku_saved(_: Translator, saved: SkuSaved) -> Rendered:
    sku = saved.sku
    if saved.created:
        lines = [
            _(
                "✅ SKU {sku} added: unit cost {cost}.",
                sku=sku_title(sku),
                cost=_.money(sku.unit_cost, sku.cost_currency),
            )
        ]
        for change in saved.changes:
            lines.append(
                f"{_field_label(_, change.field)}: "
                f"{_change_value(_, change.field, change.after, change.currency)}"
            )
        lines.append(_("Next: <code>/floor {code}</code> shows its floor price.", code=h(sku.code)))
        return "\n".join(lines), None
    if not saved.changes:
        return _("Nothing changed: SKU {sku} already has these values.", sku=sku_title(sku)), None
    lines = [_("✅ SKU {sku} changed:", sku=sku_title(sku))]
    for change in saved.changes:
        before = _change_value(_, change.field, change.before, change.currency)
        after = _change_value(_, change.field, change.after, change.currency)
        lines.append(f"{_field_label(_, change.field)}: {before} → {after}")
    return "\n".join(lines), None


# --- implausible prices (bot/domain/prices.py) ---------------------------------------------
SKU_CHANGE = "skuok"  # pending id, y|n
HISTORY = "phl"  # sku id, channel id (0: every channel), page
HISTORY_CORRECT = "phe"  # entry id
HISTORY_REMOVE = "phr"  # entry id: asks first
HISTORY_REMOVE_YES = "phy"  # entry id


def price_warning(_: Translator, channel: str, currency: str, warning: PriceWarning) -> str:
    """One implausible price in words, with what it was compared with."""
    value, other = _.money(warning.value, currency), _.money(warning.other, currency)
    factor = _.number(warning.factor.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    channel = f"<b>{h(channel)}</b>"
    if warning.kind is PriceWarningKind.JUMP_UP:
        return _(
            "{channel}: list price {old} → {new}, {factor} times the previous price. A "
            "decimal point missing?",
            channel=channel,
            old=other,
            new=value,
            factor=factor,
        )
    if warning.kind is PriceWarningKind.JUMP_DOWN:
        return _(
            "{channel}: list price {old} → {new}, 1/{factor} of the previous price. A decimal "
            "point in the wrong place?",
            channel=channel,
            old=other,
            new=value,
            factor=factor,
        )
    if warning.kind is PriceWarningKind.LOWEST_ABOVE_LIST:
        return _(
            "{channel}: the lowest price in 30 days ({lowest}) is above the list price "
            "({price}). The lowest price cannot be higher than the price it is the lowest of.",
            channel=channel,
            lowest=value,
            price=other,
        )
    return _(
        "{channel}: the lowest price in 30 days ({lowest}) is 1/{factor} of the list price "
        "({price}). A decimal point in the wrong place?",
        channel=channel,
        lowest=value,
        price=other,
        factor=factor,
    )


def price_check(_: Translator, held: HeldChange) -> Rendered:
    """A /sku command held because of implausible prices: save anyway, or cancel."""
    lines = [
        _.ngettext(
            "⚠️ This price for {sku} looks wrong:",
            "⚠️ These prices for {sku} look wrong:",
            len(held.warnings),
            sku=f"<code>{h(held.code)}</code>",
        )
    ]
    lines += ["• " + price_warning(_, w.channel, w.currency, w.warning) for w in held.warnings]
    lines += [
        "",
        _("Nothing is saved yet. Save the command as you typed it, or cancel and type it again?"),
    ]
    buttons = [
        [
            (_("⚠️ Save anyway"), encode(SKU_CHANGE, held.pending_id, "y")),
            (_("Cancel"), encode(SKU_CHANGE, held.pending_id, "n")),
        ]
    ]
    return "\n".join(lines), keyboard(buttons)


def sku_change_cancelled(_: Translator) -> Rendered:
    return _("Cancelled: nothing was saved."), None


# --- the price history ---------------------------------------------------------------------
def _who(_: Translator, entry: HistoryEntry) -> str:
    if entry.source == "import":
        text = (
            _("imported by {name}", name=h(entry.changed_by))
            if entry.changed_by
            else _("imported from a file")
        )
    else:
        text = _("typed by {name}", name=h(entry.changed_by)) if entry.changed_by else _("typed")
    if entry.corrected_at is not None:
        when = _short_time(_, entry.corrected_at)
        text += " · " + (
            _("corrected by {name} on {when}", name=h(entry.corrected_by), when=when)
            if entry.corrected_by
            else _("corrected on {when}", when=when)
        )
    return text


def _short_time(_: Translator, moment: datetime) -> str:
    """A moment in the reader's zone, without the zone's name (the screen names it once)."""
    return _.datetime(moment, named=False)


def _lowest_line(_: Translator, line: ListingLine) -> str:
    channel = f"<b>{h(line.channel.name)}</b>"
    lowest = money(_, line.lowest_30d, line.channel.currency)
    if line.lowest_is_manual:
        return _(
            "{channel}: lowest price in 30 days {lowest} (set by hand, so the history does not "
            "change it)",
            channel=channel,
            lowest=lowest,
        )
    return _("{channel}: lowest price in 30 days {lowest}", channel=channel, lowest=lowest)


def price_history(_: Translator, page: HistoryPage) -> Rendered:
    sku = page.sku
    title = (
        _(
            "🕓 <b>Price history</b> of {sku} on {channel}",
            sku=sku_title(sku),
            channel=h(page.channel.name),
        )
        if page.channel is not None
        else _("🕓 <b>Price history</b> of {sku}", sku=sku_title(sku))
    )
    lines = [title]
    if not page.entries:
        lines.append(_("No list price has been recorded yet."))
        return "\n".join(lines), None
    lines.append(_("Times in {zone}, newest first.", zone=h(_.zone())))
    lines.append("")
    buttons: list[list[Button]] = []
    for number, entry in enumerate(page.entries, start=page.first):
        currency = entry.channel.currency
        lines.append(
            f"{number}. {_short_time(_, entry.at)} · {h(entry.channel.name)} · "
            f"<b>{_.money(entry.price, currency)}</b> · {_who(_, entry)}"
        )
        if page.can_edit:
            buttons.append(
                [
                    (
                        _("✏️ {number}: correct", number=number),
                        encode(HISTORY_CORRECT, entry.id),
                    ),
                    (_("🗑 {number}: remove", number=number), encode(HISTORY_REMOVE, entry.id)),
                ]
            )
    if page.lowest:
        lines.append("")
        lines += [_lowest_line(_, line) for line in page.lowest]
    if page.can_edit:
        lines += [
            "",
            _("A mistyped price counts as the lowest price for 30 days: correct or remove it."),
        ]
    if page.pages > 1:
        channel_id = page.channel.id if page.channel is not None else 0
        nav: list[Button] = []
        if page.page > 0:
            nav.append(("◀", encode(HISTORY, sku.id, channel_id, page.page - 1)))
        nav.append(
            (f"{page.page + 1}/{page.pages}", encode(HISTORY, sku.id, channel_id, page.page))
        )
        if page.page < page.pages - 1:
            nav.append(("▶", encode(HISTORY, sku.id, channel_id, page.page + 1)))
        buttons.append(nav)
    return "\n".join(lines), keyboard(buttons) if buttons else None


def _entry_text(_: Translator, ref: EntryRef) -> str:
    return _(
        "{sku} on {channel}, {when}: {price}",
        sku=f"<code>{h(ref.sku.code)}</code>",
        channel=h(ref.channel.name),
        when=_.datetime(ref.entry.effective_at),
        price=_.money(ref.entry.price, ref.channel.currency),
    )


def correction_prompt(_: Translator, ref: EntryRef) -> Rendered:
    return (
        _(
            "✏️ Correct the price of {entry}\nSend the right price, like <code>19.99</code> (in "
            "a group, as a reply to this message), or /cancel.",
            entry=_entry_text(_, ref),
        ),
        None,
    )


def confirm_entry_removal(_: Translator, ref: EntryRef) -> Rendered:
    buttons = [
        [
            (_("🗑 Remove"), encode(HISTORY_REMOVE_YES, ref.entry.id)),
            (_("Cancel"), encode(HISTORY, ref.sku.id, ref.channel.id, 0)),
        ]
    ]
    return (
        _(
            "Remove this entry from the price history?\n{entry}\nIt will no longer count for "
            "the lowest price in 30 days.",
            entry=_entry_text(_, ref),
        ),
        keyboard(buttons),
    )


def history_fixed(_: Translator, fix: HistoryFix) -> str:
    currency = fix.channel.currency
    when = _.datetime(fix.at)
    sku = f"<code>{h(fix.sku.code)}</code>"
    if fix.after is None:
        lines = [
            _(
                "🗑 Removed {price} ({when}) from the price history of {sku} on {channel}.",
                price=_.money(fix.before, currency),
                when=when,
                sku=sku,
                channel=h(fix.channel.name),
            )
        ]
    elif fix.after == fix.before:
        return _("Nothing changed: the entry already has this price.")
    else:
        lines = [
            _(
                "✅ Corrected the price of {when} for {sku} on {channel}: {before} → {after}.",
                when=when,
                sku=sku,
                channel=h(fix.channel.name),
                before=_.money(fix.before, currency),
                after=_.money(fix.after, currency),
            )
        ]
    if fix.list_price is not None:
        lines.append(
            _(
                "List price: {before} → {after}",
                before=money(_, fix.list_price[0], currency),
                after=money(_, fix.list_price[1], currency),
            )
        )
    before, after = fix.lowest
    lines.append(
        _(
            "Lowest price in 30 days: {before} → {after}",
            before=money(_, before, currency),
            after=money(_, after, currency),
        )
        if before != after
        else _("Lowest price in 30 days: {lowest} (unchanged)", lowest=money(_, after, currency))
    )
    return "\n".join(lines)


def confirm_sku_delete(_: Translator, sku: Sku, campaigns: int) -> Rendered:
    lines = [
        _(
            "Delete SKU {sku}? Its list prices and price history are deleted with it.",
            sku=sku_title(sku),
        )
    ]
    if campaigns:
        lines.append(
            _.ngettext(
                "⚠️ It is enrolled in {n} campaign and will be removed from it.",
                "⚠️ It is enrolled in {n} campaigns and will be removed from them.",
                campaigns,
            )
        )
    delete = encode("skudel", sku.id, stamp(sku.created_at))  # refused once the id is reused
    buttons = [[(_("🗑 Delete"), delete), (_("Cancel"), encode("skukeep"))]]
    return "\n".join(lines), keyboard(buttons)


def sku_deleted(_: Translator, code: str) -> Rendered:
    return _("🗑 SKU <code>{code}</code> deleted.", code=h(code)), None


# --- import and export ---------------------------------------------
def import_help(_: Translator, channel_names: list[str]) -> Rendered:
    channel = channel_names[0] if channel_names else "temu-us-semi"
    text = _(
        "<b>Import SKUs from a file</b>\n"
        "Send me a CSV or XLSX file (up to 5 MB and 50,000 rows) with a header row:\n"
        "<code>sku, name, unit_cost, cost_currency, packaging, first_mile, other_cost, "
        "duty_rate, list_price@{channel}, lowest_30d@{channel}</code>\n\n"
        "Only <code>sku</code> is required (and <code>unit_cost</code> for new SKUs). "
        "Percentages in percent ({percent} = {percent_shown}), amounts as you write them "
        "({amount}; in a comma-separated CSV with a decimal point). One "
        "<code>list_price@CHANNEL</code> column per channel; a plain <code>list_price</code> "
        "column works when the team has one channel. Empty price cells leave prices as they "
        "are. Column names may be in your language.\n\n"
        "I show a preview first and import nothing until you confirm. /export sends the "
        "catalogue in this format. In a group, send the file as a reply to one of my messages.",
        channel=h(channel),
        percent=_.number(Decimal("7.5")),
        percent_shown=_.percent(Decimal("0.075")),
        amount=_.number(Decimal("19.99")),
    )
    return text, None


_INVISIBLE = {c: chr(0x2400 + c) for c in range(0x20)} | {0x7F: "\u2421"}


def visible(text: str) -> str:
    """Control characters as their visible pictures (NUL → ␀, BEL → ␇), the rest as is."""
    return "".join(
        _INVISIBLE.get(ord(c), "\ufffd" if "\x80" <= c <= "\x9f" or c in "\ufffe\uffff" else c)
        for c in text
    )


def quoted(value: object) -> str:
    """A file's text quoted back: shortened, control characters visible, HTML-escaped."""
    return h(shown(visible("" if value is None else str(value))))


def row_error(_: Translator, error: RowError) -> str:
    column = quoted(error.column)
    if error.problem == "no_header":
        return _("row 1: the file has no header row (sku, unit_cost, …).")
    if error.problem == "listing_needs_channel":
        return _(
            "row 1, {column}: which channel? Name it in the header, like {example}.",
            column=column,
            example=f"<code>{column}@temu-us-semi</code>",
        )
    if error.problem == "new_needs_cost":
        return _(
            "row {row}: {code} is a new SKU, so it needs a unit_cost column.",
            row=error.row,
            code=f"<code>{h(error.value)}</code>",
        )
    if error.problem == "required" and error.row == 1:
        return _("row 1: the required column {column} is missing.", column=column)
    if error.problem == "required":
        return _("row {row}, {column}: a value is required.", row=error.row, column=column)
    if error.problem == CONTROL_CHARACTER:
        return _(
            "row {row}, {column}: “{value}” contains control characters (shown as ␀, ␇ …), "
            "which a code or name cannot hold. Remove them.",
            row=error.row,
            column=column,
            value=quoted(error.value),
        )
    return _(
        "row {row}, {column}: “{value}” {problem}",
        row=error.row,
        column=column,
        value=quoted(error.value),
        problem=_(problem_hint(error.problem), limit=_.percent(HUNDRED_PERCENT)),
    )


def _value_text(_: Translator, change: FieldChange) -> tuple[str, str]:
    def one(value: object) -> str:
        if isinstance(value, str):
            return quoted(value) if value else "—"
        return _change_value(_, change.field.partition("@")[0], value, change.currency)

    return one(change.before), one(change.after)


def row_change(_: Translator, change: RowChange) -> str:
    """'TM-003: Unit cost CN¥35.00 → CN¥36.50; List price (temu-us) US$19.99 → US$18.99'."""
    parts = []
    for field_change in change.changes:
        before, after = _value_text(_, field_change)
        parts.append(f"{_field_label(_, field_change.field)} {before} → {after}")
    return f"<code>{quoted(change.code)}</code>: " + "; ".join(parts)


def _capped(lines: list[str], extra: list[str], hidden: int, _: Translator) -> list[str]:
    """`lines` plus as many of `extra` as fit in a message, then "… and N more errors"."""
    size = sum(len(line) + 1 for line in lines) + 120  # room for the last line and buttons
    kept = 0
    for line in extra:
        if size + len(line) + 1 > PREVIEW_CHARACTERS:
            break
        lines.append(line)
        size += len(line) + 1
        kept += 1
    hidden += len(extra) - kept
    if hidden > 0:
        lines.append(
            _.ngettext(
                "… and {count} more error.",
                "… and {count} more errors.",
                hidden,
                count=_.number(hidden),
            )
        )
    return lines


def _import_warnings(_: Translator, preview: ImportPreview) -> list[str]:
    """The file's implausible prices, at most half a message of them."""
    if not preview.warning_count:
        return []
    lines = [
        "",
        _.ngettext(
            "⚠️ <b>{count} price looks wrong.</b> Check it: Confirm imports it as it is.",
            "⚠️ <b>{count} prices look wrong.</b> Check them: Confirm imports them as they are.",
            preview.warning_count,
            count=_.number(preview.warning_count),
        ),
    ]
    size, shown_count = len(lines[1]), 0
    for row in preview.warnings:
        line = _(
            "row {row}, {sku}: {warning}",
            row=row.row,
            sku=f"<code>{quoted(row.code)}</code>",
            warning=price_warning(_, row.channel, row.currency, row.warning),
        )
        if size + len(line) > PREVIEW_CHARACTERS // 2:
            break
        lines.append(line)
        size += len(line) + 1
        shown_count += 1
    hidden = preview.warning_count - shown_count
    if hidden > 0:
        lines.append(
            _.ngettext("… and {count} more.", "… and {count} more.", hidden, count=_.number(hidden))
        )
    return lines


def _ignored_column(_: Translator, column: str, guess: str | None) -> str:
    if guess is None:
        return quoted(column)
    return _(
        "{column} (did you mean {known}?)",
        column=quoted(column),
        known=f"<code>{quoted(guess)}</code>",
    )


def import_preview(_: Translator, preview: ImportPreview) -> Rendered:
    lines = [
        _("📄 <b>{file}</b>", file=quoted(preview.filename)),
        _.ngettext(
            "{count} row read.",
            "{count} rows read.",
            preview.data_rows,
            count=_.number(preview.data_rows),
        ),
        _(
            "New: {new} · changed: {changed} · unchanged: {unchanged} · errors: {errors}",
            new=_.number(preview.new),
            changed=_.number(preview.changed),
            unchanged=_.number(preview.unchanged),
            errors=_.number(len(preview.errors)),
        ),
    ]
    if preview.ignored:
        more = len(preview.ignored) - IGNORED_SHOWN
        columns = ", ".join(
            _ignored_column(_, c, preview.guesses.get(c)) for c in preview.ignored[:IGNORED_SHOWN]
        )
        lines.append(
            _("Columns I do not use: {columns}", columns=columns + (" …" if more > 0 else ""))
        )
    if preview.errors:
        lines += ["", _("<b>Nothing was imported.</b> Fix these and send the file again:")]
        shown_errors = [row_error(_, e) for e in preview.errors[:ERRORS_SHOWN]]
        hidden = len(preview.errors) - len(shown_errors)
        return "\n".join(_capped(lines, shown_errors, hidden, _)), None
    if preview.pending_id is None:
        lines += ["", _("Nothing to import: the catalogue already matches this file.")]
        return "\n".join(lines), None
    warnings = _import_warnings(_, preview)
    if preview.changes:
        changes = [row_change(_, change) for change in preview.changes]
        size = sum(len(line) + 1 for line in [*lines, *warnings])
        lines += ["", _("What changes:")]
        for line in changes:
            if size + len(line) > PREVIEW_CHARACTERS - 400:
                break
            lines.append(line)
            size += len(line) + 1
        if preview.changed > len(preview.changes):
            lines.append("…")
    lines += warnings
    lines += ["", _("Import these changes?")]
    created = preview.pending_created_at
    mark = stamp(created) if created is not None else ""
    buttons = [
        [
            (_("✅ Confirm"), encode("imp", preview.pending_id, "y", mark)),
            (_("Cancel"), encode("imp", preview.pending_id, "n", mark)),
        ]
    ]
    return "\n".join(lines), keyboard(buttons)


def import_done(_: Translator, result: ImportResult) -> Rendered:
    text = _(
        "✅ Imported {file}: {new} new, {changed} changed, {unchanged} unchanged; "
        "{prices} list price changes recorded.",
        file=f"<b>{h(result.filename)}</b>",
        new=_.number(result.new),
        changed=_.number(result.changed),
        unchanged=_.number(result.unchanged),
        prices=_.number(result.price_changes),
    )
    return text, None


def import_cancelled(_: Translator) -> Rendered:
    return _("Import cancelled; nothing was changed."), None


def export_caption(_: Translator, rows: int, kind: str) -> str:
    return _.ngettext(
        "Catalogue export ({kind}): {count} SKU. Edit it and send it back to import.",
        "Catalogue export ({kind}): {count} SKUs. Edit it and send it back to import.",
        rows,
        kind=kind,
        count=_.number(rows),
    )


# --- the floor card ---------------------------------------------
def _rate_text(_: Translator, quote: FxQuote, known: tuple[RateSource, ...] = ()) -> str:
    """The rate as the seller quotes it ("1 USD = 7.23956 CNY (1 CNY = 0.13813 USD)"),
    how it was reached and its source."""
    back = quote.denominator / quote.numerator
    pair = quoted_text(
        _, seller_direction(quote.from_currency, quote.to_currency, quote.rate, back)
    )
    via = ""
    if quote.pivot is not None:
        via = " " + _("via {currency}", currency=h(quote.pivot))
    if known:  # "ECB reference rate of …", "manual rate set by Alice on …"
        return _("{pair}{via} ({source})", pair=pair, via=via, source=sources_label(_, known))
    sources = ", ".join(_(SOURCE_LABELS.get(s, s)) for s in quote.sources)
    when = _.date(quote.as_of) if quote.as_of else _("undated")
    return _("{pair}{via} ({source}, {date})", pair=pair, via=via, source=sources, date=when)


def _fx_missing(_: Translator, source: str, target: str) -> str:
    return _(
        "⚠️ I have no exchange rate from {source} to {target}, so I cannot convert the costs. "
        "Set one with <code>/fx set {source} {target} RATE</code> (1 {source} = RATE "
        "{target}), for example <code>/fx set CNY USD 0.14</code>.",
        source=h(source),
        target=h(target),
    )


def _no_price(_: Translator, card: FloorCard) -> str:
    reason = card.result.floor.no_price
    assert reason is not None
    channel = card.channel
    fees = [
        f"{_(FEE_LABELS[kind])} {_.percent(getattr(channel, kind.value))}"
        for kind, share in reason.fee_shares
        if share
    ]
    if reason.fees_share >= 1:
        return _(
            "⚠️ No price covers the fees: {fees} take {total} of net revenue on their own. "
            "Check them with <code>/channel {channel}</code>.",
            fees=", ".join(fees),
            total=_.percent(reason.fees_share),
            channel=h(channel.name),
        )
    return _(
        "⚠️ No price reaches a {margin} margin: the fees ({fees}) and the margin add up to "
        "{total} of net revenue. Lower the margin (<code>/floor {code} margin=…</code>) or "
        "the channel's fees (<code>/channel {channel}</code>).",
        margin=_.percent(reason.target_margin),
        fees=", ".join(fees) or _("none"),
        total=_.percent(reason.total),
        code=h(card.sku.code),
        channel=h(channel.name),
    )


def floor_card(_: Translator, card: FloorCard) -> Rendered:
    sku, channel = card.sku, card.channel
    result = card.result
    floor = result.floor
    sale = channel.currency
    margin_note = _("given") if card.margin_given else _("team target")
    lines = [
        _("📉 <b>Floor</b> {sku}", sku=sku_title(sku)),
        _(
            "Channel {channel} ({currency}) · target margin {margin} ({note})",
            channel=f"<b>{h(channel.name)}</b>",
            currency=h(sale),
            margin=_.percent(card.margin),
            note=margin_note,
        ),
        "",
        _("<b>Landed cost</b> per unit"),
    ]
    landed = floor.landed
    if landed is None:
        ccy = sku.cost_currency
        lines.append(
            _(
                "Costs {total} in {currency}",
                total=_.money(sku.unit_cost + sku.packaging + sku.first_mile + sku.other_cost, ccy),
                currency=h(ccy),
            )
        )
        if floor.missing_rate is not None:
            lines += ["", _fx_missing(_, *floor.missing_rate)]
        return "\n".join(lines), None
    for line in landed.lines:
        if line.kind in COST_LABELS:
            lines.append(
                f"{_(COST_LABELS[line.kind])}: {_.money(line.amount.amount, line.amount.currency)}"
            )
    duty = landed.duty
    if duty.waived:
        lines.append(_("Duty: none — fully managed, the platform pays import costs"))
    elif duty.rate:
        basis = (
            _("FOB: unit cost") if duty.basis.value == "fob" else _("CIF: unit cost + first mile")
        )
        lines.append(
            _(
                "Duty: {amount} ({rate} of {base}, {basis})",
                amount=_.money(duty.amount.amount, duty.amount.currency),
                rate=_.percent(duty.rate),
                base=_.money(duty.base.amount, duty.base.currency),
                basis=basis,
            )
        )
    else:
        lines.append(_("Duty: none"))
    lines.append(
        _("Total: {amount}", amount=_.money(landed.cost_total.amount, landed.cost_total.currency))
    )
    if card.quote is not None and not card.quote.is_identity:
        fx_line = _("FX: {rate}", rate=_rate_text(_, card.quote, card.rate_sources))
        if card.fx_stale:
            fx_line += " " + _("⚠️ stale (older than 3 days)")
        lines.append(fx_line)
        lines.append(_("FX buffer: {buffer}", buffer=_.percent(landed.fx.buffer)))
    lines.append(_("<b>Landed cost: {amount}</b>", amount=_.money(landed.amount.amount, sale)))
    lines.append("")
    at_floor = floor.at_floor
    if at_floor is not None:
        on = (
            _("on the price with VAT")
            if at_floor.fees_on.value == "gross"
            else _("on the price without VAT")
        )
        lines.append(_("<b>Fees</b> at the floor price (percent fees {on})", on=on))
        fee_lines = [
            f"{_(FEE_LABELS[fee.kind])}"
            + (f" {_.percent(fee.rate)}" if fee.rate is not None else "")
            + f": {_.money(fee.amount.amount, sale)}"
            for fee in at_floor.fees
            if fee.amount.amount or fee.rate
        ]
        lines += fee_lines or [_("No channel fees set.")]
        if at_floor.vat_rate:
            lines.append(
                _(
                    "VAT {rate} in the price: {amount}",
                    rate=_.percent(at_floor.vat_rate),
                    amount=_.money(at_floor.vat.amount, sale),
                )
            )
        lines.append("")
    if floor.break_even is not None:
        lines.append(_("Break-even: {amount}", amount=_.money(floor.break_even.amount, sale)))
    if result.status is Status.NO_PRICE or floor.floor is None:
        lines += [_no_price(_, card)]
        return "\n".join(lines), None
    lines.append(
        _(
            "<b>Floor: {amount}</b> (keeps {margin} of net revenue)",
            amount=_.money(floor.floor.amount, sale),
            margin=_.percent(card.margin),
        )
    )
    if floor.grid_moved_floor and floor.raw_floor is not None and floor.grid is not None:
        lines.append(
            _(
                "Exact floor: {exact}; the channel's price grid ({grid}) rounds it up to the "
                "next grid price.",
                exact=_.money(floor.raw_floor.amount, sale),
                grid=grid_text(_, floor.grid),
            )
        )
    lines.append("")
    lines += _discount_lines(_, card)
    return "\n".join(lines), None


def _discount_lines(_: Translator, card: FloorCard) -> list[str]:
    result = card.result
    channel = card.channel
    sale = channel.currency
    if card.list_price_unusable is not None:
        return [
            _(
                "⚠️ The list price {price} has more decimals than {currency} allows. Set it "
                "again with <code>/sku {code} list_price@{channel}=…</code>.",
                price=h(format(card.list_price_unusable, "f")),
                currency=h(sale),
                code=h(card.sku.code),
                channel=h(channel.name),
            )
        ]
    if result.status is Status.NO_LIST_PRICE or result.list_price is None:
        return [
            _(
                "No list price on {channel} yet, so no discount to show. Set one with "
                "<code>/sku {code} list_price@{channel}=19.99</code>.",
                channel=h(channel.name),
                code=h(card.sku.code),
            )
        ]
    list_price = result.list_price
    margin_at_list = result.at_list.margin if result.at_list is not None else None
    lines = [
        _(
            "List price: {price} · margin at list price {margin}",
            price=_.money(list_price.amount, sale),
            margin=_.margin(margin_at_list),
        )
    ]
    if result.status is Status.BELOW_FLOOR:
        lines.append(
            _(
                "⚠️ The list price is below the floor: this SKU cannot join a campaign at any "
                "discount."
            )
        )
        return lines
    grid = result.floor.grid
    if result.status is Status.NO_GRID_PRICE:
        assert result.raw_customer_floor is not None and grid is not None
        lines.append(
            _(
                "⚠️ No price on the channel's price grid ({grid}) lies between the lowest safe "
                "customer price, {floor}, and the list price: this SKU cannot join a campaign "
                "at a grid price. Change the grid with <code>/channel {channel} price_step=…"
                "</code> or the list price.",
                grid=grid_text(_, grid),
                floor=_.money(result.raw_customer_floor.amount, sale),
                channel=h(channel.name),
            )
        )
        return lines
    assert result.max_discount is not None and result.customer_floor is not None
    assert result.step_discount is not None and result.exact_max_discount is not None
    assert result.raw_customer_floor is not None
    # One consistent pair: the percentage rounded down to the step, and the amount that
    # percentage takes off the list price (rounded down, in the seller's favour).
    lines.append(
        _(
            "<b>Deepest discount: {percent} ({amount})</b>",
            percent=_.percent(result.max_discount_pct or Decimal(0)),
            amount=_.money(result.step_discount.amount, sale),
        )
    )
    if result.grid_moved_discount and grid is not None:
        lines.append(
            _(
                "On the price grid ({grid}): {amount} ({percent}) → lowest customer price {floor}",
                grid=grid_text(_, grid),
                amount=_.money(result.max_discount.amount, sale),
                percent=_.percent(result.max_discount_share or Decimal(0)),
                floor=_.money(result.customer_floor.amount, sale),
            )
        )
        lines.append(
            _(
                "Exact maximum: {amount} ({percent}) → customer price {floor}, off the grid",
                amount=_.money(result.exact_max_discount.amount, sale),
                percent=_.percent(result.exact_max_discount_share or Decimal(0)),
                floor=_.money(result.raw_customer_floor.amount, sale),
            )
        )
    else:
        lines.append(
            _(
                "Exact maximum: {amount} ({percent}) → lowest customer price {floor}",
                amount=_.money(result.exact_max_discount.amount, sale),
                percent=_.percent(result.exact_max_discount_share or Decimal(0)),
                floor=_.money(result.raw_customer_floor.amount, sale),
            )
        )
    return lines


def sku_usage(_: Translator) -> Rendered:
    return (
        _(
            "<b>SKUs</b>\n"
            "<code>/skus</code> — the catalogue, 20 per page\n"
            "<code>/sku add A1 unit_cost=35 cost_currency=CNY first_mile=4 duty_rate=7.5 "
            'name="Blue mug"</code> — add a SKU\n'
            "<code>/sku A1</code> — its costs, list prices and price history\n"
            "<code>/sku A1 unit_cost=36 list_price@temu-us-semi=19.99</code> — change costs, "
            "or the list price on a channel (<code>list_price@CHANNEL</code>, "
            "<code>lowest_30d@CHANNEL</code>; without <code>@CHANNEL</code> when the team has "
            "one channel)\n"
            "<code>/sku del A1</code> — delete\n"
            "Percentages in percent. Many at once: send a CSV or XLSX file (/import)."
        )
        + "\n"
        + _(
            "<code>/sku A1 history</code> — every list price it had, to correct or remove a "
            "mistyped one"
        ),
        None,
    )


def sku_kept(_: Translator) -> Rendered:
    return _("Nothing was deleted."), None


def not_a_catalogue(_: Translator) -> Rendered:
    return (
        _("I import SKUs from CSV or XLSX files. /import shows the columns I read."),
        None,
    )
