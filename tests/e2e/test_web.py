"""The web side over real HTTP: /healthz, /readyz (ready; the database down; the schema
behind the migrations; the dispatcher silent) and /metrics moving after the bot handled
an update and sent a notice. The real Application, the uvicorn server on an ephemeral
port, the Bot API stand-in, a real database."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.app import build_application, start_polling, start_web, stop_polling, web_server
from bot.context import RUNTIME_KEY, Runtime
from bot.db.migrate import alembic_config, current_heads
from bot.db.uow import UnitOfWorkFactory
from bot.jobs.dispatcher import LAST_TICK_KEY
from bot.services.outbox import NoticeKind, enqueue
from bot.telegram_stub import BotApiStub
from bot.web.server import WebServer, build_web_app
from tests.conftest import TestDatabase
from tests.e2e.conftest import WAIT, eventually, make_settings
from tests.notifications_fixtures import add_team, bind


def sample(exposition: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text (0 when it is not there)."""
    for family in text_string_to_metric_families(exposition):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return float(found.value)
    return 0.0


def samples(exposition: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (dict(found.labels), float(found.value))
        for family in text_string_to_metric_families(exposition)
        for found in family.samples
        if found.name == name
    ]


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=WAIT) as http:
        yield http


async def test_health_ready_and_metrics_of_a_running_bot(
    stub: BotApiStub, database: TestDatabase, client: httpx.AsyncClient
) -> None:
    settings = make_settings(stub, database, web_listen="127.0.0.1")
    app = build_application(settings)
    await start_polling(app, poll_timeout=2)
    try:
        await start_web(app, settings, port=0)  # any free port (tests share the machine)
        server = web_server(app)
        assert server is not None
        base = server.url

        alive = await client.get(f"{base}/healthz")
        assert alive.status_code == 200 and alive.json() == {"status": "ok"}

        async def ready() -> httpx.Response | None:
            answer = await client.get(f"{base}/readyz")
            return answer if answer.status_code == 200 else None

        answer = await eventually(ready)  # once the dispatcher has ticked
        assert answer.json()["checks"] == {
            "database": "ok",
            "migrations": "ok",
            "dispatcher": "ok",
        }

        before = (await client.get(f"{base}/metrics")).text
        user = stub.create_user("Metrics", language_code="en")
        stub.send_message(user, "/help")
        reply = await stub.wait_for_message(user, timeout=WAIT)
        assert "/newcampaign" in reply.text

        # a margin notice due now, for a team whose group the stand-in knows
        group = stub.create_group("Shop", with_bot=True)
        runtime: Runtime = app.bot_data[RUNTIME_KEY]
        await _queue_notice(runtime.uow_factory, group.id)
        await eventually(lambda: _has_message(stub, group.id, "N0001"))

        async def moved() -> str | None:
            found = (await client.get(f"{base}/metrics")).text
            sent = sample(found, "campaignbot_outbox_rows", status="sent")
            return found if sent == 1 else None

        after = await eventually(moved)
    finally:
        await stop_polling(app)

    help_handler = "onboarding.help_command"
    assert sample(before, "campaignbot_updates_total", handler=help_handler, outcome="ok") == 0
    assert sample(after, "campaignbot_updates_total", handler=help_handler, outcome="ok") == 1
    assert sample(after, "campaignbot_handler_seconds_count", handler=help_handler) == 1
    assert sample(after, "campaignbot_handler_seconds_sum", handler=help_handler) > 0
    assert sample(after, "campaignbot_outbox_rows", status="pending") == 0
    assert sample(after, "campaignbot_notice_lateness_seconds_count") == 1
    assert sample(after, "campaignbot_telegram_retry_after_total") == 0
    assert sample(after, "campaignbot_errors_total", source="update") == 0
    for name in ("campaignbot_file_work_seconds", "campaignbot_handler_seconds"):
        assert f"# TYPE {name} histogram" in after


async def _queue_notice(uow_factory: UnitOfWorkFactory, chat_id: int) -> None:
    now = datetime.now(UTC)
    async with uow_factory() as uow:
        team = await add_team(uow, name="Shop")
        await bind(uow, team, chat_id, title="Shop")
        await enqueue(
            uow,
            base_key="web:1",
            team_id=team.id,
            kind=NoticeKind.MARGIN,
            payload={
                "sku": "N0001",
                "campaign": "Load",
                "campaign_id": 1,
                "below": True,
                "currency": "USD",
            },
            due_at=now,
            expires_at=None,
            now=now,
        )
        await uow.commit()


