"""Issue 11, "numbers a seller can trust", through the stand-in as a seller meets it: prices
that cannot be right are asked about before they are saved (typed and imported); a mistyped
price is corrected or removed from the 30-day history (and the plan and the margin warnings
follow); enrolling under the floor asks first and names the floor; `/enroll N all` says why
the others were left out. Mostly in Chinese, for a seller in Shanghai on Temu US."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.clock import Clock, FakeClock
from bot.db.models import (
    CampaignAudit,
    CatalogAudit,
    Enrolment,
    Listing,
    Notification,
    PendingChange,
    PriceHistory,
    Sku,
)
from bot.domain.enums import Role
from bot.i18n import Translator
from bot.services.plan import PlanStatus
from bot.telegram_stub import StubMessage, User
from bot.views.campaigns import STATUS_ICONS, STATUS_LABELS
from tests.e2e.campaign_fixtures import (
    SkuSpec,
    add_member,
    bind_group,
    seed_channel,
    seed_skus,
    seed_user,
    set_fx,
)
from tests.e2e.catalog_support import count, plain, snapshot
from tests.e2e.conftest import BotHarness

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
SHANGHAI = "Asia/Shanghai"
ZH = Translator("zh_CN", SHANGHAI)
EN = Translator("en", SHANGHAI)
BLACK_FRIDAY = (
    '/newcampaign name="Black Friday" channel=temu-us start=2026-11-27 end=2026-11-30 '
    "deadline=2026-11-20T12:00 min_discount=20%"
)


@pytest.fixture
def clock() -> Clock:
    return FakeClock(NOW)


@pytest.fixture(autouse=True)
def _no_rate_limits(harness: BotHarness) -> None:
    harness.stub.set_rate_limits(False)


async def seller(
    harness: BotHarness, specs: list[SkuSpec], *, name: str = "Mei", language: str = "zh-hans"
) -> tuple[User, int]:
    """A seller in Shanghai with a Temu US channel (`temu-us`), these SKUs and a CNY→USD rate."""
    user = harness.stub.create_user(name, language_code=language)
    team_id = await seed_user(harness.uow_factory, user, timezone=SHANGHAI)
    channel_id = await seed_channel(harness.uow_factory, team_id)
    await seed_skus(harness.uow_factory, team_id, channel_id, specs)
    await set_fx(harness.uow_factory, team_id)
    return user, team_id


async def listing(harness: BotHarness, code: str) -> tuple[Decimal | None, Decimal | None]:
    async with harness.uow_factory() as uow:
        row = (
            await uow.session.execute(
                select(Listing.list_price, Listing.lowest_30d)
                .join(Sku, Sku.id == Listing.sku_id)
                .where(Sku.code == code)
            )
        ).one()
    return row[0], row[1]


async def history(harness: BotHarness, code: str) -> list[tuple[Decimal, Any]]:
    """(price, corrected_by) of the SKU's history entries, oldest first."""
    async with harness.uow_factory() as uow:
        rows = await uow.session.execute(
            select(PriceHistory.price, PriceHistory.corrected_by)
            .join(Listing, Listing.id == PriceHistory.listing_id)
            .join(Sku, Sku.id == Listing.sku_id)
            .where(Sku.code == code)
            .order_by(PriceHistory.effective_at, PriceHistory.id)
        )
        return [(price, by) for price, by in rows]


async def audits(harness: BotHarness) -> list[tuple[str, dict[str, Any], int | None]]:
    async with harness.uow_factory() as uow:
        rows = await uow.session.scalars(select(CatalogAudit).order_by(CatalogAudit.id))
        return [(row.action, row.changes, row.user_id) for row in rows]


def warning_text(_: Translator, msgid: str, **params: Any) -> str:
    """A warning line as the reader sees it (channel in bold, amounts in dollars)."""
    return plain(_(msgid, channel="<b>temu-us</b>", **params))


JUMP_UP = (
    "{channel}: list price {old} → {new}, {factor} times the previous price. A decimal point "
    "missing?"
)
JUMP_DOWN = (
    "{channel}: list price {old} → {new}, 1/{factor} of the previous price. A decimal point in "
    "the wrong place?"
)
LOWEST_ABOVE = (
    "{channel}: the lowest price in 30 days ({lowest}) is above the list price ({price}). The "
    "lowest price cannot be higher than the price it is the lowest of."
)


