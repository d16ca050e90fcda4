"""The plan in chat: a compact summary (counts, the lowest margins, vouchers); the full
table goes out as XLSX and CSV documents (bot/views/exports.py)."""

from __future__ import annotations

from bot.domain.enums import Role
from bot.domain.permissions import Action, is_allowed
from bot.i18n import Translator
from bot.limits import shorten
from bot.services.plan import Plan, PlanStatus
from bot.views.callbacks import encode, stamp
from bot.views.campaigns import (
    NO_MODE,
    PICK,
    VOUCHERS,
    back_button,
    rules_lines,
    status_counts,
    status_label,
)
from bot.views.common import Rendered, h, keyboard
from bot.views.enrolment import codes_text

WORST_SHOWN = 5


def plan_summary(_: Translator, plan: Plan, role: Role) -> Rendered:
    campaign, currency = plan.campaign, plan.currency
    money = _.money
    lines = [
        _(
            "📋 <b>Plan: {name}</b> · #{id} · {channel} ({currency})",
            name=h(campaign.name),
            id=campaign.id,
            channel=h(plan.channel.name),
            currency=currency,
        )
    ]
    lines += rules_lines(
        _, campaign, currency, plan.pricing.target_margin, campaign.target_margin is not None
    )
    lines.append("")
    lines.append(_("Enrolled: {skus}", skus=_.ngettext("{n} SKU", "{n} SKUs", len(plan.rows))))
    if plan.counts:
        lines.append(status_counts(_, plan.counts))
    accepted = sorted(row.code for row in plan.rows if row.under_floor_accepted)
    if accepted:
        codes = codes_text(_, accepted)  # not inside the call: the extractor reads `_` as one
        lines.append(
            _.ngettext(
                "⛔ {n} SKU enrolled under the floor after a warning: {codes}",
                "⛔ {n} SKUs enrolled under the floor after a warning: {codes}",
                len(accepted),
                codes=codes,
            )
        )
    worst = plan.worst(WORST_SHOWN)
    if worst:
        lines.append("")
        lines.append(_("<b>Lowest margins at the planned price</b>"))
        for row in worst:
            assert row.planned_price is not None and row.margin is not None
            text = _(
                "• {sku} at {price}: margin {margin}",
                sku=f"<code>{h(row.code)}</code>",
                price=money(row.planned_price, currency),
                margin=_.percent(row.margin),
            )
            if row.status is not PlanStatus.OK:
                text += f" — {status_label(_, row.status)}"
            if row.under_floor_accepted:
                text += " (" + _("enrolled anyway") + ")"
            lines.append(text)
    unpriced = sum(1 for row in plan.rows if row.margin is None)
    if unpriced:
        lines.append(
            _.ngettext(
                "{n} enrolled SKU has no price to check (see the files).",
                "{n} enrolled SKUs have no price to check (see the files).",
                unpriced,
            )
        )
    if plan.others:
        lines.append("")
        lines.append(
            _(
                "Not enrolled: {listed} listed on this channel, {eligible} of them eligible.",
                listed=len(plan.others),
                eligible=plan.eligible_others,
            )
        )
    if plan.vouchers:
        lines.append("")
        lines.append(_("<b>Saved vouchers</b>"))
        for check in plan.vouchers:
            minimum = check.result.threshold
            if check.safe:
                lines.append(
                    _(
                        "• ✅ spend {threshold}, get {value} off — safe",
                        threshold=money(check.threshold, currency),
                        value=money(check.value, currency),
                    )
                )
            elif minimum is not None:
                lines.append(
                    _(
                        "• ⛔ spend {threshold}, get {value} off — not safe now: it needs "
                        "orders of {minimum}",
                        threshold=money(check.threshold, currency),
                        value=money(check.value, currency),
                        minimum=money(minimum.amount, currency),
                    )
                )
            else:
                lines.append(
                    _(
                        "• ⛔ spend {threshold}, get {value} off — not safe now",
                        threshold=money(check.threshold, currency),
                        value=money(check.value, currency),
                    )
                )
    lines.append("")
    lines.append(
        _("Recomputed now from current costs, FX and fees. The full table is in the files below.")
        if plan.rows or plan.others
        else _("Nothing is enrolled yet: tap Enrol.")
        if is_allowed(role, Action.EDIT_CAMPAIGN)
        else _("Nothing is enrolled yet.")
    )
    mark = stamp(campaign.created_at)
    first_row = [(_("🎟 Vouchers"), encode(VOUCHERS, campaign.id, mark))]
    if is_allowed(role, Action.EDIT_CAMPAIGN):  # a viewer is not offered what it may not do
        first_row.insert(0, (_("➕ Enrol"), encode(PICK, campaign.id, 0, NO_MODE, mark)))
    buttons = keyboard([first_row, [back_button(_, campaign.id)]])
    return "\n".join(lines), buttons


def files_caption(_: Translator, plan: Plan, kind: str) -> str:
    return _(
        "Plan of {name} ({kind})",
        name=h(shorten(plan.campaign.name)),
        kind=kind,
    )
