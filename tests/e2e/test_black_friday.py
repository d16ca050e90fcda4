"""Issue 5, done-when: a real Black Friday 2026 on Temu US, through the Bot API stand-in —
create the campaign in one line, enrol every eligible SKU from the card, receive the plan
as XLSX (checked cell by cell against the pricing engine) and CSV, compute and save a
voucher floor — in English and in Chinese."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import Clock, FakeClock
from bot.db.models import Campaign, CampaignAudit, Enrolment, Voucher
from bot.i18n import Translator
from bot.pricing import (
    CampaignRules,
    FxRate,
    FxTable,
    Listing,
    RunSettings,
    SkuCost,
    Status,
    Subsidy,
    check_eligibility,
    get_preset,
    minimum_threshold,
    voucher_line,
)
from tests.e2e.campaign_fixtures import (
    CNY_USD,
    black_friday_skus,
    seed_channel,
    seed_skus,
    seed_user,
    set_fx,
)
from tests.e2e.conftest import BotHarness

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
NEW_YORK = ZoneInfo("America/New_York")
CREATE = (
    '/newcampaign name="Black Friday" channel=temu-us start=2026-11-27 end=2026-11-30 '
    "deadline=2026-11-20T12:00 min_discount=20% subsidy=share:30%:cap:5"
)
HEADERS = (
    "SKU",
    "Name",
    "Status",
    "Eligible",
    "Priced by",
    "List price",
    "Reference price",
    "Campaign price",
    "Discount",
    "Platform subsidy",
    "Seller price",
    "Floor",
    "Lowest safe price",
    "Margin",
)


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


def plain(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", "", html))


def expected_plan() -> dict[str, dict[str, object]]:
    """Every SKU computed independently with the pricing engine's one-SKU API."""
    channel = get_preset("temu-us-semi").channel
    fx = FxTable(overrides=[FxRate("CNY", "USD", CNY_USD)])
    run = RunSettings(target_margin=Decimal("0.15"), fx_buffer=Decimal("0.02"))
    subsidy = Subsidy.share_of_discount(Decimal("0.3"), Decimal(5))
    rules = CampaignRules(min_discount=Decimal("0.2"))
    result: dict[str, dict[str, object]] = {}
    for spec in black_friday_skus():
        sku = SkuCost(
            spec.code,
            spec.unit_cost,
            "CNY",
            packaging=spec.packaging,
            first_mile=spec.first_mile,
        )
        eligibility = check_eligibility(
            sku, Listing(spec.list_price), channel, rules, run, fx, subsidy
        )
        row: dict[str, object] = {"status": eligibility.status, "spec": spec}
        if eligibility.eligible:
            assert eligibility.suggested_price is not None and spec.list_price is not None
            assert eligibility.at_suggested is not None
            price = eligibility.suggested_price.amount
            floor = eligibility.discount.floor.floor
            assert floor is not None and eligibility.discount.customer_floor is not None
            row.update(
                price=price,
                subsidy=subsidy.per_unit(spec.list_price - price),
                seller=eligibility.at_suggested.seller_price.amount,
                floor=floor.amount,
                customer_floor=eligibility.discount.customer_floor.amount,
                margin=eligibility.at_suggested.margin,
                line=voucher_line(spec.code, spec.list_price, price, floor.amount, subsidy),
            )
        result[spec.code] = row
    return result


def number(value: object) -> Decimal:
    assert isinstance(value, int | float), value
    return Decimal(str(value))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