# --- 1. prices that cannot be right ------------------------------------------------------------
async def test_an_implausible_list_price_is_asked_about_in_chinese(harness: BotHarness) -> None:
    mei, _team = await seller(harness, [SkuSpec("A1", Decimal(35), Decimal("19.99"))])
    usd = ZH.money
    before = await snapshot(harness, Listing, PriceHistory)

    held = await harness.ask(mei, "/sku A1 list_price=1999")  # the decimal point forgotten
    assert held.text.splitlines()[0] == plain(
        ZH.ngettext(
            "⚠️ This price for {sku} looks wrong:",
            "⚠️ These prices for {sku} look wrong:",
            1,
            sku="A1",
        )
    )
    assert (
        "• "
        + warning_text(
            ZH,
            JUMP_UP,
            old=usd(Decimal("19.99"), "USD"),
            new=usd(Decimal(1999), "USD"),
            factor="100",
        )
        in held.text
    )
    assert held.button_texts == [ZH("⚠️ Save anyway"), ZH("Cancel")]
    assert await snapshot(harness, Listing, PriceHistory) == before  # nothing saved yet
    assert await count(harness, PendingChange) == 1  # the held change is in the database

    cancelled = await harness.press(mei, held, ZH("Cancel"))
    assert cancelled.text == ZH("Cancelled: nothing was saved.")
    assert await snapshot(harness, Listing, PriceHistory) == before
    stale = await harness.press_data(mei, held, held.button(ZH("⚠️ Save anyway")).data or "")
    assert stale == ZH("This button is no longer valid.")
    assert await snapshot(harness, Listing, PriceHistory) == before

    plausible = await harness.ask(mei, "/sku A1 list_price=18.99")  # a normal change: no question
    assert plausible.button_texts == []
    assert await listing(harness, "A1") == (Decimal("18.99"), None)

    held = await harness.ask(mei, "/sku A1 list_price=1899 packaging=1.5")
    saved = await harness.press(mei, held, ZH("⚠️ Save anyway"))
    assert plain(ZH("✅ SKU {sku} changed:", sku="<code>A1</code> · Item A1")) in saved.text
    assert await listing(harness, "A1") == (Decimal(1899), None)
    async with harness.uow_factory() as uow:
        packaging = await uow.session.scalar(select(Sku.packaging).where(Sku.code == "A1"))
    assert packaging == Decimal("1.5")  # the whole command, as typed
    assert [price for price, _ in await history(harness, "A1")] == [
        Decimal("18.99"),
        Decimal(1899),
    ]
    ((action, changes, user_id),) = await audits(harness)
    assert (action, user_id) == ("price_confirmed", mei.id)
    assert changes == {"warnings": ["jump_up:temu-us:1899.00:18.99"]}

    # back down a hundredfold, and a lowest price above the list price: two warnings at once
    held = await harness.ask(mei, "/sku A1 list_price=18.99 lowest_30d=25")
    lines = held.text.splitlines()
    assert (
        "• "
        + warning_text(
            ZH,
            JUMP_DOWN,
            old=usd(Decimal(1899), "USD"),
            new=usd(Decimal("18.99"), "USD"),
            factor="100",
        )
        in lines
    )
    assert (
        "• "
        + warning_text(
            ZH, LOWEST_ABOVE, lowest=usd(Decimal(25), "USD"), price=usd(Decimal("18.99"), "USD")
        )
        in lines
    )
    await harness.press(mei, held, ZH("⚠️ Save anyway"))
    assert await listing(harness, "A1") == (Decimal("18.99"), Decimal(25))
    assert await count(harness, PendingChange) == 0


