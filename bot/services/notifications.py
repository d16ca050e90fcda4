"""The notification outbox and its dispatcher (SPEC §5).

The `notifications` table is the record of what is due and what was sent. A row is
written in the same transaction as the change that causes it (a campaign created or
edited, a planned price under its floor) with a unique key per notice and target —
``campaign:42:deadline:-24h:20261120T2000Z:chat:-100123`` — so writing it twice is
harmless. PTB's JobQueue only wakes the `Dispatcher`; nothing due lives in the
scheduler's memory.

Life of a row::

    pending ──claim──▶ sending ──send──▶ sent
       ▲                 │  │           ├──▶ failed      (permanent error; or the
       │                 │  │           │                 chat is gone: re-routed)
       │                 │  │           ├──▶ uncertain   (timed out after the request
       │                 │  │           │                 left: Telegram may have it)
       └── retry_after, ─┘  └─────────▶ expired / cancelled (too late; nothing to say;
           network error,                                    target changed: re-routed)
           lease expired

**Claiming.** A pass claims due rows in small batches with a lease (`lease_until`,
`leased_by`): on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` then an update to
``sending``; on SQLite (one writer at a time) a conditional
``UPDATE … WHERE id IN (SELECT …) AND status = 'pending' RETURNING id``. Several
processes may dispatch from one database; each row is claimed by one of them.
While a pass runs it renews its leases every few seconds.

**Crashes: at least once for the few in flight, exactly once for the rest.** Just
before a row's request goes out, its `attempt_started_at` is set (and committed).
When a lease expires — its process died — or its holder is a dead process on this
host, the row goes back to ``pending``:

* never attempted → it is simply sent later: nothing was lost, nothing doubles;
* attempted (in flight at the crash) → Telegram may or may not have it. SPEC §5 asks
  that notices are never lost across crashes, so it is sent again, with a line
  saying it may be a repeat. Duplicates are bounded by the rows in flight at the
  crash (at most `PacerLimits.in_flight` per process).

**Timeouts in the normal course are not re-sent.** A `TimedOut` after the request
left (read or write timeout; any network error but a failed connect) may have been
delivered: the row becomes ``uncertain`` and stays so — SPEC §5 wants nothing sent
twice in the normal course. A connect or pool timeout never reached Telegram and is
retried like any network error (backoff, at most `MAX_ATTEMPTS`).

**Limits.** `RetryAfter` puts the row back at ``now + retry_after`` without
counting an attempt and pauses the pacer; the pacer (`bot.runtime.pacer`, one per
process, shared with the bot's replies) keeps within Telegram's limits so this should
not happen in the first place.

**Targets.** A notice goes to the team's active bound group / topic / channel
(each), else to every member's private chat (not users who blocked the bot). The
target is checked again when the row is sent: if the team was linked or unlinked
since, the row is re-routed to the current targets (``cancelled`` + new rows). A
group that answers ``Forbidden`` (bot removed) or a deleted topic is marked gone,
its owners are told once privately, and the notice falls back to the members'
private chats; a group migrated to a supergroup is followed to its new id.

**Downtime.** Each row has `expires_at` (a deadline reminder expires at the
deadline, a margin warning at the campaign's end …). A row due while the bot was
down is sent late with a note saying so, or recorded ``expired`` when it no longer
makes sense; nothing is dropped without a record.

**Rendering** happens at send time, in the target's language and time zone (a
bound group's, else the member's own), from the current data.

**A notice with a file** (a margin notice naming more SKUs than its text lists) is one
row and two messages: the text, then the file as a reply to it, each paced like any
message. When the text is out its message id is written to the row
(`telegram_message_id`, committed before the file goes), so a retry — flood control, a
network error, a restart — sends only the file. The file is built at send time by the
renderer's `Attachment.build`, in a file worker (bot/runtime/workers.py) when heavy.

**Layout.** `bot.services.outbox` writes rows (kinds, targets, queueing, re-routing);
`bot.services.claims` claims and leases them (worker ids, giving back a stopped
process's rows, expiry); this module sends them (the `Dispatcher`: render, pace, send,
record the outcome).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.exc import DBAPIError

from bot.clock import Clock
from bot.db.models import ChatBinding, Notification, Team, User
from bot.db.uow import UnitOfWork, UnitOfWorkFactory
from bot.domain.enums import NotificationStatus
from bot.i18n import Translator, negotiate_locale
from bot.runtime.pacer import Kind, Pacer, is_group_chat
from bot.services import chats
from bot.services.claims import (
    LEASE,
    Claimed,
    claim_due,
    expire_overdue,
    new_worker_id,
    reclaim,
    release,
    renew,
)
from bot.services.outbox import (
    TEAM_KINDS,
    Target,
    next_due,
    reroute,
    row_target,
    team_targets,
)

log = logging.getLogger(__name__)

Status = NotificationStatus
T = TypeVar("T")
R = TypeVar("R")
LATE_AFTER = timedelta(minutes=10)  # sent later than this after it was due: say so
MAX_ATTEMPTS = 8


# -- sending --------------------------------------------------------------------------------


class Outcome(StrEnum):
    SENT = "sent"
    RETRY_AFTER = "retry_after"  # flood control: try again after `retry_after`
    MIGRATED = "migrated"  # the group became a supergroup: `new_chat_id`
    CHAT_GONE = "chat_gone"  # bot removed / blocked in a group or channel, chat deleted
    THREAD_GONE = "thread_gone"  # the forum topic is gone
    BLOCKED = "blocked"  # the user blocked the bot (or was deleted)
    CANNOT_INITIATE = "cannot_initiate"  # the user never opened a chat with the bot
    TRANSIENT = "transient"  # never reached Telegram (connect error): retry later
    UNCERTAIN = "uncertain"  # may have reached Telegram (timed out after sending)
    FAILED = "failed"  # refused for good (bad request)


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    retry_after: float = 0.0
    new_chat_id: int | None = None
    error: str | None = None


class Sender(Protocol):
    async def send(self, chat_id: int, thread_id: int, text: str) -> SendResult: ...

    async def send_document(
        self,
        chat_id: int,
        thread_id: int,
        filename: str,
        content: bytes,
        caption: str,
        reply_to: int | None,
    ) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent after a notice's text, as a reply to it. `build(*args)` makes its bytes
    at send time — in a file worker when `heavy`, so `build` is a module-level function
    and `args` plain data (both pickle)."""

    filename: str
    caption: str
    build: Callable[..., bytes]
    args: tuple[Any, ...] = ()
    heavy: bool = False


