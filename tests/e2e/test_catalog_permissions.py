"""Who may change the catalogue, checked on the server for every command and every button:
each role × each mutating action in a bound group, outsiders, forged and foreign buttons."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.db.models import Channel, Listing, Membership, PendingImport, PriceHistory, Sku
from bot.domain.enums import Role
from bot.telegram_stub import StubMessage, User
from bot.telegram_stub.world import Chat
from tests.e2e.catalog_support import add_member, bind_group, count, snapshot, team_of
from tests.e2e.conftest import BotHarness

NEEDS_ADMIN = "this needs admin or above"
NEEDS_EDITOR = "this needs editor or above"
INVALID = "This button is no longer valid."
CSV = b"sku,unit_cost,list_price@temu-us-semi\nF1,2.5,9.99\nF2,3,12.00\n"


@pytest.fixture(autouse=True)
def _no_rate_limits(harness: BotHarness) -> None:
    harness.stub.set_rate_limits(False)


async def owner_team(harness: BotHarness, owner: User) -> int:
    for command in (
        "/channel add temu-us-semi",
        "/channel add temu-us-full",
        "/channel add amazon-de",
        "/sku add A1 unit_cost=3",
        "/sku add B1 unit_cost=4",
    ):
        await harness.ask(owner, command)
    return await team_of(harness, owner)


async def in_group(harness: BotHarness, user: User, group: Chat, text: str) -> StubMessage:
    return await harness.ask(user, text, chat=group)


async def press_or_refusal(
    harness: BotHarness, user: User, message: StubMessage, label: str
) -> str:
    """Press a button; the edited text when it worked, else the refusal's alert text."""
    data = message.button(label).data
    assert data is not None
    answer = await harness.press_data(user, message, data)
    if answer:
        return answer
    return (await harness.stub.wait_for_edit(message)).text


async def upload(
    harness: BotHarness, user: User, group: Chat, reply_to: StubMessage
) -> StubMessage:
    """A file in a group reaches a bot in privacy mode as a reply to one of its messages."""
    harness.stub.mark_read(group)
    harness.stub.send_document(
        user, filename="skus.csv", content=CSV, chat=group, reply_to=reply_to
    )
    return (await harness.stub.wait_for_messages(group, 1, timeout=10))[0]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EDITOR, Role.VIEWER])
