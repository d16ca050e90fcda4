"""FX rates (SPEC §3.7): the ECB's daily reference rates, team overrides, refresh.

The European Central Bank publishes EUR-based reference rates on working days at
about 16:00 CET. A daily job fetches the XML feed (`Settings.ecb_url`), stores every
rate with its date (`fx_rates`, source ``ecb``, base ``EUR``; cross rates go through
EUR in `FxTable`), then rechecks every team's planned margins. A failed fetch keeps
the rates already stored — they are shown as stale once older than 3 days — and
never raises out of the job. A team's manual rate (`/fx set USD CNY 7.10`) wins over
the published one.

When the job runs is kept in `job_state` (``fx_refresh``): after each publication
(16:30 Europe/Berlin), an hour after a failure, and at once on the first start. A
conditional update of `last_attempt_at` lets only one of several processes fetch.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import delete, or_, select, update

from bot import limits
from bot.db import models
from bot.db.uow import UnitOfWork, UnitOfWorkFactory
from bot.db.upsert import dialect_insert
from bot.domain.errors import N_, UserInputError
from bot.domain.numbers import ambiguous_number, is_ambiguous
from bot.pricing import (
    FxQuote,
    FxTable,
    InputError,
    InputProblem,
    NumberStyle,
    is_known_currency,
    parse_decimal,
)
from bot.pricing.fx import ECB_SOURCE, MANUAL_SOURCE, STALE_AFTER_DAYS
from bot.services.margins import MarginCheck, recheck_all, recheck_margins
from bot.services.pricing_inputs import load_fx_table
from bot.services.rate_sources import ManualRate, RateSource, manual_rates, quote_sources

log = logging.getLogger(__name__)

FX_JOB = "fx_refresh"
ECB_ZONE = "Europe/Berlin"
PUBLISHED_BY = time(16, 30)  # ECB: "around 16:00 CET"; fetch a little after
RETRY_AFTER_FAILURE = timedelta(hours=1)
MAX_FEED_BYTES = 1_000_000
FETCH_TIMEOUT = 20.0
EXAMPLE_SET = "/fx set USD CNY 7.10"
_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"

Fetch = Callable[[str], Awaitable[bytes]]


class FxFeedError(Exception):
    """The feed could not be read as ECB reference rates."""


def parse_ecb(content: bytes) -> tuple[date, dict[str, Decimal]]:
    """The day and the EUR-based rates of an ECB `eurofxref-daily.xml` document."""
    if len(content) > MAX_FEED_BYTES:
        raise FxFeedError("the feed is too large")
    if b"<!DOCTYPE" in content or b"<!ENTITY" in content:
        raise FxFeedError("the feed declares a DTD")
    try:
        root = ElementTree.fromstring(content)
    except ElementTree.ParseError as exc:
        raise FxFeedError(f"not XML: {exc}") from None
    days = [cube for cube in root.iter(f"{_NS}Cube") if cube.get("time")]
    if not days:
        raise FxFeedError("no dated Cube element")
    newest = max(days, key=lambda cube: cube.get("time") or "")
    try:
        day = date.fromisoformat(newest.get("time") or "")
    except ValueError:
        raise FxFeedError(f"bad date {newest.get('time')!r}") from None
    rates: dict[str, Decimal] = {}
    for cube in newest.iter(f"{_NS}Cube"):
        code, text = cube.get("currency"), cube.get("rate")
        if code is None or text is None:
            continue
        code = code.strip().upper()
        try:
            rate = Decimal(text.strip())
        except InvalidOperation:
            raise FxFeedError(f"bad rate {text!r} for {code}") from None
        if not is_known_currency(code) or code == "EUR":
            continue
        try:  # the bounds a typed rate has (SPEC §4.2)
            limits.check_rate(rate)
        except limits.OutOfBounds:
            raise FxFeedError(f"bad rate {text[:40]!r} for {code}") from None
        rates[code] = rate
    if not rates:
        raise FxFeedError("no rates in the feed")
    return day, rates


async def fetch_feed(url: str) -> bytes:
    async with (
        httpx.AsyncClient(timeout=FETCH_TIMEOUT, follow_redirects=True) as client,
        client.stream("GET", url, headers={"Accept": "application/xml"}) as response,
    ):
        response.raise_for_status()
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_FEED_BYTES:
                raise FxFeedError("the feed is too large")
            chunks.append(chunk)
        return b"".join(chunks)


async def store_rates(uow: UnitOfWork, day: date, rates: dict[str, Decimal], now: datetime) -> int:
    """Insert the day's rates (a day already stored is left as it was). Returns how many
    rows were new."""
    table = models.FxRate.__table__
    statement = (
        dialect_insert(uow.session, table)
        .values(
            [
                {
                    "source": ECB_SOURCE,
                    "base": "EUR",
                    "quote": code,
                    "rate": rate,
                    "rate_date": day,
                    "fetched_at": now,
                }
                for code, rate in sorted(rates.items())
            ]
        )
        .on_conflict_do_nothing(index_elements=["source", "base", "quote", "rate_date"])
    )
    result = await uow.session.execute(statement)
    return max(int(result.rowcount), 0)  # type: ignore[attr-defined]


# -- when to fetch ------------------------------------------------------------------------


def next_publication(after: datetime) -> datetime:
    """The first 16:30 Europe/Berlin strictly after `after` (in UTC)."""
    tz = ZoneInfo(ECB_ZONE)
    local_day = after.astimezone(tz).date()
    for days in range(3):
        candidate = datetime.combine(local_day + timedelta(days=days), PUBLISHED_BY, tzinfo=tz)
        if candidate.astimezone(UTC) > after:
            return candidate.astimezone(UTC)
    raise AssertionError("unreachable")


def refresh_due(state: models.JobState | None, now: datetime) -> bool:
    if state is None or state.last_attempt_at is None:
        return True
    failed = state.last_success_at is None or state.last_attempt_at > state.last_success_at
    if failed:
        return now - state.last_attempt_at >= RETRY_AFTER_FAILURE
    return now >= next_publication(state.last_attempt_at)


async def claim_job(
    uow: UnitOfWork,
    name: str,
    now: datetime,
    due: Callable[[models.JobState | None, datetime], bool],
) -> bool:
    """Record an attempt of job `name` if it is due; True when this caller won (several
    processes may ask at once: the update is conditional on the previous attempt)."""
    state = await uow.session.get(models.JobState, name)
    if not due(state, now):
        return False
    if state is None:
        table = models.JobState.__table__
        result = await uow.session.execute(
            dialect_insert(uow.session, table)
            .values(name=name, last_attempt_at=now)
            .on_conflict_do_nothing(index_elements=["name"])
        )
    else:
        previous = state.last_attempt_at
        condition = (
            models.JobState.last_attempt_at.is_(None)
            if previous is None
            else models.JobState.last_attempt_at == previous
        )
        result = await uow.session.execute(
            update(models.JobState)
            .where(models.JobState.name == name, condition)
            .values(last_attempt_at=now)
            .execution_options(synchronize_session=False)
        )
    await uow.commit()
    return int(result.rowcount) == 1  # type: ignore[attr-defined]


async def record_job(
    uow: UnitOfWork, name: str, now: datetime, *, error: str | None = None
) -> None:
    state = await uow.session.get(models.JobState, name)
    if state is None:
        state = models.JobState(name=name)
        uow.session.add(state)
    state.last_attempt_at = now
    if error is None:
        state.last_success_at = now
        state.last_error = None
    else:
        state.last_error = error[:500]


# -- refreshing -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefreshResult:
    ok: bool
    rate_date: date | None = None
    count: int = 0
    new: int = 0
    error: str | None = None
    check: MarginCheck | None = None


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    text = str(exc) or type(exc).__name__
    return text[:200]


async def refresh(
    uow_factory: UnitOfWorkFactory,
    url: str,
    now: datetime,
    *,
    fetch: Fetch = fetch_feed,
    recheck: bool = True,
) -> RefreshResult:
    """Fetch, store, recheck every team's margins. Never raises for a bad feed or
    network: the old rates stay and the failure is recorded."""
    try:
        day, rates = parse_ecb(await fetch(url))
    except (httpx.HTTPError, FxFeedError, OSError, TimeoutError) as exc:
        error = describe_error(exc)
        log.warning("FX refresh from %s failed: %s (keeping the stored rates)", url, error)
        async with uow_factory() as uow:
            await record_job(uow, FX_JOB, now, error=error)
            await uow.commit()
        return RefreshResult(ok=False, error=error)
    async with uow_factory() as uow:
        new = await store_rates(uow, day, rates, now)
        await record_job(uow, FX_JOB, now)
        await uow.commit()
    log.info("ECB rates of %s: %d currencies, %d new", day, len(rates), new)
    check = await recheck_all(uow_factory, now) if recheck else None
    return RefreshResult(True, day, len(rates), new, None, check)


async def refresh_if_due(
    uow_factory: UnitOfWorkFactory, url: str, now: datetime, *, fetch: Fetch = fetch_feed
) -> RefreshResult | None:
    async with uow_factory() as uow:
        if not await claim_job(uow, FX_JOB, now, refresh_due):
            return None
    return await refresh(uow_factory, url, now, fetch=fetch)


# -- /fx --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PairRate:
    from_currency: str
    to_currency: str
    quote: FxQuote | None
    stale: bool
    manual: bool
    sources: tuple[RateSource, ...] = ()  # where each leg comes from (who set a manual one)


@dataclass(frozen=True, slots=True)
class FxOverview:
    team: models.Team
    pairs: list[PairRate]
    overrides: list[models.FxOverride]
    latest: date | None  # the newest ECB date stored
    today: date
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str | None
    manual_rates: Mapping[frozenset[str], ManualRate] = field(default_factory=dict)

    def override_source(self, row: models.FxOverride) -> RateSource:
        info = self.manual_rates.get(frozenset((row.base, row.quote)))
        return RateSource(
            MANUAL_SOURCE, row.set_at.date(), row.set_at, None if info is None else info.set_by
        )


def ecb_today(now: datetime) -> date:
    return now.astimezone(ZoneInfo(ECB_ZONE)).date()


async def team_pairs(uow: UnitOfWork, team: models.Team) -> list[tuple[str, str]]:
    """(cost currency, sale currency) pairs the team's prices use."""
    sale = (
        await uow.session.scalars(
            select(models.Channel.currency).where(models.Channel.team_id == team.id).distinct()
        )
    ).all()
    cost = set(
        (
            await uow.session.scalars(
                select(models.Sku.cost_currency).where(models.Sku.team_id == team.id).distinct()
            )
        ).all()
    )
    cost.add(team.cost_currency)
    sales = sorted(set(sale)) or sorted({"USD", "EUR"} - {team.cost_currency})
    return [(c, s) for c in sorted(cost) for s in sales if c != s][:16]


