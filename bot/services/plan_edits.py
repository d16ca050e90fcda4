"""Planned campaign prices changed in bulk — from the plan file sent back (issue 13), and
reusable by any other bulk editor (the Mini App): preview, then apply all or nothing.

`preview_price_changes(uow, access, campaign, edits, now)` prices every edit as the plan
would (`plan.price_items`): per SKU the old and new campaign price, the new margin and
status; the edits that would put a SKU under its floor (`campaigns.under_floor`) are
listed apart. Unknown SKUs, SKUs not enrolled, duplicates, a price above the list price
are refused by row. Nothing is written except the held change (`pending_changes`, kind
`PENDING_KIND`) that the confirmation names.

`apply_price_changes(uow, access, pending_id, now, include_under_floor=…)` re-prices the
held edits from current costs, FX and fees and writes them in the caller's transaction:
all of them or none (a SKU unenrolled meanwhile, or newly under its floor, refuses the
whole change). Under-floor edits are written only when confirmed explicitly, and marked
like an enrolment under the floor (`enrolments.under_floor_accepted_at`). One audit row
on the campaign, then the margin checks once for the campaign.

A new price is the seller's own (`PriceMode.PRICE`): it is saved as written, even off
the channel's price grid — the preview says so and names the grid prices around it. A
new discount (`PriceMode.DISCOUNT`) derives the price and rounds it down to the grid,
like a discount typed with /enrol.

`preview_plan_file` reads a plan file's rows (bot/services/plan_file.py) as edits: it
checks the file is this team's and its token matches the campaign, and takes a row as a
change only where the file's price (or discount) differs from what it was at export and
from the plan now — so a second upload of the same file changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, localcontext
from typing import Any

from bot.db import models
from bot.db.uow import UnitOfWork
from bot.domain.errors import N_, Conflict, NotAllowed, UserInputError
from bot.domain.permissions import Action
from bot.pricing import InputProblem
from bot.pricing._exact import EXACT, floor_to_minor
from bot.pricing.grid import PriceGrid
from bot.services import margins, pending
from bot.services.access import TeamAccess
from bot.services.campaigns import audit, get_campaign, under_floor
from bot.services.catalogue_file import RowError
from bot.services.plan import (
    DISCOUNT_DIGITS,
    CampaignPricing,
    ListingPrices,
    PlanItem,
    PlanRow,
    PlanStatus,
    PriceChoice,
    PriceMode,
    SkuData,
    campaign_pricing,
    enrolled_items,
    enrolments_by_sku,
    listings,
    price_items,
    team_skus,
)
from bot.services.plan_file import PlanUpload, plan_token

PENDING_KIND = "planprices"
AUDIT_ACTION = "prices_file"
# problems of an edit, beyond the engine's InputProblem (bot/views/plan_file.py words them)
UNKNOWN_SKU = "unknown_sku"
NOT_ENROLLED = "not_enrolled"
ABOVE_LIST_PRICE = "above_list_price"
NO_LIST_PRICE = "no_list_price_for_discount"
CONTRADICTS = "contradicts"


@dataclass(frozen=True, slots=True)
class PriceEdit:
    """A SKU's new campaign price, or its new discount (a fraction), for one campaign.
    `row` and `columns` place a refusal in a file (None from other editors)."""

    code: str
    price: Decimal | None = None
    discount: Decimal | None = None
    row: int | None = None


@dataclass(frozen=True, slots=True)
class PriceChangeLine:
    code: str
    row: int | None
    old_price: Decimal | None
    new_price: Decimal | None
    old_margin: Decimal | None
    new_margin: Decimal | None
    status: PlanStatus  # at the new price
    floor: Decimal | None
    customer_floor: Decimal | None
    mode: PriceMode
    discount: Decimal | None  # a new discount (DISCOUNT mode)
    off_grid: tuple[Decimal | None, Decimal | None] | None = None  # grid prices around it


@dataclass(frozen=True, slots=True)
class PriceChangesPreview:
    campaign: models.Campaign
    currency: str
    grid: PriceGrid
    target_margin: Decimal
    changes: list[PriceChangeLine]  # keep the margin
    under_floor: list[PriceChangeLine]  # need an explicit confirmation
    unchanged: int
    errors: list[RowError]
    pending_id: int | None  # None: errors, or nothing to change

    @property
    def total(self) -> int:
        return len(self.changes) + len(self.under_floor)


@dataclass(frozen=True, slots=True)
class PriceChangesResult:
    campaign: models.Campaign
    currency: str
    applied: list[PriceChangeLine]
    accepted_under_floor: list[str]  # codes written under the floor, as confirmed
    skipped_under_floor: list[str]  # codes left as they were
    source: str = ""


@dataclass(slots=True)
class _Current:
    """The campaign's enrolled SKUs priced now, by code (and case-folded code)."""

    pricing: CampaignPricing
    listings: dict[int, ListingPrices] = field(default_factory=dict)  # by SKU id
    rows: dict[str, PlanRow] = field(default_factory=dict)
    skus: dict[str, SkuData] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)

    def code_of(self, code: str) -> str | None:
        if code in self.rows:
            return code
        return self.folded.get(code.casefold())


