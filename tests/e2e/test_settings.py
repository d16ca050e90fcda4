"""Issue 11, finding 1 (SPEC §4.1): every team has its own settings. A Korean team set to
KRW costs gets a ₩ cost and a sane floor; /start changes only the person's language and
zone (and a new personal team), and says which team; a new team says it copied the
personal team's settings; an invitee is asked for their time zone; /settings is read by
everyone, changed by admins (buttons, guided answers, one line), audited, and a margin
change re-checks the planned prices."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.clock import Clock, FakeClock
from bot.db.models import ChatBinding, Membership, Notification, Sku, Team, TeamAudit
from bot.db.models import User as UserRow
from bot.domain.enums import Role
from bot.i18n import Translator
from bot.telegram_stub import User
from tests.e2e.campaign_fixtures import add_member, bind_group
from tests.e2e.conftest import BotHarness
from tests.e2e.test_campaigns import plain, seeded

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
INVITE = re.compile(r"start=(join-[A-Za-z0-9_\-]+)")
CREATED = (
    "Team <b>{team}</b> created; you are its owner and it is your active team.\n\n"
    "It starts with the settings of your personal team <b>{personal}</b>: cost "
    "currency {currency}, target margin {margin}, FX buffer {buffer}, time zone "
    "{zone}, notices in {language}. /settings changes them for this team only; "
    "invite colleagues with /team."
)
UNTOUCHED = (
    "No team settings were changed: <b>{team}</b> keeps cost currency {currency} "
    "and target margin {margin}. /settings shows and changes them (admins and "
    "owners)."
)


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


async def team_named(harness: BotHarness, name: str) -> Team:
    async with harness.uow_factory() as uow:
        team = await uow.session.scalar(select(Team).where(Team.name == name))
    assert team is not None, name
    return team


async def personal(harness: BotHarness, user: User) -> Team:
    async with harness.uow_factory() as uow:
        team = await uow.session.scalar(
            select(Team)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.user_id == user.id, Team.is_personal.is_(True))
        )
    assert team is not None
    return team


async def user_row(harness: BotHarness, user: User) -> UserRow:
    async with harness.uow_factory() as uow:
        row = await uow.session.get(UserRow, user.id)
    assert row is not None
    return row


async def audits(harness: BotHarness, team_id: int) -> list[TeamAudit]:
    async with harness.uow_factory() as uow:
        return list(
            (
                await uow.session.scalars(
                    select(TeamAudit).where(TeamAudit.team_id == team_id).order_by(TeamAudit.id)
                )
            ).all()
        )


async def onboard(harness: BotHarness, user: User, language: str, zone: str, locale: str) -> str:
    """A first /start by buttons: language, zone (its button named in `locale`), then CNY
    and 15 % for the personal team."""
    welcome = await harness.ask(user, "/start")
    step = await harness.press(user, welcome, language)
    step = await harness.press(user, step, Translator(locale).zone_place(zone))
    step = await harness.press(user, step, "CNY")
    done = await harness.press(user, step, "15%")
    return done.text


async def test_a_korean_team_in_krw_gets_a_won_cost_and_a_sane_floor(harness: BotHarness) -> None:
    ko = Translator("ko", "Asia/Seoul")
    kim = harness.stub.create_user("Kim", language_code="ko")
    await onboard(harness, kim, "✅ 한국어", "Asia/Seoul", "ko")

    created = await harness.ask(kim, "/team new 서울 매장")
    assert created.text == plain(
        ko(
            CREATED,
            team="서울 매장",
            personal="Kim",
            currency="CNY",
            margin=ko.percent(Decimal("0.15")),
            buffer=ko.percent(Decimal("0.02")),
            zone="한국 시간",
            language="한국어",
        )
    )
    seoul = await team_named(harness, "서울 매장")
    assert (seoul.cost_currency, seoul.target_margin, seoul.locale) == (
        "CNY",
        Decimal("0.15"),
        "ko",
    )

    saved = await harness.ask(
        kim, "/settings cost_currency=KRW margin=20% timezone=Asia/Seoul language=ko"
    )
    assert saved.text.startswith(plain(ko("✅ Saved for <b>{team}</b>:", team="서울 매장")))
    assert (
        plain(
            ko("{setting}: {old} → <b>{new}</b>", setting=ko("Cost currency"), old="CNY", new="KRW")
        )
        in saved.text
    )
    seoul = await team_named(harness, "서울 매장")
    assert (seoul.cost_currency, seoul.target_margin) == ("KRW", Decimal("0.2"))
    own = await personal(harness, kim)  # the personal team keeps its own settings
    assert (own.cost_currency, own.target_margin) == ("CNY", Decimal("0.15"))
    (created_audit, changed) = await audits(harness, seoul.id)
    assert created_audit.action == "create" and created_audit.changes["copied_from"] == [
        None,
        own.id,
    ]
    assert (changed.action, changed.user_id) == ("settings", kim.id)
    assert changed.changes == {"cost_currency": ["CNY", "KRW"], "margin": ["0.15", "0.2"]}

    await harness.ask(kim, "/channel add aliexpress-kr")
    added = await harness.ask(kim, "/sku add KR-01 unit_cost=4500 list_price=9900")
    assert ko.money(Decimal(4500), "KRW") in added.text
    async with harness.uow_factory() as uow:
        sku = await uow.session.scalar(select(Sku).where(Sku.code == "KR-01"))
    assert sku is not None and (sku.cost_currency, sku.unit_cost) == ("KRW", Decimal(4500))
    card = (await harness.ask(kim, "/floor KR-01")).text
    # 4,500 won at 20 % margin, 10 % VAT included, no fees: 4500 × 1.1 / 0.8 = ₩6,187.5
    assert ko.money(Decimal(4500), "KRW") in card
    assert re.search(r"₩6,1[89]\d", card), card
    assert "1,512,021" not in card and "CN¥" not in card and "−" not in card


async def test_a_chinese_seller_rerunning_start_in_a_shared_team_changes_only_her_own_things(
    harness: BotHarness,
) -> None:
    zh = Translator("zh_CN", "Asia/Hong_Kong")
    mei = harness.stub.create_user("Mei", language_code="zh-hans")
    await onboard(harness, mei, "✅ 简体中文", "Asia/Shanghai", "zh_CN")
    await harness.ask(mei, "/team new 深圳团队")
    await harness.ask(mei, "/settings cost_currency=USD margin=22%")
    shared = await team_named(harness, "深圳团队")
    before = len(await audits(harness, shared.id))

    welcome = await harness.ask(mei, "/start")
    zone_step = await harness.press(mei, welcome, "✅ 简体中文")
    done = await harness.press(mei, zone_step, "中国香港特别行政区时间")  # no currency, no margin
    assert (
        plain(
            zh(
                UNTOUCHED,
                team="深圳团队",
                currency="USD",
                margin=zh.percent(Decimal("0.22")),
            )
        )
        in done.text
    )
    assert "香港时间" in done.text and "Asia/Hong_Kong" not in done.text and not done.buttons

    row = await user_row(harness, mei)
    assert (row.timezone, row.active_team_id) == ("Asia/Hong_Kong", shared.id)
    shared = await team_named(harness, "深圳团队")
    assert (shared.cost_currency, shared.target_margin) == ("USD", Decimal("0.22"))
    own = await personal(harness, mei)
    assert (own.cost_currency, own.target_margin, own.timezone) == (
        "CNY",
        Decimal("0.15"),
        "Asia/Shanghai",
    )
    assert len(await audits(harness, shared.id)) == before
    assert [a.action for a in await audits(harness, own.id)] == ["setup"]


async def test_a_first_team_new_then_start_sets_up_the_personal_team_and_keeps_the_active_one(
    harness: BotHarness,
) -> None:
    en = Translator("en", "UTC")
    ana = harness.stub.create_user("Ana", language_code="en")
    created = await harness.ask(ana, "/team new Acme")  # her very first command
    assert "personal team Ana" in created.text and "/settings" in created.text
    acme = await team_named(harness, "Acme")

    welcome = await harness.ask(ana, "/start")
    step = await harness.press(ana, welcome, "✅ English")
    step = await harness.press(ana, step, "Coordinated Universal Time")
    step = await harness.press(ana, step, "USD")
    done = await harness.press(ana, step, "20%")
    assert (
        plain(
            en(
                "Set for your personal team <b>{team}</b>:\nCost currency: {currency}\n"
                "Target margin: {margin}",
                team="Ana",
                currency="USD",
                margin=en.percent(Decimal("0.2")),
            )
        )
        in done.text
    )
    assert (
        plain(
            en(
                "You are working in <b>{team}</b>, which keeps its own settings (/settings).",
                team="Acme",
            )
        )
        in done.text
    )
    assert (await user_row(harness, ana)).active_team_id == acme.id  # not switched behind her back
    acme = await team_named(harness, "Acme")
    assert (acme.cost_currency, acme.target_margin) == ("CNY", Decimal("0.15"))
    own = await personal(harness, ana)
    assert (own.cost_currency, own.target_margin) == ("USD", Decimal("0.2"))


async def test_an_invitee_is_asked_for_their_time_zone_prefilled_from_the_team(
    harness: BotHarness,
) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", username="alice")
    await harness.ask(alice, "/team new Acme")
    await harness.ask(alice, "/settings timezone=Asia/Shanghai")

    async def invite(role: str) -> str:
        match = INVITE.search((await harness.ask(alice, f"/team invite {role}")).text)
        assert match is not None
        return match.group(1)

    # a Korean viewer who never chose a zone: asked, the team's zone first
    bob = stub.create_user("Bob", language_code="ko", username="bob")
    ko = Translator("ko")
    joined = await harness.ask(bob, f"/start {await invite('viewer')}")
    assert (
        plain(
            ko(
                (
                    "Which time zone are you in? I show you dates and send you reminders in "
                    "it. <b>{team}</b> works in {zone}. Pick one, or send its name, like "
                    "<code>Europe/Paris</code>."
                ),
                team="Acme",
                zone="중국 시간",
            )
        )
        in joined.text
    )
    first = ko("Like the team: {zone}", zone="중국(상하이) 시간")
    assert joined.button_texts[0] == first and "독일(베를린) 시간" in joined.button_texts
    saved = await harness.press(bob, joined, first)
    assert "중국 시간" in saved.text and "Asia/Shanghai" not in saved.text
    assert (await user_row(harness, bob)).timezone == "Asia/Shanghai"

    # someone who already chose is not asked
    carol = stub.create_user("Carol", language_code="en")
    await harness.ask(carol, "/timezone Europe/Berlin")
    joined = await harness.ask(carol, f"/start {await invite('editor')}")
    assert "Acme" in joined.text and not joined.buttons
    assert (await user_row(harness, carol)).timezone == "Europe/Berlin"

    # a typed answer works too; a bad one is explained and stores nothing
    dan = stub.create_user("Dan", language_code="de")
    await harness.ask(dan, f"/start {await invite('viewer')}")
    bad = await harness.ask(dan, "Mars/Base")
    assert "Mars/Base" in bad.text
    assert (await user_row(harness, dan)).timezone is None
    await harness.ask(dan, "America/New_York")
    assert (await user_row(harness, dan)).timezone == "America/New_York"

    # everyone reads the settings; only admins and owners change them
    read = await harness.ask(bob, "/settings")
    assert "중국 시간" in read.text and not read.buttons
    refused = await harness.ask(bob, "/settings margin=30%")
    assert ko("viewer") in refused.text and ko("admin") in refused.text
    acme = await team_named(harness, "Acme")
    own_card = await harness.ask(alice, "/settings")
    assert own_card.buttons[0][0].data is not None
    forged = own_card.buttons[0][0].data.replace(":stk:", ":stv:").replace(":ccy:", ":ccy:KRW:")
    assert ko("viewer") in await harness.press_data(bob, read, forged)
    assert (await team_named(harness, "Acme")).cost_currency == acme.cost_currency == "CNY"


async def test_settings_buttons_guided_answers_bindings_and_margin_recheck(
    harness: BotHarness,
) -> None:
    ana, team_id = await seeded(harness)
    await harness.ask(
        ana,
        '/newcampaign name="BF" channel=temu-us start=2026-11-27 end=2026-11-30 min_discount=20%',
    )
    await harness.ask(ana, "/enroll 1 S01 S02")
    group = harness.stub.create_group("Ops", members=[ana], admins=[ana])
    harness.stub.add_bot_to_group(group, by=ana)
    await harness.stub.wait_for_message(group)  # the bot introduces itself
    await bind_group(harness.uow_factory, team_id, group.id)

    card = await harness.ask(ana, "/settings")
    question = await harness.press(ana, card, "Target margin")
    assert "18%" in question.text and "✅ 15%" in question.button_texts
    bad = await harness.ask(ana, "99%")
    assert "99%" in bad.text
    saved = await harness.ask(ana, "70%")  # the typed answer to the question
    assert "15% → 70%" in saved.text and "2 SKUs are now under their floor" in saved.text
    async with harness.uow_factory() as uow:
        warnings = (
            await uow.session.scalars(select(Notification).where(Notification.kind == "margin"))
        ).all()
    assert warnings and all(
        {"kind": "target", "from": "0.15", "to": "0.7"} in n.payload["causes"] for n in warnings
    )

    question = await harness.press(ana, saved, "FX buffer")  # the card under the answer
    saved = await harness.press(ana, question, "3%")
    assert "2% → 3%" in saved.text
    question = await harness.press(ana, saved, "Notice language")
    saved = await harness.press(ana, question, "Deutsch")
    assert "English → Deutsch" in saved.text and "1 linked chat" in saved.text
    async with harness.uow_factory() as uow:
        binding = await uow.session.scalar(select(ChatBinding))
        team = await uow.session.get(Team, team_id)
    assert binding is not None and binding.locale == "de" and team is not None
    assert (team.target_margin, team.fx_buffer, team.locale) == (
        Decimal("0.7"),
        Decimal("0.03"),
        "de",
    )
    assert [a.changes for a in await audits(harness, team_id)] == [
        {"margin": ["0.15", "0.7"]},
        {"fx_buffer": ["0.02", "0.03"]},
        {"language": ["en", "de"]},
    ]

    # one line, all or nothing: a bad value refuses the whole line
    refused = await harness.ask(ana, "/settings margin=20% fx_buffer=80%")
    assert "80%" in refused.text
    unknown = await harness.ask(ana, "/settings colour=blue")
    assert "colour" in unknown.text and "cost_currency" in unknown.text
    same = await harness.ask(ana, "/settings fx_buffer=3%")
    assert "Nothing changed" in same.text
    async with harness.uow_factory() as uow:
        team = await uow.session.get(Team, team_id)
    assert team is not None and team.target_margin == Decimal("0.7")
    assert len(await audits(harness, team_id)) == 3

    # an editor reads but cannot change, by command or by a forged press
    eddie = harness.stub.create_user("Eddie", language_code="en")
    await add_member(harness.uow_factory, team_id, eddie, Role.EDITOR)
    read = await harness.ask(eddie, "/settings")
    assert not read.buttons
    set_button = next(b.data for row in question.buttons for b in row if b.text == "Español")
    assert set_button is not None
    assert "editor" in await harness.press_data(eddie, read, set_button)
    async with harness.uow_factory() as uow:
        team = await uow.session.get(Team, team_id)
    assert team is not None and team.locale == "de"