@dataclass(frozen=True, slots=True)
class NoticeBody:
    """What a renderer returns for a notice that comes with a file."""

    text: str
    attachment: Attachment | None = None


class Renderer(Protocol):
    async def __call__(
        self, uow: UnitOfWork, row: Notification, reader: Translator, now: datetime
    ) -> str | NoticeBody | None: ...


class FileRunner(Protocol):
    """Runs file work out of the event loop (`bot.runtime.workers.WorkerPool`)."""

    async def run(self, function: Callable[..., bytes], *args: Any) -> bytes: ...


@dataclass(slots=True)
class PassReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    expired: int = 0
    cancelled: int = 0
    retried: int = 0
    rerouted: int = 0
    released: int = 0
    more_due: bool = False
    skipped: bool = False
    next_due: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Prepared:
    id: int
    chat_id: int
    thread_id: int
    text: str | None  # None: sent on an earlier attempt, only the file is left
    attachment: Attachment | None = None
    reply_to: int | None = None  # the text's message, for the file


class Batcher(Generic[T, R]):
    """Work submitted while a batch is being processed waits and goes in the next batch:
    one transaction for many notices under load, no delay when there is one."""

    def __init__(
        self, process: Callable[[list[T]], Awaitable[Sequence[R]]], max_size: int = 64
    ) -> None:
        self._process = process
        self._max = max_size
        self._queue: list[tuple[T, asyncio.Future[R]]] = []
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[: self._max], self._queue[self._max :]
            try:
                results = await self._process([item for item, _ in batch])
            except Exception as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)


