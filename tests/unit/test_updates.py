"""The update processor: one chat in order, different chats at once, a bound on how many
run, and per-person throttling decided on arrival (real PTB updates, no network)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

import pytest
from telegram import CallbackQuery, Chat, Message, MessageEntity, Update, User

from bot.runtime.throttle import Throttle, ThrottleLimits, Verdict
from bot.runtime.updates import (
    ChatOrderedProcessor,
    command_name,
    is_counted,
    ordering_keys,
    outside_run_slot,
)
from bot.telegram_stub.ratelimit import ManualClock

_ids = itertools.count(1)
ALICE = User(id=11, first_name="Alice", is_bot=False)
BOB = User(id=12, first_name="Bob", is_bot=False)
GROUP = Chat(id=-100_500, type=Chat.SUPERGROUP, title="Sellers")


def private(user: User) -> Chat:
    return Chat(id=user.id, type=Chat.PRIVATE)


def message(user: User, text: str, chat: Chat | None = None) -> Update:
    entities = []
    if text.startswith("/"):
        entities = [MessageEntity(MessageEntity.BOT_COMMAND, 0, len(text.split()[0]))]
    msg = Message(
        message_id=next(_ids),
        date=datetime.now(UTC),
        chat=chat or private(user),
        from_user=user,
        text=text,
        entities=entities,
    )
    return Update(next(_ids), message=msg)


def press(user: User, chat: Chat) -> Update:
    shown = Message(message_id=next(_ids), date=datetime.now(UTC), chat=chat)
    query = CallbackQuery(
        id=str(next(_ids)), from_user=user, chat_instance="ci", data="x", message=shown
    )
    return Update(next(_ids), callback_query=query)


class Recorder:
    """Handlers that log when they start and end, and wait for the test to let them go."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.gates: dict[int, asyncio.Event] = {}

    async def handle(self, update: Update, *, hold: bool = False) -> None:
        self.events.append(("start", update.update_id))
        if hold:
            gate = self.gates.setdefault(update.update_id, asyncio.Event())
            await gate.wait()
        await asyncio.sleep(0)
        self.events.append(("end", update.update_id))

    def release(self, update: Update) -> None:
        self.gates.setdefault(update.update_id, asyncio.Event()).set()

    def started(self, update: Update) -> bool:
        return ("start", update.update_id) in self.events

    def ended(self, update: Update) -> bool:
        return ("end", update.update_id) in self.events


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def submit(
    processor: ChatOrderedProcessor, recorder: Recorder, update: Update, *, hold: bool = False
) -> asyncio.Task[None]:
    """What PTB does for each update: a task that calls `process_update`."""
    task = asyncio.create_task(processor.process_update(update, recorder.handle(update, hold=hold)))
    await asyncio.sleep(0)
    return task


@pytest.fixture
async def processor() -> ChatOrderedProcessor:
    found = ChatOrderedProcessor(4)
    await found.initialize()
    return found


async def test_updates_of_one_chat_run_in_order(processor: ChatOrderedProcessor) -> None:
    recorder = Recorder()
    first, second, third = (message(ALICE, f"/c{i}") for i in range(3))
    tasks = [
        await submit(processor, recorder, first, hold=True),
        await submit(processor, recorder, second),
        await submit(processor, recorder, third, hold=True),
    ]
    await settle()
    assert recorder.started(first) and not recorder.started(second)
    recorder.release(first)
    await settle()
    assert recorder.ended(second) and recorder.started(third)
    recorder.release(third)
    await asyncio.gather(*tasks)
    ids = [update_id for kind, update_id in recorder.events if kind == "start"]
    assert ids == [first.update_id, second.update_id, third.update_id]
    assert recorder.events.index(("end", first.update_id)) < recorder.events.index(
        ("start", second.update_id)
    )


async def test_different_chats_run_at_once(processor: ChatOrderedProcessor) -> None:
    recorder = Recorder()
    slow = message(ALICE, "/plan 1")
    quick = message(BOB, "/help")
    in_group = message(ALICE, "/help", chat=GROUP)
    tasks = [
        await submit(processor, recorder, slow, hold=True),
        await submit(processor, recorder, quick),
        await submit(processor, recorder, in_group),
    ]
    await settle()
    assert recorder.ended(quick) and recorder.ended(in_group)  # while /plan still runs
    assert not recorder.ended(slow)
    recorder.release(slow)
    await asyncio.gather(*tasks)


