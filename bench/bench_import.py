"""Catalogue import through the chat: a 10,000-row CSV and the same data as XLSX.

    python bench/bench_import.py [--rows 10000] [--database-url URL]

Runs the real Application (polling) against the Bot API stand-in, like the
end-to-end tests, on a fresh migrated database (a temporary SQLite file unless
--database-url names an empty PostgreSQL database). For each file a new user adds a
channel, uploads the file, waits for the preview, presses Confirm and waits for the
result. Prints the seconds from upload to preview, from Confirm to done, and in
total, then checks that every row reached the database. Goal: under 10 s each.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from bot.app import build_application, start_polling, stop_polling  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db.engine import create_engine, create_session_factory  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.models import Listing, Membership, PriceHistory, Sku  # noqa: E402
from bot.db.uow import UnitOfWorkFactory  # noqa: E402
from bot.telegram_stub import BotApiStub, StubMessage, User  # noqa: E402

CHANNEL = "temu-us-semi"
HEADER = [
    "sku",
    "name",
    "unit_cost",
    "cost_currency",
    "packaging",
    "first_mile",
    "other_cost",
    "duty_rate",
    f"list_price@{CHANNEL}",
]


def catalogue_rows(count: int, seed: int = 7) -> list[list[str]]:
    rnd = random.Random(seed)
    return [
        [
            f"SKU-{i:06d}",
            f"Item {i}",
            f"{rnd.randint(100, 50_000) / 100:.2f}",
            "CNY",
            f"{rnd.randint(0, 300) / 100:.2f}",
            f"{rnd.randint(50, 900) / 100:.2f}",
            "0",
            rnd.choice(["0", "7.5", "25"]),
            f"{rnd.randint(300, 9000) / 100:.2f}",
        ]
        for i in range(count)
    ]


def as_csv(rows: list[list[str]]) -> bytes:
    lines = [",".join(HEADER), *(",".join(row) for row in rows)]
    return ("\n".join(lines) + "\n").encode()


def as_xlsx(rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("SKUs")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([row[0], row[1], float(row[2]), row[3], float(row[4]), float(row[5]),
                      0, float(row[7]), float(row[8])])  # fmt: skip
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def wait_edit(stub: BotApiStub, message: StubMessage, timeout: float = 60) -> StubMessage:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        current = stub.message(message.chat_id, message.message_id)
        if current.version != message.version:
            return current
        await asyncio.sleep(0.005)
    raise TimeoutError("no result after Confirm")


async def import_once(
    stub: BotApiStub, uow_factory: UnitOfWorkFactory, user: User, filename: str, content: bytes
) -> tuple[float, float, int]:
    stub.send_message(user, f"/channel add {CHANNEL}")
    await stub.wait_for_messages(user, 1, timeout=30)
    started = time.perf_counter()
    stub.send_document(user, filename=filename, content=content)
    preview = (await stub.wait_for_messages(user, 1, timeout=60))[0]
    previewed = time.perf_counter()
    if "✅ Confirm" not in preview.button_texts:
        raise RuntimeError(f"no Confirm button in the preview: {preview.text[:500]}")
    stub.press_button(user, preview, text="✅ Confirm")
    done = await wait_edit(stub, preview)
    finished = time.perf_counter()
    if not done.text.startswith("✅ Imported"):
        raise RuntimeError(f"import failed: {done.text[:500]}")
    async with uow_factory() as uow:
        team_id = await uow.session.scalar(
            select(Membership.team_id).where(Membership.user_id == user.id)
        )
        skus = await uow.session.scalar(select(func.count(Sku.id)).where(Sku.team_id == team_id))
        listings = await uow.session.scalar(
            select(func.count(Listing.id)).join(Sku).where(Sku.team_id == team_id)
        )
        history = await uow.session.scalar(
            select(func.count(PriceHistory.id))
            .join(Listing, Listing.id == PriceHistory.listing_id)
            .join(Sku, Sku.id == Listing.sku_id)
            .where(Sku.team_id == team_id)
        )
    if not skus == listings == history:
        raise RuntimeError(f"incomplete import: {skus} SKUs, {listings} listings, {history}")
    return previewed - started, finished - previewed, skus or 0


async def run(rows: int, database_url: str) -> None:
    data = catalogue_rows(rows)
    files = [("catalogue.csv", as_csv(data)), ("catalogue.xlsx", as_xlsx(data))]
    async with BotApiStub() as stub:
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            bot_token=stub.token,
            bot_api_base_url=stub.base_url,
            bot_api_file_url=stub.base_file_url,
            database_url=database_url,
            default_locale="en",
            default_timezone="UTC",
        )
        app = build_application(settings)
        await start_polling(app, poll_timeout=2)
        engine = create_engine(database_url)
        uow_factory = UnitOfWorkFactory(create_session_factory(engine))
        try:
            print(f"{rows} rows, {database_url.split(':', 1)[0]}")
            for index, (filename, content) in enumerate(files):
                user = stub.create_user(f"Seller{index}", language_code="en")
                preview, confirm, count = await import_once(
                    stub, uow_factory, user, filename, content
                )
                print(
                    f"{filename:15} {len(content) / 1024:7.0f} KiB  upload→preview {preview:5.2f} s"
                    f"  confirm→done {confirm:5.2f} s  total {preview + confirm:5.2f} s"
                    f"  ({count} SKUs stored)"
                )
        finally:
            await stop_polling(app)
            await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default=None, help="an empty database (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)  # Alembic runs its own event loop
        asyncio.run(run(args.rows, url))


if __name__ == "__main__":
    main()
