"""Channel screens: the list, one channel with every field, presets, edits, deletion."""

from __future__ import annotations

from decimal import Decimal

from bot.db.models import Channel
from bot.domain.errors import N_
from bot.i18n import Translator
from bot.pricing import Preset, UnknownPresetError, currency_digits, get_preset, load_presets
from bot.pricing.fields import parse_price_endings
from bot.pricing.grid import PriceGrid
from bot.services.channels import (
    AMOUNT_FIELDS,
    EDITABLE_FIELDS,
    PERCENT_FIELDS,
    ChannelEdit,
)
from bot.views.callbacks import encode, stamp
from bot.views.common import Rendered, h, keyboard

MODE_LABELS = {
    "full": N_("fully managed"),
    "semi": N_("semi-managed"),
    "self": N_("own store"),
}
FEES_ON_LABELS = {
    "gross": N_("on the price with VAT"),
    "net": N_("on the price without VAT"),
}
DUTY_BASIS_LABELS = {
    "fob": N_("on the goods' value"),
    "cif": N_("on goods plus first-mile freight"),
}
FIELD_LABELS = {
    "name": N_("Name"),
    "platform": N_("Platform"),
    "market": N_("Market"),
    "mode": N_("Mode"),
    "currency": N_("Sale currency"),
    "vat_rate": N_("VAT rate"),
    "prices_include_vat": N_("Shelf prices include VAT"),
    "fees_on": N_("Percent fees charged"),
    "commission": N_("Commission"),
    "payment_rate": N_("Payment fee"),
    "returns_rate": N_("Returns allowance"),
    "ads_rate": N_("Advertising"),
    "payment_fixed": N_("Payment fee per order"),
    "fulfilment_fee": N_("Fulfilment fee per unit"),
    "other_channel_fee": N_("Other fee per unit"),
    "duty_basis": N_("Duty charged"),
    "discount_step": N_("Discount step"),
    "price_step": N_("Price step"),
    "price_endings": N_("Price endings"),
    "timezone": N_("Time zone"),
}
KEY_FEES = ("commission", "payment_rate", "returns_rate", "ads_rate")
FIXED_FEES = ("payment_fixed", "fulfilment_fee", "other_channel_fee")


def _ending(_: Translator, ending: Decimal, grid: PriceGrid) -> str:
    """An ending as a price shows it: '.99' (',99' in German); whole units as numbers."""
    text = _.number(ending, currency_digits(grid.currency))
    if grid.period == 1 and ending < 1 and text[:1] == "0" and len(text) > 1:
        return text[1:]
    return text


def grid_text(_: Translator, grid: PriceGrid) -> str:
    """The price grid in words: 'prices in steps of ₩10', 'prices ending in .49 / .99'."""
    if not grid.endings:
        return _("prices in steps of {step}", step=_.money(grid.step, grid.currency))
    endings = " / ".join(_ending(_, e, grid) for e in grid.endings)
    if grid.period == 1:
        return _("prices ending in {endings}", endings=endings)
    return _(
        "prices ending in {endings} in every {period}",
        endings=endings,
        period=_.money(grid.period, grid.currency),
    )


def _grid_value(_: Translator, field: str, value: object, currency: str) -> str:
    """`price_step` / `price_endings` as shown on the channel card and in edits."""
    try:
        if field == "price_step":
            step = value if isinstance(value, Decimal) else None
            return _.money(PriceGrid.of(currency, step).step, currency)
        endings = parse_price_endings(str(value or ""))
        if not endings:
            return _("none")
        grid = PriceGrid.of(currency, None, endings)
        return " / ".join(_ending(_, e, grid) for e in grid.endings)
    except ValueError:  # a value the currency refuses (shown before it is refused)
        return h(str(value))