async def _has_message(stub: BotApiStub, chat_id: int, token: str) -> bool:
    return any(token in m.text for m in stub.messages(chat_id))


# -- not ready ---------------------------------------------------------------------------------


@pytest.fixture
async def served() -> AsyncIterator[Any]:
    """Serve the web side of an application that is built but not started (no polling,
    no dispatcher): `await served(settings)` gives (application, base URL)."""
    started: list[tuple[Any, WebServer]] = []

    async def serve(settings: Any) -> tuple[Any, str]:
        app = build_application(settings)
        server = WebServer(build_web_app(app, settings), "127.0.0.1", 0)
        await server.start()
        started.append((app, server))
        return app, server.url

    yield serve
    for app, server in started:
        await server.stop()
        await app.bot_data["engine"].dispose()


def unreachable_database(database: TestDatabase, tmp_path: Any) -> str:
    if database.backend == "sqlite":  # a directory that does not exist: cannot be opened
        return f"sqlite+aiosqlite:///{tmp_path}/missing/dir/bot.sqlite3"
    return "postgresql+asyncpg://postgres:pw-never-shown@127.0.0.1:9/campaigns"


async def test_readyz_is_503_with_a_reason_when_the_database_is_down(
    stub: BotApiStub,
    database: TestDatabase,
    served: Any,
    client: httpx.AsyncClient,
    tmp_path: Any,
) -> None:
    down = TestDatabase(database.backend, unreachable_database(database, tmp_path))
    app, base = await served(make_settings(stub, down))
    app.bot_data[RUNTIME_KEY].extras[LAST_TICK_KEY] = time.monotonic()  # only the DB fails

    answer = await client.get(f"{base}/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("unreachable (")
    assert body["checks"]["dispatcher"] == "ok"
    assert "database: unreachable" in body["reason"]
    assert "pw-never-shown" not in answer.text
    # alive all the same (a liveness probe must not restart a bot whose database is down)
    assert (await client.get(f"{base}/healthz")).status_code == 200
    metrics = await client.get(f"{base}/metrics")
    assert metrics.status_code == 200  # served, without the outbox counts it cannot make
    assert samples(metrics.text, "campaignbot_outbox_rows") == []


async def test_readyz_is_503_when_the_schema_is_behind_or_the_dispatcher_is_silent(
    stub: BotApiStub, database: TestDatabase, served: Any, client: httpx.AsyncClient
) -> None:
    settings = make_settings(stub, database, dispatch_interval_seconds=1.0)
    app, base = await served(settings)
    extras = app.bot_data[RUNTIME_KEY].extras

    not_yet = (await client.get(f"{base}/readyz")).json()
    assert not_yet["checks"]["dispatcher"] == "has not ticked yet"
    assert not_yet["checks"]["migrations"] == "ok" and not_yet["checks"]["database"] == "ok"

    extras[LAST_TICK_KEY] = time.monotonic()
    assert (await client.get(f"{base}/readyz")).status_code == 200

    extras[LAST_TICK_KEY] = time.monotonic() - 2.5  # more than twice the 1 s interval
    silent = await client.get(f"{base}/readyz")
    assert silent.status_code == 503
    assert silent.json()["checks"]["dispatcher"].startswith("last ticked 2.")

    extras[LAST_TICK_KEY] = time.monotonic() + 3600  # only the schema is wrong now
    from alembic.script import ScriptDirectory

    (head,) = current_heads()
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(head).down_revision
    assert isinstance(previous, str)
    engine = app.bot_data["engine"]
    async with engine.begin() as connection:
        await connection.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": previous}
        )
    try:
        behind = await client.get(f"{base}/readyz")
    finally:  # the PostgreSQL test database outlives this test
        async with engine.begin() as connection:
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :v"), {"v": head}
            )
    assert behind.status_code == 503
    checks = behind.json()["checks"]
    assert checks["database"] == "ok" and checks["dispatcher"] == "ok"
    assert checks["migrations"].startswith(f"at {previous}, head is {head}")
    assert (await client.get(f"{base}/readyz")).status_code == 200