async def test_in_a_group_only_the_author_confirms_and_a_correction_is_a_reply(
    harness: BotHarness,
) -> None:
    mei, team_id = await seller(harness, [SkuSpec("A1", Decimal(35), Decimal("19.99"))])
    li = harness.stub.create_user("Li", language_code="en")
    await add_member(harness.uow_factory, team_id, li, Role.EDITOR)
    group = harness.stub.create_group("Shop", members=[mei, li], with_bot=True)
    await bind_group(harness.uow_factory, team_id, group.id)

    held = await harness.ask(mei, "/sku A1 lowest_30d=199.9", chat=group)
    assert held.button_texts == [ZH("⚠️ Save anyway"), ZH("Cancel")]
    refused = await harness.press_alert(li, held, ZH("⚠️ Save anyway"))
    assert refused == EN("This button is no longer valid.")  # Li's alert is in Li's language
    assert await listing(harness, "A1") == (Decimal("19.99"), None)
    await harness.press(mei, held, ZH("⚠️ Save anyway"))
    assert await listing(harness, "A1") == (Decimal("19.99"), Decimal("199.90"))

    # a history entry corrected in the group: the price typed as a reply to the prompt
    await harness.ask(mei, "/sku A1 list_price=17.99 lowest_30d=", chat=group)  # clears it
    listed = await harness.ask(li, "/sku A1 history", chat=group)  # Li reads English
    assert listed.button_texts[:2] == ["✏️ 1: correct", "🗑 1: remove"]
    prompt = await harness.press(li, listed, "✏️ 1: correct")
    ignored = harness.stub.send_message(li, "18.49", chat=group)  # not a reply: privacy mode
    assert ignored is not None
    harness.stub.mark_read(group)
    harness.stub.send_message(li, "18.49", chat=group, reply_to=prompt)
    (done,) = await harness.stub.wait_for_messages(group, 1, timeout=10)
    assert "✅ Corrected the price of" in done.text and "$17.99 → $18.49" in done.text
    assert "corrected by Li" in done.text
    assert await listing(harness, "A1") == (Decimal("18.49"), None)


async def test_an_import_preview_flags_implausible_prices_and_confirm_covers_them(
    harness: BotHarness,
) -> None:
    ann = harness.stub.create_user("Ann", language_code="en")
    await harness.ask(ann, "/channel add temu-us-semi")
    await harness.ask(ann, "/sku add A1 unit_cost=35 list_price=19.99")
    content = (
        b"sku,unit_cost,list_price,lowest_30d\n"
        b"A1,35,1999,\n"  # a hundred times the price it has
        b"B1,10,9.99,12.99\n"  # a new SKU whose lowest price is above its list price
        b"C1,5,4.99,\n"
    )
    harness.stub.mark_read(ann)
    harness.stub.send_document(ann, filename="prices.csv", content=content)
    (preview,) = await harness.stub.wait_for_messages(ann, 1, timeout=10)
    lines = preview.text.splitlines()
    assert "⚠️ 2 prices look wrong. Check them: Confirm imports them as they are." in lines
    assert (
        "row 2, A1: temu-us-semi: list price $19.99 → $1,999.00, 100 times the previous price. "
        "A decimal point missing?"
    ) in lines
    assert (
        "row 3, B1: temu-us-semi: the lowest price in 30 days ($12.99) is above the list price "
        "($9.99). The lowest price cannot be higher than the price it is the lowest of."
    ) in lines
    assert not any("C1:" in line for line in lines)
    assert preview.button_texts == ["✅ Confirm", "Cancel"]
    assert await listing(harness, "A1") == (Decimal("19.99"), None)

    done = await harness.press(ann, preview, "✅ Confirm")
    assert "Imported prices.csv: 2 new, 1 changed" in done.text
    assert await listing(harness, "A1") == (Decimal(1999), None)
    assert await listing(harness, "B1") == (Decimal("9.99"), Decimal("12.99"))
    assert [(action, changes, user) for action, changes, user in await audits(harness)] == [
        (
            "price_confirmed",
            {"warnings": ["jump_up:temu-us-semi:1999.00:19.99"], "file": "prices.csv"},
            ann.id,
        ),
        (
            "price_confirmed",
            {"warnings": ["lowest_above_list:temu-us-semi:12.99:9.99"], "file": "prices.csv"},
            ann.id,
        ),
    ]


# --- 2. a mistyped price in the 30-day history -------------------------------------------------
async def replies_until(
    harness: BotHarness, user: User, wanted: int, *, timeout: float = 10
) -> list[StubMessage]:
    return await harness.stub.wait_for_messages(user, wanted, timeout=timeout)