async def overview(uow: UnitOfWork, team: models.Team, now: datetime) -> FxOverview:
    table = await load_fx_table(uow, team.id)
    manual_info = await manual_rates(uow, team.id)
    today = ecb_today(now)
    pairs = []
    for source, target in await team_pairs(uow, team):
        quote = table.quote(source, target)
        manual = quote is not None and MANUAL_SOURCE in quote.sources
        stale = quote is not None and not manual and quote.is_stale(today, STALE_AFTER_DAYS)
        sources = quote_sources(quote, manual_info)
        pairs.append(PairRate(source, target, quote, stale, manual, sources))
    overrides = list(
        (
            await uow.session.scalars(
                select(models.FxOverride)
                .where(models.FxOverride.team_id == team.id)
                .order_by(models.FxOverride.base, models.FxOverride.quote)
            )
        ).all()
    )
    latest = await uow.session.scalar(
        select(models.FxRate.rate_date)
        .where(models.FxRate.source == ECB_SOURCE)
        .order_by(models.FxRate.rate_date.desc())
        .limit(1)
    )
    state = await uow.session.get(models.JobState, FX_JOB)
    return FxOverview(
        team=team,
        pairs=pairs,
        overrides=overrides,
        latest=latest,
        today=today,
        last_attempt=None if state is None else state.last_attempt_at,
        last_success=None if state is None else state.last_success_at,
        last_error=None if state is None else state.last_error,
        manual_rates=manual_info,
    )


