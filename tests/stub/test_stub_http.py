"""The wire protocol: envelope, decoding, long polling — with plain HTTP requests."""

from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from bot.telegram_stub import BotApiStub, RateLimits
from tests.stub.conftest import TOKEN, RawApi


async def test_envelope_ok_and_empty_post_is_a_parameterless_call(raw: RawApi) -> None:
    async with raw.session.post(raw.url("getMe")) as response:
        assert response.status == 200
        assert response.content_type == "application/json"
        body = await response.json()
    assert body["ok"] is True
    assert body["result"]["is_bot"] is True
    assert body["result"]["username"] == "CampaignPlannerBot"
    assert body["result"]["id"] == 123456


async def test_get_with_query_string_and_method_names_are_case_insensitive(raw: RawApi) -> None:
    async with raw.session.get(raw.url("getme")) as response:
        assert (await response.json())["result"]["id"] == 123456


async def test_wrong_token_and_unknown_method(raw: RawApi, stub: BotApiStub) -> None:
    async with raw.session.post(raw.url("getMe", token="999:OTHER")) as response:
        assert response.status == 401
        assert await response.json() == {
            "ok": False,
            "error_code": 401,
            "description": "Unauthorized",
        }
    async with raw.session.post(raw.url("getMe", token="garbage")) as response:
        assert response.status == 404
    status, body = await raw.form("sendTelepathy")
    assert (status, body["description"]) == (404, "Not Found")
    assert stub.unknown_methods == ["sendTelepathy"]


async def test_form_values_decode_by_type_and_text_stays_a_string(
    raw: RawApi, stub: BotApiStub
) -> None:
    alice = stub.create_user("Alice", started=True)
    status, body = await raw.form(
        "sendMessage",
        chat_id=str(alice.id),
        text="123",
        disable_notification="true",
        reply_markup=json.dumps({"inline_keyboard": [[{"text": "1", "callback_data": "42"}]]}),
    )
    assert status == 200, body
    assert body["result"]["text"] == "123"
    sent = stub.messages(alice)[-1]
    assert sent.text == "123"
    assert sent.request["disable_notification"] is True
    assert sent.request["chat_id"] == alice.id
    assert sent.buttons == [[("1", "42")]]  # callback_data "42" stays a string