async def test_history_is_listed_corrected_and_the_plan_and_warnings_follow(
    harness: BotHarness, clock: FakeClock
) -> None:
    mei, team_id = await seller(harness, [])
    li = harness.stub.create_user("Li", language_code="zh-hans")
    await add_member(harness.uow_factory, team_id, li, Role.VIEWER, timezone=SHANGHAI)
    usd = ZH.money

    clock.set(datetime(2026, 11, 1, 2, 0, tzinfo=UTC))  # 10:00 in Shanghai
    await harness.ask(mei, "/sku add A1 unit_cost=35 list_price=19.99")
    clock.set(datetime(2026, 11, 3, 2, 0, tzinfo=UTC))
    typo = await harness.ask(mei, "/sku A1 list_price=1.99")  # meant 17.99; confirmed in haste
    await harness.press(mei, typo, ZH("⚠️ Save anyway"))
    clock.set(datetime(2026, 11, 3, 3, 0, tzinfo=UTC))
    fixed = await harness.ask(mei, "/sku A1 list_price=19.99")
    await harness.press(mei, fixed, ZH("⚠️ Save anyway"))
    assert await listing(harness, "A1") == (Decimal("19.99"), None)

    # a campaign on the lowest price of 30 days: 1.99 drags the planned price under the floor
    clock.set(NOW)
    await harness.ask(mei, BLACK_FRIDAY + " ref=lowest_30d")
    asked = await harness.ask(mei, "/enroll 1 A1")
    assert ZH("⚠️ Enrol anyway") in asked.button_texts
    await harness.press(mei, asked, ZH("⚠️ Enrol anyway"))
    plan = await harness.send(mei, "/plan 1", replies=3)
    assert usd(Decimal("1.59"), "USD") in plan[0].text  # 20 % off 1.99

    listed = await harness.ask(mei, "/sku A1 history")
    text = listed.text.splitlines()
    assert text[0] == plain(ZH("🕓 <b>Price history</b> of {sku}", sku="<code>A1</code>"))
    assert text[1] == ZH("Times in {zone}, newest first.", zone=ZH.zone(SHANGHAI))  # 中国时间
    typed = ZH("typed by {name}", name="Mei")
    day1 = ZH.datetime(datetime(2026, 11, 1, 2, 0, tzinfo=UTC), named=False)
    day3 = ZH.datetime(datetime(2026, 11, 3, 2, 0, tzinfo=UTC), named=False)
    assert f"2. {day3} · temu-us · {usd(Decimal('1.99'), 'USD')} · {typed}" in text
    assert f"3. {day1} · temu-us · {usd(Decimal('19.99'), 'USD')} · {typed}" in text
    assert (
        plain(
            ZH(
                "{channel}: lowest price in 30 days {lowest}",
                channel="<b>temu-us</b>",
                lowest=usd(Decimal("1.99"), "USD"),
            )
        )
        in text
    )
    correct_2, remove_2 = ZH("✏️ {number}: correct", number=2), ZH("🗑 {number}: remove", number=2)
    assert listed.button_texts[2:4] == [correct_2, remove_2]

    # a viewer reads the history without buttons, and a forged press is refused
    seen = await harness.ask(li, "/sku A1 history")
    assert listed.text.startswith(seen.text) and seen.button_texts == []
    assert "correct" not in seen.text  # no invitation to edit either
    before = await snapshot(harness, PriceHistory, Listing)
    forged = await harness.press_data(li, seen, listed.button(remove_2).data or "")
    assert "editor" in forged or ZH("editor") in forged  # "this needs editor or above"
    # someone outside the team forging the same button: it names nothing in their team
    bo = harness.stub.create_user("Bo", language_code="en")
    own = await harness.ask(bo, "/skus")
    for label in (remove_2, correct_2):
        stranger = await harness.press_data(bo, own, listed.button(label).data or "")
        assert stranger == EN("This button is no longer valid.")
    assert await snapshot(harness, PriceHistory, Listing) == before

    # the typo goes: the lowest price, the plan and the margin state follow
    ask = await harness.press(mei, listed, remove_2)
    assert ask.button_texts == [ZH("🗑 Remove"), ZH("Cancel")]
    harness.stub.mark_read(mei)
    harness.stub.press_button(mei, ask, text=ZH("🗑 Remove"))
    (recovery,) = await replies_until(harness, mei, 1)  # the edited screen is not a new message
    assert recovery.source is not None and recovery.source.startswith(
        ZH(
            "✅ <b>{sku}</b> in <b>{campaign}</b> is back above its floor.",
            sku="A1",
            campaign="Black Friday",
        )
    )
    removed = harness.stub.message(mei, ask.message_id)
    assert (
        plain(
            ZH(
                "🗑 Removed {price} ({when}) from the price history of {sku} on {channel}.",
                price=usd(Decimal("1.99"), "USD"),
                when=ZH.datetime(datetime(2026, 11, 3, 2, 0, tzinfo=UTC)),
                sku="<code>A1</code>",
                channel="temu-us",
            )
        )
        in removed.text
    )
    assert (
        ZH(
            "Lowest price in 30 days: {before} → {after}",
            before=usd(Decimal("1.99"), "USD"),
            after=usd(Decimal("19.99"), "USD"),
        )
        in removed.text
    )
    assert [price for price, _ in await history(harness, "A1")] == [Decimal("19.99")] * 2
    plan = await harness.send(mei, "/plan 1", replies=3)
    assert usd(Decimal("15.99"), "USD") in plan[0].text  # 20 % off 19.99
    async with harness.uow_factory() as uow:
        below = await uow.session.scalar(select(Enrolment.below_floor))
        notices = (
            await uow.session.execute(
                select(Notification.chat_id, Notification.status).where(
                    Notification.kind == "margin"
                )
            )
        ).all()
    # the recovery, once, to each member (the team has no group)
    assert below is False and sorted(notices) == [(mei.id, "sent"), (li.id, "sent")]

    # an entry corrected by button and typed price: a bad price is explained, the flow stays
    listed = await harness.ask(mei, "/sku A1 history")
    prompt = await harness.press(mei, listed, ZH("✏️ {number}: correct", number=2))
    assert "19.99" in prompt.text and "/cancel" in prompt.text
    bad = await harness.ask(mei, "abc")
    assert "abc" in bad.text and "19.99" in bad.text
    done = await harness.ask(mei, "17.99")
    assert (
        plain(
            ZH(
                "✅ Corrected the price of {when} for {sku} on {channel}: {before} → {after}.",
                when=ZH.datetime(datetime(2026, 11, 1, 2, 0, tzinfo=UTC)),
                sku="<code>A1</code>",
                channel="temu-us",
                before=usd(Decimal("19.99"), "USD"),
                after=usd(Decimal("17.99"), "USD"),
            )
        )
        in done.text
    )
    assert (
        ZH(
            "corrected by {name} on {when}",
            name="Mei",
            when=ZH.datetime(NOW, named=False),
        )
        in done.text
    )
    assert done.button_texts[:2] == [
        ZH("✏️ {number}: correct", number=1),
        ZH("🗑 {number}: remove", number=1),
    ]
    assert await history(harness, "A1") == [(Decimal("17.99"), mei.id), (Decimal("19.99"), None)]
    assert await listing(harness, "A1") == (Decimal("19.99"), None)  # not the current price
    plan = await harness.send(mei, "/plan 1", replies=3)
    assert usd(Decimal("14.39"), "USD") in plan[0].text  # 20 % off 17.99, the lowest now

    actions = [
        (action, changes.get("price"), user) for action, changes, user in await audits(harness)
    ]
    assert actions[-2:] == [
        ("history_remove", "1.99", mei.id),
        ("history_correct", ["19.99", "17.99"], mei.id),
    ]

    # the current price and the only entry cannot be removed; correct it instead
    await harness.ask(mei, "/sku add B1 unit_cost=5 list_price=4.99")
    only = await harness.ask(mei, "/sku B1 history")
    refusal = await harness.press_alert(
        mei, await harness.press(mei, only, ZH("🗑 {number}: remove", number=1)), ZH("🗑 Remove")
    )
    assert "/sku B1 list_price@temu-us=19.99" in refusal
    assert await count(harness, PriceHistory, PriceHistory.price == Decimal("4.99")) == 1


