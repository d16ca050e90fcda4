"""Near-misses end to end (SPEC §4.2, issue 12): an unknown command gets the nearest known
one or /help, in the reader's language, records no one and is throttled like any command;
in a group only commands for this bot are answered; a subcommand typo is suggested with
the rest of the command; import columns in Chinese are read and a near-miss column is
named in the preview."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.clock import Clock
from bot.db.models import Membership, Sku, Team
from bot.db.models import User as UserRow
from bot.telegram_stub import BotApiStub, StubMessage, User
from tests.conftest import TestDatabase
from tests.e2e.catalog_support import count, plain
from tests.e2e.conftest import BotHarness, make_settings
from tests.notifications_fixtures import add_team, add_user, bind


async def quiet(stub: BotApiStub, chat: object, seconds: float = 1.0) -> list[str]:
    await asyncio.sleep(seconds)
    return [m.text for m in stub.unread(chat)]  # type: ignore[arg-type]


async def send_file(harness: BotHarness, user: User, filename: str, content: bytes) -> StubMessage:
    harness.stub.mark_read(user)
    harness.stub.send_document(user, filename=filename, content=content)
    return (await harness.stub.wait_for_messages(user, 1, timeout=30))[0]


# --- unknown commands -------------------------------------------------------------------------
async def test_an_unknown_command_gets_the_nearest_one_and_records_no_one(
    harness: BotHarness,
) -> None:
    ann = harness.stub.create_user("Ann", language_code="en")
    answer = await harness.ask(ann, "/plna 2")
    assert plain(answer.text) == "I do not know the command /plna. Did you mean /plan 2?"
    nothing_near = plain((await harness.ask(ann, "/xyzzy")).text)
    assert nothing_near.startswith("I do not know the command /xyzzy. /help lists")
    # answering a hint is a read: no user row, no personal team
    assert await count(harness, UserRow, UserRow.id == ann.id) == 0
    assert await count(harness, Membership, Membership.user_id == ann.id) == 0
    assert await count(harness, Team) == 0
    # …while a real command records her as always (so the counts above could fail)
    assert "/newcampaign" in (await harness.ask(ann, "/help")).text
    assert await count(harness, UserRow, UserRow.id == ann.id) == 1


async def test_an_unknown_command_is_answered_in_the_readers_language(
    harness: BotHarness,
) -> None:
    jonas = harness.stub.create_user("Jonas", language_code="de")
    answer = plain((await harness.ask(jonas, "/setings currency=EUR")).text)
    assert answer == ("Den Befehl /setings kenne ich nicht. Meintest du /settings currency=EUR?")
    wei = harness.stub.create_user("Wei", language_code="zh-hans")
    answer = plain((await harness.ask(wei, "/skis")).text)
    assert answer == "我不认识命令 /skis。你是想输入 /skus 吗？"
    # a person's own language choice wins over Telegram's, without a write on this path
    await harness.ask(wei, "/help")
    async with harness.uow_factory() as uow:
        row = await uow.session.get(UserRow, wei.id)
        assert row is not None
        row.locale = "ko"
        await uow.commit()
    answer = plain((await harness.ask(wei, "/calender")).text)
    assert "/calendar" in answer and "명령" in answer


async def test_in_a_group_only_commands_for_this_bot_are_answered(harness: BotHarness) -> None:
    stub = harness.stub
    ann = stub.create_user("Ann", language_code="en", started=True)
    # an admin bot sees every message, other bots' commands too
    group = stub.create_group("Sellers", members=[ann], with_bot=True, bot_admin=True)
    me = stub.bot_username
    stub.mark_read(group)
    stub.send_message(ann, "/plna@OtherShopBot 2", chat=group)
    stub.send_message(ann, "/help@OtherShopBot", chat=group)
    stub.send_message(ann, "/plna 2", chat=group)  # bare: may be meant for another bot
    stub.send_message(ann, f"/plna@{me} 2", chat=group)
    answers = await stub.wait_for_messages(group, 1, timeout=30)
    # one chat's updates are handled in order: the first three were passed over silently
    assert plain(answers[0].text) == "I do not know the command /plna. Did you mean /plan 2?"
    assert await quiet(stub, group) == []
    # a reply to the bot's own message addresses it too
    stub.send_message(ann, "/campains", chat=group, reply_to=answers[0])
    replied = await stub.wait_for_messages(group, 1, timeout=30)
    assert "Did you mean /campaigns?" in plain(replied[0].text)


async def test_another_bots_command_from_a_non_member_is_not_refused(
    harness: BotHarness,
) -> None:
    """In a group linked to a team, a non-member's commands get one refusal: not the
    commands they address to another bot, which are none of ours."""
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", started=True)
    stranger = stub.create_user("Mallory", language_code="en", started=True)
    group = stub.create_group("Sellers", members=[alice, stranger], with_bot=True, bot_admin=True)
    async with harness.uow_factory() as uow:
        owner = await add_user(uow, alice.id, name="Alice")
        team = await add_team(uow, name="Acme", members=[(owner, "owner")])
        await bind(uow, team, group.id, title="Sellers")
        await uow.commit()
    stub.mark_read(group)
    stub.send_message(stranger, "/plan@OtherShopBot 2", chat=group)
    stub.send_message(stranger, "/plna@OtherShopBot", chat=group)
    stub.send_message(stranger, "/plna 2", chat=group)  # bare and unknown: maybe another bot's
    stub.send_message(alice, f"/plna@{stub.bot_username} 2", chat=group)
    (answer,) = await stub.wait_for_messages(group, 1, timeout=30)
    assert plain(answer.text) == "I do not know the command /plna. Did you mean /plan 2?"
    assert await quiet(stub, group) == []
    # a command for this bot is still refused to a non-member, once
    refusal = await harness.ask(stranger, f"/plna@{stub.bot_username}", chat=group)
    assert "only members of the team linked to this chat" in refusal.text


@pytest.fixture
async def strict_stub() -> AsyncIterator[BotApiStub]:
    async with BotApiStub() as running:
        yield running


async def test_unknown_commands_go_through_the_throttle(
    strict_stub: BotApiStub, database: TestDatabase, clock: Clock
) -> None:
    """With the bot's own limits: a burst of typos gets a burst of answers and one notice."""
    bot = BotHarness(
        strict_stub, make_settings(strict_stub, database), clock, throttle=None, pacing=None
    )
    await bot.start()
    try:
        assert bot.app is not None
        processor = bot.app.update_processor
        burst = processor.throttle.limits.burst  # type: ignore[attr-defined]
        flo = strict_stub.create_user("Flo", language_code="en", started=True)
        for _ in range(burst + 10):
            strict_stub.send_message(flo, "/plna")
        received = await strict_stub.wait_for_messages(flo, burst + 1, timeout=30)
        assert await quiet(strict_stub, flo, 1.5) == []
        assert all("Did you mean /plan?" in plain(m.text) for m in received[:burst])
        assert "faster than I can read them" in received[burst].text
    finally:
        await bot.close()


