"""Enrolment screens: the price-mode question, the SKU picker, and the answers to /enroll and
/unenroll. Callback actions and the shared formatting live in bot/views/campaigns.py."""

from __future__ import annotations

from decimal import Decimal

from bot.db import models
from bot.i18n import Translator
from bot.services.campaigns import EnrolResult, HeldEnrolment, PickerPage
from bot.services.plan import PlanRow, PlanStatus, PriceChoice, PriceMode
from bot.views.callbacks import encode, stamp
from bot.views.campaigns import (
    ENROL_ALL,
    PICK,
    PLAN,
    STATUS_ICONS,
    TOGGLE,
    UNDER_FLOOR,
    back_button,
    status_label,
)
from bot.views.common import Button, Rendered, chunk, h, keyboard

PICKER_DISCOUNTS = ("10", "15", "20", "25", "30")
CODES_SHOWN = 10  # SKU codes per reason; then "and N more"


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
    seal = stamp(campaign.created_at)
    rows = [[(_("Deepest safe discount"), encode(PICK, campaign.id, 0, "m", seal))]]
    rows += chunk(
        [
            (_.percent(Decimal(p).scaleb(-2)), encode(PICK, campaign.id, 0, f"d{p}", seal))
            for p in PICKER_DISCOUNTS
        ],
        5,
    )
    rows.append([back_button(_, campaign.id)])
    return text, keyboard(rows)


def picker(_: Translator, page: PickerPage, currency: str) -> Rendered:
    campaign, mode = page.campaign, choice_code(page.choice)
    seal = stamp(campaign.created_at)  # every button names the campaign it was made for
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
        fits = row.status is PlanStatus.OK
        mark = ("✅ " if fits else "✅⚠️ ") if row.enrolled else ("" if fits else "⚠️ ")
        label = f"{mark}{row.code}"
        if row.planned_price is not None:
            label += f" · {_.money(row.planned_price, currency)}"
        buttons.append((label[:60], encode(TOGGLE, campaign.id, row.sku_id, page.page, mode, seal)))
    rows = chunk(buttons, 2)
    if page.pages > 1:
        nav: list[Button] = []
        if page.page > 0:
            nav.append(("◀", encode(PICK, campaign.id, page.page - 1, mode, seal)))
        nav.append(
            (f"{page.page + 1}/{page.pages}", encode(PICK, campaign.id, page.page, mode, seal))
        )
        if page.page < page.pages - 1:
            nav.append(("▶", encode(PICK, campaign.id, page.page + 1, mode, seal)))
        rows.append(nav)
    if page.eligible_to_add:
        rows.append(
            [
                (
                    _("➕ Enrol all eligible ({n})", n=page.eligible_to_add),
                    encode(ENROL_ALL, campaign.id, mode, seal),
                )
            ]
        )
    rows.append([(_("📋 Plan"), encode(PLAN, campaign.id)), back_button(_, campaign.id)])
    return "\n".join(lines), keyboard(rows)


def enrol_result(
    _: Translator, campaign: models.Campaign, result: EnrolResult, currency: str
) -> Rendered:
    lines = []
    if not result.rows and not result.held:
        lines.append(
            _("Nothing to enrol: no listed SKU that is not enrolled yet fits this campaign.")
        )
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
    if result.left_out:
        lines += ["", *left_out_lines(_, result.left_out)]
    if result.held and result.pending_id is not None:
        if lines:
            lines.append("")
        text, buttons = under_floor_question(_, result, currency)
        lines.append(text)
        return "\n".join(lines), buttons
    return "\n".join(lines), keyboard(
        [[(_("📋 Plan"), encode(PLAN, campaign.id)), back_button(_, campaign.id)]]
    )


def codes_text(_: Translator, codes: list[str]) -> str:
    """SKU codes, the first few: "A1, A2, A3 and 9 more"."""
    shown = ", ".join(f"<code>{h(code)}</code>" for code in codes[:CODES_SHOWN])
    hidden = len(codes) - CODES_SHOWN
    if hidden > 0:
        return _("{codes} and {n} more", codes=shown, n=_.number(hidden))
    return shown


