"""Alembic environment (async). The URL comes from the `sqlalchemy.url` option set by
`bot.db.migrate`, else from the bot's settings. A caller may hand over an open
connection in `config.attributes["connection"]` (tests do)."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import context
from sqlalchemy.engine import Connection

from bot.db.engine import create_engine
from bot.db.models import Base

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types by import path so migrations stay self-contained."""
    if type_ == "type" and obj.__class__.__module__ == "bot.db.types":
        autogen_context.imports.add("import bot.db.types")
        return f"bot.db.types.{obj.__class__.__name__}()"
    return False


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def _run(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table by copying it and dropping the old one; with foreign
        # keys enforced, that DROP deletes (cascades to) the children's rows. The pragma
        # only takes effect outside a transaction, so it goes first; a migration that
        # rebuilds a table checks that it took effect and `PRAGMA foreign_key_check` after.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def _database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from bot.config import Settings

    settings = Settings()
    settings.ensure_data_dir()
    return settings.database_url


async def _run_async() -> None:
    engine = create_engine(_database_url())
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
        if connection.dialect.name == "sqlite":  # as the bot's engine sets it
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
    await engine.dispose()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    context.configure(url=_database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
