"""The dispatcher in real bot processes (`python -m bot run`) against the Bot API stand-in in
this process: a SIGKILL in the middle of dispatching, and two processes sharing one
PostgreSQL database. Notices are counted in the stand-in by a token in their text."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.db import models
from bot.db.engine import create_engine, create_session_factory
from bot.db.uow import UnitOfWorkFactory
from bot.services.outbox import NoticeKind, enqueue
from bot.telegram_stub import BotApiStub, Chat
from tests.conftest import BACKENDS, TestDatabase
from tests.e2e.conftest import eventually
from tests.notifications_fixtures import add_team, bind

TOKEN = re.compile(r"\bN(\d{4})\b")


@pytest.fixture
async def stub() -> AsyncIterator[BotApiStub]:
    # these tests count deliveries, not flood control (the pacer has its own tests)
    async with BotApiStub(rate_limits=False) as running:
        yield running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def bot_process(
    stub: BotApiStub, database: TestDatabase, workdir: Path, name: str, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m bot run` with the settings of SPEC §6 pointing at the stand-in."""
    environment = {
        **os.environ,
        "BOT_TOKEN": stub.token,
        "BOT_API_BASE_URL": stub.base_url,
        "BOT_API_FILE_URL": stub.base_file_url,
        "DATABASE_URL": database.url,
        "DATA_DIR": str(workdir),
        "DEFAULT_LOCALE": "en",
        "DEFAULT_TIMEZONE": "UTC",
        "LOG_LEVEL": "WARNING",
        "ECB_URL": "http://127.0.0.1:9/eurofxref-daily.xml",
        "DISPATCH_INTERVAL_SECONDS": "0.5",
        # the web side (health, metrics): a free port each, as processes run side by side
        "WEB_LISTEN": "127.0.0.1",
        "WEB_PORT": str(free_port()),
        **env,
    }
    log = (workdir / f"{name}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=workdir,  # no stray .env
        env=environment,
        stdout=log,
        stderr=log,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


async def queue_notices(uow_factory: UnitOfWorkFactory, groups: list[Chat], per_group: int) -> int:
    """One team per group; `per_group` margin notices each, due now, with a token N####."""
    now = datetime.now(UTC)
    number = 0
    async with uow_factory() as uow:
        for group in groups:
            team = await add_team(uow, name=group.title or "")
            await bind(uow, team, group.id, title=group.title or "")
            for _ in range(per_group):
                await enqueue(
                    uow,
                    base_key=f"load:{number}",
                    team_id=team.id,
                    kind=NoticeKind.MARGIN,
                    payload={
                        "sku": f"N{number:04d}",
                        "campaign": "Load",
                        "campaign_id": 1,
                        "below": True,
                        "currency": "USD",
                    },
                    due_at=now,
                    expires_at=None,
                    now=now,
                )
                number += 1
        await uow.commit()
    return number


def delivered(stub: BotApiStub, groups: list[Chat]) -> Counter[str]:
    found: Counter[str] = Counter()
    for group in groups:
        for message in stub.messages(group):
            match = TOKEN.search(message.text)
            if match:
                found[match.group(1)] += 1
    return found


async def count(uow_factory: UnitOfWorkFactory, *conditions: Any) -> int:
    async with uow_factory() as uow:
        value = await uow.session.scalar(
            select(func.count(models.Notification.id)).where(*conditions)
        )
    return int(value or 0)


@pytest.fixture
async def uow_factory_of(database: TestDatabase) -> AsyncIterator[UnitOfWorkFactory]:
    engine = create_engine(database.url)
    yield UnitOfWorkFactory(create_session_factory(engine))
    await engine.dispose()


@pytest.mark.slow
async def test_a_sigkill_mid_dispatch_loses_nothing_and_repeats_at_most_the_in_flight(
    stub: BotApiStub, database: TestDatabase, uow_factory_of: UnitOfWorkFactory, tmp_path: Path
) -> None:
    uow_factory = uow_factory_of
    groups = [stub.create_group(f"Shop {i}", with_bot=True) for i in range(50)]
    total = await queue_notices(uow_factory, groups, per_group=10)
    assert total == 500
    settings = {"DISPATCH_RATE_PER_SECOND": "150"}

    async with bot_process(stub, database, tmp_path, "first", **settings) as first:
        await eventually(lambda: _at_least(stub, groups, 120), timeout=60, interval=0.02)
        first.kill()  # SIGKILL, mid-dispatch: no goodbye
        await first.wait()
    seen_at_kill = sum(delivered(stub, groups).values())
    in_flight = await count(
        uow_factory,
        models.Notification.status == "sending",
        models.Notification.attempt_started_at.is_not(None),
    )
    recorded = await count(uow_factory, models.Notification.status == "sent")
    assert 0 < seen_at_kill < total
    assert seen_at_kill - recorded <= in_flight  # whatever went out unrecorded was in flight

    async with bot_process(stub, database, tmp_path, "second", **settings):

        async def all_sent() -> bool:
            return await count(uow_factory, models.Notification.status == "sent") == total

        await eventually(all_sent, timeout=120, interval=0.2)
        await asyncio.sleep(0.5)  # anything still on its way would show now

    found = delivered(stub, groups)
    assert set(found) == {f"{n:04d}" for n in range(total)}  # none lost
    repeats = sum(found.values()) - total
    assert 0 <= repeats <= in_flight  # sent once, except at most those in flight at the kill
    assert all(times == 1 for times in found.values()) or repeats > 0
    print(f"killed after {seen_at_kill} sends; {in_flight} in flight; {repeats} repeated")


async def _at_least(stub: BotApiStub, groups: list[Chat], n: int) -> bool:
    return sum(delivered(stub, groups).values()) >= n


@pytest.mark.slow
@pytest.mark.skipif("postgresql" not in BACKENDS, reason="several dispatchers need PostgreSQL")
@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_two_dispatcher_processes_on_postgresql_send_each_notice_once(
    stub: BotApiStub, database: TestDatabase, uow_factory_of: UnitOfWorkFactory, tmp_path: Path
) -> None:
    uow_factory = uow_factory_of
    groups = [stub.create_group(f"Shop {i}", with_bot=True) for i in range(100)]
    processes = []
    hooks = [_webhook(), _webhook()]
    async with (
        bot_process(stub, database, tmp_path, "one", **hooks[0]) as one,
        bot_process(stub, database, tmp_path, "two", **hooks[1]) as two,
    ):
        processes = [one, two]
        # both up: each calls getMe twice (application and dispatcher) and sets its webhook
        await eventually(lambda: _ready(stub), timeout=60, interval=0.1)
        async with httpx.AsyncClient(timeout=30) as client:
            # what a load balancer asks each: both ready on the one database
            for hook in hooks:

                async def ready(port: str = hook["WEBHOOK_PORT"]) -> bool:
                    answer = await client.get(f"http://127.0.0.1:{port}/readyz")
                    return answer.status_code == 200

                await eventually(ready, timeout=30)
        total = await queue_notices(uow_factory, groups, per_group=10)
        assert total == 1000

        async def all_sent() -> bool:
            return await count(uow_factory, models.Notification.status == "sent") == total

        await eventually(all_sent, timeout=120, interval=0.2)
        await asyncio.sleep(0.5)
        assert all(p.returncode is None for p in processes)
    found = delivered(stub, groups)
    assert len(found) == total and set(found.values()) == {1}  # each exactly once
    async with uow_factory() as uow:
        senders = Counter(
            (
                await uow.session.scalars(
                    select(models.Notification.leased_by).where(
                        models.Notification.status == "sent"
                    )
                )
            ).all()
        )
    assert len(senders) == 2, senders  # both processes took part
    print(f"two dispatchers: {dict(senders)}")


def _webhook() -> dict[str, str]:
    return {
        "WEBHOOK_URL": "https://bot.example.invalid/telegram",
        "WEBHOOK_SECRET": "test-secret_123",
        "WEBHOOK_LISTEN": "127.0.0.1",
        "WEBHOOK_PORT": str(free_port()),
        "DISPATCH_RATE_PER_SECOND": "150",
    }


async def _ready(stub: BotApiStub) -> bool:
    return len(stub.calls("getMe")) >= 4 and len(stub.calls("setWebhook")) >= 2


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
async def test_run_answers_serves_health_and_stops_cleanly_on_sigterm(
    stub: BotApiStub, database: TestDatabase, tmp_path: Path
) -> None:
    """`campaignbot run` migrates, answers, serves /healthz, /readyz and /metrics on
    WEB_PORT, logs one JSON object per line (LOG_FORMAT=json) and shuts down gracefully
    on SIGTERM."""
    port = free_port()
    env = {"LOG_LEVEL": "DEBUG", "LOG_FORMAT": "json", "WEB_PORT": str(port)}
    async with bot_process(stub, database, tmp_path, "sigterm", **env) as process:
        user = stub.create_user("Term", language_code="en")
        stub.send_message(user, "/help")
        reply = await stub.wait_for_message(user, timeout=30)
        assert "/newcampaign" in reply.text
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=30) as client:
            assert (await client.get(f"{base}/healthz")).status_code == 200

            async def ready() -> bool:
                return (await client.get(f"{base}/readyz")).status_code == 200

            await eventually(ready, timeout=30)
            metrics = (await client.get(f"{base}/metrics")).text
        assert 'campaignbot_updates_total{handler="onboarding.help_command",outcome="ok"} 1.0' in (
            metrics
        )
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    log = (tmp_path / "sigterm.log").read_text()
    assert "Traceback" not in log
    assert stub.token.split(":")[1] not in log  # the token is never logged
    records = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert records and all(
        {"time", "level", "logger", "message"} <= record.keys() for record in records
    )
    assert any(r["logger"] == "bot.web.server" and "listening" in r["message"] for r in records)
    assert any(r["level"] == "DEBUG" for r in records)
