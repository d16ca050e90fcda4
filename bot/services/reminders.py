"""Campaign reminders in the notification outbox (issue 6 fills this in).

Called in the same transaction as the change that causes them: campaign created
or edited → its pending reminders are regenerated; deleted → cancelled.
"""

from __future__ import annotations

from datetime import datetime

from bot.db.models import Campaign
from bot.db.uow import UnitOfWork


async def schedule_campaign_notices(uow: UnitOfWork, campaign: Campaign, now: datetime) -> None:
    """(Re)generate the campaign's pending reminders from its dates and the team's offsets."""


async def cancel_campaign_notices(uow: UnitOfWork, campaign_id: int, now: datetime) -> None:
    """Cancel the campaign's pending reminders (the campaign was deleted)."""
