"""A local HTTP server serving a saved copy of the ECB's daily reference-rate feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import web

FEED = Path(__file__).resolve().parent / "data" / "ecb" / "eurofxref-daily.xml"


class EcbServer:
    def __init__(self) -> None:
        self.content = FEED.read_bytes()
        self.status = 200
        self.requests = 0
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/stats/eurofxref/eurofxref-daily.xml"

    def publish(self, day: str, **rates: str) -> None:
        """Serve the saved feed for `day` with some rates changed (`CNY="7.10"`)."""
        text = FEED.read_text(encoding="utf-8").replace("2026-11-25", day)
        for code, rate in rates.items():
            start = text.index(f"currency='{code}' rate='")
            end = text.index("'", start + len(f"currency='{code}' rate='"))
            text = text[: start + len(f"currency='{code}' rate='")] + rate + text[end:]
        self.content = text.encode("utf-8")
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.requests += 1
        if self.status != 200:
            return web.Response(status=self.status, text="unavailable")
        return web.Response(body=self.content, content_type="text/xml")


@asynccontextmanager
async def ecb_server() -> AsyncIterator[EcbServer]:
    server = EcbServer()
    app = web.Application()
    app.router.add_get("/stats/eurofxref/eurofxref-daily.xml", server.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    sockets = site._server.sockets if site._server is not None else []  # type: ignore[union-attr]
    server.port = sockets[0].getsockname()[1]
    try:
        yield server
    finally:
        await runner.cleanup()
