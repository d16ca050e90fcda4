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