async def _current(uow: UnitOfWork, access: TeamAccess, campaign: models.Campaign) -> _Current:
    pricing = await campaign_pricing(uow, access.team, campaign)
    enrolled = await enrolled_items(uow, campaign)
    found = await listings(uow, campaign, [sku.id for sku, _ in enrolled])
    items = [PlanItem(sku, found.get(sku.id), choice) for sku, choice in enrolled]
    current = _Current(pricing, found)
    for (sku, _choice), row in zip(enrolled, price_items(pricing, items), strict=True):
        current.rows[sku.code] = row
        current.skus[sku.code] = sku
        current.folded.setdefault(sku.code.casefold(), sku.code)
    return current


def _error(edit: PriceEdit, column: str, problem: str, value: object) -> RowError:
    return RowError(edit.row or 0, column, problem, "" if value is None else str(value))


async def preview_price_changes(
    uow: UnitOfWork,
    access: TeamAccess,
    campaign: models.Campaign,
    edits: Sequence[PriceEdit],
    now: datetime,
    *,
    source: str = "",
    columns: dict[str, str] | None = None,
    unchanged: int = 0,
    errors: Sequence[RowError] = (),
) -> PriceChangesPreview:
    """Price `edits` against the plan now and hold them for confirmation (see the
    module docstring). `columns` names the file's columns for refusals (key → header);
    `unchanged` and `errors` carry what the caller already sorted out."""
    access.require(Action.EDIT_CAMPAIGN)
    current = await _current(uow, access, campaign)
    return await _preview(uow, access, current, edits, now, source, columns, unchanged, errors)


