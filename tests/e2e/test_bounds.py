"""Issue 10, "one user cannot hurt the others" — the input bounds (SPEC §4.2 "Limits"),
through the Bot API stand-in: every finding of the review, reproduced as it was found
(typed commands, guided answers, imported files, forged buttons) and now refused with a
clear message — and values already stored beyond the bounds no longer break the screens
of the whole team."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from bot.clock import Clock, FakeClock
from bot.db.models import (
    Campaign,
    ChatBinding,
    FlowState,
    FxOverride,
    Listing,
    Sku,
    Team,
    Voucher,
)
from bot.db.models import Channel as ChannelRow
from bot.domain.enums import Role
from bot.limits import MAX_NAME_LENGTH
from bot.pricing import get_preset
from bot.services.pricing_inputs import channel_columns
from bot.telegram_stub import StubMessage, User
from bot.views.callbacks import stamp
from bot.views.split import TEXT_LIMIT
from tests.e2e.campaign_fixtures import SEEDED_AT, SkuSpec, seed_channel, seed_skus, seed_user
from tests.e2e.catalog_support import add_member, count, plain, snapshot, store_ecb_rates
from tests.e2e.conftest import BotHarness
from tests.e2e.test_campaigns import ONE_LINE, seeded

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
SORRY = "Sorry, something went wrong"
NOT_VALID = "This button is no longer valid."
TOO_LARGE = "is too large: amounts go up to 1,000,000,000."
YEAR = "the year must be from 2000 to 2100"


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


@pytest.fixture(autouse=True)
def _no_rate_limits(harness: BotHarness) -> None:
    """Many commands per test; Telegram's limits are tested with the stand-in itself."""
    harness.stub.set_rate_limits(False)


async def answered(harness: BotHarness, user: User, text: str, **kwargs: object) -> StubMessage:
    """The bot's answer to `text`, which must not be the error handler's apology."""
    reply = await harness.ask(user, text, **kwargs)  # type: ignore[arg-type]
    assert SORRY not in reply.text, (text, reply.text)
    return reply


def is_postgres(harness: BotHarness) -> bool:
    return harness.settings.database_url.startswith("postgresql")


# -- finding 3: unbounded numbers -------------------------------------------------------------


async def test_amounts_and_rates_beyond_the_bounds_are_refused_and_nothing_breaks(
    harness: BotHarness,
) -> None:
    ana, _team = await seeded(harness)
    before = await snapshot(harness, Sku, Listing, ChannelRow, FxOverride)
    for command, needle in [
        ("/sku add N1 unit_cost=" + "9" * 31, TOO_LARGE),
        ("/sku add N1 unit_cost=1000000000.01", TOO_LARGE),
        ("/sku add N1 unit_cost=2 packaging=1.1234567", "has too many decimal places."),
        ("/sku add N1 unit_cost=2 duty_rate=7.12345", "has too many decimal places."),
        ("/sku add N2 unit_cost=1 list_price@temu-us=1" + "0" * 30, TOO_LARGE),
        ("/sku S01 list_price@temu-us=1000000000.01", TOO_LARGE),
        ("/sku S01 unit_cost=1e3", "is not a number"),
        ("/channel temu-us fulfilment_fee=" + "9" * 27, TOO_LARGE),
        ("/channel temu-us payment_fixed=0.0000001", "has too many decimal places."),
        ("/fx set USD CNY 0.000000000000000000000000001", "outside the rates I accept"),
        ("/fx set USD CNY 0.0000009", "outside the rates I accept"),
        ("/fx set USD CNY 1000000.5", "outside the rates I accept"),
        ("/fx set USD CNY " + "9" * 31, "outside the rates I accept"),
    ]:
        reply = await answered(harness, ana, command)
        assert needle in plain(reply.text), (command, reply.text)
    assert await snapshot(harness, Sku, Listing, ChannelRow, FxOverride) == before

    # the team's screens all still answer
    assert "S01" in (await answered(harness, ana, "/skus")).text
    assert "Item S01" in (await answered(harness, ana, "/sku S01")).text
    assert "temu-us" in (await answered(harness, ana, "/channels")).text
    assert "CNY" in (await answered(harness, ana, "/fx")).text

    # the bounds themselves are accepted, and shown
    added = await answered(
        harness, ana, "/sku add N3 unit_cost=1000000000 list_price@temu-us=1000000000"
    )
    assert "N3" in added.text and "$1,000,000,000.00" in added.text
    assert "$1,000,000,000.00" in (await answered(harness, ana, "/sku N3")).text
    assert "N3" in (await answered(harness, ana, "/skus")).text
    await answered(harness, ana, "/floor N3")
    low = await answered(harness, ana, "/fx set USD EUR 0.000001")
    assert "USD" in low.text
    high = await answered(harness, ana, "/fx set USD JPY 1000000")
    assert "JPY" in high.text
    async with harness.uow_factory() as uow:
        rates = {(r.base, r.quote): r.rate for r in (await uow.session.scalars(select(FxOverride)))}
    assert rates[("USD", "EUR")] == Decimal("0.000001")
    assert rates[("USD", "JPY")] == Decimal(1_000_000)