# --- subcommands -------------------------------------------------------------------------------
async def test_a_subcommand_near_miss_is_suggested_with_the_rest(harness: BotHarness) -> None:
    li = harness.stub.create_user("Li", language_code="en")
    await harness.ask(li, "/channel add temu-us-semi")
    answer = plain((await harness.ask(li, "/sku ad TM-006 unit_cost=5")).text)
    assert answer == ("“ad” is not something /sku does. Did you mean /sku add TM-006 unit_cost=5?")
    assert await count(harness, Sku) == 0
    channel = plain((await harness.ask(li, "/channel ad amazon-de")).text)
    assert "Did you mean /channel add amazon-de?" in channel
    fx = plain((await harness.ask(li, "/fx st USD CNY 7.10")).text)
    assert "“st” is not something /fx does. Did you mean /fx set USD CNY 7.10?" in fx
    team = plain((await harness.ask(li, "/team invte viewer")).text)
    assert "Did you mean /team invite viewer?" in team
    campaign = plain((await harness.ask(li, "/campaign 3 delte")).text)
    assert "Did you mean /campaign 3 delete?" in campaign
    reminders = plain((await harness.ask(li, "/reminders reest")).text)
    assert "Did you mean /reminders reset?" in reminders
    # a SKU that is really called "ad" is shown, not "corrected"
    await harness.ask(li, "/sku add ad unit_cost=5")
    card = plain((await harness.ask(li, "/sku ad")).text)
    assert "Did you mean" not in card and "ad" in card
    history = plain((await harness.ask(li, "/sku ad histroy")).text)
    assert "Did you mean /sku ad history?" in history
    german = harness.stub.create_user("Jonas", language_code="de")
    answer = plain((await harness.ask(german, "/sku dle TM-006")).text)
    assert answer == "„dle“ kann /sku nicht. Meintest du /sku del TM-006?"


# --- import columns ---------------------------------------------------------------------------
async def test_a_chinese_headed_file_reads_its_duty_column(harness: BotHarness) -> None:
    """关税税率 was ignored as an unknown column, so duty was silently 0."""
    harness.stub.set_rate_limits(False)
    wei = harness.stub.create_user("Wei", language_code="zh-hans")
    await harness.ask(wei, "/channel add temu-us-semi")
    content = (
        "货号,商品名称,采购成本（元）,关税税率,头程运费,售价,近30天最底价,备注\n"
        "TM-006,蓝色马克杯,35,25,2.5,19.99,17.99,样品\n"
    ).encode()
    preview = await send_file(harness, wei, "商品.csv", content)
    text = plain(preview.text)
    assert "1 行" in text or "1 row" in text
    assert "未使用的列：近30天最底价（是不是 近30天最低价？）, 备注" in text
    assert "关税税率" not in text
    done = await harness.press(wei, preview, preview.button_texts[0])
    assert done.button_texts == []
    async with harness.uow_factory() as uow:
        sku = (await uow.session.scalars(select(Sku).where(Sku.code == "TM-006"))).one()
    assert sku.duty_rate == Decimal("0.25")
    assert sku.unit_cost == Decimal("35") and sku.first_mile == Decimal("2.5")
    assert sku.name == "蓝色马克杯"


async def test_the_preview_names_a_did_you_mean_column(harness: BotHarness) -> None:
    harness.stub.set_rate_limits(False)
    ann = harness.stub.create_user("Ann", language_code="en")
    content = b"SKU,Unit cots,Packaging,Supplier\nA1,5,1,Yiwu\n"
    preview = await send_file(harness, ann, "skus.csv", content)
    text = plain(preview.text)
    assert "Columns I do not use: Unit cots (did you mean unit_cost?), Supplier" in text
    # the file has no unit cost for a new SKU: that is the error, and the guess says why
    assert "Nothing was imported" in text
