"""Issue 4, done when: a seller creates a team, invites a colleague as editor, binds the
team in a group with topics, and both work there; the colleague cannot delete a channel;
an outsider sees nothing; the group becomes a supergroup and notices keep flowing."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.clock import FakeClock
from bot.db.models import Channel, Notification, Sku
from bot.i18n import Translator
from tests.e2e.conftest import BotHarness, eventually

INVITE = re.compile(r"start=(join-[A-Za-z0-9_\-]+)")


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(second=0, microsecond=0))


async def test_a_team_works_together_in_a_group_and_survives_the_supergroup_upgrade(
    harness: BotHarness, clock: FakeClock
) -> None:
    stub = harness.stub
    alice = stub.create_user("Alice", language_code="en", username="alice")
    bob = stub.create_user("Bob", language_code="zh-hans", username="bob")
    eve = stub.create_user("Eve", language_code="en", username="eve")

    # the seller sets up a team with a channel and invites a colleague as editor
    assert "Acme" in (await harness.ask(alice, "/team new Acme")).text
    added = await harness.ask(alice, "/channel add temu-us-semi")
    assert "temu-us-semi" in added.text
    invite = INVITE.search((await harness.ask(alice, "/team invite editor")).text)
    assert invite is not None
    await harness.ask(bob, f"/start {invite.group(1)}")

    # the team is bound in a forum topic; both work there
    forum = stub.create_group(
        "Acme HQ", members=[alice, bob, eve], admins=[alice], supergroup=True, forum=True
    )
    stub.add_bot_to_group(forum, by=alice)
    await stub.wait_for_message(forum)
    topic = stub.create_topic(forum, "Pricing", by=alice)
    linked = await harness.ask(alice, "/link", chat=forum, thread_id=topic)
    assert "Acme" in linked.text and linked.thread_id == topic

    added = await harness.ask(
        bob, "/sku add B1 unit_cost=10 cost_currency=USD", chat=forum, thread_id=topic
    )
    assert "B1" in added.text and added.thread_id == topic
    listed = await harness.ask(alice, "/skus", chat=forum, thread_id=topic)
    assert "B1" in listed.text
    async with harness.uow_factory() as uow:
        assert (await uow.session.scalars(select(Sku.code))).all() == ["B1"]

    # the editor cannot delete a channel
    refused = await harness.ask(bob, "/channel del temu-us-semi", chat=forum, thread_id=topic)
    zh = Translator("zh_CN")
    assert refused.text == zh(
        "Your role in {team} is {role}; this needs {required} or above.",
        team="Acme",
        role=zh("editor"),
        required=zh("admin"),
    )
    assert not refused.buttons
    async with harness.uow_factory() as uow:
        assert (await uow.session.scalars(select(Channel.name))).all() == ["temu-us-semi"]

    # an outsider sees nothing
    outsider = await harness.ask(eve, "/skus", chat=forum, thread_id=topic)
    assert "B1" not in outsider.text and "only members of the team" in outsider.text

    # a plain group linked to the team, then upgraded to a supergroup
    group = stub.create_group("Acme ops", members=[alice, bob], admins=[alice])
    stub.add_bot_to_group(group, by=alice)
    await stub.wait_for_message(group)
    await harness.ask(alice, "/unlink", chat=forum, thread_id=topic)
    await harness.ask(alice, "/link", chat=group)
    now = clock.now()
    start = now + timedelta(days=5)
    later = await harness.ask(
        alice,
        f'/newcampaign name="Later" channel=temu-us-semi tz=UTC '
        f"deadline={stamp(now + timedelta(days=3, hours=2))} "
        f"start={stamp(start)} end={stamp(start + timedelta(days=2))}",
        chat=group,
    )
    assert "Later" in later.text

    async def pending_in(chat_id: int) -> list[Notification]:
        async with harness.uow_factory() as uow:
            return list(
                (
                    await uow.session.scalars(
                        select(Notification).where(
                            Notification.chat_id == chat_id, Notification.status == "pending"
                        )
                    )
                ).all()
            )

    assert await eventually(lambda: pending_in(group.id))  # reminders queued for the group
    new_id = stub.migrate_to_supergroup(group, by=alice)

    async def moved() -> bool:
        return not await pending_in(group.id) and bool(await pending_in(new_id))

    await eventually(moved)  # pending notices follow the group to its new id

    # a reminder that falls due later reaches the supergroup
    soon = await harness.ask(
        alice,
        f'/newcampaign name="Flash" channel=temu-us-semi tz=UTC '
        f"deadline={stamp(now + timedelta(hours=2, minutes=10))} "
        f"start={stamp(now + timedelta(days=1))} end={stamp(now + timedelta(days=2))}",
        chat=new_id,
    )
    assert "Flash" in soon.text
    clock.advance(timedelta(minutes=11))  # the 2-hours-before reminder is now due

    async def reminder_in_supergroup() -> list[str]:
        return [
            m.text
            for m in stub.messages(new_id)
            if "Flash" in m.text and "Registration for" in m.text
        ]

    reminders = await eventually(reminder_in_supergroup, timeout=20)
    assert "closes in" in reminders[0]
    assert stub.count_429 == 0
