"""Shared fixtures: a clean, migrated database on every backend under test.

Backends come from TEST_DATABASES (default "sqlite,postgresql"). PostgreSQL is
reached at TEST_POSTGRES_URL; when it is unreachable the run fails (it is never
skipped): start PostgreSQL, or run `TEST_DATABASES=sqlite pytest` knowingly.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.models import Base
from bot.db.uow import UnitOfWorkFactory

CONFIGURED_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
# Under pytest-xdist every worker gets its own database beside the configured one
# (test → test_gw0, test_gw1 …), created on first use: workers never share tables.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_url(url: str, worker: str | None) -> str:
    if not worker:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(False)


POSTGRES_URL = _worker_url(CONFIGURED_POSTGRES_URL, XDIST_WORKER)
BACKENDS = [
    b.strip() for b in os.environ.get("TEST_DATABASES", "sqlite,postgresql").split(",") if b.strip()
]


@dataclass(frozen=True)
class TestDatabase:
    backend: str
    url: str

    __test__ = False  # not a test class


def _postgres_reachable(url: str, create_database: str | None = None) -> str | None:
    async def probe() -> None:
        engine = create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text("select 1"))
                if create_database is not None:
                    exists = await connection.scalar(
                        text("SELECT 1 FROM pg_database WHERE datname = :name"),
                        {"name": create_database},
                    )
                    if not exists:
                        await connection.execute(text(f'CREATE DATABASE "{create_database}"'))
        finally:
            await engine.dispose()

    try:
        asyncio.run(asyncio.wait_for(probe(), timeout=10))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


async def _reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each backend migrated to head once per session (SQLite: a template file)."""
    templates: dict[str, str] = {}
    if "sqlite" in BACKENDS:
        path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
        upgrade(f"sqlite+aiosqlite:///{path}")
        templates["sqlite"] = str(path)
    if "postgresql" in BACKENDS:
        worker_database = make_url(POSTGRES_URL).database if XDIST_WORKER else None
        problem = _postgres_reachable(CONFIGURED_POSTGRES_URL, worker_database)
        if problem:
            pytest.fail(
                f"PostgreSQL is unreachable at {CONFIGURED_POSTGRES_URL} ({problem}). Start it, "
                "or run `TEST_DATABASES=sqlite pytest` to test on SQLite alone.",
                pytrace=False,
            )
        asyncio.run(_reset_postgres_schema(POSTGRES_URL))
        upgrade(POSTGRES_URL)
        templates["postgresql"] = POSTGRES_URL
    return templates


async def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        names = ", ".join(t.name for t in Base.metadata.sorted_tables)
        await connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture(params=BACKENDS)
def database(
    request: pytest.FixtureRequest, migrated_templates: dict[str, str], tmp_path: Path
) -> Iterator[TestDatabase]:
    """A migrated, empty database of one backend; tests using it run once per backend."""
    backend: str = request.param
    if backend == "sqlite":
        path = tmp_path / "bot.sqlite3"
        shutil.copyfile(migrated_templates["sqlite"], path)
        yield TestDatabase("sqlite", f"sqlite+aiosqlite:///{path}")
    else:
        asyncio.run(_empty_postgres(POSTGRES_URL))
        yield TestDatabase("postgresql", POSTGRES_URL)


@pytest.fixture
async def engine(database: TestDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database.url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow_factory(engine: AsyncEngine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(create_session_factory(engine))
