"""Many-row reads and writes that leave the event loop free between batches.

SQLAlchemy turns every row's parameters into database values on the calling thread; for
a 50,000-row import that is seconds of CPU in one go on the event loop. Sent in batches,
each awaited, other chats' updates run between them — and the transaction is still one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

BATCH_ROWS = 1000
READ_ROWS = 500  # rows turned into Python objects between turns of the loop


async def execute_many(
    session: AsyncSession, statement: Executable, rows: Sequence[dict[str, Any]]
) -> None:
    """`session.execute(statement, rows)` (an executemany) in batches of BATCH_ROWS."""
    for start in range(0, len(rows), BATCH_ROWS):
        await session.execute(statement, rows[start : start + BATCH_ROWS])


async def fetch_all(session: AsyncSession, statement: Executable) -> list[Any]:
    """Every row of a possibly large query, fetched in partitions: turning thousands of
    rows into Python objects is CPU work, and other chats run between partitions."""
    rows: list[Any] = []
    result = await session.stream(statement.execution_options(yield_per=READ_ROWS))
    async for partition in result.partitions():
        rows += partition
    return rows
