"""price grid on channels: price_step, price_endings (SPEC §3.8)

Revision ID: 0008_price_grid
Revises: 0007_price_checks
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0008_price_grid"
down_revision: str | None = "0007_price_checks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# a batch operation that rebuilds a table on SQLite must declare AUTOINCREMENT again
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}


def upgrade() -> None:
    # Both nullable: NULL is the default grid (one minor unit, no endings), so existing
    # channels price exactly as before. Korean channels made from a preset before this
    # revision keep one won; `/channel NAME price_step=10` moves them to the preset's grid.
    with op.batch_alter_table("channels", schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(sa.Column("price_step", bot.db.types.ExactDecimal(), nullable=True))
        batch_op.add_column(sa.Column("price_endings", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("channels", schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column("price_endings")
        batch_op.drop_column("price_step")