async def test_an_imported_file_gets_the_same_bounds(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    csv = (
        "sku,name,unit_cost,list_price@temu-us\n"
        f"A1,Mug,{'9' * 25},19.99\n"
        "A2,Mug,2,1000000000000\n"
        f"A3,{'x' * (MAX_NAME_LENGTH + 1)},2,19.99\n"
        "A4,Mug,2.1234567,19.99\n"
        "A5,Mug,2,19.99\n"
    ).encode()
    harness.stub.mark_read(ana)
    harness.stub.send_document(ana, filename="bounds.csv", content=csv)
    (preview,) = await harness.stub.wait_for_messages(ana, 1, timeout=15)
    text = plain(preview.text)
    assert SORRY not in text
    assert "errors: 4" in text, text
    assert text.count(TOO_LARGE) == 2
    assert "is too long." in text and "has too many decimal places." in text
    assert preview.button_texts == []  # nothing to confirm: all or nothing
    assert await count(harness, Sku) == 12


async def test_values_stored_beyond_the_bounds_do_not_break_the_screens(
    harness: BotHarness,
) -> None:
    """Rows written before the bounds existed: shown as they are (or as "—"), never an
    error for the whole team."""
    ana, team_id = await seeded(harness)
    async with harness.uow_factory() as uow:
        channel = (await uow.session.scalars(select(ChannelRow))).one()
        channel.fulfilment_fee = Decimal("9" * 27)
        sku = Sku(
            team_id=team_id,
            code="HUGE",
            name="Huge",
            unit_cost=Decimal("9" * 31),
            cost_currency="CNY",
            created_at=SEEDED_AT,
            updated_at=SEEDED_AT,
        )
        uow.session.add(sku)
        await uow.session.flush()
        uow.session.add(
            Listing(
                sku_id=sku.id,
                channel_id=channel.id,
                list_price=Decimal(10) ** 30,
                created_at=SEEDED_AT,
                updated_at=SEEDED_AT,
            )
        )
        uow.session.add(
            FxOverride(
                team_id=team_id,
                base="USD",
                quote="EUR",
                rate=Decimal("0.000000000000000000000000001"),
                set_at=SEEDED_AT,
            )
        )
        await uow.commit()
    skus = await answered(harness, ana, "/skus")
    assert "HUGE" in skus.text and "9,999,999,999" in skus.text
    assert "HUGE" in (await answered(harness, ana, "/sku HUGE")).text
    assert "temu-us" in (await answered(harness, ana, "/channels")).text
    assert "temu-us" in (await answered(harness, ana, "/channel temu-us")).text
    assert "EUR" in (await answered(harness, ana, "/fx")).text
    await answered(harness, ana, "/floor HUGE")
    await answered(harness, ana, "/floor S01")
    fixed = await answered(harness, ana, "/sku HUGE unit_cost=12")
    assert "¥12.00" in fixed.text


# -- finding 4: output that always fits ---------------------------------------------------------

TITLE = (
    "Ceramic Coffee Mug 350ml with Lid and Spoon, Large Capacity Tea Cup for Office and Home, "
    "Microwave and Dishwasher Safe, Gift Box Packaging, Matte Glaze Nordic Style Navy Blue XXL"
)


async def test_twenty_skus_with_marketplace_titles_fit_in_one_page(harness: BotHarness) -> None:
    assert len(TITLE) == 178
    ana = harness.stub.create_user("Ana", language_code="en")
    team_id = await seed_user(harness.uow_factory, ana)
    channel_id = await seed_channel(harness.uow_factory, team_id)
    codes = await seed_skus(
        harness.uow_factory,
        team_id,
        channel_id,
        [SkuSpec(f"MUG-{i:02d}-" + "X" * 50, Decimal(10 + i), Decimal("19.99")) for i in range(25)],
    )
    async with harness.uow_factory() as uow:
        for sku_id in codes.values():
            row = await uow.session.get(Sku, sku_id)
            assert row is not None
            row.name = f"{TITLE} & more"
        await uow.commit()
    page = await answered(harness, ana, "/skus")
    assert "SKUs 1–20 of 25" in plain(page.text)
    assert all(f"MUG-{i:02d}-" in page.text for i in range(20))
    assert page.text.count("…") == 20  # every name shortened, none cut inside "&amp;"
    assert len(page.text) <= TEXT_LIMIT
    following = await harness.press(ana, page, "▶")
    assert "SKUs 21–25 of 25" in plain(following.text)
    card = await answered(harness, ana, f"/sku MUG-03-{'X' * 50}")
    assert f"{TITLE} & more" in card.text  # the card shows the whole name


async def test_a_long_screen_arrives_in_parts_that_each_fit(harness: BotHarness) -> None:
    ana = harness.stub.create_user("Ana", language_code="en")
    team_id = await seed_user(harness.uow_factory, ana)
    async with harness.uow_factory() as uow:
        for i in range(45):
            uow.session.add(
                ChannelRow(
                    team_id=team_id,
                    name=f"shop-{i:02d}-" + "z" * 20,
                    preset="temu-us-semi",
                    **channel_columns(get_preset("temu-us-semi").channel),
                    timezone="America/New_York",
                    created_at=SEEDED_AT,
                    updated_at=SEEDED_AT,
                )
            )
        await uow.commit()
    harness.stub.mark_read(ana)
    harness.stub.send_message(ana, "/channels")
    first = (await harness.stub.wait_for_messages(ana, 1))[0]
    parts = [first]
    while "Details:" not in parts[-1].text:
        parts += await harness.stub.wait_for_messages(ana, 1)
    assert len(parts) >= 2
    assert all(len(part.text) <= TEXT_LIMIT for part in parts)
    whole = "\n".join(part.text for part in parts)
    assert "45 sales channels" in whole
    assert all(f"shop-{i:02d}-" in whole for i in range(45))


# -- finding 6: button data is parsed and checked like typed input -----------------------------


async def voucher_campaign(harness: BotHarness) -> tuple[User, StubMessage]:
    ana, _team = await seeded(harness)
    await answered(harness, ana, ONE_LINE)
    await answered(harness, ana, "/enroll 1 S01 S02 S03")
    answer = await answered(harness, ana, "/voucher 1 threshold=50")
    assert answer.button("💾 Save on the campaign").data
    return ana, answer


async def test_a_forged_save_voucher_button_is_read_and_checked_like_the_command(
    harness: BotHarness,
) -> None:
    ana, answer = await voucher_campaign(harness)
    typed = await answered(harness, ana, "/voucher 1 value=49 threshold=50 save")
    assert "not safe, so I did not save it" in typed.text
    async with harness.uow_factory() as uow:
        created = await uow.session.scalar(select(Campaign.created_at).where(Campaign.id == 1))
    assert created is not None
    mark = stamp(created)  # a save button carries the campaign's stamp
    refused = await harness.press_data(ana, answer, f"1:cpw:1:50:49:0:-:{mark}")
    assert refused == "That voucher is not safe, so I did not save it. See the answer without save."
    for data in [
        "1:cpw:1:50:1:1E-999999999:-",
        "1:cpw:1:50:1:NaN:-",
        "1:cpw:1:50:1:Infinity:-",
        "1:cpw:1:50:1:-0.5:-",
        "1:cpw:1:50:1:2:-",  # a share of 200 %
        "1:cpw:1:50:1:0.123456789:-",
        "1:cpw:1:1e3:1:0:-",
        "1:cpw:1:50.001:1:0:-",
        "1:cpw:1:10000000000:1:0:-",
        "1:cpw:1:50:0:0:-",
        "1:cpw:1:50:1:0:1E+9",
        "1:cpw:1:50:60:0.5:-",  # a voucher larger than its threshold
        "1:cpw:99999999999999999999:50:1:0:-",
    ]:
        assert await harness.press_data(ana, answer, data) == NOT_VALID, data
    assert await count(harness, Voucher) == 0
    # a co-funded voucher the engine calls safe is saved from a button as from the command
    co_funded = await answered(harness, ana, "/voucher 1 threshold=50 share=50% cap=3")
    saved = await harness.press(ana, co_funded, "💾 Save on the campaign")
    assert "spend $50.00" in saved.text
    async with harness.uow_factory() as uow:
        voucher = (await uow.session.scalars(select(Voucher))).one()
    assert (voucher.platform_share, voucher.platform_cap) == (Decimal("0.5"), Decimal(3))
    for command in ("/campaign 1", "/plan 1", "/campaign 1 delete"):
        await answered(harness, ana, command)


async def test_a_share_stored_beyond_the_bounds_does_not_break_the_campaign(
    harness: BotHarness,
) -> None:
    ana, _answer = await voucher_campaign(harness)
    # PostgreSQL's NUMERIC cannot hold 1E-999999999 at all; 1E-999 is the same trap there
    share = Decimal("1E-999") if is_postgres(harness) else Decimal("1E-999999999")
    async with harness.uow_factory() as uow:
        uow.session.add(
            Voucher(
                campaign_id=1,
                threshold=Decimal(50),
                value=Decimal(1),
                platform_share=share,
                created_at=SEEDED_AT,
            )
        )
        await uow.commit()
    card = await answered(harness, ana, "/campaign 1")
    assert "Black Friday" in card.text
    vouchers = await harness.press(ana, card, "🎟 Vouchers")
    assert "spend $50.00, get $1.00 off" in vouchers.text
    harness.stub.mark_read(ana)
    harness.stub.send_message(ana, "/plan 1")
    summary, *files = await harness.stub.wait_for_messages(ana, 3, timeout=20)
    assert SORRY not in summary.text and "Plan: Black Friday" in summary.text
    assert [f.document.file_name.rsplit(".", 1)[1] for f in files if f.document] == ["xlsx", "csv"]
    delete = await answered(harness, ana, "/campaign 1 delete")
    assert delete.button_texts[0] == "🗑 Yes, delete"
    await answered(harness, ana, "/voucher 1 threshold=50")


# -- finding 8: years ---------------------------------------------------------------------------


async def test_years_outside_2000_to_2100_are_refused_everywhere(harness: BotHarness) -> None:
    ana, _team = await seeded(harness)
    head = "/newcampaign name=X channel=temu-us "
    for tail in [
        "start=9999-11-27 end=9999-11-30",
        "start=0001-11-27 end=0001-11-30",
        "start=2026-11-27 end=9999-12-20",
        "start=2026-11-27 end=2101-01-01",
        "start=2026-11-27 end=2026-11-30 deadline=1999-12-31",
    ]:
        reply = await answered(harness, ana, head + tail)
        assert YEAR in plain(reply.text), (tail, reply.text)
    assert await count(harness, Campaign) == 0
    await answered(harness, ana, ONE_LINE)
    edit = await answered(harness, ana, "/campaign 1 end=9999-12-20")
    assert YEAR in plain(edit.text)
    # a guided answer is read by the same parser
    question = await answered(harness, ana, "/newcampaign")
    question = await harness.press(ana, question, "Blank")
    question = await harness.press(ana, question, "temu-us")
    question = await answered(harness, ana, "Spring Sale")
    question = await harness.press(ana, question, "Market: United States (New York) Time")
    question = await harness.press(ana, question, "No deadline")
    refused = await answered(harness, ana, "9999-11-27")
    assert YEAR in plain(refused.text)
    async with harness.uow_factory() as uow:
        flow = (await uow.session.scalars(select(FlowState))).one()
    assert flow.step == "start"  # still asking for the start


async def test_a_campaign_stored_with_year_9999_still_works(harness: BotHarness) -> None:
    ana, team_id = await seeded(harness)
    async with harness.uow_factory() as uow:
        channel = (await uow.session.scalars(select(ChannelRow))).one()
        uow.session.add(
            Campaign(
                team_id=team_id,
                channel_id=channel.id,
                name="Forever Sale",
                starts_at=datetime(2026, 11, 27, 5, tzinfo=UTC),
                ends_at=datetime(9999, 12, 21, 4, 59, 59, tzinfo=UTC),
                timezone="America/New_York",
                created_at=SEEDED_AT,
                updated_at=SEEDED_AT,
            )
        )
        await uow.commit()
    await answered(harness, ana, "/reminders summary=30d")
    assert "Forever Sale" in (await answered(harness, ana, "/campaigns")).text
    assert "Forever Sale" in (await answered(harness, ana, "/campaign 1")).text
    edited = await answered(harness, ana, "/campaign 1 name=Renamed")
    assert "Renamed" in edited.text
    fixed = await answered(harness, ana, "/campaign 1 end=2026-12-05")
    assert "Renamed" in fixed.text
    async with harness.uow_factory() as uow:
        campaign = await uow.session.get(Campaign, 1)
    assert campaign is not None and campaign.ends_at.year == 2026


# -- finding 9: ids beyond what the database holds ----------------------------------------------


async def test_ids_beyond_the_database_range_are_not_found(harness: BotHarness) -> None:
    ana, team_id = await seeded(harness)
    card = await answered(harness, ana, ONE_LINE)
    for command in ["/team switch 99999999999999999999999", "/team switch 2147483648"]:
        reply = await answered(harness, ana, command)
        assert "You are not a member of that team." in reply.text
    for command in [
        "/campaign 99999999999999999999999",
        "/campaign 2147483648",
        "/campaign #0",
        "/plan 2147483648",
        "/voucher 9223372036854775808 value=5",
        "/enroll 2147483648 S01",
    ]:
        reply = await answered(harness, ana, command)
        assert "There is no campaign #" in reply.text, (command, reply.text)
    async with harness.uow_factory() as uow:
        sku_id = (await uow.session.scalars(select(Sku.id).limit(1))).one()
    for data in [
        "1:cpc:99999999999999999999",
        "1:cpc:2147483648",
        "1:cpc:0",
        "1:cpc:-1",
        "1:pln:9223372036854775808",
        "1:skudel:2147483648",
        "1:tsw:2147483648",
        f"1:tmem:{team_id}:99999999999999999999",
        f"1:cpk:1:{sku_id}:-1:-",
        "1:cpk:1:2147483648:0:-",
        "1:skus:-1",
    ]:
        assert await harness.press_data(ana, card, data) == NOT_VALID, data
    assert await harness.press_data(ana, card, "1:skus:99999999999999") == ""  # last page
    assert "Black Friday" in (await answered(harness, ana, "/campaign 1")).text
    for page in ("/skus ²", "/skus 99999999999999999999"):  # a page number, or not
        assert "S01" in (await answered(harness, ana, page)).text


# -- finding 10: time-zone names -----------------------------------------------------------------


async def test_a_huge_time_zone_name_is_refused_without_touching_files(
    harness: BotHarness,
) -> None:
    ana, _team = await seeded(harness)
    for command in [
        "/timezone " + "A" * 5000,
        "/timezone ../../../../etc/passwd",
        "/timezone Europe/" + "B" * 300,
        "/channel temu-us timezone=" + "A" * 5000,
        "/newcampaign name=X channel=temu-us start=2026-11-27 end=2026-11-30 tz=" + "A" * 5000,
    ]:
        reply = await answered(harness, ana, command)
        assert "is not a time zone I know" in plain(reply.text), (command[:40], reply.text)
    saved = await answered(harness, ana, "/timezone Asia/Seoul")
    assert "Korean Time" in saved.text


# -- finding 12: /unlink needs the same rights as /link -------------------------------------------


async def test_unlink_needs_a_group_admin_like_link(harness: BotHarness) -> None:
    alice = harness.stub.create_user("Alice", language_code="en")
    bob = harness.stub.create_user("Bob", language_code="en")
    team_id = await seed_user(harness.uow_factory, alice)
    await add_member(harness, team_id, bob, Role.ADMIN)
    group = harness.stub.create_group("Acme sellers", members=[alice, bob], admins=[alice])
    harness.stub.add_bot_to_group(group, by=alice)
    await harness.stub.wait_for_message(group)
    linked = await answered(harness, alice, "/link", chat=group)
    assert "Acme sellers" in linked.text or "linked" in linked.text.lower()

    refused = await answered(harness, bob, "/unlink", chat=group)  # team admin, not group admin
    assert "Only an admin of this group" in refused.text
    refused = await answered(harness, bob, "/link", chat=group)
    assert "Only an admin of this group" in refused.text
    async with harness.uow_factory() as uow:
        binding = (await uow.session.scalars(select(ChatBinding))).one()
    assert binding.status == "active"

    await answered(harness, alice, "/unlink", chat=group)
    async with harness.uow_factory() as uow:
        binding = (await uow.session.scalars(select(ChatBinding))).one()
    assert binding.status != "active"


# -- names ----------------------------------------------------------------------------------------


async def test_names_have_a_length_limit_in_commands(harness: BotHarness) -> None:
    ana, team_id = await seeded(harness)
    long_name = "n" * (MAX_NAME_LENGTH + 1)
    reply = await answered(harness, ana, f'/sku add L1 unit_cost=2 name="{long_name}"')
    assert "is too long" in plain(reply.text)
    ok = await answered(harness, ana, f'/sku add L1 unit_cost=2 name="{long_name[:-1]}"')
    assert "L1" in ok.text
    team = await answered(harness, ana, "/team rename " + "t" * 129)
    assert "1 to 128 characters" in plain(team.text)
    campaign = await answered(
        harness,
        ana,
        f'/newcampaign name="{"c" * 129}" channel=temu-us start=2026-11-27 end=2026-11-30',
    )
    assert "1 to 128 characters" in plain(campaign.text)
    async with harness.uow_factory() as uow:
        team_row = await uow.session.get(Team, team_id)
    assert team_row is not None and len(team_row.name) <= 128
    assert await count(harness, Campaign) == 0
    assert "L1" in (await answered(harness, ana, "/skus")).text


# -- SPEC §4.2: a manual rate far from the reference rate is confirmed first ------------------


async def test_a_rate_far_from_the_ecb_rate_is_confirmed_before_it_is_saved(
    harness: BotHarness,
) -> None:
    ana, _team = await seeded(harness)
    async with harness.uow_factory() as uow:
        await uow.session.execute(delete(FxOverride))  # the fixture's manual CNY→USD rate
        await uow.commit()
    await store_ecb_rates(harness, NOW.date(), NOW)

    near = await answered(harness, ana, "/fx set USD CNY 7.10")  # the ECB: 7.2222…
    assert "Manual rate saved: 1 USD = 7.1 CNY" in near.text
    far = await answered(harness, ana, "/fx set USD CNY 9.5")
    assert "is 32% away from the ECB's rate (1 USD = 7.22222 CNY)" in far.text
    assert far.button_texts == ["✅ Save it", "Cancel"]
    inverse = await answered(harness, ana, "/fx set USD CNY 0.1385")
    assert "looks like the rate the other way round" in inverse.text
    kept = await harness.press(ana, inverse, "Cancel")
    assert kept.text == "Nothing was saved."

    async def manual_rate() -> Decimal:
        async with harness.uow_factory() as uow:
            return (await uow.session.scalars(select(FxOverride.rate))).one()

    assert await manual_rate() == Decimal("7.10")
    for data in (
        "1:fxok:USD:CNY:0.0000001",
        "1:fxok:USD:CNY:1E-999999999",
        "1:fxok:USD:CNY:NaN",
        "1:fxok:USD:XYZ:9.5",
        "1:fxok:USD:USD:9.5",
        "1:fxok:USD:CNY",
    ):
        assert await harness.press_data(ana, far, data) == NOT_VALID, data
    assert await manual_rate() == Decimal("7.10")
    saved = await harness.press(ana, far, "✅ Save it")
    assert "Manual rate saved: 1 USD = 9.5 CNY" in saved.text
    assert await manual_rate() == Decimal("9.5")