def value_text(_: Translator, field: str, value: object, currency: str) -> str:
    """A channel field's value as the reader should see it."""
    if field in ("price_step", "price_endings"):
        return _grid_value(_, field, value, currency)
    if value is None:
        return "—"
    if field in PERCENT_FIELDS and isinstance(value, Decimal):
        return _.percent(value)
    if field in AMOUNT_FIELDS and isinstance(value, Decimal):
        return _.money(value, currency)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field == "timezone" and value:
        # the id stays beside the name: it is what `/channel … timezone=` takes
        return f"{h(_.zone(str(value)))} (<code>{h(value)}</code>)"
    text = h(value) if str(value) else "—"
    labels = {"mode": MODE_LABELS, "fees_on": FEES_ON_LABELS, "duty_basis": DUTY_BASIS_LABELS}
    if field in labels and str(value) in labels[field]:
        return f"{text} ({_(labels[field][str(value)])})"
    return text


def fees_summary(_: Translator, channel: Channel) -> str:
    parts = [
        f"{_(FIELD_LABELS[f])} {_.percent(getattr(channel, f))}"
        for f in KEY_FEES
        if getattr(channel, f)
    ]
    parts += [
        f"{_(FIELD_LABELS[f])} {_.money(getattr(channel, f), channel.currency)}"
        for f in FIXED_FEES
        if getattr(channel, f)
    ]
    return ", ".join(parts) if parts else _("no fees set")


def vat_summary(_: Translator, channel: Channel) -> str:
    if not channel.vat_rate:
        return _("no VAT")
    if channel.prices_include_vat:
        return _("VAT {rate} included", rate=_.percent(channel.vat_rate))
    return _("VAT {rate} added", rate=_.percent(channel.vat_rate))


def channel_line(_: Translator, channel: Channel) -> str:
    mode = _(MODE_LABELS[channel.mode]) if channel.mode in MODE_LABELS else h(channel.mode)
    return (
        f"• <b>{h(channel.name)}</b> — {h(channel.platform)} · {h(channel.market or '—')} · "
        f"{mode} · {h(channel.currency)} · {vat_summary(_, channel)}\n"
        f"   {fees_summary(_, channel)}"
    )


def channel_list(_: Translator, channels: list[Channel], *, can_manage: bool) -> Rendered:
    if not channels:
        return (
            _(
                "This team has no sales channels yet. Add one from a preset, like "
                "<code>/channel add temu-us-semi</code>; <code>/channel add</code> lists the "
                "presets."
            ),
            None,
        )
    lines = [
        _.ngettext("<b>{n} sales channel</b>", "<b>{n} sales channels</b>", len(channels)),
        "",
    ]
    lines += [channel_line(_, c) for c in channels]
    if not can_manage:  # a reader who may not change channels is not told how
        lines += ["", _("Details: <code>/channel {name}</code>", name=h(channels[0].name))]
        return "\n".join(lines), None
    lines += [
        "",
        _(
            "Details: <code>/channel {name}</code> · change: <code>/channel {name} "
            "commission=12</code> · new: <code>/channel add temu-us-semi</code>",
            name=h(channels[0].name),
        ),
    ]
    return "\n".join(lines), None


def preset_list(_: Translator, unknown: str | None = None) -> Rendered:
    lines = []
    if unknown:
        lines += [_("There is no preset “{name}”.", name=h(unknown)), ""]
    lines.append(
        _(
            "Create a channel from a preset with <code>/channel add PRESET</code> (optionally "
            "<code>name=…</code>). Presets:"
        )
    )
    for name, preset in load_presets().items():
        params = preset.channel
        mode = _(MODE_LABELS[params.mode.value])
        lines.append(
            f"<code>{h(name)}</code> — {h(params.platform)} · {h(params.market or '—')} · "
            f"{mode} · {h(params.currency)}"
        )
    return "\n".join(lines), None


def _preset(channel: Channel) -> Preset | None:
    if not channel.preset:
        return None
    try:
        return get_preset(channel.preset)
    except UnknownPresetError:
        return None


