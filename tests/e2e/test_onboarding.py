"""Issue 2, done-when: onboarding in the user's language, groups and topics, bad input,
flood control, command menus, the error handler — through the stand-in, over HTTP."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from telegram.ext import CommandHandler

from bot.db.models import FlowState, Membership, Team
from bot.db.models import User as UserRow
from bot.i18n import Translator
from tests.e2e.conftest import BotHarness

WELCOME = (
    "👋 Welcome! I help you plan Black Friday-style campaigns: how deep each SKU can "
    "go, which voucher is safe, and when to act — without selling below your landed "
    "cost plus margin.\n\nFirst, choose your language:"
)
TIMEZONE_QUESTION = (
    "Which time zone should I use for your reminders and dates? Pick one, or send its "
    "name, like <code>Europe/Paris</code>."
)


def plain(html: str) -> str:
    """What a Telegram client shows for our HTML (tags removed, entities decoded)."""
    import html as html_lib
    import re

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


async def user_row(harness: BotHarness, user_id: int) -> UserRow:
    async with harness.uow_factory() as uow:
        row = await uow.session.get(UserRow, user_id)
        assert row is not None
        return row


async def test_chinese_client_is_answered_in_chinese_then_korean_survives_restart(
    harness: BotHarness,
) -> None:
    stub = harness.stub
    mei = stub.create_user("Mei", language_code="zh-hans")

    welcome = await harness.ask(mei, "/start")
    zh, ko = Translator("zh_CN"), Translator("ko")
    assert welcome.text == plain(zh(WELCOME))
    assert welcome.text != plain(WELCOME)
    assert "✅ 简体中文" in welcome.button_texts  # the current choice is marked

    timezone_step = await harness.press(mei, welcome, "한국어")
    assert timezone_step.text == plain(ko(TIMEZONE_QUESTION))

    # zones are offered and confirmed by their Korean names, not IANA ids
    assert "Asia/Seoul" not in timezone_step.button_texts
    currency_step = await harness.press(mei, timezone_step, "대한민국 시간")
    margin_step = await harness.press(mei, currency_step, "KRW")
    done = await harness.press(mei, margin_step, "20%")
    assert "20" in done.text and "KRW" in done.text and "한국 시간" in done.text
    assert "Asia/Seoul" not in done.text

    row = await user_row(harness, mei.id)
    assert (row.locale, row.timezone, row.onboarded_at is not None) == ("ko", "Asia/Seoul", True)
    async with harness.uow_factory() as uow:
        team = await uow.session.scalar(
            select(Team).join(Membership).where(Membership.user_id == mei.id)
        )
        assert team is not None and team.is_personal
        assert (team.cost_currency, team.target_margin) == ("KRW", Decimal("0.2"))

    await harness.restart()
    reply = await harness.ask(mei, "/cancel")
    assert reply.text == ko("There is nothing to cancel.")
    assert reply.text != "There is nothing to cancel."


async def test_onboarding_accepts_typed_answers_and_rejects_bad_ones(harness: BotHarness) -> None:
    stub = harness.stub
    ana = stub.create_user("Ana", language_code="pt-br")
    welcome = await harness.ask(ana, "/start")
    assert welcome.text == plain(Translator("pt_BR")(WELCOME))
    await harness.press(ana, welcome, "✅ Português (Brasil)")

    bad = await harness.ask(ana, "Mars/Base")
    assert "Mars/Base" in bad.text and "Asia/Shanghai" in bad.text
    assert (await user_row(harness, ana.id)).timezone is None  # nothing stored

    await harness.ask(ana, "America/Sao_Paulo")
    await harness.ask(ana, "brl")
    bad_margin = await harness.ask(ana, "150%")
    assert "150%" in bad_margin.text
    # Brazilians write decimal commas: read as the reader writes it (SPEC §4.2)
    done = await harness.ask(ana, "18,5")
    assert "Horário de Brasília" in done.text and "America/Sao_Paulo" not in done.text
    async with harness.uow_factory() as uow:
        team = await uow.session.scalar(
            select(Team).join(Membership).where(Membership.user_id == ana.id)
        )
        assert team is not None
        assert (team.cost_currency, team.target_margin) == ("BRL", Decimal("0.185"))
        assert (await uow.session.scalars(select(FlowState))).all() == []


async def test_help_in_a_group_and_in_a_forum_topic(harness: BotHarness) -> None:
    stub = harness.stub
    lee = stub.create_user("Lee", language_code="ko")
    group = stub.create_group("Sellers", members=[lee], admins=[lee])
    stub.add_bot_to_group(group, by=lee)
    intro = await stub.wait_for_message(group)  # the bot introduces itself
    assert "/link" in intro.text
    reply = await harness.ask(lee, f"/help@{stub.bot_username}", chat=group)
    assert reply.chat_id == group.id
    assert "/newcampaign" in reply.text

    forum = stub.create_group("Forum", members=[lee], admins=[lee], supergroup=True, forum=True)
    stub.add_bot_to_group(forum, by=lee)
    await stub.wait_for_message(forum)
    topic = stub.create_topic(forum, "Campaigns", by=lee)
    in_topic = await harness.ask(lee, f"/help@{stub.bot_username}", chat=forum, thread_id=topic)
    assert in_topic.thread_id == topic and in_topic.chat_id == forum.id


async def test_bad_time_zone_gets_a_localized_explanation_and_nothing_is_stored(
    harness: BotHarness,
) -> None:
    hans = harness.stub.create_user("Hans", language_code="de")
    reply = await harness.ask(hans, "/timezone Mars/Base")
    de = Translator("de")
    expected = de(
        "“{value}” is not a time zone I know. Write it as Area/City from the IANA "
        "database, for example Asia/Shanghai, Europe/Berlin, America/New_York or "
        "Asia/Seoul.",
        value="Mars/Base",
    )
    assert reply.text == plain(expected)
    assert "Europe/Berlin" in reply.text
    assert (await user_row(harness, hans.id)).timezone is None

    ok = await harness.ask(hans, "/timezone Europe/Berlin")
    assert ok.text == "Erledigt — deine Zeitzone ist Mitteleuropäische Zeit."
    assert ok.text == de("Done — your time zone is {timezone}.", timezone=de.zone("Europe/Berlin"))
    assert (await user_row(harness, hans.id)).timezone == "Europe/Berlin"


async def test_language_command_with_button_and_argument(harness: BotHarness) -> None:
    sam = harness.stub.create_user("Sam", language_code="en")
    picker = await harness.ask(sam, "/language")
    saved = await harness.press(sam, picker, "Español")
    assert saved.text == Translator("es")(
        "Done — I will speak {language} with you.", language="Español"
    )
    assert (await user_row(harness, sam.id)).locale == "es"
    bad = await harness.ask(sam, "/language klingon")
    assert "klingon" in bad.text
    assert (await user_row(harness, sam.id)).locale == "es"


async def test_forged_button_data_is_refused(harness: BotHarness) -> None:
    sam = harness.stub.create_user("Sam", language_code="en")
    picker = await harness.ask(sam, "/language")
    answer = await harness.press_data(sam, picker, "1:lang:xx_XX:s")
    assert answer == "This button is no longer valid."
    answer = await harness.press_data(sam, picker, "9:whatever")
    assert answer == "This button is no longer valid."
    assert (await user_row(harness, sam.id)).locale is None


async def test_flooded_api_replies_are_delayed_not_lost(harness: BotHarness) -> None:
    stub = harness.stub
    users = [stub.create_user(f"U{i}", language_code="en") for i in range(3)]
    stub.flood(count=4, retry_after=1)
    for user in users:
        stub.send_message(user, "/help")
    for user in users:
        replies = await stub.wait_for_messages(user, 1, timeout=20)
        assert "/newcampaign" in replies[0].text
    assert stub.count_429 >= 4


async def test_command_menus_are_set_per_scope_and_language(harness: BotHarness) -> None:
    stub = harness.stub
    private_ko = dict(stub.commands("all_private_chats", "ko"))
    group_de = dict(stub.commands("all_group_chats", "de"))
    assert private_ko["start"] == Translator("ko")(
        "Set up language, time zone, currency and margin"
    )
    assert private_ko["start"] != "Set up language, time zone, currency and margin"
    assert "start" not in group_de and "link" in group_de
    assert "link" not in private_ko
    assert stub.menu_for(stub.create_user("Z", language_code="zh-hans"))[0][1] == Translator(
        "zh_CN"
    )("Set up language, time zone, currency and margin")


async def test_unexpected_errors_get_an_apology_in_the_users_language(
    harness: BotHarness,
) -> None:
    async def boom(*_: object) -> None:
        raise RuntimeError("deliberate failure")

    assert harness.app is not None
    harness.app.add_handler(CommandHandler("boom", boom))
    kim = harness.stub.create_user("Kim", language_code="ko")
    reply = await harness.ask(kim, "/boom")
    assert reply.text == Translator("ko")(
        "Sorry, something went wrong on my side. Please try again."
    )
    assert "Traceback" not in reply.text and "deliberate" not in reply.text
