"""Issue 10 (hostile files) and issue 11 item 2 through the stand-in: files sent as a user,
the bot's answers read back. Bombs, DTDs and over-long headers get clear refusals while
other users are answered; a file over the time limit is stopped and the worker replaced;
control characters, Latin-1 and GB18030 CSVs, percent-formatted cells and the preview's
old → new values."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.clock import Clock
from bot.db.models import Listing, PendingImport, Sku
from bot.telegram_stub import BotApiStub, StubMessage, User
from bot.views.xlsx import column_letter
from tests.conftest import TestDatabase
from tests.e2e.catalog_support import count, plain, team_of
from tests.e2e.conftest import BotHarness, make_settings
from tests.xlsx_parts import (
    cell,
    dimension_bomb,
    row,
    shared_strings_bomb,
    sheet,
    with_doctype,
    workbook,
)

HELP = "Campaign planner"


@pytest.fixture(autouse=True)
def _no_rate_limits(stub: BotApiStub) -> None:
    stub.set_rate_limits(False)


async def send_file(
    harness: BotHarness, user: User, filename: str, content: bytes, *, timeout: float = 30
) -> StubMessage:
    harness.stub.mark_read(user)
    harness.stub.send_document(user, filename=filename, content=content)
    return (await harness.stub.wait_for_messages(user, 1, timeout=timeout))[0]


async def seller(harness: BotHarness, name: str = "Li") -> User:
    user = harness.stub.create_user(name, language_code="en")
    await harness.ask(user, "/channel add temu-us-semi")
    return user


def answer_order(stub: BotApiStub) -> list[int]:
    """The chats of the bot's sendMessage calls, in the order it made them."""
    return [int(call.params["chat_id"]) for call in stub.calls("sendMessage")]


async def file_and_help(
    harness: BotHarness, sender: User, other: User, filename: str, content: bytes
) -> tuple[StubMessage, StubMessage]:
    """`sender` uploads a file and, right after, `other` asks for /help: both answered."""
    harness.stub.mark_read(sender)
    harness.stub.mark_read(other)
    harness.stub.send_document(sender, filename=filename, content=content)
    harness.stub.send_message(other, "/help")
    helped = (await harness.stub.wait_for_messages(other, 1, timeout=30))[0]
    answered = (await harness.stub.wait_for_messages(sender, 1, timeout=30))[0]
    return answered, helped


async def test_the_dimension_bomb_is_answered_and_others_are_served(harness: BotHarness) -> None:
    """Finding 1: 4.9 KB declaring A1:XFD1048576 grew the bot to 6.5 GB and held up
    another user's command for 40 s."""
    li = await seller(harness)
    bob = harness.stub.create_user("Bob", language_code="en")
    await harness.ask(bob, "/start")
    answered, helped = await file_and_help(harness, li, bob, "bomb.xlsx", dimension_bomb())
    assert HELP in helped.text
    assert "row 1: the file has no header row" in answered.text
    # the same bomb with a header: one row read, numbered as in the file
    content = workbook(
        sheet(
            row(1, cell("A1", "sku"), cell("B1", "unit_cost")),
            row(1_048_576, cell("A1048576", "LAST"), cell("B1048576", 2)),
            dimension="A1:XFD1048576",
        )
    )
    preview = await send_file(harness, li, "last.xlsx", content)
    assert "1 row read." in preview.text and "New: 1" in preview.text


async def test_zip_bombs_and_doctypes_are_refused_clearly(harness: BotHarness) -> None:
    """The sharedStrings zip bomb (2.1 GB, 9 s stall) and finding 11 (a DTD answered with
    'Sorry, something went wrong')."""
    li = await seller(harness)
    bob = harness.stub.create_user("Bob", language_code="en")
    await harness.ask(bob, "/start")
    answered, helped = await file_and_help(harness, li, bob, "bomb.xlsx", shared_strings_bomb())
    assert HELP in helped.text
    assert "too large or complex to read" in answered.text
    assert "as a zip bomb does" in answered.text
    for part in ("xl/workbook.xml", "xl/worksheets/sheet1.xml"):
        refused = await send_file(harness, li, "dtd.xlsx", with_doctype(part))
        assert "document type declaration (DOCTYPE)" in refused.text
        assert "something went wrong" not in refused.text
    assert await count(harness, Sku) == 0 and await count(harness, PendingImport) == 0