async def _preview(
    uow: UnitOfWork,
    access: TeamAccess,
    current: _Current,
    edits: Sequence[PriceEdit],
    now: datetime,
    source: str,
    columns: dict[str, str] | None,
    unchanged: int,
    errors: Sequence[RowError],
) -> PriceChangesPreview:
    names = columns or {}
    column = {key: names.get(key, key) for key in ("sku", "new_price", "discount")}
    pricing = current.pricing
    campaign = pricing.campaign
    found_errors = list(errors)
    wanted: list[tuple[PriceEdit, str, PriceChoice]] = []
    seen: set[str] = set()
    unknown = [e for e in edits if current.code_of(e.code) is None]
    in_team = {
        sku.code.casefold()
        for sku in await team_skus(uow, access.team_id, codes=[e.code for e in unknown])
    }
    for edit in edits:
        code = current.code_of(edit.code)
        if code is None:
            problem = NOT_ENROLLED if edit.code.casefold() in in_team else UNKNOWN_SKU
            found_errors.append(_error(edit, column["sku"], problem, edit.code))
            continue
        if code in seen:
            found_errors.append(_error(edit, column["sku"], InputProblem.DUPLICATE, edit.code))
            continue
        seen.add(code)
        row = current.rows[code]
        if edit.price is not None:
            if row.list_price is not None and edit.price > row.list_price:
                found_errors.append(_error(edit, column["new_price"], ABOVE_LIST_PRICE, edit.price))
                continue
            choice = PriceChoice(PriceMode.PRICE, price=edit.price)
        elif edit.discount is not None:
            if row.reference_price is None:
                found_errors.append(_error(edit, column["discount"], NO_LIST_PRICE, code))
                continue
            choice = PriceChoice(PriceMode.DISCOUNT, discount=edit.discount)
        else:
            unchanged += 1
            continue
        wanted.append((edit, code, choice))
    lines = _price_edits(current, wanted)
    changes: list[PriceChangeLine] = []
    below: list[PriceChangeLine] = []
    payload_changes: list[dict[str, Any]] = []
    for (edit, code, choice), (line, is_under) in zip(wanted, lines, strict=True):
        if line.new_price == line.old_price and line.new_price is not None:
            unchanged += 1
            continue
        (below if is_under else changes).append(line)
        payload_changes.append(
            {
                "sku_id": current.skus[code].id,
                "code": code,
                "row": edit.row,
                "mode": choice.mode.value,
                "price": None if choice.price is None else format(choice.price, "f"),
                "discount": None if choice.discount is None else format(choice.discount, "f"),
                "under_floor": is_under,
            }
        )
    found_errors.sort(key=lambda e: (e.row, e.column))
    pending_id = None
    if not found_errors and payload_changes:
        payload = {"campaign_id": campaign.id, "source": source[:256], "changes": payload_changes}
        pending_id = await pending.hold(uow, access, PENDING_KIND, payload, now)
    return PriceChangesPreview(
        campaign,
        pricing.currency,
        pricing.context.grid,
        pricing.target_margin,
        [] if found_errors else changes,
        [] if found_errors else below,
        unchanged,
        found_errors,
        pending_id,
    )


def _price_edits(
    current: _Current, wanted: Sequence[tuple[PriceEdit, str, PriceChoice]]
) -> list[tuple[PriceChangeLine, bool]]:
    """Each edit priced as the plan prices it: the line, and whether it is under the floor."""
    pricing = current.pricing
    if not wanted:
        return []
    items = []
    for _edit, code, choice in wanted:
        sku = current.skus[code]
        items.append(PlanItem(sku, current.listings.get(sku.id), choice))
    priced = price_items(pricing, items)
    grid = pricing.context.grid
    result = []
    for (edit, code, choice), new in zip(wanted, priced, strict=True):
        old = current.rows[code]
        off_grid = None
        price = choice.price
        if choice.mode is PriceMode.PRICE and price is not None and not grid.contains(price):
            off_grid = (grid.down(price), grid.up(price))
        # a price of the seller's own is the price even where the plan cannot judge it
        # (no FX rate yet): it is saved, and priced once the rate is there
        new_price = new.planned_price if new.planned_price is not None else choice.price
        line = PriceChangeLine(
            code,
            edit.row,
            old.planned_price,
            new_price,
            old.margin,
            new.margin,
            new.status,
            new.floor,
            new.customer_floor,
            choice.mode,
            choice.discount,
            off_grid,
        )
        result.append((line, under_floor(new)))
    return result


