"""Issue 4, parts 3, 4 and 6 through the stand-in: channel profiles, the SKU catalogue with
list prices and their history, the floor card, and bad input that writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.db.models import Campaign, Channel, FxOverride, Listing, PriceHistory, Sku
from bot.i18n import Translator
from tests.e2e.catalog_support import count, plain, snapshot, team_of
from tests.e2e.conftest import BotHarness


@pytest.fixture(autouse=True)
def _no_rate_limits(harness: BotHarness) -> None:
    """Many commands per test; Telegram's limits are tested with the stand-in itself."""
    harness.stub.set_rate_limits(False)


async def channel_row(harness: BotHarness, name: str) -> Channel | None:
    async with harness.uow_factory() as uow:
        return await uow.session.scalar(select(Channel).where(Channel.name == name))


async def test_channels_from_presets_shown_edited_and_deleted(harness: BotHarness) -> None:
    ann = harness.stub.create_user("Ann", language_code="en")
    empty = await harness.ask(ann, "/channels")
    assert "no sales channels yet" in empty.text

    presets = await harness.ask(ann, "/channel add")
    assert "temu-us-semi" in presets.text and "amazon-de" in presets.text
    unknown = await harness.ask(ann, "/channel add temu-mars")
    assert "There is no preset “temu-mars”." in unknown.text and "amazon-us" in unknown.text

    added = await harness.ask(ann, "/channel add amazon-de name=de")
    assert "Channel de added from preset amazon-de" in added.text
    assert "VAT rate (vat_rate): 19%" in added.text
    row = await channel_row(harness, "de")
    assert row is not None
    assert (row.currency, row.vat_rate, row.prices_include_vat, row.timezone) == (
        "EUR",
        Decimal("0.19"),
        True,
        "Europe/Berlin",
    )
    await harness.ask(ann, "/channel add temu-us-semi")
    us = await channel_row(harness, "temu-us-semi")
    assert us is not None and us.timezone == "America/New_York"
    taken = await harness.ask(ann, "/channel add amazon-uk name=DE")
    assert "already has a channel called “de”" in taken.text

    listing = await harness.ask(ann, "/channels")
    assert "2 sales channels" in listing.text
    assert "de — amazon · DE · own store · EUR · VAT 19% included" in listing.text
    assert "Commission 15%" in listing.text

    card = await harness.ask(ann, "/channel de")
    assert "From preset amazon-de, figures as of Nov 26, 2026." in card.text
    assert "In the EU Amazon charges the referral fee on the VAT-inclusive price" in card.text
    assert "Duty charged (duty_basis): cif" in card.text

    edited = await harness.ask(ann, "/channel de commission=12% fulfilment_fee=3.5 ads_rate=2.5")
    assert "Commission (commission): 15% → 12%" in edited.text
    assert "Fulfilment fee per unit (fulfilment_fee): €0.00 → €3.50" in edited.text
    assert "Advertising (ads_rate): 0% → 2.5%" in edited.text
    row = await channel_row(harness, "de")
    assert row is not None
    assert (row.commission, row.fulfilment_fee, row.ads_rate) == (
        Decimal("0.12"),
        Decimal("3.5"),
        Decimal("0.025"),
    )

    before = await snapshot(harness, Channel)
    for bad, fragment in [
        ("/channel de commission=abc", "commission: “abc” is not a number"),
        ("/channel de commission=abc", "Write it like /channel de commission=12"),
        ("/channel de vat_rate=120", "vat_rate: “120” is over 100%"),
        ("/channel de mode=hybrid fulfilment_fee=1", "mode: “hybrid” is not one of: full, semi"),
        ("/channel de mode=hybrid", "Write it like /channel de mode=semi"),
        ("/channel de currency=XYZ", "currency: “XYZ” is not an ISO 4217 currency code"),
        ("/channel de colour=red", "“colour” is not a field I know here"),
        ("/channel de timezone=Mars/Base", "“Mars/Base” is not a time zone I know"),
        ("/channel nowhere commission=1", "There is no channel “nowhere”"),
        ("/channel nowhere commission=1", "This team's channels: de, temu-us-semi"),
    ]:
        reply = await harness.ask(ann, bad)
        assert fragment in reply.text, (bad, reply.text)
    assert await snapshot(harness, Channel) == before

    ask = await harness.ask(ann, "/channel del de")
    assert ask.button_texts == ["🗑 Delete", "Cancel"]
    kept = await harness.press(ann, ask, "Cancel")
    assert kept.text == "Nothing was deleted."
    assert await channel_row(harness, "de") is not None
    ask = await harness.ask(ann, "/channel del de")
    done = await harness.press(ann, ask, "🗑 Delete")
    assert done.text == "🗑 Channel de deleted."
    assert await channel_row(harness, "de") is None
    stale = await harness.press_data(ann, ask, ask.button("🗑 Delete").data or "")
    assert stale == "This button is no longer valid."


