"""Notification dispatch against the Bot API stand-in with Telegram's limits on.

    python bench/bench_dispatch.py [--database-url URL] [--burst 900] [--spread 300]

The real application (`build_application`, default settings: 29 notices/s per process,
a 5-second tick plus a one-off wake-up at the next due time) runs against the local
stand-in, whose flood limits are Telegram's (30/s per bot, 20 in any 60 s per group, 1/s per
private chat), on real time.

1. **Throughput**: `--burst` notices due at once, to as many chats as per-chat limits
   allow without binding (at most two per group, one per private chat). Reported as
   notices per second between the first and the last send, and as a ratio of Telegram's
   30/s ceiling (goal ≥ 0.9), with the number of 429s.
2. **Lateness**: `--spread` notices falling due one after another at 10 per second
   (nothing saturated), each to its own chat, queued ahead of time as reminders are;
   lateness = sent_at − due_at, p50 and p99 (goal p99 < 2 s). (A notice queued by
   another process and due at once waits for the next tick: at most
   DISPATCH_INTERVAL_SECONDS; in-process writers wake the dispatcher themselves.)

SQLite in a temporary directory unless `--database-url` names another database (it is
migrated to head; on PostgreSQL use an empty database).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bot.app import build_application, start_polling, stop_polling  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import models  # noqa: E402
from bot.db.engine import create_engine, create_session_factory  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.uow import UnitOfWorkFactory  # noqa: E402
from bot.services.outbox import NoticeKind, Target, enqueue  # noqa: E402
from bot.telegram_stub import BotApiStub  # noqa: E402

CEILING = 30.0


async def queue(
    uow_factory: UnitOfWorkFactory, prefix: str, targets: list[Target], dues: list[datetime]
) -> None:
    """One notice per (target, due time); each target is a team's own: a group bound to
    it, or its only member's private chat (the dispatcher checks targets at send time)."""
    async with uow_factory() as uow:
        teams: dict[Target, int] = {}
        for target in dict.fromkeys(targets):
            team = models.Team(name=f"{prefix} {target.chat_id}")
            uow.session.add(team)
            await uow.flush()
            teams[target] = team.id
            if target.user_id is None:
                uow.session.add(
                    models.ChatBinding(
                        team_id=team.id,
                        chat_id=target.chat_id,
                        thread_id=0,
                        kind="group",
                        bound_at=datetime.now(UTC),
                    )
                )
            else:
                uow.session.add(
                    models.Membership(
                        team_id=team.id,
                        user_id=target.user_id,
                        role="owner",
                        joined_at=datetime.now(UTC),
                    )
                )
        await uow.flush()
        for n, (target, due) in enumerate(zip(targets, dues, strict=True)):
            await enqueue(
                uow,
                base_key=f"{prefix}:{n}",
                team_id=teams[target],
                kind=NoticeKind.MARGIN,
                payload={
                    "sku": f"B{n}",
                    "campaign": prefix,
                    "campaign_id": 1,
                    "below": True,
                    "currency": "USD",
                },
                due_at=due,
                expires_at=None,
                now=datetime.now(UTC),
                targets=[target],
            )
        await uow.commit()


async def sent_rows(uow_factory: UnitOfWorkFactory, prefix: str) -> list[models.Notification]:
    async with uow_factory() as uow:
        return list(
            (
                await uow.session.scalars(
                    select(models.Notification).where(
                        models.Notification.key.like(f"{prefix}:%"),
                        models.Notification.status == "sent",
                    )
                )
            ).all()
        )


async def wait_all(uow_factory: UnitOfWorkFactory, prefix: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_print = time.monotonic()
    while (done := len(await sent_rows(uow_factory, prefix))) < n:
        if time.monotonic() - last_print > 5:
            print(f"  {prefix}: {done}/{n}", file=sys.stderr)
            last_print = time.monotonic()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{prefix}: not all {n} sent within {timeout}s")
        await asyncio.sleep(0.25)


async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    uow_factory = UnitOfWorkFactory(create_session_factory(engine))
    async with BotApiStub(rate_limits=True) as stub:
        groups = [stub.create_group(f"G{i}", with_bot=True) for i in range(args.burst // 3 + 1)]
        people = [stub.create_user(f"P{i}", started=True) for i in range(args.burst + args.spread)]
        async with uow_factory() as uow:
            for person in people:
                uow.session.add(models.User(id=person.id, first_name=person.first_name))
            await uow.commit()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=stub.token,
            bot_api_base_url=stub.base_url,
            bot_api_file_url=stub.base_file_url,
            database_url=url,
            ecb_url="http://127.0.0.1:9/eurofxref-daily.xml",
            log_level="WARNING",
        )
        app = build_application(settings)
        await start_polling(app, poll_timeout=2)
        try:
            # 1. throughput: a burst due now; two per group, one per private chat
            burst_targets = [Target(g.id) for g in groups for _ in range(2)][: args.burst // 3 * 2]
            burst_targets += [
                Target(p.id, 0, p.id) for p in people[: args.burst - len(burst_targets)]
            ]
            now = datetime.now(UTC)
            await queue(uow_factory, "burst", burst_targets, [now] * len(burst_targets))
            started = time.monotonic()
            await wait_all(uow_factory, "burst", len(burst_targets), timeout=args.burst / 10)
            wall = time.monotonic() - started
            rows = await sent_rows(uow_factory, "burst")
            moments = sorted(r.sent_at for r in rows if r.sent_at is not None)
            span = (moments[-1] - moments[0]).total_seconds()
            rate = (len(moments) - 1) / span if span else float("inf")
            print(
                f"throughput: {len(moments)} notices ({len(groups)} groups, "
                f"{len(burst_targets) - 2 * len(groups)} private chats) in {span:.1f} s "
                f"(wall {wall:.1f} s): {rate:.1f}/s = {rate / CEILING:.3f} of 30/s; "
                f"429s: {stub.count_429}"
            )

            # 2. lateness: due one after another at 10/s, each to its own chat
            spread_people = people[-args.spread :]
            # queued a tick (5 s) ahead, as a reminder is: the dispatcher then wakes at
            # each due time by itself
            first_due = datetime.now(UTC) + timedelta(
                seconds=settings.dispatch_interval_seconds + 2
            )
            dues = [first_due + timedelta(seconds=n / 10) for n in range(args.spread)]
            await queue(uow_factory, "spread", [Target(p.id, 0, p.id) for p in spread_people], dues)
            await wait_all(uow_factory, "spread", args.spread, timeout=args.spread / 10 + 30)
            late = sorted(
                (r.sent_at - r.due_at).total_seconds()
                for r in await sent_rows(uow_factory, "spread")
                if r.sent_at is not None
            )
            p50 = statistics.median(late)
            p99 = late[min(len(late) - 1, int(len(late) * 0.99))]
            print(
                f"lateness: {len(late)} notices due at 10/s: p50 {p50 * 1000:.0f} ms, "
                f"p99 {p99 * 1000:.0f} ms, max {late[-1] * 1000:.0f} ms; "
                f"429s: {stub.count_429}"
            )
        finally:
            await stop_polling(app)
            await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--burst", type=int, default=900)
    parser.add_argument("--spread", type=int, default=300)
    asyncio.run(main(parser.parse_args()))