async def apply_price_changes(
    uow: UnitOfWork,
    access: TeamAccess,
    pending_id: int,
    now: datetime,
    *,
    include_under_floor: bool,
) -> PriceChangesResult | None:
    """Write a previewed change, all or nothing (see the module docstring). None: the
    held change is gone (used, cancelled, stale, or someone else's)."""
    access.require(Action.EDIT_CAMPAIGN)
    payload = await pending.take(uow, access, pending_id, PENDING_KIND, now)
    if payload is None:
        return None
    campaign = await get_campaign(uow, access.team_id, int(payload["campaign_id"]))
    current = await _current(uow, access, campaign)
    by_id = {sku.id: code for code, sku in current.skus.items()}
    wanted: list[tuple[PriceEdit, str, PriceChoice]] = []
    flagged: dict[str, bool] = {}
    for change in payload["changes"]:
        code = by_id.get(int(change["sku_id"]))
        if code is None:
            raise Conflict(_CHANGED_SINCE)
        price, discount = change.get("price"), change.get("discount")
        choice = PriceChoice(
            PriceMode(change["mode"]),
            None if price is None else Decimal(price),
            None if discount is None else Decimal(discount),
        )
        flagged[code] = bool(change.get("under_floor"))
        wanted.append((PriceEdit(code, row=change.get("row")), code, choice))
    priced = _price_edits(current, wanted)
    applied: list[tuple[str, PriceChoice, PriceChangeLine, bool]] = []
    skipped: list[str] = []
    for (_edit, code, choice), (line, is_under) in zip(wanted, priced, strict=True):
        if is_under and not flagged[code]:
            raise Conflict(_CHANGED_SINCE)  # it was fine in the preview: ask again
        if is_under and not include_under_floor:
            skipped.append(code)
            continue
        applied.append((code, choice, line, is_under))
    ids = [current.skus[code].id for code, *_ in applied]
    enrolments = await enrolments_by_sku(uow, campaign.id, ids)
    for code, choice, line, is_under in applied:
        enrolment = enrolments.get(current.skus[code].id)
        if enrolment is None:
            raise Conflict(_CHANGED_SINCE)
        enrolment.price_mode = choice.mode.value
        enrolment.planned_price = line.new_price
        enrolment.planned_discount = choice.discount
        enrolment.under_floor_accepted_at = now if is_under else None
        if is_under:  # the seller was just told: the margin check takes it in silently
            enrolment.last_inputs = None
        enrolment.updated_at = now
    accepted = [code for code, _c, _l, is_under in applied if is_under]
    if applied:
        await uow.session.flush()
        audit(
            uow,
            campaign.id,
            access.team_id,
            access.user.id,
            now,
            AUDIT_ACTION,
            {
                "source": payload.get("source", ""),
                "prices": {
                    code: [_plain(line.old_price), _plain(line.new_price)]
                    for code, _c, line, _u in applied
                },
                "under_floor": accepted,
                "skipped_under_floor": skipped,
            },
        )
        await margins.recheck_margins(uow, access.team_id, now, campaign_ids=[campaign.id])
    return PriceChangesResult(
        campaign,
        current.pricing.currency,
        [line for _code, _c, line, _u in applied],
        accepted,
        skipped,
        str(payload.get("source", "")),
    )


_CHANGED_SINCE = N_(
    "The plan changed since the preview (a SKU was removed, or costs, FX or fees moved a "
    "price under its floor). Send the file again to see the changes as they are now."
)


