"""Issue 13, "the plan spreadsheet goes both ways", through the Bot API stand-in: the plan
XLSX of a 40-SKU Black Friday is edited with openpyxl (10 prices, 2 under the floor) and
sent back; the preview lists the changes and the under-floor ones apart; Save writes
them (audited, marked under the floor) and a second upload of the same file changes
nothing. The same in Korean on a KRW channel with its price grid; the CSV round trip;
another team's or a re-targeted file refused; a viewer refused; bad cells reported by
row and column."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import Clock, FakeClock
from bot.db.models import CampaignAudit, Enrolment, PendingChange, Sku
from bot.domain.enums import Role
from bot.i18n import Translator
from bot.telegram_stub import StubMessage, User
from bot.views.channels import grid_text
from tests.e2e.campaign_fixtures import (
    SkuSpec,
    add_member,
    bind_group,
    seed_channel,
    seed_skus,
    seed_user,
    set_fx,
)
from tests.e2e.catalog_support import plain, snapshot
from tests.e2e.conftest import WAIT, BotHarness

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
CREATE = (
    '/newcampaign name="Black Friday" channel=temu-us start=2026-11-27 end=2026-11-30 '
    "min_discount=20% subsidy=share:30%:cap:5"
)
CENT = Decimal("0.01")


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


def forty_skus() -> list[SkuSpec]:
    """40 SKUs that all join a 20 % Black Friday."""
    specs = []
    for i in range(40):
        cost = Decimal(40 + 5 * i)
        specs.append(
            SkuSpec(
                code=f"BF{i:02d}",
                unit_cost=cost,
                list_price=(cost * Decimal("0.30")).quantize(Decimal(1)) - CENT,
                packaging=Decimal("1.5") if i % 2 else Decimal(0),
            )
        )
    return specs


async def plan_files(
    harness: BotHarness, user: User, campaign_id: int, chat: Any = None
) -> dict[str, StubMessage]:
    """/plan: the summary and the XLSX and CSV documents (other messages, like a chart,
    are passed over)."""
    where = chat if chat is not None else user
    harness.stub.mark_read(where)
    harness.stub.send_message(user, f"/plan {campaign_id}", chat=chat)
    found: dict[str, StubMessage] = {}
    while not {"summary", "xlsx", "csv"} <= found.keys():
        (message,) = await harness.stub.wait_for_messages(where, 1, timeout=WAIT)
        if message.document is not None and message.document.file_name:
            found[message.document.file_name.rsplit(".", 1)[1]] = message
        elif message.text and "summary" not in found:
            found["summary"] = message
    return found


def csv_rows(message: StubMessage) -> dict[str, dict[str, str]]:
    assert message.document is not None
    text = message.document.content.decode("utf-8-sig")
    return {row["sku"]: row for row in csv.DictReader(io.StringIO(text))}


async def upload(
    harness: BotHarness, user: User, filename: str, content: bytes, **kwargs: Any
) -> StubMessage:
    chat = kwargs.get("chat", user)
    harness.stub.mark_read(chat)
    harness.stub.send_document(user, filename=filename, content=content, **kwargs)
    (reply,) = await harness.stub.wait_for_messages(chat, 1, timeout=WAIT)
    return reply


def edit_sheet_rows(workbook: Any, t: Translator) -> tuple[Any, dict[str, int], list[str]]:
    sheet = workbook[t("Edit prices")]
    header = [cell.value for cell in sheet[1]]
    rows = {str(sheet.cell(r, 1).value): r for r in range(2, sheet.max_row + 1)}
    return sheet, rows, header


async def planned(harness: BotHarness) -> dict[str, tuple[str, Decimal | None, bool]]:
    async with harness.uow_factory() as uow:
        found = await uow.session.execute(
            select(
                Sku.code,
                Enrolment.price_mode,
                Enrolment.planned_price,
                Enrolment.under_floor_accepted_at,
            ).join(Sku, Sku.id == Enrolment.sku_id)
        )
        return {code: (mode, price, accepted is not None) for code, mode, price, accepted in found}


def saved(workbook: Any) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_black_friday_plan_goes_both_ways(harness: BotHarness) -> None:
    t = Translator("en")
    ana = harness.stub.create_user("Ana", language_code="en")
    team_id = await seed_user(harness.uow_factory, ana)
    channel = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel, forty_skus())
    await set_fx(harness.uow_factory, team_id)
    assert t("✅ Campaign created.") in (await harness.ask(ana, CREATE, timeout=WAIT)).text
    await harness.ask(ana, "/enroll 1 all")
    assert len(await planned(harness)) == 40

    files = await plan_files(harness, ana, 1)
    before = csv_rows(files["csv"])
    assert all(row["status"] == "ok" for row in before.values())
    assert files["xlsx"].document is not None
    workbook = load_workbook(io.BytesIO(files["xlsx"].document.content))
    # the file names its campaign on a hidden sheet; the column to edit is marked
    assert workbook["campaignbot"].sheet_state == "hidden"
    sheet, rows, header = edit_sheet_rows(workbook, t)
    assert len(rows) == 40
    price_col = header.index(t("✏️ New campaign price")) + 1
    assert header[price_col] == t("Lowest safe price")  # the floors beside it
    assert header[price_col + 1] == t("Floor")
    assert sheet.protection.sheet
    marked = sheet.cell(2, price_col)
    assert marked.protection.locked is False and marked.fill.fgColor.rgb.endswith("FFF2CC")
    assert sheet.cell(2, 1).protection.locked is not False  # the SKU is not to be edited

    # 10 new prices: 8 that keep the margin, 2 under the floor (one written as text)
    codes = sorted(before)
    safe, below = codes[3:11], codes[20:22]
    wanted: dict[str, Decimal] = {}
    for code in safe:
        row = before[code]
        low, now = Decimal(row["customer_floor"]), Decimal(row["planned_price"])
        price = ((low + now) / 2).quantize(CENT, ROUND_DOWN)
        wanted[code] = price if price != now else now + Decimal("0.10")
    for code in below:
        wanted[code] = Decimal(before[code]["customer_floor"]) - 2
    for code, price in wanted.items():
        cell = sheet.cell(rows[code], price_col)
        cell.value = format(price, "f") if code == safe[0] else float(price)
    content = saved(workbook)

    preview = await upload(harness, ana, "plan-1-black-friday.xlsx", content)
    text = plain(preview.text)
    assert plain(t("{n} new campaign prices", n=10)) in text
    assert (
        plain(
            t.ngettext(
                "⛔ <b>{n} price under the floor</b>: it loses the target margin. It is saved "
                "only if you confirm it explicitly.",
                "⛔ <b>{n} prices under the floor</b>: they lose the target margin. They are "
                "saved only if you confirm them explicitly.",
                2,
            )
        )
        in text
    )
    head, _sep, under = text.partition("⛔")
    for code in safe:
        old = t.money(Decimal(before[code]["planned_price"]), "USD")
        assert f"{code}: {old} → {t.money(wanted[code], 'USD')}" in head
    for code in below:
        assert code in under and code not in head
    assert await planned(harness) == {  # nothing is written before Save
        code: ("suggested", Decimal(row["planned_price"]), False) for code, row in before.items()
    }

    done = await harness.press(ana, preview, t("⚠️ Save all {n}, {k} under the floor", n=10, k=2))
    assert plain(t("✅ Saved {n} new campaign prices in {name}.", n=10, name="Black Friday")) in (
        plain(done.text)
    )
    after = await planned(harness)
    for code, price in wanted.items():
        assert after[code] == ("price", price, code in below)
    assert sum(1 for mode, _p, _a in after.values() if mode == "suggested") == 30
    async with harness.uow_factory() as uow:
        audits = (
            await uow.session.scalars(
                select(CampaignAudit).where(CampaignAudit.action == "prices_file")
            )
        ).all()
    assert len(audits) == 1 and sorted(audits[0].changes["under_floor"]) == below
    assert audits[0].user_id == ana.id and len(audits[0].changes["prices"]) == 10

    # /plan shows the new prices, the two under the floor marked
    files = await plan_files(harness, ana, 1)
    now_rows = csv_rows(files["csv"])
    for code, price in wanted.items():
        assert Decimal(now_rows[code]["planned_price"]) == price
        assert (now_rows[code]["status"] == "below_floor") == (code in below)
    summary = plain(files["summary"].text)
    assert (
        plain(
            t.ngettext(
                "⛔ {n} SKU enrolled under the floor after a warning: {codes}",
                "⛔ {n} SKUs enrolled under the floor after a warning: {codes}",
                2,
                codes=", ".join(below),
            )
        )
        in summary
    )

    # the same file again: nothing to change, nothing written
    tables = (Enrolment, CampaignAudit, PendingChange)
    unchanged = await snapshot(harness, *tables)
    again = await upload(harness, ana, "plan-1-black-friday.xlsx", content)
    assert plain(
        t("No campaign price differs from the plan: nothing to change ({n} SKUs as they are).",
          n=40)
    ) in plain(again.text)  # fmt: skip
    assert again.buttons == []
    assert await snapshot(harness, *tables) == unchanged


KR_SKUS = [
    SkuSpec("K1", Decimal(71), Decimal(29900)),
    SkuSpec("K2", Decimal("48.5"), Decimal(19900), packaging=Decimal("2.5")),
    SkuSpec("K3", Decimal(120), Decimal(59000), first_mile=Decimal(9)),
    SkuSpec("K4", Decimal(33), Decimal(12990)),
]


async def test_korean_plan_on_a_krw_grid_goes_both_ways(harness: BotHarness) -> None:
    t = Translator("ko", "Asia/Seoul")
    minji = harness.stub.create_user("민지", language_code="ko")
    team_id = await seed_user(harness.uow_factory, minji, timezone="Asia/Seoul")
    await harness.ask(minji, "/channel add aliexpress-kr")
    kr = await seed_channel_id(harness, team_id)
    await seed_skus(harness.uow_factory, team_id, kr, KR_SKUS)
    await set_fx(harness.uow_factory, team_id, "CNY", "KRW", Decimal(190))
    await harness.ask(
        minji,
        "/newcampaign name=KSF channel=aliexpress-kr start=2026-11-27 end=2026-12-01 "
        "min_discount=20%",
        timeout=WAIT,
    )
    await harness.ask(minji, "/enroll 1 all")
    files = await plan_files(harness, minji, 1)
    before = csv_rows(files["csv"])
    assert files["xlsx"].document is not None
    workbook = load_workbook(io.BytesIO(files["xlsx"].document.content))
    sheet, rows, header = edit_sheet_rows(workbook, t)
    assert set(rows) == {"K1", "K2", "K3", "K4"}
    price_col = header.index(t("✏️ New campaign price")) + 1
    # K1 off the 10-won grid (kept as written), K2 under the floor
    off_grid = Decimal(before["K1"]["customer_floor"]) + 5
    assert off_grid < Decimal(before["K1"]["planned_price"])
    under = Decimal(before["K2"]["customer_floor"]) - 1000
    sheet.cell(rows["K1"], price_col).value = int(off_grid)
    sheet.cell(rows["K2"], price_col).value = int(under)
    preview = await upload(harness, minji, "plan.xlsx", saved(workbook))
    text = plain(preview.text)
    count = t.ngettext("{n} new campaign price", "{n} new campaign prices", 2)
    assert plain(count) in text
    grid_note = plain(
        t(
            "ℹ️ Off the channel's price grid ({grid}); saved as written, like a price typed "
            "with /enroll:",
            grid=grid_text(t, _grid(10)),
        )
    )
    assert grid_note in text
    assert (
        plain(
            t(
                "• {sku}: {price} (grid prices around it: {below} and {above})",
                sku="K1",
                price=t.money(off_grid, "KRW"),
                below=t.money(off_grid - 5, "KRW"),
                above=t.money(off_grid + 5, "KRW"),
            )
        )
        in text
    )
    assert (
        plain(
            t.ngettext(
                "⛔ <b>{n} price under the floor</b>: it loses the target margin. It is saved "
                "only if you confirm it explicitly.",
                "⛔ <b>{n} prices under the floor</b>: they lose the target margin. They are "
                "saved only if you confirm them explicitly.",
                1,
            )
        )
        in text
    )
    done = await harness.press(minji, preview, t("⚠️ Save all {n}, {k} under the floor", n=2, k=1))
    assert "KSF" in plain(done.text)
    after = await planned(harness)
    assert after["K1"] == ("price", off_grid, False)
    assert after["K2"] == ("price", under, True)
    now_rows = csv_rows((await plan_files(harness, minji, 1))["csv"])
    assert Decimal(now_rows["K1"]["planned_price"]) == off_grid
    assert now_rows["K2"]["status"] == "below_floor"


def _grid(step: int) -> Any:
    from bot.pricing.grid import PriceGrid

    return PriceGrid.of("KRW", Decimal(step))


async def seed_channel_id(harness: BotHarness, team_id: int) -> int:
    from bot.db.models import Channel

    async with harness.uow_factory() as uow:
        found = await uow.session.scalar(select(Channel.id).where(Channel.team_id == team_id))
    assert found is not None
    return found


async def _small_plan(harness: BotHarness, user: User) -> tuple[int, dict[str, StubMessage]]:
    team_id = await seed_user(harness.uow_factory, user)
    channel = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel, forty_skus()[:6])
    await set_fx(harness.uow_factory, team_id)
    await harness.ask(user, CREATE, timeout=WAIT)
    await harness.ask(user, "/enroll 1 all")
    return team_id, await plan_files(harness, user, 1)


async def test_csv_round_trip(harness: BotHarness) -> None:
    t = Translator("en")
    ana = harness.stub.create_user("Ana", language_code="en")
    _team, files = await _small_plan(harness, ana)
    assert files["csv"].document is not None
    text = files["csv"].document.content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header = table[0]
    assert header[-2:] == ["edit_planned_price", "plan_file"]
    edit, price = header.index("edit_planned_price"), header.index("planned_price")
    assert all(row[edit] == row[price] for row in table[1:])
    table[1][edit] = format(Decimal(table[1][price]) - Decimal("0.50"), "f")
    # a discount edited instead of the price: 25 % off, the price derived from it
    table[2][header.index("discount_pct")] = "25"
    code_price, code_discount = table[1][0], table[2][0]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(table)
    preview = await upload(harness, ana, "plan.csv", buffer.getvalue().encode("utf-8-sig"))
    assert plain(t("{n} new campaign prices", n=2)) in plain(preview.text)
    done = await harness.press(ana, preview, t("✅ Save {n} prices", n=2))
    assert plain(t("✅ Saved {n} new campaign prices in {name}.", n=2, name="Black Friday")) in (
        plain(done.text)
    )
    after = await planned(harness)
    assert after[code_price][:2] == ("price", Decimal(table[1][edit]))
    assert after[code_discount][0] == "discount"
    list_price = Decimal(table[2][header.index("list_price")])
    assert after[code_discount][1] == (list_price * Decimal("0.75")).quantize(CENT, ROUND_DOWN)


async def test_another_teams_or_retargeted_file_is_refused(harness: BotHarness) -> None:
    t = Translator("en")
    ana = harness.stub.create_user("Ana", language_code="en")
    bo = harness.stub.create_user("Bo", language_code="en")
    _team, files = await _small_plan(harness, ana)
    assert files["xlsx"].document is not None
    content = files["xlsx"].document.content
    workbook = load_workbook(io.BytesIO(content))
    sheet, rows, header = edit_sheet_rows(workbook, t)
    price_col = header.index(t("✏️ New campaign price")) + 1
    first = next(iter(rows.values()))
    sheet.cell(first, price_col).value = float(sheet.cell(first, price_col).value) - 0.5
    edited = saved(workbook)

    # Bo has a team of his own with a campaign #2: Ana's file is not for it
    bo_team, _bo_files = await _small_plan_for(harness, bo)
    untouched = await snapshot(harness, Enrolment, PendingChange)
    refused = await upload(harness, bo, "plan.xlsx", edited)
    assert plain(
        t(
            "This plan file belongs to another team, so I cannot change {team}'s plan "
            "with it. Switch to that team with /team, or send it in that team's group.",
            team="Bo",
        )
    ) in plain(refused.text)

    # the file pointed at campaign 2 by editing its identity: the token does not match
    meta = workbook["campaignbot"]
    ref_row = next(r for r in range(1, meta.max_row + 1) if meta.cell(r, 1).value == "ref")
    ref = str(meta.cell(ref_row, 2).value)
    meta.cell(ref_row, 2).value = ref.replace("c1-", "c2-", 1).replace(
        f"-t{_team}-", f"-t{bo_team}-"
    )
    refused = await upload(harness, bo, "plan.xlsx", saved(workbook))
    assert plain(
        t(
            "This plan file does not match any campaign of {team}: its campaign was "
            "deleted, or the file's identity was changed. Export the plan again with /plan.",
            team="Bo",
        )
    ) in plain(refused.text)
    assert await snapshot(harness, Enrolment, PendingChange) == untouched


async def _small_plan_for(harness: BotHarness, user: User) -> tuple[int, dict[str, StubMessage]]:
    team_id = await seed_user(harness.uow_factory, user)
    channel = await seed_channel(harness.uow_factory, team_id)
    specs = [SkuSpec("Z" + s.code, s.unit_cost, s.list_price) for s in forty_skus()[:3]]
    await seed_skus(harness.uow_factory, team_id, channel, specs)
    await set_fx(harness.uow_factory, team_id)
    await harness.ask(user, CREATE, timeout=WAIT)
    await harness.ask(user, "/enroll 2 all")
    return team_id, await plan_files(harness, user, 2)


async def test_a_viewer_is_refused(harness: BotHarness) -> None:
    t = Translator("en")
    ana = harness.stub.create_user("Ana", language_code="en")
    vic = harness.stub.create_user("Vic", language_code="en")
    team_id, files = await _small_plan(harness, ana)
    await add_member(harness.uow_factory, team_id, vic, Role.VIEWER)
    assert files["xlsx"].document is not None
    untouched = await snapshot(harness, Enrolment, PendingChange)
    refused = await upload(harness, vic, "plan.xlsx", files["xlsx"].document.content)
    assert plain(
        t(
            "Your role in {team} is {role}; this needs {required} or above.",
            team="Ana",
            role=t(Role.VIEWER.label),
            required=t(Role.EDITOR.label),
        )
    ) in plain(refused.text)
    assert await snapshot(harness, Enrolment, PendingChange) == untouched


async def test_bad_cells_are_reported_by_row_and_column(harness: BotHarness) -> None:
    t = Translator("en")
    ana = harness.stub.create_user("Ana", language_code="en")
    _team, files = await _small_plan(harness, ana)
    assert files["xlsx"].document is not None
    workbook = load_workbook(io.BytesIO(files["xlsx"].document.content))
    sheet, rows, header = edit_sheet_rows(workbook, t)
    price_col = header.index(t("✏️ New campaign price")) + 1
    codes = sorted(rows)
    sheet.cell(rows[codes[0]], price_col).value = "12,5x"
    sheet.cell(rows[codes[1]], price_col).value = 10.001
    sheet.cell(rows[codes[2]], price_col).value = 1.00  # a fine change, refused with the rest
    last = sheet.max_row
    sheet.cell(last + 1, 1).value = "NOPE-1"
    sheet.cell(last + 1, price_col).value = 5
    sheet.cell(last + 2, 1).value = codes[3]
    sheet.cell(last + 2, price_col).value = 6
    untouched = await snapshot(harness, Enrolment, PendingChange)
    preview = await upload(harness, ana, "plan.xlsx", saved(workbook))
    text = plain(preview.text)
    column = t("✏️ New campaign price")
    assert (
        plain(
            t(
                "row {row}, {column}: “{value}” {problem}",
                row=rows[codes[0]],
                column=column,
                value="12,5x",
                problem=t("is not a number: use digits and a decimal point, like 12.5."),
            )
        )
        in text
    )
    assert (
        plain(
            t(
                "row {row}, {column}: “{value}” {problem}",
                row=rows[codes[1]],
                column=column,
                value="10.001",
                problem=t("has more decimal places than the currency has."),
            )
        )
        in text
    )
    assert (
        plain(
            t(
                "row {row}, {column}: “{value}” is not a SKU of this team. /skus lists them.",
                row=last + 1,
                column=t("SKU"),
                value="NOPE-1",
            )
        )
        in text
    )
    assert (
        plain(
            t(
                "row {row}, {column}: “{value}” {problem}",
                row=last + 2,
                column=t("SKU"),
                value=codes[3],
                problem=t("appears more than once."),
            )
        )
        in text
    )
    assert preview.buttons == []  # nothing to confirm
    assert await snapshot(harness, Enrolment, PendingChange) == untouched


async def test_in_the_linked_group_as_a_reply_to_the_plan(harness: BotHarness) -> None:
    t = Translator("en")
    stub = harness.stub
    ana = stub.create_user("Ana", language_code="en")
    ed = stub.create_user("Ed", language_code="en")
    team_id, _files = await _small_plan(harness, ana)
    await add_member(harness.uow_factory, team_id, ed, Role.EDITOR)
    group = stub.create_group("Shop", members=[ana, ed], admins=[ana], with_bot=True)
    await bind_group(harness.uow_factory, team_id, group.id)
    await harness.ask(ana, CREATE.replace("Black Friday", "Cyber Monday"), timeout=WAIT)
    files = await plan_files(harness, ana, 1, chat=group)
    assert files["xlsx"].document is not None
    workbook = load_workbook(io.BytesIO(files["xlsx"].document.content))
    sheet, rows, header = edit_sheet_rows(workbook, t)
    price_col = header.index(t("✏️ New campaign price")) + 1
    code = sorted(rows)[0]
    new_price = Decimal(str(sheet.cell(rows[code], price_col).value)) - Decimal("0.30")
    sheet.cell(rows[code], price_col).value = float(new_price)
    content = saved(workbook)

    # a reply to another campaign's plan is refused: the file names campaign 1
    other = await plan_files(harness, ana, 2, chat=group)
    refused = await upload(
        harness, ana, "plan.xlsx", content, chat=group, reply_to=other["summary"]
    )
    assert plain(
        t(
            "This file is the plan of campaign #{file_id}, not of #{campaign_id} you "
            "replied to. Send it as a reply to that campaign's plan, or in a private chat.",
            file_id=1,
            campaign_id=2,
        )
    ) in plain(refused.text)

    preview = await upload(harness, ana, "plan.xlsx", content, chat=group, reply_to=files["xlsx"])
    assert f"{code}: " in plain(preview.text)
    # only its author saves it: Ed, an editor too, presses Save in vain
    before = await snapshot(harness, Enrolment)
    await harness.press_alert(ed, preview, t("✅ Save {n} prices", n=1))
    assert await snapshot(harness, Enrolment) == before
    done = await harness.press(ana, preview, t("✅ Save {n} prices", n=1))
    assert "Black Friday" in plain(done.text)
    assert (await planned(harness))[code] == ("price", new_price, False)


async def test_a_stale_file_and_a_plan_moved_since_the_preview(harness: BotHarness) -> None:
    t = Translator("en")
    ana = harness.stub.create_user("Ana", language_code="en")
    _team, files = await _small_plan(harness, ana)
    before = csv_rows(files["csv"])
    first, second = sorted(before)[:2]
    # after the export, the first SKU is re-priced in chat
    chat_price = Decimal(before[first]["planned_price"]) - Decimal("0.20")
    await harness.ask(ana, f"/enroll 1 {first} price={chat_price}")
    assert (await planned(harness))[first] == ("price", chat_price, False)
    # the old file changes only the second: the first is not put back
    assert files["xlsx"].document is not None
    workbook = load_workbook(io.BytesIO(files["xlsx"].document.content))
    sheet, rows, header = edit_sheet_rows(workbook, t)
    price_col = header.index(t("✏️ New campaign price")) + 1
    new_price = Decimal(before[second]["planned_price"]) - Decimal("0.40")
    sheet.cell(rows[second], price_col).value = float(new_price)
    preview = await upload(harness, ana, "plan.xlsx", saved(workbook))
    text = plain(preview.text)
    assert plain(t.ngettext("{n} new campaign price", "{n} new campaign prices", 1)) in text
    assert f"{second}: " in text and f"{first}: " not in text

    # before Save, the SKU's cost soars: its new price is now under the floor
    async with harness.uow_factory() as uow:
        sku = await uow.session.scalar(select(Sku).where(Sku.code == second))
        assert sku is not None
        sku.unit_cost = sku.unit_cost * 3
        await uow.commit()
    untouched = await snapshot(harness, Enrolment, CampaignAudit)
    answer = await harness.press_alert(ana, preview, t("✅ Save {n} prices", n=1))
    assert answer.startswith("The plan changed since the preview")
    assert await snapshot(harness, Enrolment, CampaignAudit) == untouched
