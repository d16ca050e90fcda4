"""Where a rate in use comes from (SPEC §3.7), for the reader: the ECB's reference rate
of a day, or a team's manual rate — who set it and when.

`FxTable` knows a manual rate only by its date (pricing stays free of users); the
setter's name comes from `fx_overrides.set_by`, read here once per screen or recheck.
A `RateSource` is plain data: margin warnings keep it in their payload (`to_json`) and
render it when they are sent; /fx and the floor card render it at once
(`bot.views.rates.source_label`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from bot.db import models
from bot.db.uow import UnitOfWork
from bot.pricing import FxQuote
from bot.pricing.fx import ECB_SOURCE, MANUAL_SOURCE

__all__ = [
    "ManualRate",
    "RateSource",
    "manual_rates",
    "person_name",
    "quote_sources",
    "sources_from_json",
    "sources_to_json",
]


@dataclass(frozen=True, slots=True)
class RateSource:
    kind: str  # ECB_SOURCE | MANUAL_SOURCE (another source's name is shown as it is)
    day: date | None = None  # the ECB's rate date; a manual rate's day (UTC) when undated
    set_at: datetime | None = None  # a manual rate: when it was set
    set_by: str | None = None  # a manual rate: who set it (their name), when known

    @property
    def manual(self) -> bool:
        return self.kind == MANUAL_SOURCE

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.day is not None:
            data["day"] = self.day.isoformat()
        if self.set_at is not None:
            data["set_at"] = self.set_at.isoformat()
        if self.set_by:
            data["set_by"] = self.set_by
        return data

    @classmethod
    def from_json(cls, data: object) -> RateSource | None:
        """A source read back from a payload; None for anything that is not one."""
        if not isinstance(data, Mapping) or not isinstance(data.get("kind"), str):
            return None
        try:
            day = date.fromisoformat(data["day"]) if data.get("day") else None
            set_at = datetime.fromisoformat(data["set_at"]) if data.get("set_at") else None
        except (TypeError, ValueError):
            day = set_at = None
        by = data.get("set_by")
        return cls(data["kind"], day, set_at, by if isinstance(by, str) and by else None)


def sources_to_json(sources: Iterable[RateSource]) -> list[dict[str, Any]]:
    return [source.to_json() for source in sources]


def sources_from_json(data: object) -> tuple[RateSource, ...]:
    if not isinstance(data, list):
        return ()
    found = (RateSource.from_json(item) for item in data)
    return tuple(source for source in found if source is not None)


@dataclass(frozen=True, slots=True)
class ManualRate:
    set_at: datetime
    set_by: str | None


def person_name(first_name: str | None, username: str | None) -> str | None:
    if first_name and first_name.strip():
        return first_name.strip()
    if username:
        return f"@{username}"
    return None


async def manual_rates(uow: UnitOfWork, team_id: int) -> dict[frozenset[str], ManualRate]:
    """The team's manual rates by currency pair (either way round): who set them, when."""
    rows = (
        await uow.session.execute(
            select(
                models.FxOverride.base,
                models.FxOverride.quote,
                models.FxOverride.set_at,
                models.User.first_name,
                models.User.username,
            )
            .outerjoin(models.User, models.User.id == models.FxOverride.set_by)
            .where(models.FxOverride.team_id == team_id)
            .order_by(models.FxOverride.set_at)
        )
    ).all()
    return {
        frozenset((base, quote)): ManualRate(set_at, person_name(first, username))
        for base, quote, set_at, first, username in rows
    }


def quote_sources(
    quote: FxQuote | None, manual: Mapping[frozenset[str], ManualRate]
) -> tuple[RateSource, ...]:
    """The sources of a quote's legs, in order, each once (a cross rate through EUR from
    one ECB day is one source)."""
    if quote is None:
        return ()
    found: list[RateSource] = []
    for leg in quote.legs:
        rate = leg.rate
        if rate.source == MANUAL_SOURCE:
            info = manual.get(frozenset((rate.from_currency, rate.to_currency)))
            source = RateSource(
                MANUAL_SOURCE,
                rate.as_of,
                None if info is None else info.set_at,
                None if info is None else info.set_by,
            )
        else:
            source = RateSource(rate.source or ECB_SOURCE, rate.as_of)
        if source not in found:
            found.append(source)
    return tuple(found)
