"""HTTP front of the stand-in: Bot API routes on loopback, Telegram's envelope.

Routes: ``/bot<token>/<method>`` (GET or POST; query string, form-urlencoded,
multipart or JSON body) and ``/file/bot<token>/<file_path>`` for downloads.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from bot.telegram_stub.errors import ApiError, bad_request, not_found, unauthorized
from bot.telegram_stub.methods import MAX_UPLOAD_BYTES, BotApi
from bot.telegram_stub.params import Params, Upload, decode_form_value

log = logging.getLogger(__name__)

_TOKEN_RE = re.compile(r"\d+:[A-Za-z0-9_-]+")
_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One request the bot made, for assertions: ``[c.method for c in stub.requests]``."""

    method: str
    params: dict[str, Any]
    status: int
    description: str | None
    at: float
    files: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == 200


def _json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, ensure_ascii=False),
        content_type="application/json",
    )


async def read_params(request: web.Request) -> Params:
    """Decode a request the way PTB (and other clients) encode it."""
    params = Params()
    for name, raw in request.query.items():
        params.values[name] = decode_form_value(name, raw)
    if request.method != "POST" or not request.body_exists:
        return params
    content_type = request.content_type
    if content_type == "application/json":
        body = await request.read()
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise bad_request("can't parse JSON object") from None  # approximate
            if not isinstance(data, dict):
                raise bad_request("can't parse JSON object")
            params.values.update(data)
    elif content_type == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                params.files[part.name] = Upload(
                    filename=part.filename,
                    content_type=part.headers.get("Content-Type"),
                    data=await _read_capped(part),
                )
            else:
                params.values[part.name] = decode_form_value(part.name, await part.text())
    else:
        # form-urlencoded, or a body without a usable content type
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, str):
                params.values[name] = decode_form_value(name, value)
    return params


async def _read_capped(part: BodyPartReader) -> bytes:
    """Read an uploaded file, keeping at most one byte more than Telegram allows."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(_CHUNK):
        if size <= MAX_UPLOAD_BYTES:
            chunks.append(chunk)
        size += len(chunk)
    data = b"".join(chunks)
    return data[: MAX_UPLOAD_BYTES + 1]


class StubServer:
    def __init__(
        self,
        api: BotApi,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_call: Callable[[ApiCall], None] | None = None,
    ) -> None:
        self.api = api
        self.token = token
        self.host = host
        self.port = port
        self.on_call = on_call
        # Uploads are read in chunks (see _read_capped); this bounds other bodies.
        self.app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        self.app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(self) -> None:
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        site = web.SockSite(runner, sock)
        await site.start()
        self.port = sock.getsockname()[1]  # port 0 → the ephemeral port we got
        self._runner = runner
        self.api.closing = False

    async def stop(self) -> None:
        if self._runner is None:
            return
        self.api.closing = True  # pending long polls return [] at once
        self.api.world.notifier.notify()
        await self._runner.cleanup()
        self._runner = None

    def _check_token(self, token: str) -> None:
        if token == self.token:
            return
        raise unauthorized() if _TOKEN_RE.fullmatch(token) else not_found()

    async def _handle_method(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = Params()
        try:
            self._check_token(request.match_info["token"])
            params = await read_params(request)
            result = await self.api.call(method, params)
        except ApiError as exc:
            self._record(method, params, exc.code, exc.description)
            if exc.code != 429:
                log.debug("stub %s -> %s %s", method, exc.code, exc.description)
            return _json_response(exc.envelope(), exc.code)
        except Exception:
            # A bug in the stand-in must not look like a Telegram answer.
            log.exception("telegram stub crashed on %s", method)
            self._record(method, params, 500, "Internal Server Error")
            return _json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500
            )
        self._record(method, params, 200, None)
        return _json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        try:
            self._check_token(request.match_info["token"])
        except ApiError as exc:
            return _json_response(exc.envelope(), exc.code)
        stored = self.api.world.files_by_path.get(request.match_info["path"])
        if stored is None:
            return _json_response(not_found().envelope(), 404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    def _record(self, method: str, params: Params, status: int, description: str | None) -> None:
        if self.on_call is None:
            return
        self.on_call(
            ApiCall(
                method=method,
                params=dict(params.values),
                status=status,
                description=description,
                at=time.time(),
                files=tuple(params.files),
            )
        )