async def test_a_header_of_long_cells_still_gives_a_preview(harness: BotHarness) -> None:
    """Finding 4: 20 header cells of 300 characters made the preview too long to send."""
    li = await seller(harness)
    long_names = [f"list_price@{'x' * 290}{i:02d}" for i in range(20)]
    content = (",".join(["sku", "unit_cost", *long_names]) + "\nA1,1\n").encode()
    preview = await send_file(harness, li, "long.csv", content)
    assert "Nothing was imported." in preview.text
    assert preview.text.count("names a channel this team does not have") >= 10
    assert len(preview.text) <= 4096
    unknown = [f"{'y' * 299}{i}" for i in range(20)]
    content = (",".join(["sku", "unit_cost", *unknown]) + "\nA1,1\n").encode()
    preview = await send_file(harness, li, "unknown.csv", content)
    assert "Columns I do not use:" in preview.text and "New: 1" in preview.text
    assert len(preview.text) <= 4096


async def test_control_characters_are_refused_and_old_ones_do_not_break_the_export(
    harness: BotHarness,
) -> None:
    """Finding 5: a \\x07 name or a \\x00 code was imported, then /export failed for the
    whole team and the NUL code could not be deleted."""
    li = await seller(harness)
    content = b"sku,name,unit_cost\nOK1,Mug,1\nBEL,Ring\x07ing,1\nN\x00UL,Nul,1\n"
    preview = await send_file(harness, li, "ctl.csv", content)
    assert "errors: 2" in preview.text and "Nothing was imported." in preview.text
    assert "row 3, name: “Ring␇ing” contains control characters" in preview.text
    assert "row 4, sku: “N␀UL” contains control characters" in preview.text
    assert await count(harness, Sku) == 0

    # a name stored before this check (or by another path) must not break the export
    team_id = await team_of(harness, li)
    now = datetime.now(UTC)
    async with harness.uow_factory() as uow:
        uow.session.add(
            Sku(
                team_id=team_id,
                code="OLD",
                name="Bell\x07 and \x1b escape",
                unit_cost=Decimal(1),
                cost_currency="CNY",
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
    exported = await harness.send(li, "/export", replies=2)
    files = {m.document.file_name.rsplit(".", 1)[1]: m.document for m in exported if m.document}
    assert set(files) == {"xlsx", "csv"}
    sheet_ = load_workbook(io.BytesIO(files["xlsx"].content)).worksheets[0]
    assert [c.value for c in sheet_[2]][:2] == ["OLD", "Bell and  escape"]


async def test_latin1_and_gb18030_csv_files(harness: BotHarness) -> None:
    """Finding 14: a Latin-1 CSV was decoded as GB18030 and stored as mojibake."""
    li = await seller(harness)
    latin = "sku,name,unit_cost\nD1,Crème brûlée,3\nD2,Café au lait,4\n".encode("latin-1")
    preview = await send_file(harness, li, "fr.csv", latin)
    await harness.press(li, preview, "✅ Confirm")
    chinese = "货号,名称,采购成本,关税率\nZ1,杯子,12.5,7.5\n".encode("gb18030")
    preview = await send_file(harness, li, "zh.csv", chinese)
    assert "New: 1" in preview.text
    await harness.press(li, preview, "✅ Confirm")
    async with harness.uow_factory() as uow:
        names = dict((await uow.session.execute(select(Sku.code, Sku.name))).all())
    assert names == {"D1": "Crème brûlée", "D2": "Café au lait", "Z1": "杯子"}
    junk = await send_file(harness, li, "junk.csv", b"sku,name\n" + bytes(range(128, 256)) * 4)
    assert "I cannot tell which text encoding this file uses" in junk.text
    assert "GB18030" in junk.text and "Windows-1252" in junk.text


async def test_percent_cells_and_the_preview_of_what_changes(harness: BotHarness) -> None:
    """Issue 11 item 2: a duty cell of 0.25 formatted 0% is 25 %, and the preview shows,
    for changed rows, the old and new values."""
    li = await seller(harness)
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.append(["sku", "name", "unit_cost", "duty_rate", "list_price@temu-us-semi"])
    ws.append(["TM-003", "Mug", 35, 0.25, 19.99])
    ws.append(["TM-004", "Cup", 0.1 + 0.2, 7.5, 9.99])
    ws["D2"].number_format = "0%"
    ws["C2"].number_format = '"¥"#,##0.00'
    buffer = io.BytesIO()
    book.save(buffer)
    preview = await send_file(harness, li, "pct.xlsx", buffer.getvalue())
    assert "New: 2" in preview.text
    await harness.press(li, preview, "✅ Confirm")
    async with harness.uow_factory() as uow:
        skus = {s.code: s for s in (await uow.session.scalars(select(Sku))).all()}
    assert skus["TM-003"].duty_rate == Decimal("0.25")  # 25 %, not 0.25 %
    assert skus["TM-004"].duty_rate == Decimal("0.075")
    assert skus["TM-004"].unit_cost == Decimal("0.3")  # not 0.30000000000000004

    changed = (
        b"sku,name,unit_cost,list_price@temu-us-semi\n"
        b"TM-003,Mug,36.5,18.99\n"
        b"TM-004,Big cup,0.3,9.99\n"
    )
    preview = await send_file(harness, li, "changes.csv", changed)
    text = plain(preview.text)
    assert "New: 0 · changed: 2 · unchanged: 0" in text
    assert "What changes:" in text
    assert (
        "TM-003: Unit cost CN¥35.00 → CN¥36.50; List price (temu-us-semi) $19.99 → $18.99"
    ) in text
    assert "TM-004: Name Cup → Big cup" in text
    assert await count(harness, Listing) == 2


# --- limits of the worker processes -----------------------------------------------------------
@pytest.fixture
async def strict(
    stub: BotApiStub, database: TestDatabase, clock: Clock
) -> AsyncIterator[BotHarness]:
    """A bot whose file workers have a 1 s time limit."""
    bot = BotHarness(stub, make_settings(stub, database, file_worker_seconds=1), clock)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.close()


def slow_workbook(rows: int = 40_000) -> bytes:
    """A valid workbook (packed 9:1, well inside every limit) whose sheet is 30 MB of XML:
    seconds of parsing, more than the strict bot's 1 s."""
    letters = [column_letter(i) for i in range(4, 30)]
    body = "".join(
        f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>S{i}</t></is></c>'
        f'<c r="B{i}"><v>{i % 997}.{i % 89}</v></c>'
        + "".join(f'<c r="{c}{i}"><v>{k}</v></c>' for k, c in enumerate(letters))
        + "</row>"
        for i in range(2, rows + 2)
    )
    return workbook(sheet(row(1, cell("A1", "sku"), cell("B1", "unit_cost")) + body))


async def test_a_file_over_the_time_limit_is_stopped_and_the_bot_goes_on(
    strict: BotHarness,
) -> None:
    harness = strict
    li = await seller(harness)
    bob = harness.stub.create_user("Bob", language_code="en")
    await harness.ask(bob, "/start")
    harness.stub.mark_read(li)
    harness.stub.mark_read(bob)
    harness.stub.send_document(li, filename="slow.xlsx", content=slow_workbook())
    harness.stub.send_document(li, filename="second.csv", content=b"sku,unit_cost\nA,1\n")
    harness.stub.send_message(bob, "/help")
    helped = (await harness.stub.wait_for_messages(bob, 1, timeout=30))[0]
    answers = await harness.stub.wait_for_messages(li, 2, timeout=60)
    texts = [a.text for a in answers]
    assert HELP in helped.text
    assert any("still reading your previous file" in t for t in texts), texts
    stopped = next((t for t in texts if "too large or complex" in t), str(texts))
    assert "I stopped at the time limit (1 s)" in stopped
    order = answer_order(harness.stub)
    help_answer = max(i for i, chat in enumerate(order) if chat == bob.id)
    refusal = max(i for i, chat in enumerate(order) if chat == li.id)
    assert help_answer < refusal  # /help was answered while the file was being read
    # the worker was replaced: the next file is read normally
    preview = await send_file(harness, li, "ok.csv", b"sku,unit_cost\nA,1\n")
    assert "New: 1" in preview.text