async def test_a_channel_in_use_by_a_campaign_is_not_deleted(harness: BotHarness) -> None:
    ann = harness.stub.create_user("Ann", language_code="en")
    await harness.ask(ann, "/channel add temu-us-semi")
    row = await channel_row(harness, "temu-us-semi")
    assert row is not None
    now = datetime.now(UTC)
    async with harness.uow_factory() as uow:
        uow.session.add(
            Campaign(
                team_id=row.team_id,
                channel_id=row.id,
                name="Black Friday",
                starts_at=now + timedelta(days=1),
                ends_at=now + timedelta(days=4),
                timezone="America/New_York",
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
    refused = await harness.ask(ann, "/channel del temu-us-semi")
    assert refused.button_texts == []
    assert "used by campaigns (Black Friday), so it cannot be deleted" in refused.text
    assert await channel_row(harness, "temu-us-semi") is not None


async def test_skus_costs_list_prices_history_paging_and_deletion(harness: BotHarness) -> None:
    bo = harness.stub.create_user("Bo", language_code="en")
    await harness.ask(bo, "/channel add temu-us-semi")
    await harness.ask(bo, "/channel add aliexpress-kr name=ali-kr")
    added = await harness.ask(
        bo,
        '/sku add A1 unit_cost=35 first_mile=4 duty_rate=7.5 name="Blue mug" '
        "list_price@temu-us-semi=19.99 list_price@ali-kr=25900",
    )
    assert "SKU A1 · Blue mug added: unit cost CN¥35.00." in added.text
    assert "List price (temu-us-semi): $19.99" in added.text
    assert "List price (ali-kr): ₩25,900" in added.text

    changed = await harness.ask(bo, "/sku A1 list_price@temu-us-semi=17.5 packaging=1.2")
    assert "Packaging: CN¥0.00 → CN¥1.20" in changed.text
    assert "List price (temu-us-semi): $19.99 → $17.50" in changed.text
    same = await harness.ask(bo, "/sku A1 list_price@temu-us-semi=17.50")
    assert "Nothing changed" in same.text
    assert await count(harness, PriceHistory) == 3  # 19.99, 25900, 17.50

    card = await harness.ask(bo, "/sku A1")
    assert "Duty rate: 7.5%" in card.text
    assert "temu-us-semi: list price $17.50, lowest in 30 days $17.50" in card.text
    assert "ali-kr: list price ₩25,900" in card.text
    assert "Price history" in card.text and "$19.99" in card.text

    for i in range(2, 26):
        await harness.ask(bo, f"/sku add B{i:02d} unit_cost={i}")
    page_one = await harness.ask(bo, "/skus")
    assert "SKUs 1–20 of 25" in page_one.text and "A1 · Blue mug — CN¥35.00" in page_one.text
    assert page_one.button_texts == ["1/2", "▶"]
    page_two = await harness.press(bo, page_one, "▶")
    assert "SKUs 21–25 of 25" in page_two.text and "B25" in page_two.text
    assert page_two.button_texts == ["◀", "2/2"]
    back = await harness.press(bo, page_two, "◀")
    assert "SKUs 1–20 of 25" in back.text

    ask = await harness.ask(bo, "/sku del A1")
    assert "Delete SKU A1 · Blue mug?" in ask.text
    done = await harness.press(bo, ask, "🗑 Delete")
    assert plain(done.text) == "🗑 SKU A1 deleted."
    assert await count(harness, Sku, Sku.code == "A1") == 0
    assert await count(harness, Listing) == 0 and await count(harness, PriceHistory) == 0


MALFORMED = [
    (
        "/sku add X1 unit_cost=abc",
        ["unit_cost: “abc” is not a number", "Write it like /sku add X1 unit_cost=12.5"],
    ),
    (
        "/sku add X1 unit_cost=5 duty_rate=150",
        ["duty_rate: “150” is over 100%", "/sku add X1 unit_cost=12.5 duty_rate=7.5"],
    ),
    (
        "/sku add X1 unit_cost=5 cost_currency=XYZ",
        ["cost_currency: “XYZ” is not an ISO 4217 currency code", "cost_currency=CNY"],
    ),
    ("/sku add unit_cost=5", ["Which SKU? Write its code first, like /sku add A1"]),
    ("/sku add X1 packaging=1", ["A new SKU needs its unit_cost", "/sku add X1 unit_cost"]),
    ("/sku add A1 unit_cost=3", ["SKU “A1” already exists"]),
    ("/sku A1 unit_cost=-4", ["unit_cost: “-4” must not be negative", "/sku A1 unit_cost"]),
    ("/sku A1 list_price=1.999", ["On which channel?", "list_price@amazon-de=19.99"]),
    ("/sku A1 list_price@temu-us-semi=1.999", ["has more decimal places than the currency"]),
    ("/sku A1 list_price@nowhere=2", ["There is no channel “nowhere”"]),
    ("/sku A1 colour=red", ["“colour” is not a field I know here"]),
    ('/sku A1 name="Blue mug', ["A quotation mark is not closed"]),
    ("/sku A9 unit_cost=1", ["There is no SKU “A9” in this team"]),
]


async def test_malformed_sku_arguments_are_explained_and_write_nothing(
    harness: BotHarness,
) -> None:
    cy = harness.stub.create_user("Cy", language_code="en")
    await harness.ask(cy, "/channel add temu-us-semi")
    await harness.ask(cy, "/channel add amazon-de")
    await harness.ask(cy, "/sku add A1 unit_cost=3 list_price@temu-us-semi=9.99")
    before = await snapshot(harness, Sku, Listing, PriceHistory)
    for command, fragments in MALFORMED:
        reply = await harness.ask(cy, command)
        for fragment in fragments:
            assert fragment in reply.text, (command, reply.text)
    assert await snapshot(harness, Sku, Listing, PriceHistory) == before


async def test_errors_are_in_the_readers_language(harness: BotHarness) -> None:
    mei = harness.stub.create_user("Mei", language_code="zh-hans")
    reply = await harness.ask(mei, "/sku add X1 unit_cost=abc")
    zh = Translator("zh_CN")
    expected = zh(
        "<b>{field}</b>: “{value}” {problem}\nWrite it like <code>{example}</code>",
        field="unit_cost",
        value="abc",
        problem=zh("is not a number: use digits and a decimal point, like 12.5."),
        example="/sku add X1 unit_cost=12.5",
    )
    assert reply.text == plain(expected)
    assert await count(harness, Sku) == 0


async def test_floor_card_in_german_with_fx_override_and_reasons(harness: BotHarness) -> None:
    hans = harness.stub.create_user("Hans", language_code="de")
    await harness.ask(hans, "/channel add amazon-de name=de")
    no_sku = await harness.ask(hans, "/floor A1")
    assert "A1" in no_sku.text and "/sku add A1" in no_sku.text
    await harness.ask(
        hans, "/sku add A1 unit_cost=35 first_mile=4 duty_rate=7.5 list_price@de=19.99"
    )
    no_fx = await harness.ask(hans, "/floor A1")  # one channel: no need to name it
    assert "/fx set CNY EUR RATE" in no_fx.text and "/fx set CNY USD 0.14" in no_fx.text

    team_id = await team_of(harness, hans)
    async with harness.uow_factory() as uow:
        uow.session.add(
            FxOverride(
                team_id=team_id,
                base="CNY",
                quote="EUR",
                rate=Decimal("0.13"),
                set_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    card = await harness.ask(hans, "/floor A1 de margin=20")
    text = card.text
    de = Translator("de")

    def line(msgid: str, **params: object) -> str:
        return plain(de(msgid, **params))

    def head(msgid: str) -> str:
        """The German text of a message up to its first placeholder."""
        return plain(de(msgid).split("{")[0]).strip()

    def pct(value: str) -> str:
        return de.percent(Decimal(value))

    assert (
        line(
            "Duty: {amount} ({rate} of {base}, {basis})",
            amount=de.money(Decimal("2.92"), "CNY"),
            rate=pct("0.075"),
            base=de.money(Decimal("39.00"), "CNY"),
            basis=de("CIF: unit cost + first mile"),
        )
        in text
    )
    assert head("manual rate set on {date}") in text and "0,13 EUR" in text  # no setter known
    assert de("⚠️ stale (older than 3 days)") not in text
    assert pct("0.2") in text and de("given") in text
    # L = 41.925 × 0.13 × 1.02 = 5.559…; floor = (0 + L) × 1.19 / (1 − 0.2 − 0.15 × 1.19)
    assert line("<b>Landed cost: {amount}</b>", amount=de.money(Decimal("5.56"), "EUR")) in text
    assert de.money(Decimal("10.65"), "EUR") in text
    # one consistent pair: 46 % of 19.99 takes 9.19 off; the exact maximum 19.99 − 10.65 =
    # 9.34 (46.72 %) in the breakdown
    assert (
        line(
            "<b>Deepest discount: {percent} ({amount})</b>",
            percent=pct("0.46"),
            amount=de.money(Decimal("9.19"), "EUR"),
        )
        in text
    )
    assert (
        line(
            "Exact maximum: {amount} ({percent}) → lowest customer price {floor}",
            amount=de.money(Decimal("9.34"), "EUR"),
            percent=pct("0.4672"),
            floor=de.money(Decimal("10.65"), "EUR"),
        )
        in text
    )

    await harness.ask(hans, "/channel de ads_rate=90")
    no_price = (await harness.ask(hans, "/floor A1")).text
    fees = f"{de('Commission')} {pct('0.15')}, {de('Advertising')} {pct('0.9')}"
    assert fees in no_price
    assert (
        head(
            "⚠️ No price covers the fees: {fees} take {total} of net revenue on their own. "
            "Check them with <code>/channel {channel}</code>."
        )
        in no_price
    )
    await harness.ask(hans, "/channel de ads_rate=50")
    too_deep = (await harness.ask(hans, "/floor A1 margin=40")).text
    assert pct("0.4") in too_deep and de("Advertising") in too_deep
    assert (
        head(
            "⚠️ No price reaches a {margin} margin: the fees ({fees}) and the margin add up to "
            "{total} of net revenue. Lower the margin (<code>/floor {code} margin=…</code>) or "
            "the channel's fees (<code>/channel {channel}</code>)."
        )
        in too_deep
    )


async def test_floor_needs_a_channel_name_when_there_are_several(harness: BotHarness) -> None:
    ann = harness.stub.create_user("Ann", language_code="en")
    none = await harness.ask(ann, "/floor A1")
    assert "There is no SKU “A1”" in none.text
    await harness.ask(ann, "/sku add A1 unit_cost=5 cost_currency=USD")
    no_channel = await harness.ask(ann, "/floor A1")
    assert "this team has none yet" in no_channel.text
    await harness.ask(ann, "/channel add temu-us-semi")
    await harness.ask(ann, "/channel add temu-us-full")
    which = await harness.ask(ann, "/floor A1")
    assert "On which channel?" in which.text and "temu-us-full, temu-us-semi" in which.text
    card = await harness.ask(ann, "/floor A1 temu-us-full margin=abc")
    assert "margin: “abc” is not a number" in card.text
    card = await harness.ask(ann, "/floor A1 TEMU-US-FULL")
    assert "Duty: none — fully managed" in card.text and "Floor: $5.89" in card.text