async def test_each_role_and_each_mutating_action_in_a_bound_group(
    harness: BotHarness, role: Role
) -> None:
    stub = harness.stub
    olga = stub.create_user("Olga", language_code="en")
    team_id = await owner_team(harness, olga)
    actor = olga
    if role is not Role.OWNER:
        actor = stub.create_user("Rui", language_code="en")
        await add_member(harness, team_id, actor, role)
    group = stub.create_group("Shop", members=[olga, actor], admins=[olga], with_bot=True)
    await bind_group(harness, team_id, group)
    manages_channels = role in (Role.OWNER, Role.ADMIN)
    edits_catalog = role is not Role.VIEWER

    # channels: add, edit, delete (the command and a button another admin was shown)
    reply = await in_group(harness, actor, group, "/channel add aliexpress-kr")
    assert ("Channel aliexpress-kr added" in reply.text) is manages_channels, reply.text
    assert (NEEDS_ADMIN in reply.text) is not manages_channels
    reply = await in_group(harness, actor, group, "/channel temu-us-semi commission=5")
    assert ("Channel temu-us-semi changed" in reply.text) is manages_channels, reply.text
    reply = await in_group(harness, actor, group, "/channel del amazon-de")
    assert (reply.button_texts == ["🗑 Delete", "Cancel"]) is manages_channels
    confirm = await in_group(harness, olga, group, "/channel del temu-us-full")
    result = await press_or_refusal(harness, actor, confirm, "🗑 Delete")
    assert ("Channel temu-us-full deleted" in result) is manages_channels, result
    assert (NEEDS_ADMIN in result) is not manages_channels
    async with harness.uow_factory() as uow:
        names = set(
            await uow.session.scalars(select(Channel.name).where(Channel.team_id == team_id))
        )
    expected = {"temu-us-semi", "amazon-de"}
    expected |= {"aliexpress-kr"} if manages_channels else {"temu-us-full"}
    assert names == expected

    # SKUs: add, edit, delete (button shown to the owner, pressed by the actor)
    reply = await in_group(harness, actor, group, "/sku add R1 unit_cost=1")
    assert ("SKU R1 added" in reply.text) is edits_catalog, reply.text
    assert (NEEDS_EDITOR in reply.text) is not edits_catalog
    reply = await in_group(harness, actor, group, "/sku A1 unit_cost=9")
    assert ("SKU A1 changed" in reply.text) is edits_catalog, reply.text
    confirm = await in_group(harness, olga, group, "/sku del B1")
    result = await press_or_refusal(harness, actor, confirm, "🗑 Delete")
    assert ("SKU B1 deleted" in result) is edits_catalog, result
    async with harness.uow_factory() as uow:
        skus = dict((await uow.session.execute(select(Sku.code, Sku.unit_cost))).all())
    if edits_catalog:
        assert set(skus) == {"A1", "R1"} and skus["A1"] == 9
    else:
        assert set(skus) == {"A1", "B1"} and skus["A1"] == 3

    # import: the upload is refused to viewers; the actor confirms their own preview
    anchor = await in_group(harness, actor, group, "/skus")  # something to reply to
    preview = await upload(harness, actor, group, anchor)
    if not edits_catalog:
        assert NEEDS_EDITOR in preview.text and preview.button_texts == []
        assert await count(harness, PendingImport) == 0
    else:
        assert "New: 2" in preview.text
        done = await harness.press(actor, preview, "✅ Confirm")
        assert "Imported" in done.text
    assert await count(harness, Sku, Sku.code.in_(["F1", "F2"])) == (2 if edits_catalog else 0)

    # everyone reads
    reply = await in_group(harness, actor, group, "/skus")
    assert "A1" in reply.text
    reply = await in_group(harness, actor, group, "/channel temu-us-semi")
    assert "Commission (commission)" in reply.text


async def test_confirming_an_import_rechecks_the_role_and_the_uploader(
    harness: BotHarness,
) -> None:
    stub = harness.stub
    olga = stub.create_user("Olga", language_code="en")
    eve = stub.create_user("Eve", language_code="en")
    team_id = await owner_team(harness, olga)
    await add_member(harness, team_id, eve, Role.EDITOR)
    group = stub.create_group("Shop", members=[olga, eve], admins=[olga], with_bot=True)
    await bind_group(harness, team_id, group)
    anchor = await in_group(harness, eve, group, "/skus")
    preview = await upload(harness, eve, group, anchor)
    assert preview.button_texts == ["✅ Confirm", "Cancel"]

    # another member (even the owner) cannot confirm someone else's import
    assert await press_or_refusal(harness, olga, preview, "✅ Confirm") == INVALID
    # the editor is made a viewer before confirming: refused at confirmation time
    async with harness.uow_factory() as uow:
        member = await uow.session.get(Membership, (team_id, eve.id))
        assert member is not None
        member.role = Role.VIEWER
        await uow.commit()
    refusal = await press_or_refusal(harness, eve, preview, "✅ Confirm")
    assert NEEDS_EDITOR in refusal
    assert await count(harness, Sku, Sku.code.in_(["F1", "F2"])) == 0
    # restored, the same button works once, then it is stale
    await add_member(harness, team_id, eve, Role.EDITOR)
    done = await harness.press(eve, preview, "✅ Confirm")
    assert "Imported" in done.text
    assert await count(harness, Sku, Sku.code.in_(["F1", "F2"])) == 2
    assert await harness.press_data(eve, preview, preview.button("✅ Confirm").data or "") == (
        INVALID
    )