async def test_black_friday_on_temu_us_end_to_end(harness: BotHarness, language: str) -> None:
    stub = harness.stub
    locale = "zh_CN" if language == "zh-hans" else "en"
    t = Translator(locale, "Asia/Shanghai")
    mei = stub.create_user("Mei", language_code=language)
    team_id = await seed_user(harness.uow_factory, mei)
    channel_id = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel_id, black_friday_skus())
    await set_fx(harness.uow_factory, team_id)
    expected = expected_plan()
    eligible = sorted(code for code, row in expected.items() if row["status"] is Status.OK)
    assert len(eligible) == 21  # 30 − 3 below floor − 3 too shallow − 3 without a list price

    # 1. create Black Friday in one line
    card = await harness.ask(mei, CREATE, timeout=20)
    assert t("✅ Campaign created.") in card.text
    assert "Black Friday" in card.text
    async with harness.uow_factory() as uow:
        campaign = (await uow.session.scalars(select(Campaign))).one()
        audits = (await uow.session.scalars(select(CampaignAudit))).all()
    assert campaign.starts_at == datetime(2026, 11, 27, 0, 0, tzinfo=NEW_YORK)
    assert campaign.ends_at == datetime(2026, 11, 30, 23, 59, 59, tzinfo=NEW_YORK)
    assert campaign.registration_deadline == datetime(2026, 11, 20, 12, 0, tzinfo=NEW_YORK)
    assert campaign.timezone == "America/New_York"
    assert (campaign.min_discount, campaign.subsidy_kind) == (Decimal("0.2"), "share")
    assert (campaign.subsidy_value, campaign.subsidy_cap) == (Decimal("0.3"), Decimal(5))
    assert [a.action for a in audits] == ["create"] and audits[0].user_id == mei.id
    # dates in the reader's zone (Shanghai) with the market's (New York) beside them
    start_text = t(
        "{reader} ({market})",
        reader=t.datetime(campaign.starts_at),
        market=t.datetime(campaign.starts_at, "America/New_York"),
    )
    assert start_text in card.text

    # 2. enrol every eligible SKU from the card
    picker = await harness.press(mei, card, t("➕ Enrol"))
    assert (
        t("<b>Enrol SKUs in {name}</b>", name="Black Friday").replace("<b>", "").replace("</b>", "")
        in picker.text
    )
    enrol_all = t("➕ Enrol all eligible ({n})", n=len(eligible))
    result = await harness.press(mei, picker, enrol_all)
    assert (
        plain(
            t(
                "✅ Enrolled {skus} in {name}.",
                skus=t.ngettext("{n} SKU", "{n} SKUs", 21),
                name="Black Friday",
            )
        )
        in result.text
    )
    async with harness.uow_factory() as uow:
        enrolments = (await uow.session.scalars(select(Enrolment))).all()
    assert len(enrolments) == 21 and {e.price_mode for e in enrolments} == {"suggested"}

    # 3. the plan: summary, XLSX, CSV
    summary, xlsx_message, csv_message = await harness.send(
        mei, f"/plan {campaign.id}", replies=3, timeout=30
    )
    assert plain(t("Enrolled: {skus}", skus=t.ngettext("{n} SKU", "{n} SKUs", 21))) in summary.text
    assert xlsx_message.document is not None and csv_message.document is not None
    assert xlsx_message.document.file_name.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(xlsx_message.document.content))
    ok_sheet = workbook[t("ok")]
    assert ok_sheet.freeze_panes == "A2"
    rows = list(ok_sheet.iter_rows(values_only=True))
    assert list(rows[0]) == [t(h) for h in HEADERS]
    assert len(rows) == 1 + 21
    index = {h: i for i, h in enumerate(HEADERS)}
    seen = []
    for row in rows[1:]:
        code = str(row[index["SKU"]])
        seen.append(code)
        want = expected[code]
        spec = want["spec"]
        assert row[index["Status"]] == t("ok")
        assert number(row[index["List price"]]) == spec.list_price  # type: ignore[attr-defined]
        assert number(row[index["Campaign price"]]) == want["price"]
        assert number(row[index["Platform subsidy"]]) == want["subsidy"]
        assert number(row[index["Seller price"]]) == want["seller"]
        assert number(row[index["Floor"]]) == want["floor"]
        assert number(row[index["Lowest safe price"]]) == want["customer_floor"]
        margin = want["margin"]
        assert isinstance(margin, Decimal)
        assert number(row[index["Margin"]]) == margin.quantize(Decimal("0.0001"), ROUND_HALF_UP)
        discount = 1 - want["price"] / spec.list_price  # type: ignore[operator, attr-defined]
        assert number(row[index["Discount"]]) == discount.quantize(Decimal("0.0001"), ROUND_FLOOR)
        assert number(row[index["Discount"]]) >= Decimal("0.2")
    assert sorted(seen) == eligible
    money_cell = ok_sheet.cell(row=2, column=index["Campaign price"] + 1)
    assert money_cell.number_format == '#,##0.00 "USD"'
    assert ok_sheet.cell(row=2, column=index["Margin"] + 1).number_format == "0.00%"
    # the listed SKUs that are not enrolled are in the workbook with the reason
    others = list(workbook[t("Not enrolled")].iter_rows(values_only=True))[1:]
    reasons = {str(r[0]): r[index["Status"]] for r in others}
    assert reasons["BF03"] == t("below floor")
    assert reasons["BF07"] == t("cannot reach the minimum discount")
    assert reasons["BF05"] == t("no list price")
    # the CSV has every SKU, machine-readable
    table = list(csv.DictReader(io.StringIO(csv_message.document.content.decode("utf-8-sig"))))
    assert len(table) == 30
    by_code = {r["sku"]: r for r in table}
    assert by_code["BF00"]["planned_price"] == str(expected["BF00"]["price"])
    assert by_code["BF03"]["status"] == "below_floor" and by_code["BF03"]["enrolled"] == "no"

    # 4. a voucher floor: the smallest safe threshold for a 5 USD voucher, then save it
    lines = [expected[code]["line"] for code in eligible]
    want = minimum_threshold(lines, Decimal(5), "USD")  # type: ignore[arg-type]
    assert want.threshold is not None
    answer = await harness.ask(mei, f"/voucher {campaign.id} value=5")
    assert t.money(want.threshold.amount, "USD") in answer.text
    assert want.weakest is not None and want.weakest.sku in answer.text
    saved = await harness.press(mei, answer, t("💾 Save on the campaign"))
    assert t.money(want.threshold.amount, "USD") in saved.text
    async with harness.uow_factory() as uow:
        voucher = (await uow.session.scalars(select(Voucher))).one()
    assert (voucher.threshold, voucher.value) == (want.threshold.amount, Decimal(5))