@dataclass(slots=True)
class _Queues:
    by_chat: dict[int, list[Claimed]] = field(default_factory=dict)
    count: int = 0

    def add(self, items: Iterable[Claimed]) -> None:
        for item in items:
            self.count += 1
            queue = self.by_chat.setdefault(item.chat_id, [])
            queue.append(item)
            if len(queue) > 1 and (queue[-2].due_at, queue[-2].id) > (item.due_at, item.id):
                queue.sort(key=lambda c: (c.due_at, c.id))

    def total(self) -> int:
        return self.count

    def pop(self, chat_id: int) -> Claimed:
        queue = self.by_chat[chat_id]
        item = queue.pop(0)
        self.count -= 1
        if not queue:
            del self.by_chat[chat_id]
        return item

    def drain(self) -> list[int]:
        ids = [item.id for queue in self.by_chat.values() for item in queue]
        self.by_chat.clear()
        self.count = 0
        return ids


class Dispatcher:
    """Sends due notices: claim, render, pace, send, record. One pass at a time per
    process (a wake-up during a pass asks it to look again before it ends)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        sender: Sender,
        clock: Clock,
        *,
        renderer: Renderer | None = None,
        pacer: Pacer | None = None,
        files: FileRunner | None = None,
        worker_id: str | None = None,
        default_locale: str = "en",
        default_timezone: str = "UTC",
        batch: int = 100,
        per_chat_queue: int = 20,
        pass_budget: float = 30.0,
        lease: timedelta = LEASE,
    ) -> None:
        self.uow_factory = uow_factory
        self.sender = sender
        self.clock = clock
        self.pacer = pacer or Pacer()
        self.files = files
        self.worker_id = worker_id or new_worker_id()
        self.default_locale = default_locale
        self.default_timezone = default_timezone
        self.batch = batch
        self.per_chat_queue = per_chat_queue
        self.pass_budget = pass_budget
        self.lease = lease
        if renderer is None:
            from bot.services.notices import render_notice

            renderer = render_notice
        self.renderer = renderer
        # told, for each notice sent, how many seconds after its due time (bot.web.metrics)
        self.on_sent: Callable[[float], None] | None = None
        self._lock = asyncio.Lock()
        self._again = False
        self._targets_cache: dict[int, list[Target]] = {}
        self._readers_cache: dict[tuple[int | None, int, int, int | None], Translator] = {}
        self._preparer: Batcher[tuple[Claimed, PassReport], _Prepared | None] = Batcher(
            self._prepare_many
        )
        self._recorder: Batcher[tuple[_Prepared, SendResult, PassReport], None] = Batcher(
            self._record_many
        )

    # -- one pass ---------------------------------------------------------------------------

    async def run(self, keep_going: Callable[[], bool] = lambda: True) -> PassReport:
        """Send what is due now. Returns at once if a pass is already running here."""
        if self._lock.locked():
            self._again = True
            return PassReport(skipped=True)
        async with self._lock:
            report = PassReport()
            while True:
                self._again = False
                await self._pass(keep_going, report)
                if report.more_due or not self._again or not keep_going():
                    break
            async with self.uow_factory() as uow:
                report.next_due = await next_due(uow)
            return report

    async def _housekeeping(self, report: PassReport) -> bool:
        """Release abandoned rows and expire overdue ones. False when there is nothing to
        do at all (checked with a read first: an idle tick takes no write lock)."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            busy = await uow.session.scalar(
                select(Notification.id)
                .where(
                    or_(
                        Notification.status == Status.SENDING,
                        and_(
                            Notification.status == Status.PENDING,
                            or_(Notification.due_at <= now, Notification.expires_at <= now),
                        ),
                    )
                )
                .limit(1)
            )
            if busy is None:
                return False
            await reclaim(uow, self.worker_id, now)
            report.expired += await expire_overdue(uow, now)
            await uow.commit()
        return True

    async def _pass(self, keep_going: Callable[[], bool], report: PassReport) -> None:
        timer = self.pacer.timer
        started = timer.monotonic()
        budget_end = started + self.pass_budget
        if not await self._housekeeping(report):
            return
        heartbeat = asyncio.create_task(self._heartbeat())
        self._forget()  # bindings, members and languages may have changed since
        queues = _Queues()
        busy: set[int] = set()
        tasks: set[asyncio.Task[None]] = set()
        exhausted = False
        last_claim = float("-inf")
        limit = self.pacer.limits.in_flight
        try:
            while keep_going():
                now_m = timer.monotonic()
                over_budget = now_m >= budget_end
                low_water = max(self.batch // 2, 1)
                may_claim = not over_budget and (not exhausted or now_m - last_claim >= 1.0)
                if may_claim and (
                    queues.total() < low_water  # cheap first; the scan only now and then
                    or (now_m - last_claim >= 0.5 and self._ready(queues, busy) < low_water)
                ):
                    found = await self._claim(queues)
                    report.claimed += len(found)
                    queues.add(found)
                    last_claim = now_m
                    exhausted = not found
                if over_budget:
                    if not tasks:
                        report.more_due = bool(queues.by_chat) or not exhausted
                        break
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if len(tasks) >= limit:
                    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                    continue
                chat_id, soonest = self._pick(queues, busy)
                if chat_id is not None:
                    item = queues.pop(chat_id)
                    busy.add(chat_id)
                    task = asyncio.create_task(self._deliver(item, report))
                    tasks.add(task)
                    task.add_done_callback(_finished(tasks, busy, chat_id))
                    continue
                if not queues.by_chat and not tasks:
                    if exhausted:
                        break
                    continue
                await self._wait(tasks, soonest)
        finally:
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            leftover = queues.drain()
            if leftover:
                report.released += len(leftover)
                async with self.uow_factory() as uow:
                    await release(uow, self.worker_id, leftover, self.clock.now())
                    await uow.commit()
                if not keep_going():
                    report.more_due = False
            self.pacer.forget_idle()

    def _ready(self, queues: _Queues, busy: set[int]) -> int:
        ready = 0
        for chat_id, queue in queues.by_chat.items():
            if chat_id not in busy and self.pacer.chat_wait(chat_id) <= 1.0:
                ready += len(queue)
        return ready

    def _pick(self, queues: _Queues, busy: set[int]) -> tuple[int | None, float]:
        """The chat whose head notice is due first among those that may be sent to now."""
        best: tuple[datetime, int] | None = None
        best_chat: int | None = None
        soonest = float("inf")
        for chat_id, queue in queues.by_chat.items():
            if chat_id in busy:
                continue
            wait = self.pacer.chat_wait(chat_id)
            if wait > 0:
                soonest = min(soonest, wait)
                continue
            head = (queue[0].due_at, queue[0].id)
            if best is None or head < best:
                best, best_chat = head, chat_id
        return best_chat, soonest

    async def _wait(self, tasks: set[asyncio.Task[None]], soonest: float) -> None:
        delay = min(soonest, 1.0) if soonest != float("inf") else 1.0
        sleeper = asyncio.create_task(self.pacer.timer.sleep(delay))
        try:
            await asyncio.wait({*tasks, sleeper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sleeper

    async def _claim(self, queues: _Queues) -> list[Claimed]:
        excluded = [
            chat_id
            for chat_id, queue in queues.by_chat.items()
            if len(queue) >= self.per_chat_queue or self.pacer.chat_wait(chat_id) > 10
        ]
        room = max(self.batch - queues.total(), 1)
        async with self.uow_factory() as uow:
            return await claim_due(
                uow,
                self.worker_id,
                self.clock.now(),
                min(room, self.batch),
                exclude_chats=excluded,
                lease=self.lease,
            )

    async def _heartbeat(self) -> None:
        """Renew this pass's leases every third of a lease, in real time, whatever the
        pass is waiting for (a slow send must not let another process take its rows)."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            try:
                async with self.uow_factory() as uow:
                    await renew(uow, self.worker_id, self.clock.now(), self.lease)
                    await uow.commit()
            except DBAPIError:
                log.warning("could not renew the dispatcher's leases", exc_info=True)

    # -- one notice -------------------------------------------------------------------------

    async def _deliver(self, item: Claimed, report: PassReport) -> None:
        try:
            prepared = await self._preparer.submit((item, report))
            if prepared is None:
                return
            result = await self._send(prepared)
        except Exception:
            log.exception("could not send notice %s", item.id)
            await self._settle_error(item.id)
            return
        try:
            await self._recorder.submit((prepared, result, report))
        except Exception:
            log.exception("could not record the result of notice %s", item.id)
        if result.outcome is Outcome.SENT and self.on_sent is not None:
            with contextlib.suppress(Exception):  # a metric must never break the sending
                self.on_sent((self.clock.now() - item.due_at).total_seconds())

    async def _send(self, prepared: _Prepared) -> SendResult:
        """The text, then the file if there is one (see the module's notes)."""
        chat_id, thread_id = prepared.chat_id, prepared.thread_id
        attachment = prepared.attachment
        reply_to = prepared.reply_to
        if prepared.text is not None:
            async with self.pacer.slot(chat_id, Kind.NOTICE):
                result = await self.sender.send(chat_id, thread_id, prepared.text)
            if result.outcome is not Outcome.SENT or attachment is None:
                return result
            reply_to = result.message_id
            await self._text_sent(prepared.id, reply_to)
        if attachment is None:  # nothing left to send (cannot happen: prepared says so)
            return SendResult(Outcome.SENT, message_id=reply_to)
        try:
            content = await self._build(attachment)
        except Exception as exc:
            log.warning("could not build the file of notice %s", prepared.id, exc_info=True)
            return SendResult(Outcome.TRANSIENT, error=f"file not built: {type(exc).__name__}")
        async with self.pacer.slot(chat_id, Kind.NOTICE):
            result = await self.sender.send_document(
                chat_id, thread_id, attachment.filename, content, attachment.caption, reply_to
            )
        if result.outcome is Outcome.SENT:
            return SendResult(Outcome.SENT, message_id=reply_to or result.message_id)
        if result.outcome is Outcome.FAILED and reply_to is not None:
            log.warning("the file of notice %s was refused: %s", prepared.id, result.error)
            return SendResult(Outcome.SENT, message_id=reply_to)  # the text is there
        return result

    async def _build(self, attachment: Attachment) -> bytes:
        if attachment.heavy and self.files is not None:
            return await self.files.run(attachment.build, *attachment.args)
        return attachment.build(*attachment.args)

    async def _text_sent(self, row_id: int, message_id: int | None) -> None:
        """The text of a notice with a file is out: remember it, so only the file is sent
        again; the file's attempt starts now."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            await uow.session.execute(
                update(Notification)
                .where(
                    Notification.id == row_id,
                    Notification.status == Status.SENDING,
                    Notification.leased_by == self.worker_id,
                )
                .values(
                    telegram_message_id=message_id,
                    attempt_started_at=now,
                    lease_until=now + self.lease,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )
            await uow.commit()

    # Rendering and recording are batched: the notices being prepared (or whose results
    # are being written) at the same moment share one transaction, one connection.

    async def _prepare_many(
        self, items: Sequence[tuple[Claimed, PassReport]]
    ) -> list[_Prepared | None]:
        """Check, render and mark in flight a batch of claimed rows, in one transaction.
        Rows are read as plain column values (transient copies for the renderer) and
        written with set-based statements: no ORM bookkeeping on the hot path."""
        table = cast(Table, Notification.__table__)
        async with self.uow_factory() as uow:
            ids = [item.id for item, _ in items]
            result = await uow.session.execute(select(table).where(table.c.id.in_(ids)))
            rows = {m["id"]: Notification(**dict(m)) for m in result.mappings()}
            now = self.clock.now()
            ready: dict[int, _Prepared] = {}
            for item, report in items:
                found = await self._prepare_row(uow, rows.get(item.id), report, now)
                if found is not None:
                    ready[found.id] = found
            if ready:  # in flight from now: a crash after this may have sent them
                marked = await uow.session.execute(
                    update(table)
                    .where(
                        table.c.id.in_(list(ready)),
                        table.c.status == Status.SENDING,
                        table.c.leased_by == self.worker_id,
                    )
                    .values(
                        attempts=table.c.attempts + 1,
                        attempt_started_at=now,
                        lease_until=now + self.lease,
                        updated_at=now,
                    )
                    .returning(table.c.id)
                )
                still_ours = set(marked.scalars().all())
            else:
                still_ours = set()
            await uow.commit()
            return [ready.get(item.id) if item.id in still_ours else None for item, _ in items]

    async def _prepare_row(
        self, uow: UnitOfWork, row: Notification | None, report: PassReport, now: datetime
    ) -> _Prepared | None:
        """`row` is a transient copy: settling writes through `_settle_by_id`."""
        if row is None or row.status != Status.SENDING or row.leased_by != self.worker_id:
            return None  # our lease was taken over
        if row.expires_at is not None and now >= row.expires_at:
            await self._settle_by_id(
                uow, row.id, Status.EXPIRED, now, "expired before it could be sent"
            )
            report.expired += 1
            return None
        if (
            row.kind in TEAM_KINDS
            and row.team_id is not None
            and row_target(row) not in await self._team_targets(uow, row.team_id)
        ):
            moved = await reroute(uow, row, now)
            reason = "re-routed: the team's targets changed" if moved else "no target left"
            await self._settle_by_id(uow, row.id, Status.CANCELLED, now, reason)
            report.rerouted += 1
            self._again = True  # the new rows are due now
            return None
        try:
            reader = await self._reader(uow, row)
            body = await self.renderer(uow, row, reader, now)
        except Exception:
            log.exception("could not render notice %s (%s)", row.id, row.key)
            await self._settle_by_id(uow, row.id, Status.FAILED, now, "could not be rendered")
            report.failed += 1
            return None
        if body is None:
            await self._settle_by_id(uow, row.id, Status.CANCELLED, now, "nothing to say any more")
            report.cancelled += 1
            return None
        if isinstance(body, str):
            body = NoticeBody(body)
        thread_id = row.thread_id or 0
        if body.attachment is not None and row.telegram_message_id is not None:
            # the text went out on an earlier attempt: only the file is left
            return _Prepared(
                row.id, row.chat_id, thread_id, None, body.attachment, row.telegram_message_id
            )
        return _Prepared(row.id, row.chat_id, thread_id, body.text, body.attachment)

    async def _settle_by_id(
        self, uow: UnitOfWork, row_id: int, status: Status, now: datetime, error: str
    ) -> None:
        await uow.session.execute(
            update(Notification)
            .where(Notification.id == row_id)
            .values(
                status=status, last_error=error, lease_until=None, leased_by=None, updated_at=now
            )
            .execution_options(synchronize_session=False)
        )

    async def _team_targets(self, uow: UnitOfWork, team_id: int) -> list[Target]:
        """The team's targets, remembered for the pass (forgotten when a chat is lost)."""
        found = self._targets_cache.get(team_id)
        if found is None:
            found = await team_targets(uow, team_id)
            self._targets_cache[team_id] = found
        return found

    async def _reader(self, uow: UnitOfWork, row: Notification) -> Translator:
        key = (row.team_id, row.chat_id, row.thread_id or 0, row.recipient_user_id)
        cached = self._readers_cache.get(key)
        if cached is not None:
            return cached
        team = await uow.session.get(Team, row.team_id) if row.team_id is not None else None
        locale = team.locale if team is not None else self.default_locale
        zone = team.timezone if team is not None else self.default_timezone
        if row.recipient_user_id is not None:
            user = await uow.session.get(User, row.recipient_user_id)
            if user is not None:
                locale = user.locale or negotiate_locale(user.language_code, locale)
                zone = user.timezone or zone
        else:
            binding = await uow.session.scalar(
                select(ChatBinding).where(
                    ChatBinding.chat_id == row.chat_id,
                    ChatBinding.thread_id == (row.thread_id or 0),
                )
            )
            if binding is not None:
                locale, zone = binding.locale, binding.timezone
        reader = Translator(locale, zone)
        self._readers_cache[key] = reader
        return reader

    def _forget(self) -> None:
        self._targets_cache.clear()
        self._readers_cache.clear()

    @staticmethod
    def _settle(row: Notification, status: Status, now: datetime, error: str | None) -> None:
        row.status = status
        row.last_error = error
        row.lease_until = None
        if status is not Status.SENT:  # a sent row keeps who sent it
            row.leased_by = None
        row.updated_at = now

    async def _settle_error(self, row_id: int) -> None:
        """An unexpected error around one notice: try again later (a bug must not lose it)."""
        try:
            async with self.uow_factory() as uow:
                row = await uow.session.get(Notification, row_id)
                if row is None or row.status != Status.SENDING:
                    return
                now = self.clock.now()
                if row.attempt_started_at is not None:
                    self._settle(row, Status.UNCERTAIN, now, "error while sending")
                else:
                    self._settle(row, Status.PENDING, now, "error before sending")
                    row.due_at = now + backoff(row.attempts + 1)
                await uow.commit()
        except Exception:
            log.exception("could not settle notice %s after an error", row_id)

    async def _record_many(
        self, items: Sequence[tuple[_Prepared, SendResult, PassReport]]
    ) -> list[None]:
        try:
            await self._record_batch(items)
        except Exception:
            log.warning("recording %d outcomes at once failed; one by one", len(items))
            if len(items) == 1:
                await self._record_alone(items[0])
            else:  # one bad row must not hold up the others' records
                for item in items:
                    await self._record_alone(item)
        return [None] * len(items)

    async def _record_alone(self, item: tuple[_Prepared, SendResult, PassReport]) -> None:
        for attempt in range(3):
            try:
                await self._record_batch([item])
                return
            except Exception:
                log.warning("could not record a notice's outcome", exc_info=True)
                await asyncio.sleep(0.2 * (attempt + 1))
        prepared, result, _report = item
        log.error("could not record the outcome of notice %s: %s", prepared.id, result.outcome)
        if result.outcome is Outcome.SENT:  # at least never send it again
            async with self.uow_factory() as uow:
                await uow.session.execute(
                    update(Notification)
                    .where(Notification.id == prepared.id)
                    .values(status=Status.SENT, sent_at=self.clock.now(), lease_until=None)
                )
                await uow.commit()

    async def _record_batch(
        self, items: Sequence[tuple[_Prepared, SendResult, PassReport]]
    ) -> None:
        sent = [item for item in items if item[1].outcome is Outcome.SENT]
        others = [item for item in items if item[1].outcome is not Outcome.SENT]
        counts: list[tuple[PassReport, str]] = []
        async with self.uow_factory() as uow:
            now = self.clock.now()
            if sent:  # the common case, in one executemany (Core: no ORM bookkeeping)
                table = cast(Table, Notification.__table__)
                await uow.session.execute(
                    update(table)
                    .where(table.c.id == bindparam("row_id"))
                    .values(
                        status=Status.SENT,
                        sent_at=now,
                        telegram_message_id=bindparam("message_id"),
                        lease_until=None,
                        updated_at=now,
                    ),
                    [
                        {"row_id": prepared.id, "message_id": result.message_id}
                        for prepared, result, _ in sent
                    ],
                )
                counts += [(report, "sent") for _, _, report in sent]
            if others:
                ids = [prepared.id for prepared, _, _ in others]
                rows = {
                    row.id: row
                    for row in (
                        await uow.session.scalars(
                            select(Notification).where(Notification.id.in_(ids))
                        )
                    ).all()
                }
                for prepared, result, report in others:
                    row = rows.get(prepared.id)
                    if row is not None:
                        counts.append((report, await self._apply(uow, row, result, now)))
            await uow.commit()
        for report, field_name in counts:
            setattr(report, field_name, getattr(report, field_name) + 1)

    async def _apply(
        self, uow: UnitOfWork, row: Notification, result: SendResult, now: datetime
    ) -> str:
        """Record one send's outcome on its row; returns the report counter to bump."""
        outcome = result.outcome
        if outcome is Outcome.SENT:
            self._settle(row, Status.SENT, now, row.last_error)
            row.sent_at = now
            row.telegram_message_id = result.message_id
            return "sent"
        if outcome is Outcome.RETRY_AFTER:
            self.pacer.pause(result.retry_after, row.chat_id)
            self._settle(row, Status.PENDING, now, result.error)
            row.attempts = max(row.attempts - 1, 0)  # flood control burns no attempt
            row.attempt_started_at = None
            row.due_at = now + timedelta(seconds=result.retry_after)
            return "retried"
        if outcome is Outcome.MIGRATED and result.new_chat_id is not None:
            await chats.migrate_chat(uow, row.chat_id, result.new_chat_id)
            self._settle(row, Status.PENDING, now, result.error)
            row.chat_id = result.new_chat_id
            row.attempts = max(row.attempts - 1, 0)
            row.attempt_started_at = None
            self._forget()
            self._again = True
            return "retried"
        if outcome in (Outcome.CHAT_GONE, Outcome.THREAD_GONE):
            await self._target_gone(uow, row, outcome, now)
            self._forget()
            moved = await reroute(uow, row, now) if row.kind in TEAM_KINDS else []
            note = "; re-routed to members' private chats" if moved else ""
            self._settle(row, Status.FAILED, now, f"{result.error}{note}")
            self._again = True
            return "rerouted"
        if outcome is Outcome.BLOCKED:
            if row.recipient_user_id is not None:
                user = await uow.session.get(User, row.recipient_user_id)
                if user is not None and user.blocked_at is None:
                    user.blocked_at = now
                self._forget()
            self._settle(row, Status.FAILED, now, result.error)
            return "failed"
        if outcome is Outcome.TRANSIENT and row.attempts < MAX_ATTEMPTS:
            self._settle(row, Status.PENDING, now, result.error)
            row.attempt_started_at = None
            row.due_at = now + backoff(row.attempts)
            return "retried"
        if outcome is Outcome.UNCERTAIN:
            self._settle(row, Status.UNCERTAIN, now, result.error)
            log.warning("notice %s may or may not have arrived: %s", row.key, result.error)
            return "uncertain"
        self._settle(row, Status.FAILED, now, result.error)
        log.warning("notice %s failed: %s", row.key, result.error)
        return "failed"

    async def _target_gone(
        self, uow: UnitOfWork, row: Notification, outcome: Outcome, now: datetime
    ) -> None:
        """Unbind the chat (or topic) and tell the bound teams' owners, once."""
        thread = (row.thread_id or 0) if outcome is Outcome.THREAD_GONE else None
        await chats.chat_gone(uow, row.chat_id, now, thread_id=thread)


def _finished(
    tasks: set[asyncio.Task[None]], busy: set[int], chat_id: int
) -> Callable[[asyncio.Task[None]], None]:
    def done(task: asyncio.Task[None]) -> None:
        tasks.discard(task)
        busy.discard(chat_id)

    return done


def backoff(attempts: int) -> timedelta:
    """10 s, 20 s, 40 s … capped at 10 minutes."""
    return timedelta(seconds=min(10 * 2 ** max(attempts - 1, 0), 600))


def is_late(due_at: datetime, now: datetime) -> bool:
    return now - due_at > LATE_AFTER


__all__ = [
    "LATE_AFTER",
    "Attachment",
    "Dispatcher",
    "FileRunner",
    "NoticeBody",
    "Outcome",
    "PassReport",
    "SendResult",
    "Sender",
    "is_group_chat",
    "is_late",
]