# --- 3. enrolling under the floor --------------------------------------------------------------
UNDER = [
    SkuSpec("S00", Decimal(70), Decimal("9.99")),  # even the list price is under the floor
    SkuSpec("S01", Decimal(61), Decimal("29.99")),
    SkuSpec("S02", Decimal(62), Decimal("29.99")),
]


async def customer_floor(harness: BotHarness, team_id: int, code: str) -> tuple[Decimal, Decimal]:
    """(customer price floor, floor) of a SKU in campaign 1, as the plan computes them."""
    from bot.services import campaigns as campaign_service
    from bot.services.plan import build_plan

    async with harness.uow_factory() as uow:
        from bot.db.models import Team

        team = await uow.session.get(Team, team_id)
        assert team is not None
        campaign = await campaign_service.get_campaign(uow, team_id, 1)
        plan = await build_plan(uow, team, campaign, NOW)
    row = next(r for r in [*plan.rows, *plan.others] if r.code == code)
    assert row.floor is not None
    return row.customer_floor or Decimal(0), row.floor


@pytest.mark.parametrize("language", ["zh-hans", "en"])
async def test_enrolling_under_the_floor_asks_and_names_the_floor(
    harness: BotHarness, language: str
) -> None:
    mei, team_id = await seller(harness, UNDER, language=language)
    _ = ZH if language == "zh-hans" else EN
    usd = _.money
    card = await harness.ask(mei, BLACK_FRIDAY)

    # the picker: S00 would be under its floor — asked, not ticked
    picker = await harness.press(mei, card, _("➕ Enrol"))
    s00 = next(label for label in picker.button_texts if label.startswith("⚠️ S00"))
    asked = await harness.press(mei, picker, s00)
    _cf, floor = await customer_floor(harness, team_id, "S00")
    assert (
        plain(
            _(
                "• {sku}: even its list price {price} is under its floor of {floor}.",
                sku="<code>S00</code>",
                price=usd(Decimal("9.99"), "USD"),
                floor=usd(floor, "USD"),
            )
        )
        in asked.text.splitlines()
    )
    assert asked.button_texts == [_("⚠️ Enrol anyway"), _("Leave out")]
    assert await count(harness, Enrolment) == 0
    picker = await harness.press(mei, asked, _("Leave out"))
    assert any(label.startswith("⚠️ S00") for label in picker.button_texts)
    assert await count(harness, Enrolment) == 0

    asked = await harness.press(
        mei, picker, next(t for t in picker.button_texts if t.startswith("⚠️ S00"))
    )
    picker = await harness.press(mei, asked, _("⚠️ Enrol anyway"))
    assert any(label.startswith("✅⚠️ S00") for label in picker.button_texts)
    async with harness.uow_factory() as uow:
        accepted = await uow.session.scalar(select(Enrolment.under_floor_accepted_at))
        audit = await uow.session.scalar(
            select(CampaignAudit).where(CampaignAudit.action == "under_floor")
        )
    assert accepted is not None and audit is not None
    assert audit.changes["skus"] == ["S00"] and audit.user_id == mei.id

    # /enroll … price= under the customer price floor: asked, with the floor in dollars
    cf, _floor = await customer_floor(harness, team_id, "S01")
    asked = await harness.ask(mei, "/enroll 1 S01 S02 price=5.00")
    assert (
        plain(
            _(
                "• {sku} at {price}: the lowest safe price is {floor}.",
                sku="<code>S01</code>",
                price=usd(Decimal(5), "USD"),
                floor=usd(cf, "USD"),
            )
        )
        in asked.text.splitlines()
    )
    assert (
        plain(
            _.ngettext(
                "⚠️ {n} SKU would be under its floor (the price that keeps the {margin} target "
                "margin):",
                "⚠️ {n} SKUs would be under their floor (the price that keeps the {margin} target "
                "margin):",
                2,
                margin=_.percent(Decimal("0.15")),
            )
        )
        in asked.text
    )
    left = await harness.press(mei, asked, _("Leave out"))
    assert (
        plain(
            _(
                "Left out of {name}: {codes}.",
                name="Black Friday",
                codes="<code>S01</code>, <code>S02</code>",
            )
        )
        in left.text
    )
    assert await count(harness, Enrolment) == 1

    asked = await harness.ask(mei, "/enroll 1 S01 price=5.00")
    done = await harness.press(mei, asked, _("⚠️ Enrol anyway"))
    assert (
        plain(
            _(
                "• ⛔ {sku} at {price}: under the floor, enrolled anyway",
                sku="<code>S01</code>",
                price=usd(Decimal(5), "USD"),
            )
        )
        in done.text
    )
    plan = await harness.send(mei, "/plan 1", replies=3)
    assert (
        plain(
            _.ngettext(
                "⛔ {n} SKU enrolled under the floor after a warning: {codes}",
                "⛔ {n} SKUs enrolled under the floor after a warning: {codes}",
                2,
                codes="<code>S00</code>, <code>S01</code>",
            )
        )
        in plan[0].text
    )
    xlsx = next(m for m in plan if m.document and m.document.file_name.endswith(".xlsx"))
    assert xlsx.document is not None
    book = load_workbook(io.BytesIO(xlsx.document.content), read_only=True)
    cells = [
        cell
        for sheet in book.worksheets
        if sheet.title != _("Edit prices")  # the round trip's sheet repeats every status
        for row in sheet.iter_rows(values_only=True)
        for cell in row
    ]
    marked = f"{_(STATUS_LABELS[PlanStatus.BELOW_FLOOR])} ({_('enrolled anyway')})"
    assert cells.count(marked) == 2


