"""numbers a seller can trust: held changes, price history corrections, catalogue audit,
enrolments accepted under the floor

Revision ID: 0007_price_checks
Revises: 0006_settings_ids
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

# a batch operation that rebuilds a table on SQLite must declare AUTOINCREMENT again
NEVER_REUSE_IDS = {"sqlite_autoincrement": True}

revision: str = "0007_price_checks"
down_revision: str | None = "0006_settings_ids"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("at", bot.db.types.UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_catalog_audit_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_catalog_audit_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_audit")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("catalog_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_audit_sku_id"), ["sku_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_catalog_audit_team_id"), ["team_id"], unique=False)

    op.create_table(
        "pending_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", bot.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_pending_changes_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_pending_changes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_changes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("pending_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_changes_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("enrolments", schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.add_column(
            sa.Column("under_floor_accepted_at", bot.db.types.UTCDateTime(), nullable=True)
        )

    with op.batch_alter_table(
        "price_history", schema=None, table_kwargs=NEVER_REUSE_IDS
    ) as batch_op:
        batch_op.add_column(sa.Column("corrected_at", bot.db.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("corrected_by", sa.BigInteger(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_price_history_corrected_by_users"),
            "users",
            ["corrected_by"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table(
        "price_history", schema=None, table_kwargs=NEVER_REUSE_IDS
    ) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_price_history_corrected_by_users"), type_="foreignkey"
        )
        batch_op.drop_column("corrected_by")
        batch_op.drop_column("corrected_at")

    with op.batch_alter_table("enrolments", schema=None, table_kwargs=NEVER_REUSE_IDS) as batch_op:
        batch_op.drop_column("under_floor_accepted_at")

    with op.batch_alter_table("pending_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_changes_user_id"))

    op.drop_table("pending_changes")
    with op.batch_alter_table("catalog_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_audit_team_id"))
        batch_op.drop_index(batch_op.f("ix_catalog_audit_sku_id"))

    op.drop_table("catalog_audit")
