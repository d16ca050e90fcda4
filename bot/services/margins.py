"""Margin warnings (SPEC §5): a planned price under its floor is reported once per
change of state, with its cause; and a daily digest at 09:00 team time while any
problem remains.

`recheck_margins` is called after anything that can move a planned price under its
floor — FX refresh, a cost, fee, listing or plan change — in the caller's
transaction, and by the daily scan. It prices the enrolled SKUs of upcoming and
running campaigns exactly as the plan does (`bot.services.plan.price_items`), so a
warning and the plan always agree.

A SKU is *under its floor* when its plan status is ``below_floor`` (the planned
seller price is under the floor, or even the list price is), ``cannot_reach_min_depth``
(the campaign's minimum discount — the suggested price — now breaks the floor),
``no_grid_price`` (no price on the channel's price grid lies between the floor and the
price the minimum discount allows) or ``no_price`` (fees plus the target margin reach
100 %). With no FX rate or no list price the state is unknown and left as it was.

`Enrolment.below_floor` remembers the state; `Enrolment.last_inputs` the inputs
(FX rate with its source, costs, fees, prices, margin target) when the state last
changed, so a warning can say what moved since the SKU was last fine ("FX moved from …
to …"), and a counter that makes each change's notice key unique (two processes
rechecking at once queue it once).

**One cause, one message** (SPEC §5). A call of `recheck_margins` is one cause — an FX
refresh (one call per team), one edit, one import, one manual rate. Its changes are
written as ONE outbox notice per campaign (and target), whose payload lists every SKU
that crossed its floor either way: ``skus`` (code, name, direction, prices, the causes
of its own), ``causes`` (each distinct cause once) and ``shared`` (those every SKU has,
told once). The key is made of the changes themselves — the first enrolment's id and
counter, plus the number and a hash of all of them — so a second process that sees the
same changes queues the same key. The view lists the first 20 SKUs and attaches a file
with all of them when there are more (`bot.services.notices`).

**Priced without a rate.** A SKU enrolled while its FX rate is missing cannot be
judged; it is marked as waiting for the rate (``last_inputs = {"status":
"no_fx_rate"}``). When the rate arrives (an ECB refresh, a manual rate) and the SKU is
under its floor, it is warned about at once, with the new rate and its source as the
cause — not left to the next digest.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.db import models
from bot.db.uow import UnitOfWork, UnitOfWorkFactory
from bot.runtime.cooperative import Turns, heavy_work
from bot.services import plan
from bot.services.outbox import NoticeKind, enqueue
from bot.services.pricing_inputs import load_fx_table
from bot.services.rate_sources import ManualRate, manual_rates, quote_sources, sources_to_json
from bot.services.reminders import campaign_prefix

log = logging.getLogger(__name__)

PROBLEMS = frozenset(
    {
        plan.PlanStatus.BELOW_FLOOR,
        plan.PlanStatus.CANNOT_REACH_MIN_DEPTH,
        plan.PlanStatus.NO_GRID_PRICE,
        plan.PlanStatus.NO_PRICE,
    }
)
UNKNOWN = frozenset({plan.PlanStatus.NO_FX_RATE, plan.PlanStatus.NO_LIST_PRICE})
FLUSH_EVERY = 200  # enrolments rechecked between flushes
AWAITING_RATE = plan.PlanStatus.NO_FX_RATE.value  # last_inputs of a SKU priced without a rate
DIGEST_AT = time(9, 0)
DIGEST_KEEP = timedelta(hours=12)  # a digest delayed by downtime is still worth sending
# inputs compared to explain a change, in the order the causes are told
CAUSE_KEYS: tuple[str, ...] = (
    "fx",
    "cost",
    "duty",
    "fees",
    "fees_fixed",
    "list_price",
    "planned",
    "target",
    "buffer",
    "subsidy",
    "grid",
)


@dataclass(frozen=True, slots=True)
class MarginCheck:
    checked: int = 0
    warned: int = 0
    recovered: int = 0


def num(value: Decimal | None) -> str | None:
    """A Decimal as plain text without trailing zeros (7.10 and 7.1 compare equal)."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def significant(value: Decimal, digits: int = 8) -> Decimal:
    if not value:
        return value
    return value.quantize(Decimal(1).scaleb(value.adjusted() - digits + 1))