def _card_body(
    _: Translator, channel: Channel, preset: Preset | None, *, can_manage: bool = True
) -> list[str]:
    lines = []
    for field in EDITABLE_FIELDS:
        if field == "name":
            continue
        label = _(FIELD_LABELS.get(field, field))
        value = value_text(_, field, getattr(channel, field), channel.currency)
        lines.append(f"{label} (<code>{field}</code>): {value}")
    if preset is not None:
        lines += ["", f"<i>{h(_(preset.source))}</i>"]
    if not can_manage:
        return lines
    lines += [
        "",
        _(
            "Change fields with <code>/channel {name} commission=12 fulfilment_fee=3.5</code> "
            "(percentages in percent). Delete: <code>/channel del {name}</code>",
            name=h(channel.name),
        ),
    ]
    return lines


def channel_card(_: Translator, channel: Channel, *, can_manage: bool) -> Rendered:
    lines = [f"<b>{h(channel.name)}</b>"]
    preset = _preset(channel)
    if preset is not None:
        lines.append(
            _(
                "From preset {preset}, figures as of {date}.",
                preset=f"<code>{h(preset.name)}</code>",
                date=_.date(preset.as_of),
            )
        )
    lines.append("")
    return "\n".join(lines + _card_body(_, channel, preset, can_manage=can_manage)), None


def channel_added(_: Translator, channel: Channel, preset: Preset) -> Rendered:
    title = _(
        "✅ Channel <b>{name}</b> added from preset {preset} (figures as of {date}).",
        name=h(channel.name),
        preset=f"<code>{h(preset.name)}</code>",
        date=_.date(preset.as_of),
    )
    return "\n".join([title, "", *_card_body(_, channel, preset)]), None


def channel_edited(_: Translator, edit: ChannelEdit) -> Rendered:
    channel = edit.channel
    if not edit.changes:
        return _("Nothing changed: {name} already has these values.", name=h(channel.name)), None
    lines = [_("✅ Channel <b>{name}</b> changed:", name=h(channel.name))]
    for change in edit.changes:
        before_currency = channel.currency
        if change.field == "currency":
            before_currency = str(change.before)
        label = _(FIELD_LABELS.get(change.field, change.field))
        before = value_text(_, change.field, change.before, before_currency)
        after = value_text(_, change.field, change.after, channel.currency)
        lines.append(f"{label} (<code>{change.field}</code>): {before} → {after}")
    if edit.currency_changed_with_listings:
        lines += [
            "",
            _(
                "⚠️ The list prices on this channel are now read as {currency}. Check them "
                "with /skus, or export, fix and import the catalogue.",
                currency=h(channel.currency),
            ),
        ]
    return "\n".join(lines), None


def confirm_delete(_: Translator, channel: Channel) -> Rendered:
    text = _(
        "Delete channel <b>{name}</b>? Its list prices and their price history are deleted "
        "with it.",
        name=h(channel.name),
    )
    buttons = [
        [
            (_("🗑 Delete"), encode("chdel", channel.id, stamp(channel.created_at))),
            (_("Cancel"), encode("chkeep", channel.id)),
        ]
    ]
    return text, keyboard(buttons)


def channel_deleted(_: Translator, name: str) -> Rendered:
    return _("🗑 Channel <b>{name}</b> deleted.", name=h(name)), None


def delete_cancelled(_: Translator) -> Rendered:
    return _("Nothing was deleted."), None


def channel_usage(_: Translator) -> Rendered:
    return (
        _(
            "<b>Sales channels</b>\n"
            "<code>/channels</code> — the list\n"
            "<code>/channel add temu-us-semi</code> — add one from a preset "
            "(<code>/channel add</code> lists them; <code>name=…</code> to name it)\n"
            "<code>/channel temu-us-semi</code> — every field\n"
            "<code>/channel temu-us-semi commission=12 fulfilment_fee=3.5</code> — change fields\n"
            "<code>/channel del temu-us-semi</code> — delete"
        ),
        None,
    )