async def test_no_more_than_the_bound_run_and_a_backlog_holds_no_slot() -> None:
    processor = ChatOrderedProcessor(3)
    await processor.initialize()
    recorder = Recorder()
    people = [User(id=100 + i, first_name=f"U{i}", is_bot=False) for i in range(8)]
    backlog = [message(people[0], f"/c{i}") for i in range(20)]  # one chat, 20 deep
    tasks = [await submit(processor, recorder, u, hold=True) for u in backlog[:1]]
    tasks += [await submit(processor, recorder, u) for u in backlog[1:]]
    others = [message(p, "/help") for p in people[1:]]
    tasks += [await submit(processor, recorder, u, hold=True) for u in others]
    await settle()
    # the backlog waits for its chat without holding slots: two others run beside it
    running = [u for u in [backlog[0], *others] if recorder.started(u)]
    assert len(running) == 3 and processor.active == 3
    for update in [backlog[0], *others]:
        recorder.release(update)
    await asyncio.gather(*tasks)
    assert processor.peak == 3
    order = [
        i for kind, i in recorder.events if kind == "start" and i in {u.update_id for u in backlog}
    ]
    assert order == [u.update_id for u in backlog]
    assert processor.waiting_chats() == 0  # nothing left behind


async def test_waiting_for_telegram_gives_the_run_slot_back() -> None:
    """A handler waiting for the pacer (a group's window is full) holds no run slot."""
    processor = ChatOrderedProcessor(1)
    await processor.initialize()
    window_opens = asyncio.Event()
    events: list[str] = []

    async def replies_in_a_full_group() -> None:
        events.append("group: handled")
        async with outside_run_slot():
            assert processor.active == 0
            await window_opens.wait()
        events.append("group: sent")
        assert processor.active == 1

    async def quick() -> None:
        events.append("private: answered")

    group = asyncio.create_task(
        processor.process_update(message(ALICE, "/help", chat=GROUP), replies_in_a_full_group())
    )
    await settle()
    await processor.process_update(message(BOB, "/help"), quick())  # the only slot is free
    assert events == ["group: handled", "private: answered"]
    window_opens.set()
    await group
    assert events[-1] == "group: sent" and processor.active == 0 and processor.peak == 1


async def test_one_persons_button_presses_run_in_order_across_chats(
    processor: ChatOrderedProcessor,
) -> None:
    recorder = Recorder()
    in_group = press(ALICE, GROUP)
    in_private = press(ALICE, private(ALICE))
    bob_in_group = press(BOB, private(BOB))
    tasks = [
        await submit(processor, recorder, in_group, hold=True),
        await submit(processor, recorder, in_private),
        await submit(processor, recorder, bob_in_group),
    ]
    await settle()
    assert not recorder.started(in_private)  # Alice's second press waits for her first
    assert recorder.ended(bob_in_group)
    recorder.release(in_group)
    await asyncio.gather(*tasks)
    assert ordering_keys(in_private) == (("chat", ALICE.id), ("presses", ALICE.id))


async def test_a_cancelled_update_does_not_block_its_chat(processor: ChatOrderedProcessor) -> None:
    recorder = Recorder()
    first, second, third = (message(ALICE, f"/c{i}") for i in range(3))
    task1 = await submit(processor, recorder, first, hold=True)
    task2 = await submit(processor, recorder, second)
    task3 = await submit(processor, recorder, third)
    await settle()
    task2.cancel()  # waiting for its chat (e.g. shutdown)
    recorder.release(first)
    await asyncio.gather(task1, task3)
    assert task2.cancelled() and not recorder.started(second) and recorder.ended(third)


# -- throttling on arrival --------------------------------------------------------------------


