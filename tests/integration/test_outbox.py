"""The notification outbox on SQLite and PostgreSQL: claiming, leases and the crash
policy, outcomes of a send, re-routing, downtime — with a fake sender and a fake clock."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select, update

from bot.clock import FakeClock
from bot.db import models
from bot.db.uow import UnitOfWorkFactory
from bot.runtime.pacer import Pacer
from bot.services import claims, outbox
from bot.services.claims import INTERRUPTED
from bot.services.notifications import Dispatcher, Outcome, SendResult
from bot.services.outbox import NoticeKind, Target
from tests.notifications_fixtures import (
    FakeSender,
    add_notices,
    add_team,
    add_user,
    bind,
    fast_limits,
    key_renderer,
    notice,
    statuses,
    utc,
)

NOW = utc(2026, 11, 20, 12, 0)


def dispatcher(
    uow_factory: UnitOfWorkFactory,
    sender: FakeSender,
    clock: FakeClock,
    *,
    renderer: object = key_renderer,
    worker_id: str | None = None,
) -> Dispatcher:
    return Dispatcher(
        uow_factory,
        sender,
        clock,
        renderer=renderer,  # type: ignore[arg-type]
        pacer=Pacer(fast_limits()),
        worker_id=worker_id,
    )


async def test_enqueue_targets_the_bound_group_else_each_member(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        alice = await add_user(uow, 101)
        bob = await add_user(uow, 102)
        await add_user(uow, 103, blocked=True)
        carol = await uow.session.get(models.User, 103)
        team = await add_team(uow, members=[(alice, "owner"), (bob, "editor"), (carol, "viewer")])
        keys = await outbox.enqueue(
            uow,
            base_key="test:1",
            team_id=team.id,
            kind=NoticeKind.MARGIN,
            payload={},
            due_at=NOW,
            expires_at=None,
            now=NOW,
        )
        assert keys == ["test:1:chat:101", "test:1:chat:102"]  # not the user who blocked us
        again = await outbox.enqueue(
            uow,
            base_key="test:1",
            team_id=team.id,
            kind=NoticeKind.MARGIN,
            payload={},
            due_at=NOW,
            expires_at=None,
            now=NOW,
        )
        assert again == keys
        await bind(uow, team, -100500, thread_id=7)
        assert await outbox.team_targets(uow, team.id) == [Target(-100500, 7)]
        await uow.commit()
    async with uow_factory() as uow:
        rows = (await uow.session.scalars(select(models.Notification))).all()
    assert sorted(r.key for r in rows) == keys  # writing twice changed nothing
    assert {r.recipient_user_id for r in rows} == {101, 102}


async def test_two_claimers_never_share_a_row(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await add_notices(
            uow, None, [(f"n:{i}:chat:{-1000 - i}", -1000 - i, NOW) for i in range(60)]
        )
        await uow.commit()

    async def claimer(name: str) -> list[int]:
        got: list[int] = []
        while True:
            async with uow_factory() as uow:
                batch = await claims.claim_due(uow, name, NOW, 7)
            if not batch:
                return got
            got += [c.id for c in batch]
            await asyncio.sleep(0)

    first, second = await asyncio.gather(claimer("a:1:x"), claimer("b:2:y"))
    assert not set(first) & set(second)
    assert len(first) + len(second) == 60
    async with uow_factory() as uow:
        assert set((await statuses(uow)).values()) == {"sending"}


async def test_a_pass_sends_what_is_due_and_reports_the_next(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await add_notices(
            uow,
            None,
            [
                ("due:1:chat:5", 5, NOW - timedelta(minutes=1)),
                ("due:2:chat:-7", -7, NOW),
                ("later:chat:5", 5, NOW + timedelta(hours=2)),
            ],
        )
        await uow.commit()
    sender = FakeSender()
    report = await dispatcher(uow_factory, sender, FakeClock(NOW)).run()
    assert report.sent == 2 and report.next_due == NOW + timedelta(hours=2)
    assert sorted(text for _, _, text in sender.sent) == [
        "notice due:1:chat:5",
        "notice due:2:chat:-7",
    ]
    async with uow_factory() as uow:
        sent = await notice(uow, "due:1")
        assert sent.status == "sent" and sent.sent_at == NOW and sent.attempts == 1
        assert sent.telegram_message_id is not None and sent.lease_until is None
        assert (await notice(uow, "later")).status == "pending"


async def test_a_dead_process_rows_come_back_and_in_flight_ones_say_so(
    uow_factory: UnitOfWorkFactory,
) -> None:
    """The crash policy: never attempted → sent normally; in flight → sent again with a
    'may be a repeat' note (at least once); a live lease is left alone."""
    async with uow_factory() as uow:
        await add_notices(
            uow,
            None,
            [
                ("claimed:chat:1", 1, NOW),
                ("in-flight:chat:2", 2, NOW),
                ("live:chat:3", 3, NOW),
            ],
        )
        await uow.session.execute(
            update(models.Notification)
            .where(models.Notification.key.in_(["claimed:chat:1", "in-flight:chat:2"]))
            .values(status="sending", leased_by="elsewhere:1:a", lease_until=NOW - timedelta(1))
        )
        await uow.session.execute(
            update(models.Notification)
            .where(models.Notification.key == "in-flight:chat:2")
            .values(attempt_started_at=NOW - timedelta(minutes=5), attempts=1)
        )
        await uow.session.execute(
            update(models.Notification)
            .where(models.Notification.key == "live:chat:3")
            .values(status="sending", leased_by="other:2:b", lease_until=NOW + timedelta(1))
        )
        await uow.commit()

    async def render(uow: object, row: models.Notification, reader: object, now: object) -> str:
        return f"{row.key} {'REPEAT' if row.last_error == INTERRUPTED else ''}".strip()

    sender = FakeSender()
    await dispatcher(uow_factory, sender, FakeClock(NOW), renderer=render).run()
    assert sorted(text for _, _, text in sender.sent) == [
        "claimed:chat:1",
        "in-flight:chat:2 REPEAT",
    ]
    async with uow_factory() as uow:
        assert (await notice(uow, "in-flight")).attempts == 2
        assert (await notice(uow, "live")).status == "sending"


async def test_same_host_dead_worker_is_released_without_waiting_for_its_lease(
    uow_factory: UnitOfWorkFactory,
) -> None:
    me = claims.new_worker_id()
    host = me.rsplit(":", 2)[0]
    dead = f"{host}:999999:dead00"  # no such pid
    async with uow_factory() as uow:
        await add_notices(uow, None, [("orphan:chat:9", 9, NOW)])
        await uow.session.execute(
            update(models.Notification).values(
                status="sending", leased_by=dead, lease_until=NOW + timedelta(minutes=5)
            )
        )
        await uow.commit()
    sender = FakeSender()
    await dispatcher(uow_factory, sender, FakeClock(NOW), worker_id=me).run()
    assert [text for _, _, text in sender.sent] == ["notice orphan:chat:9"]


async def test_retry_after_reschedules_without_burning_an_attempt(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await add_notices(uow, None, [("flood:chat:-5", -5, NOW)])
        await uow.commit()
    clock = FakeClock(NOW)
    floods = iter([SendResult(Outcome.RETRY_AFTER, retry_after=7, error="Flood")])

    def script(chat: int, thread: int, text: str) -> SendResult:
        return next(floods, SendResult(Outcome.SENT))

    sender = FakeSender(script)
    d = dispatcher(uow_factory, sender, clock)
    report = await d.run()
    assert report.retried == 1 and not sender.sent
    async with uow_factory() as uow:
        row = await notice(uow, "flood")
        assert (row.status, row.attempts, row.due_at) == ("pending", 0, NOW + timedelta(seconds=7))
    clock.advance(timedelta(seconds=7))
    d.pacer.pause(0)  # the fake clock moved; the pacer's own pause is real time
    d.pacer._paused_until = 0
    d.pacer._chat_blocked.clear()
    await d.run()
    assert len(sender.sent) == 1
    async with uow_factory() as uow:
        row = await notice(uow, "flood")
        assert (row.status, row.attempts) == ("sent", 1)


async def test_a_timeout_after_the_request_left_is_not_sent_again(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await add_notices(uow, None, [("slow:chat:1", 1, NOW), ("refused:chat:2", 2, NOW)])
        await uow.commit()

    def script(chat: int, thread: int, text: str) -> SendResult:
        if chat == 1:
            return SendResult(Outcome.UNCERTAIN, error="timed out (ReadTimeout)")
        return SendResult(Outcome.TRANSIENT, error="connect failed")

    clock = FakeClock(NOW)
    sender = FakeSender(script)
    d = dispatcher(uow_factory, sender, clock)
    await d.run()
    clock.advance(timedelta(hours=1))
    sender.script = None
    await d.run()
    assert [text for _, _, text in sender.sent] == ["notice refused:chat:2"]  # retried
    async with uow_factory() as uow:
        slow = await notice(uow, "slow")
        assert slow.status == "uncertain" and "ReadTimeout" in (slow.last_error or "")
        assert (await notice(uow, "refused")).status == "sent"


async def test_a_removed_group_falls_back_to_members_and_owners_hear_once(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        alice = await add_user(uow, 201)
        bob = await add_user(uow, 202)
        team = await add_team(uow, members=[(alice, "owner"), (bob, "editor")])
        await bind(uow, team, -300, title="Sellers")
        for base in ("m:1", "m:2"):
            await outbox.enqueue(
                uow,
                base_key=base,
                team_id=team.id,
                kind=NoticeKind.MARGIN,
                payload={},
                due_at=NOW,
                expires_at=None,
                now=NOW,
            )
        await uow.commit()

    def script(chat: int, thread: int, text: str) -> SendResult:
        if chat == -300:
            return SendResult(Outcome.CHAT_GONE, error="Forbidden: bot was kicked from the group")
        return SendResult(Outcome.SENT)

    sender = FakeSender(script)
    clock = FakeClock(NOW)
    d = dispatcher(uow_factory, sender, clock)
    await d.run()
    assert sorted(sender.texts(201)) == [
        "notice chat-gone:1:20260102T000000:chat:201",
        "notice m:1:chat:201",
        "notice m:2:chat:201",
    ]
    assert sorted(sender.texts(202)) == ["notice m:1:chat:202", "notice m:2:chat:202"]
    assert len([a for a in sender.attempts if a[0] == -300]) == 1  # the next one re-routed
    async with uow_factory() as uow:
        binding = await uow.session.scalar(select(models.ChatBinding))
        assert binding is not None and binding.status == "removed"
        group_rows = (
            await uow.session.scalars(
                select(models.Notification.status).where(models.Notification.chat_id == -300)
            )
        ).all()
    assert sorted(group_rows) == ["cancelled", "failed"]


async def test_a_migrated_group_is_followed(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        alice = await add_user(uow, 301)
        team = await add_team(uow, members=[(alice, "owner")])
        await bind(uow, team, -55)
        await outbox.enqueue(
            uow,
            base_key="m:9",
            team_id=team.id,
            kind=NoticeKind.MARGIN,
            payload={},
            due_at=NOW,
            expires_at=None,
            now=NOW,
        )
        await uow.commit()

    def script(chat: int, thread: int, text: str) -> SendResult:
        if chat == -55:
            return SendResult(Outcome.MIGRATED, new_chat_id=-100555, error="migrated")
        return SendResult(Outcome.SENT)

    sender = FakeSender(script)
    await dispatcher(uow_factory, sender, FakeClock(NOW)).run()
    assert [(chat, text) for chat, _, text in sender.sent] == [(-100555, "notice m:9:chat:-55")]
    async with uow_factory() as uow:
        binding = await uow.session.scalar(select(models.ChatBinding))
        assert binding is not None and binding.chat_id == -100555
        row = await notice(uow, "m:9")
        assert (row.status, row.chat_id, row.attempts) == ("sent", -100555, 1)


async def test_a_user_who_blocked_the_bot_is_marked(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        alice = await add_user(uow, 401)
        bob = await add_user(uow, 402)
        team = await add_team(uow, members=[(alice, "owner"), (bob, "viewer")])
        for base in ("m:1", "m:2"):
            await outbox.enqueue(
                uow,
                base_key=base,
                team_id=team.id,
                kind=NoticeKind.MARGIN,
                payload={},
                due_at=NOW if base == "m:1" else NOW + timedelta(minutes=1),
                expires_at=None,
                now=NOW,
            )
        await uow.commit()

    def script(chat: int, thread: int, text: str) -> SendResult:
        if chat == 402:
            return SendResult(Outcome.BLOCKED, error="Forbidden: bot was blocked by the user")
        return SendResult(Outcome.SENT)

    clock = FakeClock(NOW)
    sender = FakeSender(script)
    d = dispatcher(uow_factory, sender, clock)
    await d.run()
    clock.advance(timedelta(minutes=1))
    await d.run()
    assert len([a for a in sender.attempts if a[0] == 402]) == 1  # not tried again
    async with uow_factory() as uow:
        bob_row = await uow.session.get(models.User, 402)
        assert bob_row is not None and bob_row.blocked_at == NOW
        rows = dict(
            (
                await uow.session.execute(
                    select(models.Notification.key, models.Notification.status)
                )
            ).all()
        )
    assert rows == {
        "m:1:chat:401": "sent",
        "m:1:chat:402": "failed",
        "m:2:chat:401": "sent",
        "m:2:chat:402": "cancelled",
    }


async def test_downtime_late_notices_are_sent_with_a_note_or_expire(
    uow_factory: UnitOfWorkFactory,
) -> None:
    async with uow_factory() as uow:
        await add_notices(
            uow,
            None,
            [("still-useful:chat:1", 1, NOW - timedelta(hours=3))],
            expires_at=NOW + timedelta(hours=1),
        )
        await add_notices(
            uow,
            None,
            [("too-late:chat:1", 1, NOW - timedelta(hours=5))],
            expires_at=NOW - timedelta(hours=1),
        )
        await uow.commit()
    from bot.services.notices import render_notice

    sender = FakeSender()
    report = await dispatcher(uow_factory, sender, FakeClock(NOW), renderer=render_notice).run()
    assert report.expired == 1 and report.sent == 1
    (text,) = sender.texts(1)
    assert "Sent late" in text and "I was offline" in text
    async with uow_factory() as uow:
        assert (await statuses(uow)) == {
            "still-useful:chat:1": "sent",
            "too-late:chat:1": "expired",
        }


async def test_a_slow_send_keeps_its_lease_alive(uow_factory: UnitOfWorkFactory) -> None:
    """Another process must not take over a row whose send is merely slow."""
    from bot.clock import SystemClock

    clock = SystemClock()
    async with uow_factory() as uow:
        await add_notices(uow, None, [("slow:chat:-8", -8, clock.now())])
        await uow.commit()
    calls: list[str] = []

    async def slowly(chat: int, thread: int, text: str) -> SendResult:
        calls.append(text)
        await asyncio.sleep(1.5)
        return SendResult(Outcome.SENT, message_id=1)

    lease = timedelta(seconds=0.6)
    mine = Dispatcher(
        uow_factory, FakeSender(slowly), clock, renderer=key_renderer,
        pacer=Pacer(fast_limits()), lease=lease,
    )  # fmt: skip
    other = Dispatcher(
        uow_factory, FakeSender(slowly), clock, renderer=key_renderer,
        pacer=Pacer(fast_limits()), lease=lease, worker_id="elsewhere:1:abc",
    )  # fmt: skip

    async def meanwhile() -> None:
        await asyncio.sleep(0.1)
        for _ in range(8):
            await other.run()
            await asyncio.sleep(0.2)

    await asyncio.gather(mine.run(), meanwhile())
    assert calls == ["notice slow:chat:-8"]
    async with uow_factory() as uow:
        assert (await notice(uow, "slow")).status == "sent"
