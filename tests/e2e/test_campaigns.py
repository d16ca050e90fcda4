"""Campaigns through the Bot API stand-in: the guided /newcampaign (surviving a restart),
the calendar's templates, edit and delete with their audit trail, the SKU picker, the
permission matrix in a bound group, forged buttons, and bad input that writes nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.clock import Clock, FakeClock
from bot.db.models import Campaign, CampaignAudit, Enrolment, FlowState, Voucher
from bot.domain.enums import Role
from bot.i18n import Translator
from bot.telegram_stub import StubMessage
from tests.e2e.campaign_fixtures import (
    SkuSpec,
    add_member,
    bind_group,
    seed_channel,
    seed_skus,
    seed_user,
    set_fx,
)
from tests.e2e.conftest import BotHarness

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
EN = Translator("en")
ONE_LINE = (
    '/newcampaign name="Black Friday" channel=temu-us start=2026-11-27 end=2026-11-30 '
    "deadline=2026-11-20T12:00 min_discount=20% subsidy=share:30%:cap:5"
)
SKUS = [
    SkuSpec(f"S{i:02d}", Decimal(60 + i), Decimal("29.99") if i % 5 else Decimal("9.99"))
    for i in range(12)
]


def campaigns_started() -> str:
    from bot.services.campaigns import STARTED

    return STARTED


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


def plain(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


async def next_starting_with(harness: BotHarness, user: object, prefix: str) -> StubMessage:
    """The bot's next message in the user's chat that starts with `prefix` (reminders and
    other notices may arrive in between)."""
    for _ in range(10):
        (message,) = await harness.stub.wait_for_messages(user, 1, timeout=10)  # type: ignore[arg-type]
        if message.text.startswith(prefix):
            return message
    raise AssertionError(f"no message starting with {prefix!r}")


async def count(harness: BotHarness, model: type) -> int:
    async with harness.uow_factory() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def seeded(harness: BotHarness, name: str = "Ana", language: str = "en") -> tuple:  # type: ignore[type-arg]
    user = harness.stub.create_user(name, language_code=language)
    team_id = await seed_user(harness.uow_factory, user)
    channel_id = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel_id, SKUS)
    await set_fx(harness.uow_factory, team_id)
    return user, team_id


async def test_guided_newcampaign_survives_a_restart(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    question = await harness.ask(ana, "/newcampaign")
    assert question.text == EN("New campaign. Start from a shopping festival, or from scratch?")
    question = await harness.press(ana, question, "Blank")
    assert question.text == EN("Which sales channel is the campaign on?")
    question = await harness.press(ana, question, "temu-us")
    assert "name" in question.text
    question = await harness.ask(ana, "Spring Sale")
    # the market (New York) and the team (Shanghai) keep different time: which one?
    assert "Eastern Time" in question.text and "China Time" in question.text
    question = await harness.press(ana, question, "Market: United States (New York) Time")
    assert "registration close" in question.text and "Eastern Time" in question.text
    question = await harness.press(ana, question, "No deadline")
    assert "start" in question.text

    bad = await harness.ask(ana, "next Friday")
    assert "next Friday" in bad.text and "2026-11-27" in bad.text  # how to write it
    question = await harness.ask(ana, "2026-12-05")
    assert "end" in question.text

    await harness.restart()  # nothing is lost: the flow lives in the database
    question = await harness.ask(ana, "2026-12-04")  # before the start: refused
    assert plain(EN("The campaign must end after it starts. Check the start and end dates.")) in (
        question.text
    )
    question = await harness.ask(ana, "2026-12-07")
    assert "minimum discount" in question.text
    question = await harness.press(ana, question, "20%")
    question = await harness.press(ana, question, "List price")
    question = await harness.ask(ana, "fixed:2")
    question = await harness.press(ana, question, "The team's (15%)")
    assert plain(EN("Create this campaign?")) in question.text and "Spring Sale" in question.text
    card = await harness.press(ana, question, "✅ Create")
    assert EN("✅ Campaign created.") in card.text
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
        assert (await uow.session.scalars(select(FlowState))).all() == []
    assert campaign.name == "Spring Sale" and campaign.registration_deadline is None
    assert campaign.starts_at == datetime(2026, 12, 5, tzinfo=NY)
    assert campaign.ends_at == datetime(2026, 12, 7, 23, 59, 59, tzinfo=NY)
    assert (campaign.min_discount, campaign.subsidy_kind, campaign.subsidy_value) == (
        Decimal("0.2"),
        "fixed",
        Decimal(2),
    )
    assert campaign.target_margin is None


async def test_cancel_leaves_the_flow_and_writes_nothing(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    question = await harness.ask(ana, "/newcampaign")
    await harness.press(ana, question, "Blank")
    reply = await harness.ask(ana, "/cancel")
    assert reply.text == EN("Cancelled.")
    assert await count(harness, FlowState) == 0 and await count(harness, Campaign) == 0
    stale = await harness.press_data(ana, question, "1:ncf:template:blank")
    assert stale == EN("This button is no longer valid.")


async def test_calendar_festival_starts_a_prefilled_campaign(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    calendar = await harness.ask(ana, "/calendar us")
    assert "Black Friday" in calendar.text and "Boxing Day" not in calendar.text
    assert "Prime Day" in calendar.text  # announced yearly: listed without a date
    question = await harness.press(ana, calendar, "Black Friday")
    assert question.text == EN("Which sales channel is the campaign on?")
    question = await harness.press(ana, question, "temu-us")
    question = await harness.press(ana, question, "Use Black Friday 2026")
    question = await harness.press(ana, question, "Market: United States (New York) Time")
    question = await harness.ask(ana, "2026-11-20T12:00")  # the deadline is never guessed
    question = await harness.press(ana, question, "Use 2026-11-27")
    question = await harness.press(ana, question, "Use 2026-11-30")
    question = await harness.press(ana, question, "20%")
    question = await harness.press(ana, question, "List price")
    question = await harness.press(ana, question, "No subsidy")
    question = await harness.ask(ana, "18%")
    card = await harness.press(ana, question, "✅ Create")
    assert EN("✅ Campaign created.") in card.text
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
    assert (campaign.name, campaign.festival) == ("Black Friday 2026", "black_friday")
    assert campaign.starts_at == datetime(2026, 11, 27, tzinfo=NY)
    assert campaign.target_margin == Decimal("0.18")
    bad = await harness.ask(ana, "/calendar mars")
    assert "mars" in bad.text and "US" in bad.text


async def test_calendar_in_chinese(harness: BotHarness) -> None:
    mei, _team = await seeded(harness, "Mei", "zh-hans")
    zh = Translator("zh_CN", "Asia/Shanghai")
    calendar = await harness.ask(mei, "/calendar")
    assert zh("Black Friday") in calendar.text
    assert plain(zh("📅 <b>Upcoming shopping festivals</b>")) in calendar.text


async def test_edit_by_button_and_by_line_are_audited(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    card = await harness.ask(ana, ONE_LINE)
    menu = await harness.press(ana, card, "✏️ Edit")
    prompt = await harness.press(ana, menu, "End")
    assert "Eastern Time" in prompt.text and "America/New_York" not in prompt.text
    card = await harness.ask(ana, "2026-12-01")
    assert plain(EN("✅ Saved: {fields}.", fields="end")) in card.text
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
    assert campaign.ends_at == datetime(2026, 12, 1, 23, 59, 59, tzinfo=NY)
    reply = await harness.ask(ana, f'/campaign {campaign.id} min_discount=25% name="BF 2026"')
    assert "BF 2026" in reply.text
    menu = await harness.press(ana, reply, "✏️ Edit")
    prompt = await harness.press(ana, menu, "Reference price")
    card = await harness.press(ana, prompt, "Lowest of 30 days")
    assert plain(EN("✅ Saved: {fields}.", fields="reference price")) in card.text
    bad = await harness.ask(ana, f"/campaign {campaign.id} start=2026-12-10")
    assert "end after it starts" in bad.text
    async with harness.uow_factory() as uow:
        audits = (await uow.session.scalars(select(CampaignAudit).order_by(CampaignAudit.id))).all()
    assert [a.action for a in audits] == ["create", "edit", "edit", "edit"]
    assert audits[2].changes == {
        "name": ["Black Friday", "BF 2026"],
        "min_discount": ["0.2", "0.25"],
    }
    assert audits[3].changes == {"reference_rule": ["list", "lowest_30d"]}
    assert all(a.user_id == ana.id for a in audits)


async def test_picker_toggles_pages_and_enrols_all(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    card = await harness.ask(ana, ONE_LINE)
    picker = await harness.press(ana, card, "➕ Enrol")
    assert "1/2" in picker.button_texts  # 12 SKUs, 8 a page
    first = next(label for label in picker.button_texts if label.startswith("S01"))
    picker = await harness.press(ana, picker, first)
    assert any(label.startswith("✅ S01") for label in picker.button_texts)
    assert await count(harness, Enrolment) == 1
    picker = await harness.press(
        ana, picker, next(t for t in picker.button_texts if t.startswith("✅ S01"))
    )
    assert await count(harness, Enrolment) == 0
    picker = await harness.press(ana, picker, "▶")
    assert "2/2" in picker.button_texts
    result = await harness.press(
        ana, picker, next(t for t in picker.button_texts if "Enrol all" in t)
    )
    assert "Enrolled" in result.text
    assert await count(harness, Enrolment) == 9  # S00, S05, S10 are under the floor


async def test_no_minimum_discount_asks_how_to_price(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    card = await harness.ask(ana, ONE_LINE.replace("min_discount=20%", "min_discount=none"))
    choose = await harness.press(ana, card, "➕ Enrol")
    assert "no minimum discount" in choose.text
    picker = await harness.press(ana, choose, "Deepest safe discount")
    assert "the deepest safe discount" in picker.text
    answer = await harness.ask(ana, "/enroll 1 S01")
    assert "discount=max" in answer.text
    done = await harness.ask(ana, "/enroll 1 S01 S02 discount=15%")
    assert "S01" in done.text and "S02" in done.text
    async with harness.uow_factory() as uow:
        rows = (await uow.session.scalars(select(Enrolment))).all()
    assert {(r.price_mode, r.planned_discount) for r in rows} == {("discount", Decimal("0.15"))}


async def test_delete_needs_confirmation_and_is_audited(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    card = await harness.ask(ana, ONE_LINE)
    await harness.ask(ana, "/enroll 1 S01 S02")
    await harness.ask(ana, "/voucher 1 value=2 save")
    confirm = await harness.press(ana, card, "🗑 Delete")
    assert "2 enrolled SKUs" in confirm.text
    back = await harness.press(ana, confirm, "« Campaign")
    assert "Black Friday" in back.text and await count(harness, Campaign) == 1
    confirm = await harness.press(ana, back, "🗑 Delete")
    gone = await harness.press(ana, confirm, "🗑 Yes, delete")
    assert gone.text == EN("Deleted the campaign {name}.", name="Black Friday")
    assert await count(harness, Campaign) == 0
    assert await count(harness, Enrolment) == 0 and await count(harness, Voucher) == 0
    async with harness.uow_factory() as uow:
        actions = [a.action for a in (await uow.session.scalars(select(CampaignAudit))).all()]
    assert actions == ["create", "delete"]
    stale = await harness.press_data(ana, card, "1:cpp:1")
    assert "no campaign #1" in stale


async def test_permission_matrix_in_a_bound_group(harness: BotHarness) -> None:
    stub = harness.stub
    ana, team_id = await seeded(harness)
    vic = stub.create_user("Vic", language_code="en")
    ed = stub.create_user("Ed", language_code="en")
    olga = stub.create_user("Olga", language_code="en")
    await add_member(harness.uow_factory, team_id, vic, Role.VIEWER)
    await add_member(harness.uow_factory, team_id, ed, Role.EDITOR)
    group = stub.create_group("Sellers", members=[ana, vic, ed, olga], admins=[ana], with_bot=True)
    await bind_group(harness.uow_factory, team_id, group.id)
    bot = stub.bot_username

    # the viewer reads, but cannot create or enrol
    refused = await harness.ask(
        vic, f"/newcampaign@{bot} name=X start=2026-12-01 end=2026-12-02", chat=group
    )
    assert "viewer" in refused.text and "editor" in refused.text
    # the editor creates and enrols
    card = await harness.ask(
        ed, ONE_LINE.replace("/newcampaign", f"/newcampaign@{bot}"), chat=group
    )
    assert EN("✅ Campaign created.") in card.text
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
    assert campaign.team_id == team_id and campaign.created_by == ed.id
    enrolled = await harness.ask(ed, f"/enroll@{bot} {campaign.id} S01", chat=group)
    assert "S01" in enrolled.text
    refused = await harness.ask(vic, f"/enroll@{bot} {campaign.id} S02", chat=group)
    assert "viewer" in refused.text
    assert await count(harness, Enrolment) == 1
    listing = await harness.ask(vic, f"/campaigns@{bot}", chat=group)
    assert "Black Friday" in listing.text
    summary, _xlsx, _csv = await harness.send(
        vic, f"/plan@{bot} {campaign.id}", chat=group, replies=3
    )
    assert "Black Friday" in summary.text
    # a viewer's press on the card's Enrol button is refused with an alert
    answer = await harness.press_data(vic, card, f"1:cpk:{campaign.id}:0:-")
    assert "viewer" in answer
    # the editor cannot delete; the admin (owner) can
    refused = await harness.ask(ed, f"/campaign@{bot} {campaign.id} delete", chat=group)
    assert "editor" in refused.text and "admin" in refused.text
    answer = await harness.press_data(ed, card, f"1:cpy:{campaign.id}")
    assert "admin" in answer
    assert await count(harness, Campaign) == 1
    # a non-member in the bound group is refused
    refused = await harness.ask(olga, f"/campaigns@{bot}", chat=group)
    assert "only members" in refused.text
    confirm = await harness.ask(ana, f"/campaign@{bot} {campaign.id} delete", chat=group)
    gone = await harness.press(ana, confirm, "🗑 Yes, delete")
    assert "Deleted" in gone.text and await count(harness, Campaign) == 0


async def test_forged_buttons_naming_another_teams_campaign_are_refused(
    harness: BotHarness,
) -> None:
    ana, _team = await seeded(harness)
    await harness.ask(ana, ONE_LINE)
    await harness.ask(ana, "/enroll 1 S01")
    bob, _bob_team = await seeded(harness, "Bob")
    own = await harness.ask(bob, "/campaigns")
    for data in (
        "1:cpy:1",  # delete Ana's campaign
        "1:cpt:1:2:0:s",  # toggle one of Ana's SKUs
        "1:cpa:1:m",  # enrol all
        "1:cpg:1:name:Mine",  # rename
        "1:cpw:1:100:5:0:-",  # save a voucher
        "1:cpc:1",  # read the card
    ):
        answer = await harness.press_data(bob, own, data)
        assert answer == EN("There is no campaign #{id} in this team. /campaigns lists them.", id=1)
    for data in ("1:cpc:x", "1:cpt:1:zz:0:s", "1:fes:nope:2026:-", "1:ncf:confirm:create"):
        assert await harness.press_data(bob, own, data) == EN("This button is no longer valid.")
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
    assert campaign.name == "Black Friday"
    assert await count(harness, Enrolment) == 1 and await count(harness, Voucher) == 0


@pytest.mark.parametrize(
    ("command", "needle"),
    [
        (ONE_LINE.replace("2026-11-27", "27/11/2026"), "27/11/2026"),
        (ONE_LINE.replace("end=2026-11-30", "end=2026-11-20"), "end after it starts"),
        (ONE_LINE.replace("deadline=2026-11-20T12:00", "deadline=2026-11-28"), "deadline"),
        (ONE_LINE.replace("min_discount=20%", "min_discount=200%"), "200%"),
        (ONE_LINE.replace("share:30%:cap:5", "share:30%:5"), "share:30%:5"),
        (ONE_LINE.replace("channel=temu-us", "channel=ebay"), "ebay"),
        (ONE_LINE.replace('name="Black Friday"', 'name="Black Friday'), "quote"),
        ("/newcampaign name=X start=2026-12-01", "end"),
    ],
)
async def test_bad_campaigns_write_nothing(harness: BotHarness, command: str, needle: str) -> None:
    ana, _team = await seeded(harness)
    reply = await harness.ask(ana, command)
    assert needle in reply.text
    assert "Sorry" not in reply.text
    assert await count(harness, Campaign) == 0 and await count(harness, CampaignAudit) == 0


async def test_bad_enrolments_and_vouchers_write_nothing(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    await harness.ask(ana, ONE_LINE)
    for command, needle in (
        ("/enroll 1 S01 NOPE", "NOPE"),
        ("/enroll 1 S01 price=abc", "abc"),
        ("/enroll 1 S01 discount=150%", "150%"),
        ("/enroll 1 S01 price=5 discount=10%", "not both"),
        ("/enroll 99 S01", "#99"),
        ("/enroll 1", "/enroll 3 A1 A2"),
        ("/voucher 1 value=5 save", "not safe"),  # nothing enrolled: nothing to save
        ("/voucher 1 value=-5", "-5"),
        ("/voucher 1 colour=red", "colour"),
        ("/plan x", "x"),
    ):
        reply = await harness.ask(ana, command)
        assert needle in reply.text, (command, reply.text)
        assert "Sorry" not in reply.text
    assert await count(harness, Enrolment) == 0 and await count(harness, Voucher) == 0


async def test_campaign_list_by_phase(harness: BotHarness, clock: FakeClock) -> None:
    ana, _team = await seeded(harness)
    await harness.ask(ana, ONE_LINE)
    early = (
        ONE_LINE.replace("Black Friday", "Early Deals")
        .replace("2026-11-27", "2026-11-09")
        .replace("deadline=2026-11-20T12:00", "deadline=none")
    )
    started = await harness.ask(ana, early)
    assert EN(campaigns_started()) in started.text  # accepted, with a warning
    listing = await harness.ask(ana, "/campaigns")
    text = listing.text
    assert (
        text.index("Running")
        < text.index("Early Deals")
        < text.index("Upcoming")
        < text.index("Black Friday")
    )
    clock.set(datetime(2026, 12, 5, tzinfo=UTC))  # the summaries after the end may come too
    harness.stub.mark_read(ana)
    harness.stub.send_message(ana, "/campaigns")
    listing = await next_starting_with(harness, ana, EN("<b>Campaigns</b>")[3:-4])
    assert "Ended" in listing.text and "Upcoming" not in listing.text


async def test_card_buttons_plan_export_vouchers_and_reminders(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    card = await harness.ask(ana, ONE_LINE)
    await harness.ask(ana, "/enroll 1 S01 S02 S03")
    reminders = await harness.press(ana, card, "⏰ Reminders")
    assert "before the registration deadline" in reminders.text and "/reminders" in reminders.text
    card = await harness.press(ana, reminders, "« Campaign")
    vouchers = await harness.press(ana, card, "🎟 Vouchers")
    assert EN("No saved vouchers yet.") in vouchers.text
    card = await harness.press(ana, vouchers, "« Campaign")
    harness.stub.mark_read(ana)
    harness.stub.press_button(ana, card, text="📤 Export")
    xlsx, csv_file = await harness.stub.wait_for_messages(ana, 2, timeout=20)
    assert xlsx.document is not None and xlsx.document.file_name == "plan-1-black-friday.xlsx"
    assert csv_file.document is not None and csv_file.document.file_name.endswith(".csv")
    harness.stub.press_button(ana, card, text="📋 Plan")
    xlsx, csv_file = await harness.stub.wait_for_messages(ana, 2, timeout=20)
    summary = harness.stub.message(ana.id, card.message_id)
    assert "Plan: Black Friday" in summary.text and "S01" in summary.text
    assert xlsx.document is not None and csv_file.document is not None


async def test_largest_voucher_with_platform_co_funding(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    await harness.ask(ana, ONE_LINE)
    await harness.ask(ana, "/enroll 1 S01 S02 S03")
    answer = await harness.ask(ana, "/voucher 1 threshold=50 share=50% cap=3")
    assert "The platform funds 50% of the voucher, at most $3.00 per order." in answer.text
    match = re.search(r"can carry a voucher of up to \$([0-9]+\.[0-9]{2})", answer.text)
    assert match is not None
    value = Decimal(match.group(1))
    check = await harness.ask(ana, f"/voucher 1 value={value} threshold=50 share=50% cap=3")
    assert "is safe" in check.text
    one_cent_more = await harness.ask(
        ana, f"/voucher 1 value={value + Decimal('0.01')} threshold=50 share=50% cap=3"
    )
    assert "is not safe" in one_cent_more.text
    saved = await harness.press(ana, answer, "💾 Save on the campaign")
    assert "spend $50.00" in saved.text
    async with harness.uow_factory() as uow:
        voucher = (await uow.session.scalars(select(Voucher))).one()
    assert (voucher.threshold, voucher.value, voucher.platform_share, voucher.platform_cap) == (
        Decimal(50),
        value,
        Decimal("0.5"),
        Decimal(3),
    )


async def test_newcampaign_without_a_channel_says_what_to_do_first(harness: BotHarness) -> None:
    zoe = harness.stub.create_user("Zoe", language_code="en")
    await seed_user(harness.uow_factory, zoe)
    reply = await harness.ask(zoe, "/newcampaign")
    assert "/channel add temu-us-semi" in reply.text
    reply = await harness.ask(zoe, "/newcampaign name=X start=2026-12-01 end=2026-12-02")
    assert "/channel add temu-us-semi" in reply.text
    assert await count(harness, FlowState) == 0 and await count(harness, Campaign) == 0


async def test_a_voucher_blocked_by_a_sku_under_its_floor(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    await harness.ask(ana, ONE_LINE)
    await harness.ask(ana, "/enroll 1 S01 S02")
    alone = await harness.ask(ana, "/voucher 1 value=5")
    match = re.search(r"safe from orders of \$([0-9]+\.[0-9]{2})", alone.text)
    assert match is not None
    asked = await harness.ask(ana, "/enroll 1 S00 price=9.00")  # under its floor: no headroom
    await harness.press(ana, asked, "⚠️ Enrol anyway")
    blocked = await harness.ask(ana, "/voucher 1 value=5")
    assert "No voucher is safe: S00" in blocked.text
    assert f"Without them, a $5.00 voucher is safe from orders of ${match.group(1)}." in (
        blocked.text
    )
    assert "Save on the campaign" not in blocked.button_texts