async def test_a_flood_is_cut_on_arrival_with_one_notice_and_others_pass() -> None:
    clock = ManualClock()
    processor = ChatOrderedProcessor(4, throttle=Throttle(ThrottleLimits(burst=3), clock))
    await processor.initialize()
    recorder = Recorder()
    flood = [message(ALICE, "/help") for _ in range(10)]
    tasks = [await submit(processor, recorder, u) for u in flood]
    other = message(BOB, "/help")
    tasks.append(await submit(processor, recorder, other))
    await asyncio.gather(*tasks)
    ran = [u for u in flood if recorder.started(u)]
    assert ran == flood[:4]  # three within the burst, the fourth to say "slow down"
    assert recorder.ended(other)
    clock.advance(1.0)  # a person's pace again: one more goes through
    again = message(ALICE, "/help")
    await (await submit(processor, recorder, again))
    assert recorder.started(again)


async def test_the_notice_is_marked_for_the_gate_once() -> None:
    clock = ManualClock()
    processor = ChatOrderedProcessor(4, throttle=Throttle(ThrottleLimits(burst=1), clock))
    await processor.initialize()
    seen: list[bool] = []

    async def gate(update: Update) -> None:
        seen.append(processor.take_notice(update))
        seen.append(processor.take_notice(update))  # only once

    first, second, third = (message(ALICE, "/help") for _ in range(3))
    for update in (first, second, third):
        await processor.process_update(update, gate(update))
    assert seen == [False, False, True, False]  # third dropped, never ran


async def test_a_refused_non_member_is_silenced_in_that_chat_only() -> None:
    clock = ManualClock()
    throttle = Throttle(ThrottleLimits(silence_seconds=300), clock)
    processor = ChatOrderedProcessor(4, throttle=throttle)
    await processor.initialize()
    recorder = Recorder()
    throttle.silence(GROUP.id, BOB.id)
    dropped = message(BOB, "/help", chat=GROUP)
    link = message(BOB, "/link", chat=GROUP)  # an admin of another team may bind a topic
    privately = message(BOB, "/help")
    alice = message(ALICE, "/help", chat=GROUP)
    for update in (dropped, link, privately, alice):
        await (await submit(processor, recorder, update))
    assert not recorder.started(dropped)
    assert recorder.started(link) and recorder.started(privately) and recorder.started(alice)
    clock.advance(301)
    later = message(BOB, "/help", chat=GROUP)
    await (await submit(processor, recorder, later))
    assert recorder.started(later)


async def test_start_in_private_lifts_a_silence() -> None:
    throttle = Throttle(clock=ManualClock())
    processor = ChatOrderedProcessor(4, throttle=throttle)
    throttle.silence(GROUP.id, BOB.id)
    assert processor.verdict(message(BOB, "/help", chat=GROUP)) is Verdict.DROP
    assert processor.verdict(message(BOB, "/start join-abc")) is Verdict.PASS
    assert processor.verdict(message(BOB, "/help", chat=GROUP)) is Verdict.PASS


def test_what_counts_as_typing_to_the_bot() -> None:
    assert is_counted(message(ALICE, "hello"))  # private: everything
    assert is_counted(message(ALICE, "/help@CampaignPlannerBot", chat=GROUP))
    assert not is_counted(message(ALICE, "lunch?", chat=GROUP))  # chat among people
    assert is_counted(press(ALICE, GROUP))
    assert command_name(message(ALICE, "/Help@CampaignPlannerBot now")) == "help"
    assert command_name(message(ALICE, "no /help")) is None


def test_the_bucket_refills_and_a_new_episode_gets_a_new_notice() -> None:
    clock = ManualClock()
    throttle = Throttle(ThrottleLimits(burst=2, per_second=1.0), clock)
    verdicts = [throttle.decide(1, 1, counted=True) for _ in range(5)]
    assert verdicts == [Verdict.PASS, Verdict.PASS, Verdict.NOTIFY, Verdict.DROP, Verdict.DROP]
    clock.advance(1.0)
    assert throttle.decide(1, 1, counted=True) is Verdict.PASS
    assert throttle.decide(1, 1, counted=True) is Verdict.DROP  # same episode: no new notice
    clock.advance(5.0)  # calm again
    assert [throttle.decide(1, 1, counted=True) for _ in range(3)] == [
        Verdict.PASS,
        Verdict.PASS,
        Verdict.NOTIFY,
    ]
    assert throttle.decide(2, 2, counted=True) is Verdict.PASS  # someone else: unaffected
    assert throttle.decide(1, 1, counted=False) is Verdict.PASS  # not typed: not counted
    clock.advance(60)
    throttle.sweep()
    assert throttle.tracked() == 0
