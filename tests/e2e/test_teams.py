"""Issue 4, teams: invites, roles, several teams, groups, topics, channels, supergroups."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select, update

from bot.db.models import ChatBinding, Invite, Membership, Team
from bot.db.models import User as UserRow
from bot.telegram_stub import User
from tests.e2e.conftest import BotHarness, eventually

INVITE = re.compile(r"start=(join-[A-Za-z0-9_\-]+)")


async def new_team(harness: BotHarness, owner: User, name: str) -> int:
    reply = await harness.ask(owner, f"/team new {name}")
    assert name in reply.text
    async with harness.uow_factory() as uow:
        team_id = await uow.session.scalar(select(Team.id).where(Team.name == name))
    assert team_id is not None
    return team_id


async def invite(harness: BotHarness, admin: User, role: str = "editor") -> str:
    reply = await harness.ask(admin, f"/team invite {role}")
    match = INVITE.search(reply.text)
    assert match, reply.text
    return match.group(1)


async def role_of(harness: BotHarness, team_id: int, user: User) -> str | None:
    async with harness.uow_factory() as uow:
        member = await uow.session.get(Membership, (team_id, user.id))
        return None if member is None else member.role


async def test_invite_join_and_reuse(harness: BotHarness) -> None:
    stub = harness.stub
    alice, bob, carol = (stub.create_user(n, language_code="en") for n in ("Alice", "Bob", "Carol"))
    team_id = await new_team(harness, alice, "Acme Store")
    token = await invite(harness, alice, "editor")

    async with harness.uow_factory() as uow:
        stored = (await uow.session.scalars(select(Invite))).one()
    assert token.removeprefix("join-") not in stored.token_hash  # only the hash is stored
    assert len(token.removeprefix("join-")) >= 22  # 128 bits, base64url

    joined = await harness.ask(bob, f"/start {token}")
    assert "Acme Store" in joined.text and "editor" in joined.text
    assert await role_of(harness, team_id, bob) == "editor"

    reused = await harness.ask(carol, f"/start {token}")
    assert "already used" in reused.text
    assert await role_of(harness, team_id, carol) is None

    overview = await harness.ask(bob, "/team")
    assert "Acme Store" in overview.text and "Alice" in overview.text and "Bob" in overview.text
    assert not any(t.startswith("Invite") for t in overview.button_texts)  # editors don't invite


async def test_expired_and_revoked_invites_are_refused(harness: BotHarness) -> None:
    stub = harness.stub
    alice, dan, erin = (stub.create_user(n, language_code="en") for n in ("Alice", "Dan", "Erin"))
    team_id = await new_team(harness, alice, "Acme")

    revoked_token = await invite(harness, alice, "viewer")
    invite_message = stub.messages(alice)[-1]
    revoked = await harness.press(alice, invite_message, "Revoke")
    assert "revoked" in revoked.text
    refused = await harness.ask(dan, f"/start {revoked_token}")
    assert "revoked" in refused.text
    assert await role_of(harness, team_id, dan) is None

    expired_token = await invite(harness, alice, "viewer")
    async with harness.uow_factory() as uow:
        await uow.session.execute(
            update(Invite)
            .where(Invite.revoked_at.is_(None))
            .values(expires_at=harness.clock.now() - timedelta(minutes=1))
        )
        await uow.commit()
    refused = await harness.ask(erin, f"/start {expired_token}")
    assert "expired" in refused.text
    assert await role_of(harness, team_id, erin) is None

    garbage = await harness.ask(erin, "/start join-not-a-real-token")
    assert "not valid" in garbage.text


async def test_roles_last_owner_and_switching(harness: BotHarness) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", username="alice")
    bob = stub.create_user("Bob", language_code="en", username="bob")
    team_id = await new_team(harness, alice, "Acme")
    await harness.ask(bob, f"/start {await invite(harness, alice, 'admin')}")
    assert await role_of(harness, team_id, bob) == "admin"

    # an admin cannot touch the owner or make owners
    refused = await harness.ask(bob, "/team role @alice viewer")
    assert "Only an owner" in refused.text
    assert await role_of(harness, team_id, alice) == "owner"

    # the last owner cannot leave or be demoted
    refused = await harness.ask(alice, "/team role @alice editor")
    assert "at least one owner" in refused.text
    leave = await harness.ask(alice, "/team leave")
    refused_text = await harness.press_alert(alice, leave, "Leave team")
    assert "last owner" in refused_text
    assert await role_of(harness, team_id, alice) == "owner"

    demoted = await harness.ask(alice, "/team role @bob viewer")
    assert "viewer" in demoted.text
    assert await role_of(harness, team_id, bob) == "viewer"

    # Bob has his personal team and Acme: he can switch between them
    picker = await harness.ask(bob, "/team switch")
    assert "✅ Acme" in picker.button_texts
    personal = next(t for t in picker.button_texts if t != "✅ Acme")
    switched = await harness.press(bob, picker, personal)
    assert personal in switched.text
    async with harness.uow_factory() as uow:
        row = await uow.session.get(UserRow, bob.id)
        assert row is not None and row.active_team_id != team_id

    removed = await harness.ask(alice, "/team remove @bob")
    assert "removed" in removed.text
    assert await role_of(harness, team_id, bob) is None


async def test_member_buttons_and_forged_presses(harness: BotHarness) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", username="alice")
    bob = stub.create_user("Bob", language_code="en", username="bob")
    mallory = stub.create_user("Mallory", language_code="en", username="mallory")
    team_id = await new_team(harness, alice, "Acme")
    await harness.ask(bob, f"/start {await invite(harness, alice, 'viewer')}")

    overview = await harness.ask(alice, "/team")
    members = await harness.press(alice, overview, "Members and roles")
    card = await harness.press(alice, members, next(t for t in members.button_texts if "Bob" in t))
    changed = await harness.press(alice, card, "editor")
    assert "Bob" in changed.text and "editor" in changed.text
    assert await role_of(harness, team_id, bob) == "editor"

    # Mallory forges buttons naming Acme from her own chat: refused, nothing changes
    own = await harness.ask(mallory, "/team")
    answer = await harness.press_data(mallory, own, f"1:trole:{team_id}:{mallory.id}:owner")
    assert answer == "You are not a member of that team."
    answer = await harness.press_data(mallory, own, f"1:tinv:{team_id}:admin")
    assert answer == "You are not a member of that team."
    assert await role_of(harness, team_id, mallory) is None
    async with harness.uow_factory() as uow:
        assert len((await uow.session.scalars(select(Invite))).all()) == 1

    # Bob (editor) forges an admin-only press on his own team
    bob_view = await harness.ask(bob, "/team")
    answer = await harness.press_data(bob, bob_view, f"1:trole:{team_id}:{bob.id}:admin")
    assert "editor" in answer and "admin" in answer
    assert await role_of(harness, team_id, bob) == "editor"


async def test_group_binding_topics_outsiders_and_supergroup_upgrade(harness: BotHarness) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", username="alice")
    bob = stub.create_user("Bob", language_code="en", username="bob")
    eve = stub.create_user("Eve", language_code="en", username="eve")
    team_id = await new_team(harness, alice, "Acme")
    await harness.ask(bob, f"/start {await invite(harness, alice, 'editor')}")

    group = stub.create_group("Acme sellers", members=[alice, bob, eve], admins=[alice])
    stub.add_bot_to_group(group, by=alice)
    intro = await stub.wait_for_message(group)
    assert "/link" in intro.text

    refused = await harness.ask(bob, "/link", chat=group)  # not a group admin
    assert "Only an admin of this group" in refused.text
    not_linked = await harness.ask(bob, "/team", chat=group)
    assert "not linked" in not_linked.text

    linked = await harness.ask(alice, "/link", chat=group)
    assert "Acme" in linked.text
    in_group = await harness.ask(bob, "/team", chat=group)
    assert "Acme" in in_group.text and "Bob" in in_group.text
    outsider = await harness.ask(eve, "/team", chat=group)
    assert "only members of the team" in outsider.text
    assert "Acme" not in outsider.text and "Bob" not in outsider.text

    new_id = stub.migrate_to_supergroup(group, by=alice)

    async def binding_moved() -> bool:
        async with harness.uow_factory() as uow:
            chat_id = await uow.session.scalar(
                select(ChatBinding.chat_id).where(ChatBinding.team_id == team_id)
            )
        return chat_id == new_id

    await eventually(binding_moved)
    after = await harness.ask(bob, "/team", chat=new_id)
    assert "Acme" in after.text

    stub.remove_bot_from_group(new_id, by=alice)
    told = await stub.wait_for_message(alice, timeout=10)
    assert "no longer post in Acme sellers" in told.text and "Acme" in told.text
    async with harness.uow_factory() as uow:
        binding = await uow.session.scalar(
            select(ChatBinding).where(ChatBinding.team_id == team_id)
        )
        assert binding is not None and binding.status == "removed"


async def test_forum_topic_binding_replies_in_the_topic(harness: BotHarness) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="ko", username="alice")
    await new_team(harness, alice, "Acme")
    forum = stub.create_group("Forum", members=[alice], admins=[alice], supergroup=True, forum=True)
    stub.add_bot_to_group(forum, by=alice)
    await stub.wait_for_message(forum)
    topic = stub.create_topic(forum, "Campaigns", by=alice)
    linked = await harness.ask(alice, "/link de", chat=forum, thread_id=topic)
    assert linked.thread_id == topic
    assert "Acme" in linked.text
    async with harness.uow_factory() as uow:
        binding = (await uow.session.scalars(select(ChatBinding))).one()
    assert (binding.thread_id, binding.kind, binding.locale) == (topic, "topic", "de")
    unlinked = await harness.ask(alice, "/unlink", chat=forum, thread_id=topic)
    assert unlinked.thread_id == topic
    async with harness.uow_factory() as uow:
        binding = (await uow.session.scalars(select(ChatBinding))).one()
    assert binding.status == "removed"


async def test_blocking_the_bot_is_recorded(harness: BotHarness) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en")
    await harness.ask(alice, "/help")

    async def blocked_is(expected: bool) -> bool:
        async with harness.uow_factory() as uow:
            row = await uow.session.get(UserRow, alice.id)
            return row is not None and (row.blocked_at is not None) == expected

    stub.block_bot(alice)
    await eventually(lambda: blocked_is(True))
    stub.unblock_bot(alice)
    await eventually(lambda: blocked_is(False))


async def test_malformed_team_commands_explain_the_form(harness: BotHarness) -> None:
    alice = harness.stub.create_user("Alice", language_code="en")
    reply = await harness.ask(alice, "/team frobnicate")
    assert "/team invite editor" in reply.text
    reply = await harness.ask(alice, "/team invite overlord")
    assert "overlord" in reply.text and "viewer" in reply.text
    reply = await harness.ask(alice, "/team new")
    assert "/team new Acme Store" in reply.text
    async with harness.uow_factory() as uow:
        assert (await uow.session.scalars(select(Invite))).all() == []
