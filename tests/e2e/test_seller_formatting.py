"""Issue 12, formatting, through the stand-in: dates, zones, percentages, buttons by role,
hints with real ids, file names, the plan CSV's status label and /calendar's order."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.db.models import Campaign, Enrolment, PendingImport, Sku
from bot.domain.enums import Role
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.services.plan import PlanStatus
from bot.telegram_stub import User
from bot.views.campaigns import STATUS_LABELS
from tests.e2e.campaign_fixtures import add_member
from tests.e2e.catalog_support import count, plain, store_ecb_rates, team_of
from tests.e2e.conftest import BotHarness


@pytest.fixture(autouse=True)
def _no_rate_limits(harness: BotHarness) -> None:
    harness.stub.set_rate_limits(False)


@pytest.mark.parametrize(
    ("language", "locale", "shown"),
    [("ko", "ko", "2026. 12. 2."), ("de", "de", "02.12.2026."), ("en", "en", "Dec 2, 2026.")],
)
async def test_a_date_ending_a_sentence_has_one_full_stop(
    harness: BotHarness, language: str, locale: str, shown: str
) -> None:
    await store_ecb_rates(harness, date(2026, 12, 2), datetime(2026, 12, 2, 15, tzinfo=UTC))
    user = harness.stub.create_user("Seller", language_code=language)
    reply = await harness.ask(user, "/fx")
    _ = Translator(locale)
    line = _("Latest ECB rates: {date}.", date=_.date(date(2026, 12, 2)))
    assert line in reply.text and line.endswith(shown)
    assert ".." not in reply.text and ". ." not in reply.text


@pytest.mark.parametrize(
    ("language", "locale", "zone", "twenty"),
    [
        ("de", "de", "Europe/Berlin", "20\u00a0%"),
        ("ko", "ko", "Asia/Seoul", "20%"),
        ("en", "en", "America/New_York", "20%"),
    ],
)
async def test_start_names_zones_and_percentages_the_readers_way(
    harness: BotHarness, language: str, locale: str, zone: str, twenty: str
) -> None:
    _ = Translator(locale)
    user = harness.stub.create_user("Seller", language_code=language)
    welcome = await harness.ask(user, "/start")
    zones = await harness.press(user, welcome, "✅ " + LANGUAGE_NAMES[locale])
    assert not any("/" in label for label in zones.button_texts)  # no IANA ids
    currencies = await harness.press(user, zones, _.zone_place(zone))
    margins = await harness.press(user, currencies, "EUR")
    assert twenty in margins.button_texts
    done = await harness.press(user, margins, twenty)
    assert _.zone(zone) in done.text and zone not in done.text
    assert _.percent(Decimal("0.2")) in done.text


# -- buttons a reader may not use are not shown --------------------------------------------


async def campaign_id_named(harness: BotHarness, name: str) -> int:
    async with harness.uow_factory() as uow:
        found = await uow.session.scalar(select(Campaign.id).where(Campaign.name == name))
    assert found is not None
    return int(found)


async def team_with_campaign(harness: BotHarness, owner: User, name: str = "BF") -> int:
    for command in (
        "/channel add temu-us-semi",
        "/sku add A1 unit_cost=3 list_price@temu-us-semi=9.99",
        f'/newcampaign name="{name}" channel=temu-us-semi start=2027-03-01 end=2027-03-05',
    ):
        await harness.ask(owner, command)
    return await campaign_id_named(harness, name)


async def test_a_viewer_sees_no_edit_or_delete_buttons_and_forged_ones_stay_refused(
    harness: BotHarness,
) -> None:
    stub = harness.stub
    owner = stub.create_user("Olga", language_code="en")
    campaign_id = await team_with_campaign(harness, owner)
    team_id = await team_of(harness, owner)
    viewer = stub.create_user("Vera", language_code="de")
    editor = stub.create_user("Emil", language_code="en")
    await add_member(harness.uow_factory, team_id, viewer, Role.VIEWER)
    await add_member(harness.uow_factory, team_id, editor, Role.EDITOR)
    de = Translator("de")

    owner_card = await harness.ask(owner, f"/campaign {campaign_id}")
    assert {"➕ Enrol", "✏️ Edit", "🗑 Delete"} <= set(owner_card.button_texts)
    editor_card = await harness.ask(editor, f"/campaign {campaign_id}")
    assert {"➕ Enrol", "✏️ Edit"} <= set(editor_card.button_texts)
    assert "🗑 Delete" not in editor_card.button_texts  # deleting needs an admin
    viewer_card = await harness.ask(viewer, f"/campaign {campaign_id}")
    shown = set(viewer_card.button_texts)
    assert {de("📋 Plan"), de("🎟 Vouchers"), de("📤 Export")} <= shown
    assert not shown & {de("➕ Enrol"), de("✏️ Edit"), de("🗑 Delete")}

    # the server still refuses what the button would have done (callback data is not trusted)
    delete_data = owner_card.button("🗑 Delete").data
    assert delete_data is not None
    refusal = await harness.press_data(viewer, viewer_card, delete_data)
    assert de("admin") in refusal
    assert await campaign_id_named(harness, "BF") == campaign_id

    plan = await harness.press(viewer, viewer_card, de("📋 Plan"))
    assert de("➕ Enrol") not in plan.button_texts and de("🎟 Vouchers") in plan.button_texts
    await stub.wait_for_messages(viewer, 2)  # the plan's XLSX and CSV follow
    owner_plan, *_files = await harness.send(owner, f"/plan {campaign_id}", replies=3)
    assert "➕ Enrol" in owner_plan.button_texts

    channels = await harness.ask(viewer, "/channels")
    assert "commission=12" not in channels.text and "/channel temu-us-semi" in channels.text
    assert "/channel del" not in (await harness.ask(viewer, "/channel temu-us-semi")).text
    assert "/channel del" in (await harness.ask(owner, "/channel temu-us-semi")).text
    sku = await harness.ask(viewer, "/sku A1")
    assert "/sku del" not in sku.text and "/floor A1" in sku.text
    assert "/sku del A1" in (await harness.ask(editor, "/sku A1")).text


# -- /campaigns names a campaign that exists ----------------------------------------------


@pytest.mark.parametrize(("language", "locale"), [("en", "en"), ("de", "de"), ("ko", "ko")])
async def test_the_campaigns_hint_names_a_real_campaign(
    harness: BotHarness, language: str, locale: str
) -> None:
    owner = harness.stub.create_user("Olga", language_code=language)
    campaign_id = await team_with_campaign(harness, owner, "Next")
    listing = await harness.ask(owner, "/campaigns")
    _ = Translator(locale)
    hint = _("Open one with <code>/campaign {id}</code> (its number).", id=campaign_id)
    assert plain(hint) in listing.text
    assert campaign_id != 3 and "/campaign 3 " not in listing.text  # the old fixed example


# -- exported file names keep the campaign's name ------------------------------------------


@pytest.mark.parametrize(
    ("language", "locale"), [("zh-hans", "zh_CN"), ("de", "de"), ("ko", "ko"), ("en", "en")]
)
async def test_exported_files_keep_a_chinese_name_and_a_machine_readable_status(
    harness: BotHarness, language: str, locale: str
) -> None:
    _ = Translator(locale)
    owner = harness.stub.create_user("Mei", language_code=language)
    campaign_id = await team_with_campaign(harness, owner, "黑五大促")
    await harness.ask(owner, f"/enroll {campaign_id} A1")
    harness.stub.mark_read(owner)
    card = await harness.ask(owner, f"/campaign {campaign_id}")
    harness.stub.press_button(owner, card, text=_("📤 Export"))
    xlsx, csv_file = await harness.stub.wait_for_messages(owner, 2)
    # what the stand-in read from the multipart upload, as Telegram would show it
    assert xlsx.document is not None and csv_file.document is not None
    assert xlsx.document.file_name == f"plan-{campaign_id}-黑五大促.xlsx"
    assert csv_file.document.file_name == f"plan-{campaign_id}-黑五大促.csv"

    # the CSV: the status as the enum value, its words in the reader's language beside it
    rows = list(csv.reader(io.StringIO(csv_file.document.content.decode("utf-8-sig"))))
    header, line = rows[0], dict(zip(rows[0], rows[1], strict=True))
    label_header = _("Status (in words)")
    assert header[header.index("status") + 1] == label_header
    assert locale == "en" or label_header != "Status (in words)"  # translated
    status = PlanStatus(line["status"])  # machine-readable: the enum value
    assert line[label_header] == _(STATUS_LABELS[status])


# -- /calendar: the team's markets first --------------------------------------------------


@pytest.mark.parametrize(("language", "locale"), [("ko", "ko"), ("de", "de"), ("en", "en")])
async def test_calendar_shows_the_teams_markets_first(
    harness: BotHarness, language: str, locale: str
) -> None:
    _ = Translator(locale)
    seller = harness.stub.create_user("Minji", language_code=language)
    before = await harness.ask(seller, "/calendar")  # no channel yet: soonest first, no groups
    assert plain(_("<b>Other markets</b>")) not in before.text
    await harness.ask(seller, "/channel add aliexpress-kr")
    shown = await harness.ask(seller, "/calendar")
    text = shown.text
    ours = plain(_("<b>For your markets ({markets})</b>", markets="KR"))
    others = plain(_("<b>Other markets</b>"))
    korea = _("Korea Sale Festa")  # announced yearly: listed last when every market counts
    assert ours in text and others in text
    assert text.index(ours) < text.index(korea) < text.index(others)
    assert korea in shown.button_texts
    brazil = _("Consumer Day (Brazil)")
    assert brazil not in text or text.index(brazil) > text.index(others)
    # a market asked for explicitly is shown alone, as before
    us = await harness.ask(seller, "/calendar US")
    assert ours not in us.text and korea not in us.text


# -- stale buttons carry the object's stamp -------------------------------------------------


async def replace_behind(harness: BotHarness, model: Any, row_id: int) -> None:
    """The row behind `row_id` now is another object (a restored backup reused the id): its
    creation time, which the buttons' stamps are made of, differs."""
    async with harness.uow_factory() as uow:
        row = await uow.session.get(model, row_id)
        assert row is not None
        row.created_at = row.created_at + timedelta(minutes=5)
        await uow.commit()


