"""Enrolment screens: the price-mode question, the SKU picker, and the answers to /enroll and
/unenroll. Callback actions and the shared formatting live in bot/views/campaigns.py."""

from __future__ import annotations

from decimal import Decimal

from bot.db import models
from bot.i18n import Translator
from bot.services.campaigns import EnrolResult, PickerPage
from bot.services.plan import PlanRow, PlanStatus, PriceChoice, PriceMode
from bot.views.callbacks import encode
from bot.views.campaigns import ENROL_ALL, PICK, PLAN, TOGGLE, back_button, status_label
from bot.views.common import Button, Rendered, chunk, h, keyboard

PICKER_DISCOUNTS = ("10", "15", "20", "25", "30")


def choice_code(choice: PriceChoice) -> str:
    """The picker's price mode in callback data: s, m, or d<percent>."""
    if choice.mode is PriceMode.SUGGESTED:
        return "s"
    if choice.mode is PriceMode.MAX:
        return "m"
    if choice.mode is PriceMode.DISCOUNT and choice.discount is not None:
        return "d" + format((choice.discount * 100).normalize(), "f")
    raise ValueError(f"the picker has no code for {choice}")


def choice_text(
    _: Translator, choice: PriceChoice, campaign: models.Campaign, currency: str
) -> str:
    if choice.mode is PriceMode.SUGGESTED:
        return _(
            "the minimum discount ({discount}) off the reference price",
            discount=_.percent(campaign.min_discount or Decimal(0)),
        )
    if choice.mode is PriceMode.MAX:
        return _("the deepest safe discount")
    if choice.mode is PriceMode.DISCOUNT and choice.discount is not None:
        return _("{discount} off the reference price", discount=_.percent(choice.discount))
    assert choice.price is not None
    return _("a fixed price of {price}", price=_.money(choice.price, currency))


def pick_mode(_: Translator, campaign: models.Campaign) -> Rendered:
    text = _(
        "<b>{name}</b> has no minimum discount. How should I price the SKUs you enrol?",
        name=h(campaign.name),
    )
    rows = [[(_("Deepest safe discount"), encode(PICK, campaign.id, 0, "m"))]]
    rows += chunk([(f"{p} %", encode(PICK, campaign.id, 0, f"d{p}")) for p in PICKER_DISCOUNTS], 5)
    rows.append([back_button(_, campaign.id)])
    return text, keyboard(rows)


def picker(_: Translator, page: PickerPage, currency: str) -> Rendered:
    campaign, mode = page.campaign, choice_code(page.choice)
    lines = [
        _("<b>Enrol SKUs in {name}</b>", name=h(campaign.name)),
        _(
            "New SKUs are planned at {price}. Tap a SKU to enrol it or take it out (✅ = "
            "enrolled, ⚠️ = does not fit).",
            price=choice_text(_, page.choice, campaign, currency),
        ),
    ]
    if page.total == 0:
        lines.append("")
        lines.append(
            _(
                "No SKU has a listing on this channel yet. Add list prices with /sku, or "
                "enrol by code with <code>/enroll {id} A1 A2</code>.",
                id=campaign.id,
            )
        )
    buttons: list[Button] = []
    for row in page.rows:
        mark = "✅ " if row.enrolled else ("" if row.status is PlanStatus.OK else "⚠️ ")
        label = f"{mark}{row.code}"
        if row.planned_price is not None:
            label += f" · {_.money(row.planned_price, currency)}"
        buttons.append((label[:60], encode(TOGGLE, campaign.id, row.sku_id, page.page, mode)))
    rows = chunk(buttons, 2)
    if page.pages > 1:
        nav: list[Button] = []
        if page.page > 0:
            nav.append(("◀", encode(PICK, campaign.id, page.page - 1, mode)))
        nav.append((f"{page.page + 1}/{page.pages}", encode(PICK, campaign.id, page.page, mode)))
        if page.page < page.pages - 1:
            nav.append(("▶", encode(PICK, campaign.id, page.page + 1, mode)))
        rows.append(nav)
    if page.eligible_to_add:
        rows.append(
            [
                (
                    _("➕ Enrol all eligible ({n})", n=page.eligible_to_add),
                    encode(ENROL_ALL, campaign.id, mode),
                )
            ]
        )
    rows.append([(_("📋 Plan"), encode(PLAN, campaign.id)), back_button(_, campaign.id)])
    return "\n".join(lines), keyboard(rows)


def enrol_result(
    _: Translator, campaign: models.Campaign, result: EnrolResult, currency: str
) -> Rendered:
    if not result.rows:
        return (
            _("Nothing to enrol: no listed SKU that is not enrolled yet fits this campaign."),
            keyboard([[back_button(_, campaign.id)]]),
        )
    lines = []
    if result.added:
        lines.append(
            _(
                "✅ Enrolled {skus} in {name}.",
                skus=_.ngettext("{n} SKU", "{n} SKUs", result.added),
                name=h(campaign.name),
            )
        )
    if result.updated:
        lines.append(
            _(
                "✏️ Re-priced {skus} already enrolled.",
                skus=_.ngettext("{n} SKU", "{n} SKUs", result.updated),
            )
        )
    shown = result.rows[:15]
    for row in shown:
        lines.append(enrol_line(_, row, currency))
    if len(result.rows) > len(shown):
        lines.append(
            _(
                "… and {n} more: /plan {id} has them all.",
                n=len(result.rows) - len(shown),
                id=campaign.id,
            )
        )
    return "\n".join(lines), keyboard(
        [[(_("📋 Plan"), encode(PLAN, campaign.id)), back_button(_, campaign.id)]]
    )


def enrol_line(_: Translator, row: PlanRow, currency: str) -> str:
    code = f"<code>{h(row.code)}</code>"
    if row.status is PlanStatus.OK and row.planned_price is not None:
        if row.margin is not None:
            return _(
                "• {sku} at {price}, margin {margin}",
                sku=code,
                price=_.money(row.planned_price, currency),
                margin=_.percent(row.margin),
            )
        return _("• {sku} at {price}", sku=code, price=_.money(row.planned_price, currency))
    if row.planned_price is not None:
        return _(
            "• ⚠️ {sku} at {price}: {status}",
            sku=code,
            price=_.money(row.planned_price, currency),
            status=status_label(_, row.status),
        )
    return _("• ⚠️ {sku}: {status}", sku=code, status=status_label(_, row.status))


def unenrolled(_: Translator, campaign: models.Campaign, removed: int) -> Rendered:
    return (
        _(
            "Took {skus} out of {name}.",
            skus=_.ngettext("{n} SKU", "{n} SKUs", removed),
            name=h(campaign.name),
        ),
        None,
    )
