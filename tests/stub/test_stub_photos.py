"""sendPhoto: multipart upload (PTB's real Bot and plain HTTP), the image checks Telegram
makes (size, format, dimensions), the caption limit, and what the driver shows."""

from __future__ import annotations

import struct
import zlib

import aiohttp
import pytest
import telegram
from telegram import InputFile
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.telegram_stub import BotApiStub
from bot.telegram_stub.methods import image_size
from tests.stub.conftest import RawApi


def png(width: int, height: int) -> bytes:
    """A valid (black, greyscale) PNG of the given size."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x00" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def jpeg_header(width: int, height: int) -> bytes:
    """The start of a JPEG up to its frame header (enough for the size check)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def test_image_size_reads_png_and_jpeg_headers() -> None:
    assert image_size(png(30, 20)) == (30, 20)
    assert image_size(jpeg_header(640, 480)) == (640, 480)
    assert image_size(b"GIF89a....") is None
    assert image_size(b"\x89PNG\r\n\x1a\n") is None  # cut short


async def test_photo_upload_with_caption_through_ptb(bot: telegram.Bot, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    image = png(40, 30)
    sent = await bot.send_photo(
        alice.id,
        photo=InputFile(image, filename="chart.png"),
        caption="<b>Margins</b>: 12.5 %",
        parse_mode=ParseMode.HTML,
    )
    assert [(p.width, p.height, p.file_size) for p in sent.photo] == [(40, 30, len(image))]
    assert sent.caption == "Margins: 12.5 %"
    view = stub.messages(alice)[-1]
    assert view.photo is not None and view.document is None
    assert (view.photo.content, view.photo.width, view.photo.height) == (image, 40, 30)
    assert view.text == "Margins: 12.5 %"  # the caption, as for documents
    assert view.source == "<b>Margins</b>: 12.5 %"

    file = await bot.get_file(sent.photo[-1].file_id)  # downloadable like any file
    assert bytes(await file.download_as_bytearray()) == image
    again = await bot.send_photo(alice.id, photo=sent.photo[-1].file_id)  # by file_id
    assert again.photo[-1].file_id == sent.photo[-1].file_id

    edited = await bot.edit_message_caption(alice.id, sent.message_id, caption="new")
    assert isinstance(edited, telegram.Message) and edited.caption == "new"


async def test_photo_caption_over_1024_characters_is_refused(
    bot: telegram.Bot, stub: BotApiStub
) -> None:
    alice = stub.create_user("Alice", started=True)
    image = InputFile(png(10, 10), filename="chart.png")
    with pytest.raises(BadRequest, match="caption is too long"):
        await bot.send_photo(alice.id, photo=image, caption="x" * 1025)
    # 1,024 characters after the HTML is parsed are fine
    await bot.send_photo(
        alice.id,
        photo=InputFile(png(10, 10), filename="chart.png"),
        caption="<b>" + "x" * 1024 + "</b>",
        parse_mode=ParseMode.HTML,
    )
    assert [len(m.text) for m in stub.messages(alice)] == [1024]


async def _post_photo(raw: RawApi, chat_id: int, content: bytes) -> tuple[int, dict]:  # type: ignore[type-arg]
    form = aiohttp.FormData()
    form.add_field("chat_id", str(chat_id))
    form.add_field("photo", content, filename="p.png", content_type="image/png")
    async with raw.session.post(raw.url("sendPhoto"), data=form) as response:
        return response.status, await response.json()


async def test_photos_telegram_would_refuse(raw: RawApi, stub: BotApiStub) -> None:
    alice = stub.create_user("Alice", started=True)
    cases = [
        (b"not an image at all", "Bad Request: IMAGE_PROCESS_FAILED"),
        (png(9000, 1001), "Bad Request: PHOTO_INVALID_DIMENSIONS"),  # sides add up over 10,000
        (png(2100, 100), "Bad Request: PHOTO_INVALID_DIMENSIONS"),  # ratio 21 > 20
        (
            png(16, 16) + b"\x00" * (10 * 1024 * 1024),  # over 10 MB
            "Bad Request: PHOTO_SAVE_FILE_INVALID",
        ),
    ]
    for content, description in cases:
        status, body = await _post_photo(raw, alice.id, content)
        assert (status, body["description"]) == (400, description)
    assert stub.messages(alice) == []  # a refused call changes nothing
    status, body = await _post_photo(raw, alice.id, png(2000, 100))  # ratio 20: fine
    assert status == 200, body
    assert body["result"]["photo"][0]["width"] == 2000
