"""Webhook mode: the web side (bot/web/server.py) serves POST /telegram; Telegram's secret
header is checked; updates posted with it are answered; health is served beside it."""

from __future__ import annotations

import socket

import httpx

from bot.app import build_application, start_polling, start_webhook, stop_polling
from bot.telegram_stub import BotApiStub
from tests.conftest import TestDatabase
from tests.e2e.conftest import make_settings


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_checks_the_secret_and_answers(
    stub: BotApiStub, database: TestDatabase
) -> None:
    port = free_port()
    settings = make_settings(
        stub,
        database,
        webhook_url="https://bot.example.com/telegram",
        webhook_secret="s3cret-token",
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    app = build_application(settings)
    await start_webhook(app, settings)
    try:
        registered = stub.calls("setWebhook")[-1].params
        assert registered["url"] == "https://bot.example.com/telegram"
        assert registered["secret_token"] == "s3cret-token"

        user = stub.create_user("Hook", language_code="en")
        message = stub.send_message(user, "/help")
        update = {"update_id": 900001, "message": message}
        url = f"http://127.0.0.1:{port}/telegram"
        async with httpx.AsyncClient() as client:
            forged = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
            assert forged.status_code == 403
            assert stub.unread(user) == []

            missing = await client.post(url, json=update)
            assert missing.status_code == 403

            good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            too_big = await client.post(url, content=b"{" + b" " * 2_000_000 + b"}", headers=good)
            assert too_big.status_code == 413
            not_json = await client.post(url, content=b"<html>", headers=good)
            assert not_json.status_code == 400
            assert (await client.get(url, headers=good)).status_code == 405
            assert stub.unread(user) == []

            accepted = await client.post(url, json=update, headers=good)
            assert accepted.status_code == 200
            health = await client.get(f"http://127.0.0.1:{port}/healthz")
            assert health.status_code == 200
        reply = await stub.wait_for_message(user, timeout=30)
        assert "/newcampaign" in reply.text
    finally:
        await stop_polling(app)


async def test_polling_mode_serves_no_webhook(stub: BotApiStub, database: TestDatabase) -> None:
    """Without WEBHOOK_URL the web side has no /telegram: nobody can post updates to it."""
    port = free_port()
    settings = make_settings(stub, database, web_listen="127.0.0.1", web_port=port)
    app = build_application(settings)
    await start_polling(app, poll_timeout=2, web=settings)
    try:
        async with httpx.AsyncClient() as client:
            posted = await client.post(
                f"http://127.0.0.1:{port}/telegram",
                json={"update_id": 1},
                headers={"X-Telegram-Bot-Api-Secret-Token": "anything"},
            )
            assert posted.status_code == 404
            assert (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200
    finally:
        await stop_polling(app)
