"""Margin warnings (issue 6 fills this in).

Called after anything that can move a planned price under its floor — FX
refresh, a cost, fee, listing or plan change — in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.db.uow import UnitOfWork


async def recheck_margins(
    uow: UnitOfWork,
    team_id: int,
    now: datetime,
    *,
    campaign_ids: Iterable[int] | None = None,
    sku_ids: Iterable[int] | None = None,
) -> None:
    """Recompute enrolled SKUs of upcoming and running campaigns (optionally only these)
    and queue a warning or recovery note for each change of state."""