def left_out_lines(_: Translator, rows: list[PlanRow]) -> list[str]:
    """Why the listed SKUs were not enrolled: counts per reason (the plan's reasons), with
    the SKU codes."""
    lines = [
        _.ngettext(
            "Not enrolled: {n} listed SKU does not fit.",
            "Not enrolled: {n} listed SKUs do not fit.",
            len(rows),
        )
    ]
    for status in PlanStatus:
        codes = [row.code for row in rows if row.status is status]
        if codes:
            lines.append(
                _(
                    "{icon} {reason} ({count}): {codes}",
                    icon=STATUS_ICONS[status],
                    reason=status_label(_, status),
                    count=_.number(len(codes)),
                    codes=codes_text(_, codes),
                )
            )
    return lines


def under_floor_line(_: Translator, row: PlanRow, currency: str) -> str:
    """Why one SKU's planned price is under its floor, naming the floor."""
    code = f"<code>{h(row.code)}</code>"
    if row.status is PlanStatus.NO_PRICE:
        return _(
            "• {sku}: no price reaches the target margin (fees and margin add up to {limit} or "
            "more).",
            sku=code,
            limit=_.percent(Decimal(1)),
        )
    if row.customer_floor is not None and row.planned_price is not None:
        return _(
            "• {sku} at {price}: the lowest safe price is {floor}.",
            sku=code,
            price=_.money(row.planned_price, currency),
            floor=_.money(row.customer_floor, currency),
        )
    if row.floor is not None and row.list_price is not None:
        return _(
            "• {sku}: even its list price {price} is under its floor of {floor}.",
            sku=code,
            price=_.money(row.list_price, currency),
            floor=_.money(row.floor, currency),
        )
    return _("• {sku}: {status}", sku=code, status=status_label(_, row.status))


def under_floor_question(_: Translator, result: EnrolResult, currency: str) -> Rendered:
    """Held SKUs under their floor: enrol anyway (marked in the plan), or leave them out."""
    assert result.pending_id is not None
    margin = _.percent(result.target_margin) if result.target_margin is not None else "—"
    lines = [
        _.ngettext(
            "⚠️ {n} SKU would be under its floor (the price that keeps the {margin} target margin):",
            "⚠️ {n} SKUs would be under their floor (the price that keeps the {margin} target "
            "margin):",
            len(result.held),
            margin=margin,
        )
    ]
    lines += [under_floor_line(_, row, currency) for row in result.held]
    lines.append(
        _.ngettext(
            "Enrol it anyway? The plan marks it as under the floor.",
            "Enrol them anyway? The plan marks them as under the floor.",
            len(result.held),
        )
    )
    buttons = [
        [
            (_("⚠️ Enrol anyway"), encode(UNDER_FLOOR, result.pending_id, "y")),
            (_("Leave out"), encode(UNDER_FLOOR, result.pending_id, "n")),
        ]
    ]
    return "\n".join(lines), keyboard(buttons)


def under_floor_settled(_: Translator, held: HeldEnrolment, currency: str) -> Rendered:
    """The answer to the question, outside the picker."""
    campaign = held.campaign
    if held.result is None:
        text = _(
            "Left out of {name}: {codes}.", name=h(campaign.name), codes=codes_text(_, held.codes)
        )
        return text, keyboard(
            [[(_("📋 Plan"), encode(PLAN, campaign.id)), back_button(_, campaign.id)]]
        )
    return enrol_result(_, campaign, held.result, currency)


def enrol_line(_: Translator, row: PlanRow, currency: str) -> str:
    code = f"<code>{h(row.code)}</code>"
    if row.under_floor_accepted and row.planned_price is not None:
        return _(
            "• ⛔ {sku} at {price}: under the floor, enrolled anyway",
            sku=code,
            price=_.money(row.planned_price, currency),
        )
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