def _currency(text: str) -> str:
    code = text.strip().upper()
    if not is_known_currency(code):
        raise UserInputError(
            N_(
                "“{value}” is not a currency code (three letters, like CNY or USD).\n"
                "Write it like <code>{example}</code>"
            ),
            value=text[:40],
            example=EXAMPLE_SET,
        )
    return code


def parse_pair(args: Sequence[str]) -> tuple[str, str, list[str]]:
    """`USD CNY …` or `USD/CNY …` → ("USD", "CNY", rest)."""
    if args and "/" in args[0]:
        first, _, second = args[0].partition("/")
        args = [first, second, *args[1:]]
    if len(args) < 2:
        raise UserInputError(
            N_("Name two currencies and the rate, like <code>{example}</code> (1 USD = 7.10 CNY)."),
            example=EXAMPLE_SET,
        )
    base, quote = _currency(args[0]), _currency(args[1])
    if base == quote:
        raise UserInputError(
            N_("A rate needs two different currencies. Write it like <code>{example}</code>"),
            example=EXAMPLE_SET,
        )
    return base, quote, list(args[2:])


def parse_override(
    args: Sequence[str], style: NumberStyle | None = None
) -> tuple[str, str, Decimal]:
    """`USD CNY 7.10`; the rate as the reader writes numbers (`style`: '7,10' for a
    decimal-comma reader), through the one number reader every command uses."""
    base, quote, rest = parse_pair(args)
    if len(rest) != 1:
        raise UserInputError(
            N_("Name two currencies and the rate, like <code>{example}</code> (1 USD = 7.10 CNY)."),
            example=EXAMPLE_SET,
        )
    text = rest[0]
    try:
        rate = parse_decimal(text, style=style)
        if rate <= 0:
            raise InputError(InputProblem.NOT_POSITIVE, text)
        limits.check_rate(rate)
    except limits.OutOfBounds:
        raise _rate_out_of_range(rest[0]) from None
    except InputError as exc:
        if is_ambiguous(exc):
            raise ambiguous_number(exc) from None
        if exc.problem in (InputProblem.TOO_LARGE, InputProblem.TOO_PRECISE):
            raise _rate_out_of_range(rest[0]) from None
        raise UserInputError(
            N_(
                "“{value}” is not a rate: use a number greater than 0, like 7.10.\n"
                "Write it like <code>{example}</code>"
            ),
            value=rest[0][:40],
            example=EXAMPLE_SET,
        ) from None
    return base, quote, rate


