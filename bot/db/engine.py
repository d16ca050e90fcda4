"""Engine creation with the per-backend settings the bot relies on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

POOL_SIZE = 5  # connections kept open (SQLAlchemy's default)
SQLITE_OVERFLOW = 15  # opened when busy, closed after use (MAX_RUNNING handlers + jobs)


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        # Pooled: an aiosqlite connection is a thread of its own, and starting one (plus
        # the pragmas below) for every update cost each /help several milliseconds of
        # CPU and a thread start the event loop waited for. Several processes may share
        # the file (WAL + busy timeout).
        in_memory = make_url(database_url).database in (None, "", ":memory:")
        pool = {} if in_memory else {"pool_size": POOL_SIZE, "max_overflow": SQLITE_OVERFLOW}
        engine = create_async_engine(database_url, connect_args={"timeout": 30}, **pool, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(database_url, pool_pre_ping=True, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)