def _inputs(
    pricing: plan.CampaignPricing,
    sku: plan.SkuData,
    choice: plan.PriceChoice,
    row: plan.PlanRow,
    manual: Mapping[frozenset[str], ManualRate],
) -> dict[str, Any]:
    channel = pricing.context.channel
    quote = pricing.context.quote(sku.cost_currency)
    fx = fx_inverse = None
    sources: list[dict[str, Any]] = []
    if quote is not None and not quote.is_identity:
        fx = num(significant(quote.rate))
        fx_inverse = num(significant(quote.denominator / quote.numerator))
        sources = sources_to_json(quote_sources(quote, manual))
    subsidy = pricing.subsidy
    return {
        "status": row.status.value,
        "mode": choice.mode.value,
        "currency": pricing.currency,
        "cost_currency": sku.cost_currency,
        "fx": fx,
        "fx_inverse": fx_inverse,
        "fx_date": None if quote is None or quote.as_of is None else quote.as_of.isoformat(),
        "fx_source": sources,
        "cost": num(sku.unit_cost + sku.packaging + sku.first_mile + sku.other_cost),
        "duty": num(sku.duty_rate),
        "fees": num(channel.percent_fees),
        "fees_fixed": num(channel.fixed_fees),
        "list_price": num(row.list_price),
        "planned": num(row.planned_price),
        "floor": num(row.floor),
        "customer_floor": num(row.customer_floor),
        "margin": num(row.margin),
        "target": num(pricing.target_margin),
        "buffer": num(pricing.team.fx_buffer),
        "subsidy": f"{subsidy.kind.value}:{num(subsidy.amount)}:{num(subsidy.share)}:"
        f"{num(subsidy.cap)}",
        "grid": f"{num(channel.grid.step)}:{channel.grid.endings_text()}",
    }


