"""The bot's one HTTP application, and the uvicorn server that runs it in the bot's loop.

Following PTB's custom-webhook example (examples/customwebhookbot/starlettebot.py):
Starlette serves the routes, uvicorn runs inside the event loop the Application already
runs in, and a webhook update is put on ``application.update_queue`` for PTB to process.

Routes:

* ``POST /telegram`` — the webhook (only in webhook mode). Telegram sends the secret
  given to setWebhook in ``X-Telegram-Bot-Api-Secret-Token``; anything else is 403.
* ``GET /healthz`` — the process is alive (200, no checks: for liveness probes).
* ``GET /readyz`` — ready for traffic: the database answers, its schema is at the
  migrations' head, and the dispatcher ticked within twice its interval. 503 with a
  JSON body naming what failed otherwise.
* ``GET /metrics`` — Prometheus text format (bot.web.metrics).
* whatever ``extra_routes`` add (the Mini App).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import socket
import time
from collections.abc import Generator, Sequence
from typing import Any

import uvicorn
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import Update
from telegram.ext import Application

from bot.config import Settings, mask_secrets
from bot.context import ENGINE_KEY, RUNTIME_KEY, Runtime
from bot.jobs.dispatcher import LAST_TICK_KEY
from bot.web.metrics import METRICS_KEY, BotMetrics

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# An update is a few kilobytes (a 4096-character message and its entities, a poll …);
# Telegram never sends a file's content in one. A larger body is not from Telegram.
MAX_UPDATE_BYTES = 1024 * 1024
READY_TIMEOUT = 3.0  # seconds the database has to answer a readiness check
PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


def build_web_app(
    application: AnyApplication, settings: Settings, *, extra_routes: Sequence[BaseRoute] = ()
) -> Starlette:
    """The bot's web side for `application` (not started: see `WebServer`)."""
    from bot.db.migrate import current_heads

    heads = frozenset(current_heads())  # read once: the scripts do not change while we run
    runtime: Runtime = application.bot_data[RUNTIME_KEY]
    engine: AsyncEngine = application.bot_data[ENGINE_KEY]

    async def healthz(_request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_request: Request) -> Response:
        checks = await readiness(engine, heads, runtime)
        failed = {name: detail for name, detail in checks.items() if detail != "ok"}
        if failed:
            reason = "; ".join(f"{name}: {detail}" for name, detail in failed.items())
            return JSONResponse(
                {"status": "unavailable", "reason": reason, "checks": checks}, status_code=503
            )
        return JSONResponse({"status": "ok", "checks": checks})

    async def metrics(_request: Request) -> Response:
        found = runtime.extras.get(METRICS_KEY)
        if not isinstance(found, BotMetrics):
            return PlainTextResponse("no metrics in this process\n", status_code=404)
        await found.collect_outbox(engine)
        return Response(found.render(), media_type=PROMETHEUS_TEXT)

    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if settings.webhook_url:
        assert settings.webhook_secret is not None  # Settings insists on one
        routes.append(
            Route(
                WEBHOOK_PATH,
                _webhook(application, settings.webhook_secret.get_secret_value()),
                methods=["POST"],
            )
        )
    routes.extend(extra_routes)
    return Starlette(routes=routes)


def _webhook(application: AnyApplication, secret: str) -> Any:
    expected = secret.encode()

    async def telegram(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("refused a webhook request without the right secret")
            return PlainTextResponse("forbidden\n", status_code=403)
        try:
            body = await _bounded_body(request, MAX_UPDATE_BYTES)
        except _TooLarge:
            return PlainTextResponse("too large\n", status_code=413)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            data = json.loads(body)
            update = Update.de_json(data, application.bot)
        except Exception:  # not JSON, or not an update: Telegram would never send it
            log.warning("refused a webhook body that is not an update")
            return PlainTextResponse("not an update\n", status_code=400)
        if update is None:
            return PlainTextResponse("not an update\n", status_code=400)
        await application.update_queue.put(update)
        return Response()

    return telegram


class _TooLarge(Exception):
    pass


async def _bounded_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def readiness(engine: AsyncEngine, heads: frozenset[str], runtime: Runtime) -> dict[str, str]:
    """Each check's result: "ok" or what is wrong."""
    checks = {"database": "ok", "migrations": "ok", "dispatcher": "ok"}
    try:
        async with asyncio.timeout(READY_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            try:
                found = frozenset(
                    (
                        await connection.scalars(text("SELECT version_num FROM alembic_version"))
                    ).all()
                )
            except Exception:
                checks["migrations"] = (
                    "not applied (no alembic_version): run campaignbot db upgrade"
                )
            else:
                if found != heads:
                    checks["migrations"] = (
                        f"at {', '.join(sorted(found)) or 'nothing'}, head is "
                        f"{', '.join(sorted(heads))}: run campaignbot db upgrade"
                    )
    except TimeoutError:
        checks["database"] = f"no answer within {READY_TIMEOUT:.0f} s"
        checks["migrations"] = "unknown"
    except Exception as exc:
        detail = mask_secrets(" ".join(str(exc).split()))[:200]
        checks["database"] = f"unreachable ({type(exc).__name__}: {detail})"
        checks["migrations"] = "unknown"
    interval = runtime.settings.dispatch_interval_seconds
    last = runtime.extras.get(LAST_TICK_KEY)
    if last is None:
        checks["dispatcher"] = "has not ticked yet"
    else:
        ago = time.monotonic() - float(last)
        if ago > 2 * interval:
            checks["dispatcher"] = f"last ticked {ago:.1f} s ago (interval {interval:g} s)"
    return checks


# -- the server --------------------------------------------------------------------------------


class WebStartError(RuntimeError):
    """The web side could not listen (the port is taken, the address is not ours)."""


class _Server(uvicorn.Server):
    """uvicorn's server without its signal handling: the bot's runner owns SIGINT and
    SIGTERM and stops the web side itself."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class WebServer:
    """Runs an ASGI app with uvicorn as a task of the running loop.

    The socket is bound here, before uvicorn starts, so that a port in use is an
    `OSError` for the caller (uvicorn itself would call `sys.exit`), and port 0 gives
    an ephemeral port (`port` says which)."""

    def __init__(self, app: Starlette, host: str, port: int) -> None:
        self.app = app
        self.host = host
        self.requested_port = port
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        assert self._socket is not None, "not started"
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.requested_port))
            sock.listen(128)
            sock.setblocking(False)
        except OSError as exc:
            sock.close()
            raise WebStartError(
                f"cannot listen on {self.host}:{self.requested_port} ({exc.strerror or exc})"
            ) from exc
        self._socket = sock
        config = uvicorn.Config(
            self.app,
            lifespan="off",
            ws="none",
            log_config=None,  # the bot's logging (text or JSON) applies
            access_log=False,  # a scraper every few seconds would drown the log
            timeout_graceful_shutdown=5,
            server_header=False,
        )
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="web-server")
        try:
            while not self._server.started:
                if self._task.done():
                    self._task.result()  # raises what stopped it
                    raise WebStartError("stopped while starting")
                await asyncio.sleep(0.01)
        except BaseException:
            await self.stop()
            raise
        log.info("web side listening on %s", self.url)

    async def stop(self) -> None:
        server, task = self._server, self._task
        self._server = self._task = None
        if server is not None and task is not None:
            server.should_exit = True
            done, _ = await asyncio.wait({task}, timeout=10)
            if not done:  # connections that would not close: cut them
                server.force_exit = True
                await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                log.error("the web server failed", exc_info=task.exception())
        if self._socket is not None:
            self._socket.close()
