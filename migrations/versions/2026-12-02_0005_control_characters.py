"""repair SKU codes and names holding control characters

Imports used to accept them (the command path never did): such a code could not be
typed to delete the SKU, and such a name broke the XLSX export. Codes lose the
characters (a clash with an existing code gets a "~N" suffix); names have them
replaced by spaces.

Revision ID: 0005_control_characters
Revises: 0004_notifications
Create Date: 2026-12-02
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_control_characters"
down_revision: str | None = "0004_notifications"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

skus = sa.table(
    "skus",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.Integer),
    sa.column("code", sa.String),
    sa.column("name", sa.String),
)


def _has_control(text: str | None) -> bool:
    return text is not None and any(unicodedata.category(c) == "Cc" for c in text)


def clean_code(code: str) -> str:
    return "".join(c for c in code if unicodedata.category(c) != "Cc").strip() or "SKU"


def clean_name(name: str) -> str:
    return " ".join("".join(" " if unicodedata.category(c) == "Cc" else c for c in name).split())


def upgrade() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(skus.c.id, skus.c.team_id, skus.c.code, skus.c.name)).all()
    taken = {(r.team_id, r.code) for r in rows}
    for row in rows:
        values: dict[str, str] = {}
        if _has_control(row.code):
            base = clean_code(row.code)
            code, n = base, 1
            while (row.team_id, code) in taken:
                code, n = f"{base}~{n}", n + 1
            taken.add((row.team_id, code))
            values["code"] = code
        if _has_control(row.name):
            values["name"] = clean_name(row.name)
        if values:
            connection.execute(sa.update(skus).where(skus.c.id == row.id).values(**values))


def downgrade() -> None:
    pass  # the characters removed are not worth restoring