def causes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What moved between two input snapshots, as data the view words."""
    if before.get("status") == AWAITING_RATE and after.get("fx") is not None:
        return [
            {
                "kind": "fx_arrived",
                "pair": [after.get("cost_currency"), after.get("currency")],
                "to": after["fx"],
                "to_inverse": after.get("fx_inverse"),
                "to_source": after.get("fx_source") or [],
            }
        ]
    found = []
    for key in CAUSE_KEYS:
        old, new = before.get(key), after.get(key)
        if old is not None and new is not None and old != new:
            cause: dict[str, Any] = {"kind": key, "from": old, "to": new}
            if key == "fx":
                cause["pair"] = [after.get("cost_currency"), after.get("currency")]
                cause["date"] = after.get("fx_date")
                cause["from_inverse"] = before.get("fx_inverse")
                cause["to_inverse"] = after.get("fx_inverse")
                if before.get("fx_source"):
                    cause["from_source"] = before["fx_source"]
                cause["to_source"] = after.get("fx_source") or []
            elif key == "cost":
                cause["currency"] = after.get("cost_currency")
            elif key in ("fees_fixed", "list_price", "planned"):
                cause["currency"] = after.get("currency")
            found.append(cause)
    return found


@dataclass(frozen=True, slots=True)
class _Change:
    """One SKU whose state changed in this recheck."""

    enrolment_id: int
    seq: int
    sku: plan.SkuData
    row: plan.PlanRow
    below: bool
    inputs: Mapping[str, Any]
    causes: list[dict[str, Any]]


async def recheck_margins(
    uow: UnitOfWork,
    team_id: int,
    now: datetime,
    *,
    campaign_ids: Iterable[int] | None = None,
    sku_ids: Iterable[int] | None = None,
) -> MarginCheck:
    """Recompute enrolled SKUs of upcoming and running campaigns (optionally only these)
    and queue one notice per campaign naming every SKU whose state changed — this call
    is one cause."""
    team = await uow.session.get(models.Team, team_id)
    if team is None:
        return MarginCheck()
    query = select(models.Campaign).where(
        models.Campaign.team_id == team_id, models.Campaign.ends_at > now
    )
    if campaign_ids is not None:
        query = query.where(models.Campaign.id.in_(list(campaign_ids)))
    campaigns = (await uow.session.scalars(query.order_by(models.Campaign.id))).all()
    if not campaigns:
        return MarginCheck()
    skus = None if sku_ids is None else list(sku_ids)
    fx = await load_fx_table(uow, team_id)
    manual = await manual_rates(uow, team_id)
    checked = warned = recovered = 0
    for campaign in campaigns:
        enrolled = await plan.enrolled_items(uow, campaign, skus)
        if not enrolled:
            continue
        pricing = await plan.campaign_pricing(uow, team, campaign, fx=fx)
        found = await plan.listings(uow, campaign, [sku.id for sku, _ in enrolled])
        items = [plan.PlanItem(sku, found.get(sku.id), choice) for sku, choice in enrolled]
        rows = await plan.price_many(pricing, items)
        enrolments = await plan.enrolments_by_sku(uow, campaign.id, [s.id for s, _ in enrolled])
        changes: list[_Change] = []
        turns = Turns()
        for number, ((sku, choice), row) in enumerate(zip(enrolled, rows, strict=True)):
            await turns.check()
            if number and number % FLUSH_EVERY == 0:
                # the ORM's bookkeeping for thousands of changed rows is CPU work: in
                # bites between turns, not in one long commit at the end
                await uow.session.flush()
            enrolment = enrolments.get(sku.id)
            if enrolment is None:
                continue
            if row.status in UNKNOWN:
                if row.status is plan.PlanStatus.NO_FX_RATE and enrolment.last_inputs is None:
                    # priced without a rate: warn as soon as the rate arrives
                    enrolment.last_inputs = {"status": AWAITING_RATE, "seq": 0}
                continue
            checked += 1
            below = row.status in PROBLEMS
            current = _inputs(pricing, sku, choice, row, manual)
            previous = enrolment.last_inputs
            awaited = previous is not None and previous.get("status") == AWAITING_RATE
            if previous is None or (awaited and not below):
                # first sight (just enrolled, or fine once its rate came): the state, silently
                enrolment.below_floor = below
                enrolment.last_floor = row.floor
                enrolment.last_inputs = {**current, "seq": 0}
                continue
            if enrolment.last_floor != row.floor:
                enrolment.last_floor = row.floor
            if below == enrolment.below_floor and not awaited:
                continue
            seq = int(previous.get("seq", 0)) + 1
            enrolment.below_floor = below
            enrolment.last_inputs = {**current, "seq": seq}
            changes.append(
                _Change(enrolment.id, seq, sku, row, below, current, causes(previous, current))
            )
            if below:
                warned += 1
            else:
                recovered += 1
        if changes:
            await _queue_changes(uow, team, campaign, pricing, changes, now)
    if warned:
        await ensure_digest(uow, team, now)
    return MarginCheck(checked, warned, recovered)


def _cause_id(cause: Mapping[str, Any]) -> str:
    return json.dumps(cause, sort_keys=True, separators=(",", ":"))


def change_key(campaign_id: int, changes: Sequence[tuple[int, int]]) -> str:
    """The notice's key from its changes, (enrolment id, counter) each: one SKU keeps the
    plain ``…:margin:<enrolment>:<counter>``; several add their number and a hash of
    all of them."""
    ordered = sorted(changes)
    first_id, first_seq = ordered[0]
    key = f"{campaign_prefix(campaign_id)}margin:{first_id}:{first_seq}"
    if len(ordered) > 1:
        joined = ",".join(f"{e}:{s}" for e, s in ordered)
        key += f":{len(ordered)}-{hashlib.sha256(joined.encode()).hexdigest()[:12]}"
    return key


async def _queue_changes(
    uow: UnitOfWork,
    team: models.Team,
    campaign: models.Campaign,
    pricing: plan.CampaignPricing,
    changes: Sequence[_Change],
    now: datetime,
) -> None:
    """One notice for the campaign naming every SKU that changed (see the module's notes)."""
    distinct: dict[str, int] = {}
    all_causes: list[dict[str, Any]] = []
    per_sku: list[list[int]] = []
    for change in changes:
        indices = []
        for cause in change.causes:
            ident = _cause_id(cause)
            if ident not in distinct:
                distinct[ident] = len(all_causes)
                all_causes.append(cause)
            if distinct[ident] not in indices:
                indices.append(distinct[ident])
        per_sku.append(indices)
    counts = Counter(i for own in per_sku for i in own)
    shared = [i for i in range(len(all_causes)) if counts[i] == len(per_sku)]
    shared_set = set(shared)
    entries = []
    for change, own in zip(changes, per_sku, strict=True):
        inputs = change.inputs
        entries.append(
            {
                "sku": change.sku.code,
                "name": change.sku.name,
                "enrolment_id": change.enrolment_id,
                "below": change.below,
                "status": change.row.status.value,
                "planned": inputs["planned"],
                "floor": inputs["customer_floor"] or inputs["floor"],
                "margin": inputs["margin"],
                "causes": [i for i in own if i not in shared_set],
            }
        )
    entries.sort(key=lambda e: (not e["below"], e["sku"]))
    await enqueue(
        uow,
        base_key=change_key(campaign.id, [(c.enrolment_id, c.seq) for c in changes]),
        team_id=team.id,
        kind=NoticeKind.MARGIN,
        payload={
            "campaign_id": campaign.id,
            "campaign": campaign.name,
            "currency": pricing.currency,
            "target": num(pricing.target_margin),
            "causes": all_causes,
            "shared": shared,
            "skus": entries,
        },
        due_at=now,
        expires_at=campaign.ends_at,
        now=now,
    )


# -- the daily digest -----------------------------------------------------------------------


def next_local_time(now: datetime, zone: str, at: time = DIGEST_AT) -> datetime:
    """The first `at` (local wall time in `zone`) strictly after `now`, in UTC —
    daylight saving time included (09:00 is 13:00 UTC in New York in summer, 14:00 in
    winter)."""
    tz = ZoneInfo(zone)
    local_day = now.astimezone(tz).date()
    for days in range(3):
        candidate = datetime.combine(local_day + timedelta(days=days), at, tzinfo=tz)
        if candidate.astimezone(UTC) > now:
            return candidate.astimezone(UTC)
    raise AssertionError("unreachable")


def digest_key(team_id: int, day: date) -> str:
    return f"digest:{team_id}:{day.isoformat()}"


async def ensure_digest(uow: UnitOfWork, team: models.Team, now: datetime) -> None:
    """Queue the team's next daily digest (09:00 team time); one key per local day."""
    due = next_local_time(now, team.timezone)
    day = due.astimezone(ZoneInfo(team.timezone)).date()
    await enqueue(
        uow,
        base_key=digest_key(team.id, day),
        team_id=team.id,
        kind=NoticeKind.DIGEST,
        payload={"team_id": team.id, "date": day.isoformat()},
        due_at=due,
        expires_at=due + DIGEST_KEEP,
        now=now,
    )


async def teams_with_problems(uow: UnitOfWork, now: datetime) -> list[int]:
    rows = await uow.session.scalars(
        select(models.Campaign.team_id)
        .join(models.Enrolment, models.Enrolment.campaign_id == models.Campaign.id)
        .where(models.Enrolment.below_floor.is_(True), models.Campaign.ends_at > now)
        .distinct()
    )
    return sorted(rows.all())


async def ensure_digests(uow: UnitOfWork, now: datetime) -> int:
    teams = await teams_with_problems(uow, now)
    for team_id in teams:
        team = await uow.session.get(models.Team, team_id)
        if team is not None:
            await ensure_digest(uow, team, now)
    return len(teams)


@dataclass(frozen=True, slots=True)
class Problem:
    campaign_id: int
    campaign: str
    currency: str
    row: plan.PlanRow


async def current_problems(uow: UnitOfWork, team_id: int, now: datetime) -> list[Problem]:
    """Enrolled SKUs of running and upcoming campaigns under their floor right now (those
    the last check flagged, priced again)."""
    team = await uow.session.get(models.Team, team_id)
    if team is None:
        return []
    flagged = (
        await uow.session.execute(
            select(models.Campaign, models.Enrolment.sku_id)
            .join(models.Enrolment, models.Enrolment.campaign_id == models.Campaign.id)
            .where(
                models.Campaign.team_id == team_id,
                models.Campaign.ends_at > now,
                models.Enrolment.below_floor.is_(True),
            )
            .order_by(models.Campaign.starts_at, models.Campaign.id)
        )
    ).all()
    by_campaign: dict[int, tuple[models.Campaign, list[int]]] = {}
    for campaign, sku_id in flagged:
        by_campaign.setdefault(campaign.id, (campaign, []))[1].append(sku_id)
    problems: list[Problem] = []
    fx = await load_fx_table(uow, team_id) if by_campaign else None
    for campaign, sku_ids in by_campaign.values():
        pricing = await plan.campaign_pricing(uow, team, campaign, fx=fx)
        enrolled = await plan.enrolled_items(uow, campaign, sku_ids)
        found = await plan.listings(uow, campaign, [sku.id for sku, _ in enrolled])
        items = [plan.PlanItem(sku, found.get(sku.id), choice) for sku, choice in enrolled]
        for row in await plan.price_many(pricing, items):
            if row.status in PROBLEMS:
                problems.append(Problem(campaign.id, campaign.name, pricing.currency, row))
    return problems


# -- scans ------------------------------------------------------------------------------------


async def teams_with_plans(uow: UnitOfWork, now: datetime) -> list[int]:
    rows = await uow.session.scalars(
        select(models.Campaign.team_id)
        .join(models.Enrolment, models.Enrolment.campaign_id == models.Campaign.id)
        .where(models.Campaign.ends_at > now)
        .distinct()
    )
    return sorted(rows.all())


async def recheck_all(uow_factory: UnitOfWorkFactory, now: datetime) -> MarginCheck:
    """Recheck every team with a plan, one transaction per team (one team's trouble
    does not hold up the others)."""
    async with uow_factory() as uow:
        team_ids = await teams_with_plans(uow, now)
    total = MarginCheck()
    for team_id in team_ids:
        try:
            async with heavy_work(), uow_factory() as uow:  # chats' plans take turns with it
                result = await recheck_margins(uow, team_id, now)
                await uow.commit()
        except Exception:
            log.exception("margin recheck failed for team %s", team_id)
            continue
        total = MarginCheck(
            total.checked + result.checked,
            total.warned + result.warned,
            total.recovered + result.recovered,
        )
    return total