def _plain(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


async def cancel_price_changes(
    uow: UnitOfWork, access: TeamAccess, pending_id: int, now: datetime
) -> bool:
    """Drop a previewed change; False when it is already gone."""
    access.require(Action.EDIT_CAMPAIGN)
    return await pending.take(uow, access, pending_id, PENDING_KIND, now) is not None


# --- the plan file ----------------------------------------------------------------------------
async def preview_plan_file(
    uow: UnitOfWork,
    access: TeamAccess,
    upload: PlanUpload,
    filename: str,
    now: datetime,
    *,
    expected_campaign_id: int | None = None,
) -> PriceChangesPreview:
    """A plan file sent back, previewed: refused when it names no campaign, another
    team's, a token that does not match, or (sent as a reply to a plan) another
    campaign than `expected_campaign_id`."""
    access.require(Action.EDIT_CAMPAIGN)
    ref = upload.ref
    if ref is None:
        raise UserInputError(
            N_(
                "This plan file does not say which campaign it is for (its identity cell "
                "was changed or removed). Export the plan again with /plan and edit that file."
            )
        )
    if ref.team_id != access.team_id:
        raise NotAllowed(
            N_(
                "This plan file belongs to another team, so I cannot change {team}'s plan "
                "with it. Switch to that team with /team, or send it in that team's group."
            ),
            team=access.team.name,
        )
    if expected_campaign_id is not None and expected_campaign_id != ref.campaign_id:
        raise UserInputError(
            N_(
                "This file is the plan of campaign #{file_id}, not of #{campaign_id} you "
                "replied to. Send it as a reply to that campaign's plan, or in a private chat."
            ),
            file_id=ref.campaign_id,
            campaign_id=expected_campaign_id,
        )
    campaign = await uow.session.get(models.Campaign, ref.campaign_id)
    if (
        campaign is None
        or campaign.team_id != access.team_id
        or plan_token(campaign.team_id, campaign.id, campaign.created_at) != ref.token
    ):
        raise UserInputError(
            N_(
                "This plan file does not match any campaign of {team}: its campaign was "
                "deleted, or the file's identity was changed. Export the plan again with /plan."
            ),
            team=access.team.name,
        )
    current = await _current(uow, access, campaign)
    currency = current.pricing.currency
    if upload.currency is not None and upload.currency != currency:
        raise UserInputError(
            N_(
                "This plan file has prices in {file_currency}, but campaign #{id} now sells "
                "in {currency}. Export the plan again with /plan {id}."
            ),
            file_currency=upload.currency,
            currency=currency,
            id=campaign.id,
        )
    edits: list[PriceEdit] = []
    errors = list(upload.errors)
    unchanged = 0
    for row in upload.rows:
        code = current.code_of(row.code)
        now_row = current.rows.get(code) if code is not None else None
        edit = _file_edit(row, now_row, upload, errors)
        if edit is None:
            unchanged += 1
        else:
            edits.append(edit)
    return await _preview(
        uow, access, current, edits, now, filename, upload.columns, unchanged, errors
    )


def _implied_discount(price: Decimal | None, reference: Decimal | None) -> Decimal | None:
    """The discount a price gives off the reference, as the plan rounds it (down, 0.01 %)."""
    if price is None or reference is None or reference <= 0:
        return None
    with localcontext(EXACT):
        return floor_to_minor(reference - price, reference, DISCOUNT_DIGITS)


def _file_edit(
    row: Any, now_row: PlanRow | None, upload: PlanUpload, errors: list[RowError]
) -> PriceEdit | None:
    """The edit a file row asks for, or None when it asks for none. A cell is edited when
    it differs from the file's own value at export (a stale but untouched row changes
    nothing) and from the plan now (uploading the same file twice changes nothing)."""
    if now_row is None:  # unknown or not enrolled: the preview says which, by row
        if row.new_price is None and row.discount is None:
            return None
        return PriceEdit(row.code, price=row.new_price, discount=row.discount, row=row.row)
    exported = row.exported_price
    baseline = exported if exported is not None else now_row.planned_price
    price_edited = (
        row.new_price is not None
        and row.new_price != baseline
        and row.new_price != now_row.planned_price
    )
    at_export = _implied_discount(baseline, now_row.reference_price)
    discount_edited = (
        row.discount is not None
        and at_export is not None
        and row.discount != at_export
        and row.discount != now_row.discount
    )
    if price_edited and discount_edited:
        implied = _implied_discount(row.new_price, now_row.reference_price)
        if implied != row.discount:
            errors.append(
                RowError(
                    row.row,
                    upload.column("new_price"),
                    CONTRADICTS,
                    format(row.new_price, "f"),
                )
            )
            return None
    if price_edited:
        return PriceEdit(row.code, price=row.new_price, row=row.row)
    if discount_edited:
        return PriceEdit(row.code, discount=row.discount, row=row.row)
    return None
