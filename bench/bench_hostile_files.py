"""Hostile uploads through the chat: how much memory the bot needs, and how long another
user waits for /help meanwhile.

    python bench/bench_hostile_files.py

Linux only (reads /proc). Runs the real Application (polling) against the Bot API
stand-in on a temporary SQLite database, file workers limited to 2 s. One user sends,
one after the other: the security review's dimension bomb (a sheet declaring
A1:XFD1048576 with one row, the last), a zip bomb in sharedStrings.xml (512 MB of XML
packed into 1.3 MB), a workbook with a DTD, and a valid but slow 30 MB sheet; right
after each upload another user sends /help. Prints, per file, the bot's answer, the
seconds until /help was answered and until the file was, and at the end the peak
resident memory of the bot process and of its file workers.
(Before the worker pool and the streaming reader, the dimension bomb alone took the
bot from 105 MB to 6.5 GB and held another user's command for 40 s.)
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.app import build_application, start_polling, stop_polling  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.runtime.workers import POOL_KEY, WorkerPool  # noqa: E402
from bot.telegram_stub import BotApiStub  # noqa: E402
from tests.e2e.test_hostile_files import slow_workbook  # noqa: E402
from tests.xlsx_parts import (  # noqa: E402
    HEAD,
    MAIN,
    cell,
    dimension_bomb,
    row,
    sheet,
    with_doctype,
    workbook,
)


def _zip_bomb(path: str, unpacked_mb: int) -> None:
    """Written in a child process, streaming, so the bench's own memory stays clean."""
    template = workbook(sheet(row(1, cell("A1", 0, kind="s"))), shared_strings="")
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out,
        zipfile.ZipFile(__import__("io").BytesIO(template)) as source,
    ):
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                out.writestr(info.filename, source.read(info.filename))
        one = b"<si><t>aaaaaaaaaaaaaaaa</t></si>" * 32_768  # 1 MB
        with out.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'{HEAD}<sst xmlns="{MAIN}">'.encode())
            for _ in range(unpacked_mb):
                part.write(one)
            part.write(b"</sst>")


def zip_bomb(unpacked_mb: int = 512) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "bomb.xlsx")
        process = multiprocessing.get_context("spawn").Process(
            target=_zip_bomb, args=(path, unpacked_mb)
        )
        process.start()
        process.join()
        return Path(path).read_bytes()


def forget_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS


def peak_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def run(database_url: str) -> None:
    files = [
        ("dimension-bomb.xlsx", dimension_bomb()),
        ("sharedstrings-bomb.xlsx", zip_bomb()),
        ("doctype.xlsx", with_doctype("xl/worksheets/sheet1.xml")),
        ("slow-30MB-sheet.xlsx", slow_workbook()),
    ]
    async with BotApiStub() as stub:
        stub.set_rate_limits(False)
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            bot_token=stub.token,
            bot_api_base_url=stub.base_url,
            bot_api_file_url=stub.base_file_url,
            database_url=database_url,
            default_locale="en",
            default_timezone="UTC",
            file_worker_seconds=2,
        )
        app = build_application(settings)
        await start_polling(app, poll_timeout=2)
        worker_peaks: dict[int, float] = {}

        async def sample_workers() -> None:
            while True:
                pool = app.bot_data["runtime"].extras.get(POOL_KEY)
                for pid in pool.pids if isinstance(pool, WorkerPool) else []:
                    with contextlib.suppress(OSError):  # gone meanwhile
                        worker_peaks[pid] = max(worker_peaks.get(pid, 0.0), peak_mb(pid))
                await asyncio.sleep(0.02)

        sampler = asyncio.ensure_future(sample_workers())
        try:
            sender = stub.create_user("Sender", language_code="en")
            other = stub.create_user("Other", language_code="en")
            for user in (sender, other):
                stub.send_message(user, "/start")
                await stub.wait_for_messages(user, 1, timeout=30)
            forget_peak()  # the files' construction is not the bot's doing
            print(f"bot process, running, before the files: RSS {peak_mb():.0f} MB")
            for name, content in files:
                stub.mark_read(sender)
                stub.mark_read(other)
                began = time.perf_counter()
                stub.send_document(sender, filename=name, content=content)
                stub.send_message(other, "/help")
                await stub.wait_for_messages(other, 1, timeout=60)
                helped = time.perf_counter() - began
                answer = (await stub.wait_for_messages(sender, 1, timeout=120))[0]
                answered = time.perf_counter() - began
                print(
                    f"{name:24} {len(content) / 1024:7.1f} KiB  /help answered after "
                    f"{helped:5.2f} s, the file after {answered:5.2f} s: {answer.text[:90]}…"
                )
            print(f"bot process: peak RSS {peak_mb():.0f} MB while handling them")
            peaks = ", ".join(f"{mb:.0f} MB" for mb in worker_peaks.values())
            print(f"file workers: peak RSS {peaks} (sampled every 20 ms)")
        finally:
            sampler.cancel()
            await stop_polling(app)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        asyncio.run(run(url))


if __name__ == "__main__":
    main()