async def test_a_non_member_in_a_bound_group_gets_a_refusal_and_no_data(
    harness: BotHarness,
) -> None:
    stub = harness.stub
    olga = stub.create_user("Olga", language_code="en")
    oscar = stub.create_user("Oscar", language_code="en")
    team_id = await owner_team(harness, olga)
    await harness.ask(olga, "/sku A1 list_price@temu-us-semi=19.99")
    group = stub.create_group("Shop", members=[olga, oscar], admins=[olga], with_bot=True)
    await bind_group(harness, team_id, group)
    before = await snapshot(harness, Sku, Channel, Listing, PriceHistory)
    assert harness.app is not None
    throttle = harness.app.update_processor.throttle  # type: ignore[attr-defined]
    # after one refusal the bot ignores Oscar in this chat for a while: forgiven before
    # each command here, so that every command meets the refusal
    for command in (
        "/skus",
        "/sku A1",
        "/sku A1 unit_cost=1",
        "/sku add Z1 unit_cost=1",
        "/sku del A1",
        "/floor A1",
        "/channels",
        "/channel temu-us-semi",
        "/channel add amazon-uk",
        "/channel del temu-us-semi",
        "/export",
        "/import",
    ):
        throttle.forgive(oscar.id)
        reply = await in_group(harness, oscar, group, command)
        assert "only members of the team linked to this chat" in reply.text, command
        for secret in ("A1", "B1", "temu", "19.99", "Olga"):
            assert secret not in reply.text, (command, reply.text)
        assert reply.document is None and reply.button_texts == []
    anchor = await in_group(harness, olga, group, "/skus")
    throttle.forgive(oscar.id)
    refusal = await upload(harness, oscar, group, anchor)
    assert "only members of the team linked to this chat" in refusal.text
    assert stub.calls("getFile") == []  # refused before downloading anything
    # a button shown to the team is refused to the outsider too
    confirm = await in_group(harness, olga, group, "/sku del A1")
    throttle.forgive(oscar.id)
    answer = await press_or_refusal(harness, oscar, confirm, "🗑 Delete")
    assert "only members" in answer
    assert await snapshot(harness, Sku, Channel, Listing, PriceHistory) == before
    assert await count(harness, PendingImport) == 0


async def test_forged_buttons_naming_another_teams_objects_are_refused(
    harness: BotHarness,
) -> None:
    stub = harness.stub
    ann = stub.create_user("Ann", language_code="en")
    ben = stub.create_user("Ben", language_code="en")
    await harness.ask(ann, "/sku add A1 unit_cost=3")
    await harness.ask(ben, "/channel add temu-us-semi")
    await harness.ask(ben, "/sku add SECRET-B1 unit_cost=4")
    stub.send_document(ben, filename="skus.csv", content=CSV)
    ben_preview = (await stub.wait_for_messages(ben, 1))[0]
    assert "New: 2" in ben_preview.text
    ben_team = await team_of(harness, ben)
    async with harness.uow_factory() as uow:
        sku_id = await uow.session.scalar(select(Sku.id).where(Sku.team_id == ben_team))
        channel_id = await uow.session.scalar(select(Channel.id).where(Channel.team_id == ben_team))
        pending_id = await uow.session.scalar(select(PendingImport.id))
    before = await snapshot(harness, Sku, Channel, Listing, PendingImport)

    own = await harness.ask(ann, "/sku del A1")  # a message of Ann's with buttons
    for data in (
        f"1:skudel:{sku_id}",
        f"1:chdel:{channel_id}",
        f"1:imp:{pending_id}:y",
        f"1:imp:{pending_id}:n",
        "1:skudel:abc",
        "1:skudel:99999999999",  # beyond the id column's range
        "1:chdel:-1",
        f"1:imp:{2**63}:y",
        "1:imp:1:maybe",
        f"1:skudel:{sku_id}:extra:" + "9" * 40,
    ):
        answer = await harness.press_data(ann, own, data)
        assert answer == INVALID, data
        assert "SECRET" not in answer
    assert await snapshot(harness, Sku, Channel, Listing, PendingImport) == before
    page = await harness.press_data(ann, own, "1:skus:999999")  # clamped to Ann's last page
    assert page == ""
    assert "SECRET" not in stub.message(own.chat_id, own.message_id).text
    # Ben's own preview still works
    done = await harness.press(ben, ben_preview, "✅ Confirm")
    assert "Imported" in done.text
