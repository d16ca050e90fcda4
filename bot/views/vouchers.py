"""Voucher screens: the campaign's saved vouchers and the answer to /voucher. Callback actions
and the shared formatting live in bot/views/campaigns.py."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.db import models
from bot.i18n import Translator
from bot.pricing import VoucherStatus, currency_digits
from bot.services.plan import VoucherAnswer
from bot.views.callbacks import encode, stamp
from bot.views.campaigns import SAVE_VOUCHER, back_button
from bot.views.common import Button, Rendered, h, keyboard


def vouchers_screen(
    _: Translator, campaign: models.Campaign, saved: Sequence[models.Voucher], currency: str
) -> Rendered:
    lines = [_("🎟 <b>Vouchers for {name}</b>", name=h(campaign.name))]
    if saved:
        for voucher in saved:
            lines.append(
                _(
                    "• spend {threshold}, get {value} off",
                    threshold=_.money(voucher.threshold, currency),
                    value=_.money(voucher.value, currency),
                )
            )
    else:
        lines.append(_("No saved vouchers yet."))
    lines.append("")
    lines.append(
        _(
            "Ask with <code>/voucher {id} value=5</code> (the smallest safe order threshold for "
            "a 5 voucher) or <code>/voucher {id} threshold=50</code> (the largest safe voucher "
            "for orders of 50). Add <code>cap=3 share=50%</code> when the platform co-funds it.",
            id=campaign.id,
        )
    )
    return "\n".join(lines), keyboard([[back_button(_, campaign.id)]])


def voucher_answer(
    _: Translator,
    campaign: models.Campaign,
    answer: VoucherAnswer,
    currency: str,
    *,
    saved: bool = False,
    can_save: bool,
) -> Rendered:
    """The voucher's verdict; the save button only for a reader who may save (editors)."""
    result, question = answer.result, answer.question

    def money(amount: Decimal) -> str:
        return _.money(amount, currency)

    lines = [_("🎟 <b>Voucher for {name}</b>", name=h(campaign.name))]
    if question.share:
        if question.cap is not None:
            lines.append(
                _(
                    "The platform funds {share} of the voucher, at most {cap} per order.",
                    share=_.percent(question.share),
                    cap=money(question.cap),
                )
            )
        else:
            lines.append(
                _("The platform funds {share} of the voucher.", share=_.percent(question.share))
            )
    if result.status is VoucherStatus.NO_LINES:
        lines.append(
            _(
                "No enrolled SKU has a planned price yet, so there is nothing to check. "
                "Enrol SKUs first."
            )
        )
        return "\n".join(lines), keyboard([[back_button(_, campaign.id)]])
    if result.status is VoucherStatus.BLOCKED:
        lines.append(
            _(
                "⛔ No voucher is safe: {skus} would sell under the floor with any voucher "
                "(no headroom at the planned price).",
                skus=", ".join(f"<code>{h(code)}</code>" for code in result.blockers[:10]),
            )
        )
        without = result.without_blockers
        if without is not None and without.status is VoucherStatus.OK:
            assert without.threshold is not None and without.voucher is not None
            if question.value is not None:
                lines.append(
                    _(
                        "Without them, a {value} voucher is safe from orders of {threshold}.",
                        value=money(without.voucher.amount),
                        threshold=money(without.threshold.amount),
                    )
                )
            else:
                lines.append(
                    _(
                        "Without them, orders of {threshold} can carry a voucher of up to {value}.",
                        value=money(without.voucher.amount),
                        threshold=money(without.threshold.amount),
                    )
                )
        return "\n".join(lines), keyboard([[back_button(_, campaign.id)]])
    assert result.threshold is not None and result.voucher is not None
    if question.value is not None:
        lines.append(
            _(
                "A {value} voucher is safe from orders of <b>{threshold}</b> (the smallest safe "
                "threshold).",
                value=money(result.voucher.amount),
                threshold=money(result.threshold.amount),
            )
        )
        verdict = answer.verdict
        if verdict is not None and question.threshold is not None:
            lines.append(
                _(
                    "✅ Spend {threshold}, get {value} off is safe.",
                    threshold=money(question.threshold),
                    value=money(question.value),
                )
                if verdict
                else _(
                    "⛔ Spend {threshold}, get {value} off is not safe.",
                    threshold=money(question.threshold),
                    value=money(question.value),
                )
            )
    else:
        lines.append(
            _(
                "Orders of {threshold} can carry a voucher of up to <b>{value}</b>.",
                value=money(result.voucher.amount),
                threshold=money(result.threshold.amount),
            )
        )
    if result.seller_funded is not None:
        lines.append(_("You fund {amount} of it.", amount=money(result.seller_funded.amount)))
    if result.weakest is not None:
        lines.append(
            _(
                "The tightest SKU is {sku}: its headroom is {headroom} of its price.",
                sku=f"<code>{h(result.weakest.sku)}</code>",
                headroom=_.percent(result.weakest.value.quantize(Decimal("0.0001"))),
            )
        )
    lines.append(
        _.ngettext(
            "Checked against {n} enrolled SKU.", "Checked against {n} enrolled SKUs.", answer.lines
        )
    )
    rows: list[list[Button]] = []
    pair = answer.pair
    if saved:
        lines.append(_("💾 Saved on the campaign."))
    elif can_save and pair is not None and answer.verdict is not False:
        threshold, value = pair
        try:
            data = encode(
                SAVE_VOUCHER,
                campaign.id,
                _plain(threshold),
                _plain(value),
                _plain(question.share),
                "-" if question.cap is None else _plain(question.cap),
                stamp(campaign.created_at),
            )
        except ValueError:  # over 64 bytes: saving takes the command's `save` word instead
            lines.append(_("Add <code>save</code> to the command to keep it on the campaign."))
        else:
            rows.append([(_("💾 Save on the campaign"), data)])
    rows.append([back_button(_, campaign.id)])
    return "\n".join(lines), keyboard(rows)


def _plain(value: Decimal) -> str:
    return format(value, "f")


def digits_of(currency: str) -> int:
    return currency_digits(currency)
