"""The schema is made by Alembic alone, and matches the models exactly on both backends."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from bot.db.engine import create_engine
from bot.db.migrate import current_heads, upgrade
from bot.db.models import Base
from tests.conftest import BACKENDS, POSTGRES_URL


def _fresh_database_url(backend: str, tmp_path: Path) -> tuple[str, str | None]:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}", None
    name = f"cb_migrations_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(create())
    return make_url(POSTGRES_URL).set(database=name).render_as_string(False), name


def _drop_database(name: str) -> None:
    async def drop() -> None:
        engine = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await engine.dispose()

    asyncio.run(drop())


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_empty_database_to_head_then_autogenerate_finds_no_difference(
    backend: str, tmp_path: Path, migrated_templates: dict[str, str]
) -> None:
    url, created = _fresh_database_url(backend, tmp_path)
    try:
        upgrade(url)

        async def inspect_schema() -> tuple[list[object], set[str], str | None]:
            engine = create_engine(url)
            async with engine.connect() as connection:

                def compare(sync_connection: object) -> tuple[list[object], set[str], str | None]:
                    context = MigrationContext.configure(
                        sync_connection,
                        opts={"compare_type": True},  # type: ignore[arg-type]
                    )
                    diff = compare_metadata(context, Base.metadata)
                    tables = set(inspect(sync_connection).get_table_names())  # type: ignore[arg-type]
                    return diff, tables, context.get_current_revision()

                result = await connection.run_sync(compare)
            await engine.dispose()
            return result

        diff, tables, revision = asyncio.run(inspect_schema())
        assert diff == []
        assert set(Base.metadata.tables) <= tables
        assert (revision,) == current_heads()
    finally:
        if created:
            _drop_database(created)


def test_there_is_a_single_migration_head() -> None:
    assert len(current_heads()) == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_codes_and_names_with_control_characters_are_repaired(
    backend: str, tmp_path: Path, migrated_templates: dict[str, str]
) -> None:
    """Imports once accepted them; the repair keeps every SKU and makes each code typable."""
    url, created = _fresh_database_url(backend, tmp_path)
    try:
        upgrade(url, "0004_notifications")

        async def run(statements: list[str]) -> list[tuple[object, ...]]:
            engine = create_engine(url)
            async with engine.begin() as connection:
                result: list[tuple[object, ...]] = []
                for sql in statements:
                    rows = await connection.execute(text(sql))
                    if rows.returns_rows:
                        result = [tuple(r) for r in rows]
            await engine.dispose()
            return result

        now = "'2026-12-01 00:00:00.000000+00:00'" if backend == "sqlite" else "now()"
        costs = "'1', 'CNY', '0', '0', '0', '0'"
        # PostgreSQL text cannot hold NUL: SOH stands in for it there
        nul, bel = ("char(0)", "char(7)") if backend == "sqlite" else ("chr(1)", "chr(7)")
        columns = (
            "(team_id, code, name, unit_cost, cost_currency, packaging, first_mile, "
            "other_cost, duty_rate, created_at, updated_at)"
        )
        asyncio.run(
            run(
                [
                    "INSERT INTO teams (id, name, is_personal, cost_currency, target_margin, "
                    "fx_buffer, timezone, locale, reminder_offsets, created_at, updated_at) VALUES "
                    f"(1, 'T', false, 'CNY', '0.15', '0.02', 'UTC', 'en', '{{}}', {now}, {now})",
                    f"INSERT INTO skus {columns} VALUES (1, 'A' || {nul} || 'B', "
                    f"'Mug' || {bel} || ' blue', {costs}, {now}, {now})",
                    f"INSERT INTO skus {columns} VALUES (1, 'AB', 'Plain', {costs}, {now}, {now})",
                ]
            )
        )
        upgrade(url)
        rows = asyncio.run(run(["SELECT code, name FROM skus ORDER BY id"]))
        assert rows == [("AB~1", "Mug blue"), ("AB", "Plain")]
    finally:
        if created:
            _drop_database(created)