# SPEC §4.2: a manual rate more than 25 % away from the reference rate (or close to its
# inverse: the pair typed the wrong way round) must be confirmed before it is saved.
CONFIRM_BEYOND = Decimal("0.25")


@dataclass(frozen=True, slots=True)
class RateCheck:
    """A manual rate far from the ECB's: the reference, how far, and whether it looks
    like the rate of the pair the other way round."""

    reference: Decimal  # 1 base = reference quote, from the ECB (cross rates included)
    deviation: Decimal  # rate / reference − 1
    inverted: bool


async def check_against_reference(
    uow: UnitOfWork, base: str, quote: str, rate: Decimal
) -> RateCheck | None:
    """None when the rate is within 25 % of the ECB's reference rate, or there is none."""
    found = (await load_fx_table(uow, None)).quote(base, quote)
    if found is None or found.is_identity:
        return None
    reference = found.numerator / found.denominator
    deviation = rate / reference - 1
    if abs(deviation) <= CONFIRM_BEYOND:
        return None
    inverted = abs(rate * reference - 1) <= CONFIRM_BEYOND
    return RateCheck(reference, deviation, inverted)


def _rate_out_of_range(text: str) -> UserInputError:
    return UserInputError(
        N_(
            "“{value}” is outside the rates I accept: from 0.000001 to 1,000,000, with at "
            "most 12 decimals.\nWrite it like <code>{example}</code>"
        ),
        value=text[:40],
        example=EXAMPLE_SET,
    )


async def set_override(
    uow: UnitOfWork,
    team: models.Team,
    user_id: int | None,
    base: str,
    quote: str,
    rate: Decimal,
    now: datetime,
) -> MarginCheck:
    """Set the team's manual rate (replacing one for the pair either way round), then
    recheck its margins in the same transaction."""
    await _delete_pair(uow, team.id, base, quote)
    uow.session.add(
        models.FxOverride(
            team_id=team.id, base=base, quote=quote, rate=rate, set_by=user_id, set_at=now
        )
    )
    await uow.flush()
    return await recheck_margins(uow, team.id, now)


async def remove_override(
    uow: UnitOfWork, team: models.Team, base: str, quote: str, now: datetime
) -> bool:
    removed = await _delete_pair(uow, team.id, base, quote)
    if removed:
        await recheck_margins(uow, team.id, now)
    return removed


async def _delete_pair(uow: UnitOfWork, team_id: int, base: str, quote: str) -> bool:
    result = await uow.session.execute(
        delete(models.FxOverride)
        .where(
            models.FxOverride.team_id == team_id,
            or_(
                (models.FxOverride.base == base) & (models.FxOverride.quote == quote),
                (models.FxOverride.base == quote) & (models.FxOverride.quote == base),
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


__all__ = [
    "FX_JOB",
    "FxFeedError",
    "FxOverview",
    "FxTable",
    "PairRate",
    "RefreshResult",
    "claim_job",
    "next_publication",
    "overview",
    "parse_ecb",
    "parse_override",
    "refresh",
    "refresh_due",
    "refresh_if_due",
    "set_override",
]