@pytest.mark.parametrize(("language", "locale"), [("en", "en"), ("de", "de"), ("ko", "ko")])
async def test_stale_sku_picker_voucher_and_import_buttons_are_refused(
    harness: BotHarness, language: str, locale: str
) -> None:
    _ = Translator(locale)
    out_of_date = _(
        "This button is out of date: what it was made for is gone or was replaced. "
        "Nothing was changed."
    )
    stub = harness.stub
    owner = stub.create_user("Olga", language_code=language)
    campaign_id = await team_with_campaign(harness, owner)

    # SKU delete
    confirm = await harness.ask(owner, "/sku del A1")
    async with harness.uow_factory() as uow:
        sku_id = await uow.session.scalar(select(Sku.id).where(Sku.code == "A1"))
    assert sku_id is not None
    await replace_behind(harness, Sku, sku_id)
    assert await harness.press_alert(owner, confirm, _("🗑 Delete")) == out_of_date
    assert await count(harness, Sku) == 1

    # the enrolment picker and the vouchers screen
    card = await harness.ask(owner, f"/campaign {campaign_id}")
    other_card = await harness.ask(owner, f"/campaign {campaign_id}")
    picker = await harness.press(owner, card, _("➕ Enrol"))  # the card becomes the picker
    await replace_behind(harness, Campaign, campaign_id)
    assert await harness.press_alert(owner, picker, _("Deepest safe discount")) == out_of_date
    assert await harness.press_alert(owner, other_card, _("🎟 Vouchers")) == out_of_date
    assert await count(harness, Enrolment) == 0

    # an import's confirmation
    stub.mark_read(owner)
    stub.send_document(owner, filename="skus.csv", content=b"sku,unit_cost\nN1,2.5\n")
    preview = (await stub.wait_for_messages(owner, 1))[0]
    async with harness.uow_factory() as uow:
        pending_id = await uow.session.scalar(select(PendingImport.id))
    assert pending_id is not None
    await replace_behind(harness, PendingImport, pending_id)
    assert await harness.press_alert(owner, preview, _("✅ Confirm")) == out_of_date
    assert await count(harness, Sku) == 1  # N1 was not imported

    # fresh buttons still work
    fresh = await harness.ask(owner, "/sku del A1")
    await harness.press(owner, fresh, _("🗑 Delete"))
    assert await count(harness, Sku) == 0


@pytest.mark.parametrize(
    ("language", "over"),
    [("en", "is over 100%."), ("de", "liegt über 100\u00a0%."), ("ko", "100% 초과예요.")],
)
async def test_a_value_over_the_maximum_names_it_the_readers_way(
    harness: BotHarness, language: str, over: str
) -> None:
    seller = harness.stub.create_user("Seller", language_code=language)
    reply = await harness.ask(seller, "/sku add X1 unit_cost=1 duty_rate=150")
    assert over in reply.text and "{limit}" not in reply.text
    assert await count(harness, Sku) == 0
