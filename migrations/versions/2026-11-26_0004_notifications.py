"""notification outbox, reminders, FX refresh

Revision ID: 0004_notifications
Revises: 0003_campaigns
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0004_notifications"
down_revision: str | None = "0003_campaigns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempt_started_at", bot.db.types.UTCDateTime(), nullable=True)
        )
    op.create_table(
        "job_state",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_attempt_at", bot.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_success_at", bot.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_state")),
    )


def downgrade() -> None:
    op.drop_table("job_state")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("attempt_started_at")
