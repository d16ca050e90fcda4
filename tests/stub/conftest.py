"""Fixtures for testing the Bot API stand-in on its own, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import telegram

from bot.telegram_stub import BotApiStub

TOKEN = "123456:TEST-token_x"


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    """A running stand-in without rate limits (tests that need them turn them on)."""
    stand_in = BotApiStub(TOKEN, rate_limits=False)
    await stand_in.start()
    try:
        yield stand_in
    finally:
        await stand_in.stop()


class RawApi:
    """Plain HTTP calls, to see exactly what goes over the wire."""

    def __init__(self, session: aiohttp.ClientSession, stub: BotApiStub) -> None:
        self.session = session
        self.stub = stub

    def url(self, method: str, token: str = TOKEN) -> str:
        return f"{self.stub.base_url}{token}/{method}"

    async def form(self, method: str, **fields: str) -> tuple[int, dict[str, Any]]:
        """POST form-urlencoded, every value already a string (as PTB encodes them)."""
        async with self.session.post(self.url(method), data=fields) as response:
            return response.status, await response.json()

    async def json(self, method: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        async with self.session.post(self.url(method), json=body) as response:
            return response.status, await response.json()


@pytest.fixture
async def raw(stub: BotApiStub) -> AsyncIterator[RawApi]:
    async with aiohttp.ClientSession() as session:
        yield RawApi(session, stub)


@pytest.fixture
async def bot(stub: BotApiStub) -> AsyncIterator[telegram.Bot]:
    """A real PTB Bot pointed at the stand-in."""
    ptb = telegram.Bot(TOKEN, base_url=stub.base_url, base_file_url=stub.base_file_url)
    async with ptb:
        yield ptb