# --- 4. why the others were not enrolled -------------------------------------------------------
async def test_enroll_all_says_why_the_others_were_left_out(harness: BotHarness) -> None:
    specs = [SkuSpec(f"OK{i:02d}", Decimal(60), Decimal("29.99")) for i in range(13)]
    specs += [SkuSpec(f"NP{i:02d}", Decimal(60), None) for i in range(11)]  # listed, no price
    specs += [SkuSpec("LOW", Decimal(70), Decimal("9.99"))]
    mei, _team = await seller(harness, specs)
    await harness.ask(mei, BLACK_FRIDAY)

    reply = await harness.ask(mei, "/enroll 1 all")
    lines = reply.text.splitlines()
    assert (
        plain(
            ZH(
                "✅ Enrolled {skus} in {name}.",
                skus=ZH.ngettext("{n} SKU", "{n} SKUs", 13),
                name="Black Friday",
            )
        )
        in lines
    )
    assert (
        ZH.ngettext(
            "Not enrolled: {n} listed SKU does not fit.",
            "Not enrolled: {n} listed SKUs do not fit.",
            12,
        )
        in lines
    )
    no_price = ", ".join(f"NP{i:02d}" for i in range(10))
    assert (
        plain(
            ZH(
                "{icon} {reason} ({count}): {codes}",
                icon=STATUS_ICONS[PlanStatus.NO_LIST_PRICE],
                reason=ZH(STATUS_LABELS[PlanStatus.NO_LIST_PRICE]),
                count="11",
                codes=ZH("{codes} and {n} more", codes=no_price, n="1"),
            )
        )
        in lines
    )
    assert (
        plain(
            ZH(
                "{icon} {reason} ({count}): {codes}",
                icon=STATUS_ICONS[PlanStatus.BELOW_FLOOR],
                reason=ZH(STATUS_LABELS[PlanStatus.BELOW_FLOOR]),
                count="1",
                codes="LOW",
            )
        )
        in lines
    )
    assert await count(harness, Enrolment) == 13

    again = await harness.ask(mei, "/enroll 1 all")  # nothing left that fits: still why
    assert ZH("Nothing to enrol: no listed SKU that is not enrolled yet fits this campaign.") in (
        again.text
    )
    assert "LOW" in again.text and "NP00" in again.text


async def test_the_pickers_enrol_all_says_why_too(harness: BotHarness) -> None:
    ann, _team = await seller(harness, UNDER, name="Ann", language="en")
    card = await harness.ask(ann, BLACK_FRIDAY)
    picker = await harness.press(ann, card, "➕ Enrol")
    result = await harness.press(
        ann, picker, next(t for t in picker.button_texts if "Enrol all" in t)
    )
    assert "✅ Enrolled 2 SKUs in Black Friday." in result.text
    assert "Not enrolled: 1 listed SKU does not fit." in result.text
    assert "⛔ below floor (1): S00" in result.text
