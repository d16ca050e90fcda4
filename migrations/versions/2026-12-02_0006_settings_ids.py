"""ids are never reused (SQLite AUTOINCREMENT); team settings audit

On SQLite an INTEGER PRIMARY KEY without AUTOINCREMENT hands out max(id) + 1, so deleting
the newest row frees its id for the next one — and a stale button naming the old row acts
on the new one. AUTOINCREMENT keeps the highest id ever used (in `sqlite_sequence`), but
SQLite can only add it by rebuilding the table: each table below is copied into a new one
declared with AUTOINCREMENT (Alembic's batch mode, `recreate="always"`), with every row,
index and constraint.

Dropping the old table of a rebuild would, with foreign keys enforced, run an implicit
DELETE and cascade to the children (memberships, SKUs, enrolments …). So this migration
refuses to run on SQLite unless foreign keys are off — `migrations/env.py` turns them off
before the migration transaction opens (they cannot change inside one) — and checks with
`PRAGMA foreign_key_check` that every reference still resolves before it finishes.

PostgreSQL sequences never reuse ids: there, only the new `team_audit` table is created.

Revision ID: 0006_settings_ids
Revises: 0005_control_characters
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.db.types

revision: str = "0006_settings_ids"
down_revision: str | None = "0005_control_characters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# every table with a surrogate integer id, parents before children
TABLES: tuple[str, ...] = (
    "teams",
    "invites",
    "chat_bindings",
    "channels",
    "skus",
    "listings",
    "price_history",
    "campaigns",
    "campaign_audit",
    "vouchers",
    "enrolments",
    "fx_rates",
    "fx_overrides",
    "notifications",
    "pending_imports",
)
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _sqlite_foreign_keys_off(bind: sa.engine.Connection) -> None:
    enforced = bind.exec_driver_sql("PRAGMA foreign_keys").scalar()
    if enforced:
        raise RuntimeError(
            "this migration rebuilds SQLite tables and must run with foreign keys off "
            "(a rebuild would otherwise cascade deletes); run it through "
            "`campaignbot db upgrade`, whose environment turns them off"
        )


def _check_references(bind: sa.engine.Connection) -> None:
    broken = bind.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"references broken by the table rebuild: {broken[:10]}")


def _rebuild(autoincrement: bool) -> None:
    for table in TABLES:
        with op.batch_alter_table(
            table,
            recreate="always",
            naming_convention=NAMING_CONVENTION,
            table_kwargs={"sqlite_autoincrement": autoincrement},
        ):
            pass


def _create_team_audit() -> None:
    op.create_table(
        "team_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("at", bot.db.types.UTCDateTime(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_team_audit_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_team_audit_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_audit")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("team_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_audit_team_id"), ["team_id"], unique=False)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite_foreign_keys_off(bind)
        _rebuild(autoincrement=True)
    _create_team_audit()
    if bind.dialect.name == "sqlite":
        _check_references(bind)


def downgrade() -> None:
    bind = op.get_bind()
    with op.batch_alter_table("team_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_audit_team_id"))
    op.drop_table("team_audit")
    if bind.dialect.name == "sqlite":
        _sqlite_foreign_keys_off(bind)
        _rebuild(autoincrement=False)
        _check_references(bind)
