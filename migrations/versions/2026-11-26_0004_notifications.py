"""notification outbox, reminders, FX refresh

Revision ID: 0004_notifications
Revises: 0003_campaigns
Create Date: 2026-11-26
"""

from collections.abc import Sequence

revision: str = "0004_notifications"
down_revision: str | None = "0003_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
