"""Many-row reads and writes that leave the event loop free between batches.

SQLAlchemy turns every row's parameters into database values on the calling thread; for
a 50,000-row import that is seconds of CPU in one go on the event loop. Sent in batches,
each awaited, other chats' updates run between them — and the transaction is still one.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

BATCH_ROWS = 1000
READ_ROWS = 500  # rows turned into Python objects between turns of the loop


async def execute_many(
    session: AsyncSession, statement: Executable, rows: Iterable[dict[str, Any]]
) -> None:
    """`session.execute(statement, rows)` (an executemany) in batches of BATCH_ROWS. Pass a
    generator for many rows: each batch's parameters are then made just before it is sent,
    and only one batch of them is in memory at a time."""
    pending = iter(rows)
    while batch := list(islice(pending, BATCH_ROWS)):
        await session.execute(statement, batch)


async def fetch_all(session: AsyncSession, statement: Executable) -> list[Any]:
    """Every row of a possibly large query, fetched in partitions: turning thousands of
    rows into Python objects is CPU work, and other chats run between partitions."""
    rows: list[Any] = []
    result = await session.stream(statement.execution_options(yield_per=READ_ROWS))
    async for partition in result.partitions():
        rows += partition
    return rows