async def test_json_bodies_are_accepted(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    status, body = await raw.json(
        "sendMessage", {"chat_id": alice.id, "text": "<i>hi</i>", "parse_mode": "HTML"}
    )
    assert status == 200
    assert body["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 2}]


async def test_multipart_upload_and_download(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("caption", "42")
    form.add_field("document", b"sku,cost\nA1,3.50\n", filename="skus.csv", content_type="text/csv")
    async with raw.session.post(raw.url("sendDocument"), data=form) as response:
        body = await response.json()
    assert body["ok"], body
    document = body["result"]["document"]
    assert document["file_name"] == "skus.csv"
    assert document["mime_type"] == "text/csv"
    assert document["file_size"] == 17
    assert body["result"]["caption"] == "42"

    status, got = await raw.form("getFile", file_id=document["file_id"])
    assert status == 200
    path = got["result"]["file_path"]
    async with raw.session.get(f"{stub.base_file_url}{TOKEN}/{path}") as response:
        assert response.status == 200
        assert await response.read() == b"sku,cost\nA1,3.50\n"
    async with raw.session.get(f"{stub.base_file_url}{TOKEN}/documents/nope") as response:
        assert response.status == 404
    async with raw.session.get(f"{stub.base_file_url}1:WRONG/{path}") as response:
        assert response.status == 401


async def test_file_over_50_mb_is_refused(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    form = aiohttp.FormData()
    form.add_field("chat_id", str(alice.id))
    form.add_field("document", b"x" * (50 * 1024 * 1024 + 1), filename="big.bin")
    async with raw.session.post(raw.url("sendDocument"), data=form) as response:
        assert response.status == 413
    assert stub.messages(alice) == []


async def test_resending_a_known_file_id(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    upload = stub.send_document(alice, filename="a.csv", content=b"a")
    file_id = upload["document"]["file_id"]
    status, body = await raw.form("sendDocument", chat_id=str(alice.id), document=file_id)
    assert status == 200
    assert body["result"]["document"]["file_id"] == file_id
    status, body = await raw.form("sendDocument", chat_id=str(alice.id), document="nonsense")
    assert (status, body["description"]) == (
        400,
        "Bad Request: wrong file identifier/HTTP URL specified",
    )


@pytest.mark.parametrize(
    ("fields", "description"),
    [
        ({"text": ""}, "Bad Request: message text is empty"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        (
            {"text": "<b>x", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: "
            'Can\'t find end tag corresponding to start tag "b"',
        ),
        (
            {
                "text": "x",
                "reply_markup": json.dumps(
                    {"inline_keyboard": [[{"text": "a", "callback_data": "d" * 65}]]}
                ),
            },
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        ({"text": "x", "message_thread_id": "5"}, "Bad Request: message thread not found"),
        (
            {"text": "x", "reply_parameters": json.dumps({"message_id": 999})},
            "Bad Request: message to be replied not found",
        ),
    ],
)
async def test_validation_errors_over_http(
    raw: RawApi, stub: BotApiStub, fields: dict[str, str], description: str
) -> None:
    alice = stub.create_user("Alice", started=True)
    status, body = await raw.form("sendMessage", chat_id=str(alice.id), **fields)
    assert status == 400
    assert body == {"ok": False, "error_code": 400, "description": description}
    assert stub.messages(alice) == []  # a refused call changes nothing


async def test_unknown_chat(raw: RawApi) -> None:
    status, body = await raw.form("sendMessage", chat_id="42", text="x")
    assert (status, body["description"]) == (400, "Bad Request: chat not found")


async def test_migrated_group_answers_with_migrate_to_chat_id(
    raw: RawApi, stub: BotApiStub
) -> None:
    alice = stub.create_user("Alice")
    group = stub.create_group("Team", admins=[alice], with_bot=True)
    new_id = stub.migrate_to_supergroup(group)
    status, body = await raw.form("sendMessage", chat_id=str(group.id), text="x")
    assert status == 400
    assert body["description"] == "Bad Request: group chat was upgraded to a supergroup chat"
    assert body["parameters"] == {"migrate_to_chat_id": new_id}
    assert str(new_id).startswith("-100")


async def test_rate_limit_answers_429_with_retry_after(raw: RawApi, stub: BotApiStub) -> None:
    stub.set_rate_limits(RateLimits(private_burst=2, private_per_second=0.5))
    alice = stub.create_user("Alice", started=True)
    statuses = [
        (await raw.form("sendMessage", chat_id=str(alice.id), text="x"))[0] for _ in range(2)
    ]
    status, body = await raw.form("sendMessage", chat_id=str(alice.id), text="x")
    assert statuses == [200, 200]
    assert status == 429
    assert body == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 2",
        "parameters": {"retry_after": 2},
    }
    assert stub.count_429 == 1
    assert len(stub.messages(alice)) == 2


async def test_flood_switch(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    stub.flood(2, retry_after=7)
    first = await raw.form("sendMessage", chat_id=str(alice.id), text="a")
    second = await raw.form("sendMessage", chat_id=str(alice.id), text="b")
    third = await raw.form("sendMessage", chat_id=str(alice.id), text="c")
    assert [first[0], second[0], third[0]] == [429, 429, 200]
    assert first[1]["parameters"] == {"retry_after": 7}
    assert stub.count_429 == 2
    assert [m.text for m in stub.messages(alice)] == ["c"]


async def test_long_poll_wakes_up_when_an_update_is_injected(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    started = time.monotonic()
    poll = asyncio.create_task(raw.form("getUpdates", timeout="10"))
    await asyncio.sleep(0.2)
    assert not poll.done()  # really waiting
    stub.send_message(alice, "hello")
    status, body = await asyncio.wait_for(poll, 3)
    assert status == 200
    assert time.monotonic() - started < 3
    assert [u["message"]["text"] for u in body["result"]] == ["hello"]


async def test_long_poll_times_out_empty(raw: RawApi) -> None:
    started = time.monotonic()
    status, body = await raw.form("getUpdates", timeout="1")
    assert (status, body["result"]) == (200, [])
    assert 0.9 <= time.monotonic() - started < 3


async def test_offsets_confirm_and_limit_caps(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    for text in ("one", "two", "three"):
        stub.send_message(alice, text)
    _, body = await raw.form("getUpdates", limit="2")
    first = body["result"]
    assert [u["message"]["text"] for u in first] == ["one", "two"]
    _, body = await raw.form("getUpdates")
    assert len(body["result"]) == 3  # nothing confirmed yet
    _, body = await raw.form("getUpdates", offset=str(first[-1]["update_id"] + 1))
    assert [u["message"]["text"] for u in body["result"]] == ["three"]
    _, body = await raw.form("getUpdates", offset=str(body["result"][-1]["update_id"] + 1))
    assert body["result"] == []


async def test_negative_offset_keeps_the_last_updates(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    for text in ("one", "two", "three"):
        stub.send_message(alice, text)
    _, body = await raw.form("getUpdates", offset="-1")
    assert [u["message"]["text"] for u in body["result"]] == ["three"]


async def test_allowed_updates_filters_new_updates(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice")
    bob = stub.create_user("Bob")
    group = stub.create_group("Team", admins=[alice], bot_admin=True)
    stub.add_member(group, bob, by=alice)  # chat_member is off by default
    _, body = await raw.form("getUpdates")
    assert [k for u in body["result"] for k in u if k != "update_id"] == ["message"]

    await raw.form(
        "getUpdates",
        allowed_updates=json.dumps(["chat_member"]),
        offset=str(body["result"][-1]["update_id"] + 1),
    )
    stub.remove_member(group, bob)
    _, body = await raw.form("getUpdates")
    kinds = [k for u in body["result"] for k in u if k != "update_id"]
    assert kinds == ["chat_member"]  # the left_chat_member message was filtered out
    assert body["result"][0]["chat_member"]["new_chat_member"]["status"] == "left"


async def test_a_second_poller_terminates_the_first(raw: RawApi) -> None:
    first = asyncio.create_task(raw.form("getUpdates", timeout="5"))
    await asyncio.sleep(0.2)
    second = await raw.form("getUpdates", timeout="0")
    status, body = await asyncio.wait_for(first, 2)
    assert second[0] == 200
    assert status == 409
    assert body["description"].startswith("Conflict: terminated by other getUpdates request")


async def test_webhook_blocks_polling_until_deleted(raw: RawApi) -> None:
    status, _ = await raw.form("setWebhook", url="https://example.com/hook")
    assert status == 200
    _, info = await raw.form("getWebhookInfo")
    assert info["result"]["url"] == "https://example.com/hook"
    status, body = await raw.form("getUpdates")
    assert status == 409
    assert "webhook is active" in body["description"]
    await raw.form("deleteWebhook")
    status, _ = await raw.form("getUpdates")
    assert status == 200


async def test_stop_releases_a_pending_long_poll() -> None:
    stub = BotApiStub(TOKEN)
    await stub.start()
    async with aiohttp.ClientSession() as session:
        raw = RawApi(session, stub)
        poll = asyncio.create_task(raw.form("getUpdates", timeout="30"))
        await asyncio.sleep(0.2)
        started = time.monotonic()
        await stub.stop()
        status, body = await asyncio.wait_for(poll, 5)
    assert (status, body["result"]) == (200, [])
    assert time.monotonic() - started < 3
