"""The bot in another process: everything goes over HTTP, even across a SIGKILL."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from bot.telegram_stub import BotApiStub
from tests.stub.conftest import TOKEN

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def bot_process(stub: BotApiStub) -> AsyncIterator[asyncio.subprocess.Process]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.stub.echo_bot_process",
        TOKEN,
        stub.base_url,
        stub.base_file_url,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()


@pytest.mark.slow
async def test_restart_after_sigkill_loses_no_update(stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    async with bot_process(stub) as first:
        await stub.wait_for_call("getUpdates", timeout=30)
        stub.send_message(alice, "/echo one")
        assert (await stub.wait_for_message(alice, timeout=10)).text == "one"
        polls = len(stub.requests)
        await stub.wait_for_call("getUpdates", after=polls, timeout=5)  # "one" is confirmed
        first.kill()  # mid long poll, no goodbye
        await first.wait()

    stub.send_message(alice, "/echo two")  # arrives while no bot runs
    async with bot_process(stub):
        assert (await stub.wait_for_message(alice, timeout=30)).text == "two"
        await stub.wait_until_consumed(timeout=5)
        await asyncio.sleep(0.3)
    assert stub.unread(alice) == []  # "one" was not delivered twice
    assert [m.text for m in stub.messages(alice)] == ["one", "two"]
