"""One user cannot hurt the others (SPEC §6.2): other users' /help latency and the bot's
peak memory while someone does something heavy or hostile.

    python bench/bench_isolation.py [--cases a,b,c,d,e] [--rows 50000] [--skus 5000]
                                    [--burst 60] [--timeout 240] [--database-url URL]

The real bot (`python -m bot run`, PTB polling) runs in its own process against the Bot
API stand-in, which runs here, with Telegram's rate limits on. The bot gets a fresh
process for every case, so its peak memory belongs to that case. Cases:

  a  a user uploads a 50,000-row XLSX catalogue, waits for the preview and confirms it;
  b  three teams ask for /plan of a 5,000-SKU campaign at the same moment;
  c  one user sends 60 commands (/help) in a burst in a private chat;
  d  a user uploads a "dimension bomb": a small XLSX whose sheet declares
     <dimension ref="A1:XFD1048576"/> and has one row at 1048576;
  e  a non-member sends 45 × /help@bot in a group linked to a team.

Meanwhile `--probes` other users each send /help every `--period` seconds (staggered)
from their private chats; the bench prints the latency from sending to the reply
(p50 / p99 / max, and how many got no answer before the case ended), the bot's peak
resident memory (its process tree, sampled every 50 ms, both as RSS — which counts a
page shared by several processes, like the interpreter's code, once in each — and as
PSS, which shares it out; and the kernel's high-water mark of the main process), and
the bot's CPU time per /help measured on a quiet bot before the case (`--cpu-samples`
users ask once each; the idle bot's own CPU is subtracted).

The bot runs under an address-space cap (`--memory-cap-mb`, 2 GB) so that a blow-up ends
in a MemoryError rather than hurting the host. A case whose workload does not finish
within `--timeout` seconds is reported as "did not finish in N s" (the bot process is
then killed). Goals: p99 under 250 ms and peak memory under 400 MB in every case.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # a plain checkout works too

from sqlalchemy import insert, select  # noqa: E402

from bot.db import models  # noqa: E402
from bot.db.engine import create_engine, create_session_factory  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.uow import UnitOfWorkFactory  # noqa: E402
from bot.pricing import get_preset  # noqa: E402
from bot.telegram_stub import BotApiStub, StubMessage, User  # noqa: E402

CHANNEL = "temu-us-semi"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
MEMORY_CAP_MB = 2048  # address-space cap for the bot: a blow-up fails, not the host


# -- files -------------------------------------------------------------------------------------


def catalogue_xlsx(rows: int, seed: int = 7) -> bytes:
    from openpyxl import Workbook

    rnd = random.Random(seed)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("SKUs")
    sheet.append(
        [
            "sku",
            "name",
            "unit_cost",
            "cost_currency",
            "packaging",
            "first_mile",
            "other_cost",
            "duty_rate",
            f"list_price@{CHANNEL}",
        ]
    )
    for i in range(rows):
        sheet.append(
            [
                f"SKU-{i:06d}",
                f"Item {i}",
                rnd.randint(100, 50_000) / 100,
                "CNY",
                rnd.randint(0, 300) / 100,
                rnd.randint(50, 900) / 100,
                0,
                rnd.choice([0, 7.5, 25]),
                rnd.randint(300, 9000) / 100,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dimension_bomb() -> bytes:
    """A valid, tiny workbook whose only sheet claims the whole grid (A1:XFD1048576) and
    has a header row and one row at 1048576."""
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="SKUs" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            '<dimension ref="A1:XFD1048576"/><sheetData>'
            '<row r="1"><c r="A1" t="inlineStr"><is><t>sku</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>unit_cost</t></is></c></row>'
            '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>BOMB</t></is></c>'
            '<c r="B1048576"><v>1</v></c></row>'
            "</sheetData></worksheet>"
        ),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return buffer.getvalue()


# -- the database --------------------------------------------------------------------------------


async def seed_plan_team(factory: UnitOfWorkFactory, owner: User, skus: int, n: int) -> int:
    """A team owned by `owner` with a Temu US channel, `skus` SKUs with listings and
    price history, a manual CNY→USD rate and a campaign with every SKU enrolled."""
    rnd = random.Random(11 + n)
    now = datetime.now(UTC)
    start = now + timedelta(days=20)
    params = get_preset(CHANNEL).channel
    async with factory() as uow:
        session = uow.session
        team = models.Team(name=f"Team {n}", cost_currency="CNY", created_at=now, updated_at=now)
        session.add(team)
        await session.flush()
        session.add(
            models.User(
                id=owner.id,
                first_name=owner.first_name,
                language_code="en",
                timezone="Asia/Shanghai",
                active_team_id=team.id,
                onboarded_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        session.add(
            models.Membership(team_id=team.id, user_id=owner.id, role="owner", joined_at=now)
        )
        channel = models.Channel(
            team_id=team.id,
            name="temu-us",
            preset=CHANNEL,
            platform=params.platform,
            market=params.market,
            mode=params.mode.value,
            currency=params.currency,
            commission=Decimal("0.05"),
            fulfilment_fee=Decimal("1.20"),
            duty_basis="fob",
            discount_step=params.discount_step,
            timezone="America/New_York",
            created_at=now,
            updated_at=now,
        )
        session.add(channel)
        session.add(
            models.FxOverride(
                team_id=team.id, base="CNY", quote="USD", rate=Decimal("0.1385"), set_at=now
            )
        )
        await session.flush()
        await session.execute(
            insert(models.Sku),
            [
                {
                    "team_id": team.id,
                    "code": f"SKU-{i:05d}",
                    "name": f"Item {i}",
                    "unit_cost": Decimal(rnd.randint(500, 30_000)) / 100,
                    "cost_currency": "CNY",
                    "packaging": Decimal(rnd.randint(0, 300)) / 100,
                    "first_mile": Decimal(rnd.randint(50, 900)) / 100,
                    "other_cost": Decimal(0),
                    "duty_rate": Decimal(rnd.choice(["0", "0.075", "0.25"])),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(skus)
            ],
        )
        sku_ids = list(
            await session.scalars(select(models.Sku.id).where(models.Sku.team_id == team.id))
        )
        await session.execute(
            insert(models.Listing),
            [
                {
                    "sku_id": sku_id,
                    "channel_id": channel.id,
                    "list_price": Decimal(rnd.randint(400, 9_000)) / 100,
                    "created_at": now,
                    "updated_at": now,
                }
                for sku_id in sku_ids
            ],
        )
        listings = (
            await session.execute(
                select(models.Listing.id, models.Listing.list_price).where(
                    models.Listing.channel_id == channel.id
                )
            )
        ).all()
        history = []
        for listing_id, price in listings:
            history.append(
                {
                    "listing_id": listing_id,
                    "price": price + Decimal("2.00"),
                    "effective_at": start - timedelta(days=60),
                    "source": "manual",
                }
            )
            history.append(
                {
                    "listing_id": listing_id,
                    "price": price,
                    "effective_at": start - timedelta(days=rnd.randint(5, 50)),
                    "source": "manual",
                }
            )
        await session.execute(insert(models.PriceHistory), history)
        campaign = models.Campaign(
            team_id=team.id,
            channel_id=channel.id,
            name="Black Friday",
            registration_deadline=start - timedelta(days=7),
            starts_at=start,
            ends_at=start + timedelta(days=4),
            timezone="America/New_York",
            min_discount=Decimal("0.2"),
            reference_rule="lowest_30d",
            subsidy_kind="share",
            subsidy_value=Decimal("0.3"),
            subsidy_cap=Decimal(5),
            created_at=now,
            updated_at=now,
        )
        session.add(campaign)
        await session.flush()
        await session.execute(
            insert(models.Enrolment),
            [
                {
                    "campaign_id": campaign.id,
                    "sku_id": sku_id,
                    "price_mode": "suggested",
                    "created_at": now,
                    "updated_at": now,
                }
                for sku_id in sku_ids
            ],
        )
        await uow.commit()
        return campaign.id


async def seed_group(factory: UnitOfWorkFactory, owner: User, member: User, group_id: int) -> None:
    """Bind the group to `owner`'s team and make `member` a member of it."""
    now = datetime.now(UTC)
    async with factory() as uow:
        session = uow.session
        team_id = await session.scalar(
            select(models.Membership.team_id).where(models.Membership.user_id == owner.id)
        )
        session.add(
            models.User(
                id=member.id,
                first_name=member.first_name,
                language_code="en",
                onboarded_at=now,
                created_at=now,
                updated_at=now,
            )
        )
        await session.flush()
        session.add(
            models.Membership(team_id=team_id, user_id=member.id, role="viewer", joined_at=now)
        )
        session.add(
            models.ChatBinding(
                team_id=team_id,
                chat_id=group_id,
                thread_id=0,
                kind="group",
                title="Sellers",
                status="active",
                bound_at=now,
            )
        )
        await uow.commit()


# -- the bot's process ------------------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def tree_rss(root: int) -> int:
    total = 0
    for pid in process_tree(root):
        fields = _stat(pid)
        if fields is not None:
            total += int(fields[21]) * PAGE  # rss, in pages
    return total


def tree_pss(root: int) -> int:
    """Proportional set size of the tree: like RSS, but a page shared by several processes
    (the interpreter's and libraries' code) counts once in all, not once in each."""
    total = 0
    for pid in process_tree(root):
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        for line in rollup.splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1]) * 1024
                break
    return total


def tree_cpu(root: int) -> float:
    """User + system CPU seconds of the tree (and of its reaped children)."""
    total = 0
    for pid in process_tree(root):
        fields = _stat(pid)
        if fields is not None:
            total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / TICKS


def high_water_mark(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _memory_cap(megabytes: int) -> Callable[[], None]:
    def cap() -> None:
        limit = megabytes * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return cap


class BotProcess:
    def __init__(
        self, stub: BotApiStub, database_url: str, workdir: Path, log: Path, cap_mb: int
    ) -> None:
        self.stub, self.database_url, self.workdir, self.log = stub, database_url, workdir, log
        self.cap_mb = cap_mb
        self.process: subprocess.Popen[bytes] | None = None
        self.peak_rss = 0
        self.peak_pss = 0
        self._sampler: asyncio.Task[None] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        env = {
            **os.environ,
            "BOT_TOKEN": self.stub.token,
            "BOT_API_BASE_URL": self.stub.base_url,
            "BOT_API_FILE_URL": self.stub.base_file_url,
            "DATABASE_URL": self.database_url,
            "DATA_DIR": str(self.workdir),
            "LOG_LEVEL": "WARNING",
            "ECB_URL": "http://127.0.0.1:9/eurofxref-daily.xml",
            "PYTHONPATH": str(ROOT),
            "WEB_PORT": "0",  # no web side: the bench measures the bot alone
        }
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: ASYNC220 (returns at once)
                [sys.executable, "-m", "bot", "run"],
                cwd=self.workdir,  # no .env from the checkout
                env=env,
                stdout=out,
                stderr=out,
                preexec_fn=_memory_cap(self.cap_mb),
            )
        self.peak_rss = self.peak_pss = 0
        self._sampler = asyncio.create_task(self._sample())

    async def _sample(self) -> None:
        while self.process is not None and self.process.poll() is None:
            self.peak_rss = max(self.peak_rss, tree_rss(self.pid))
            self.peak_pss = max(self.peak_pss, tree_pss(self.pid))
            await asyncio.sleep(0.05)

    def reset_peak(self) -> None:
        self.peak_rss, self.peak_pss = tree_rss(self.pid), tree_pss(self.pid)

    async def stop(self) -> int:
        assert self.process is not None
        hwm = high_water_mark(self.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            for _ in range(200):
                if self.process.poll() is not None:
                    break
                await asyncio.sleep(0.05)
            else:
                for pid in reversed(process_tree(self.pid)):
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                self.process.wait()
        if self._sampler is not None:
            self._sampler.cancel()
        return hwm


# -- measuring ----------------------------------------------------------------------------


@dataclass
class Latencies:
    answered: list[float] = field(default_factory=list)
    unanswered: list[float] = field(default_factory=list)  # waited this long, no answer

    def summary(self) -> str:
        if not self.answered and not self.unanswered:
            return "no probes"
        every = sorted(self.answered + self.unanswered)
        p99 = every[min(len(every) - 1, max(0, round(0.99 * len(every)) - 1))]
        text = (
            f"p50 {statistics.median(every) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
            f"max {every[-1] * 1000:.0f} ms ({len(self.answered)} answered"
        )
        if self.unanswered:
            text += f", {len(self.unanswered)} unanswered when the case ended"
        return text + ")"


async def ask_help(stub: BotApiStub, user: User, timeout: float) -> float | None:
    stub.mark_read(user)
    sent = time.perf_counter()
    stub.send_message(user, "/help")
    try:
        await stub.wait_for_messages(user, 1, timeout=timeout)
    except TimeoutError:
        return None
    return time.perf_counter() - sent


async def probe_loop(
    stub: BotApiStub, users: list[User], period: float, stop: asyncio.Event, out: Latencies
) -> None:
    async def one(user: User, offset: float) -> None:
        await asyncio.sleep(offset)
        while not stop.is_set():
            started = time.perf_counter()
            stub.mark_read(user)
            stub.send_message(user, "/help")
            waiter = asyncio.create_task(stub.wait_for_messages(user, 1, timeout=3600))
            stopper = asyncio.create_task(stop.wait())
            finished, _pending = await asyncio.wait(
                {waiter, stopper}, return_when=asyncio.FIRST_COMPLETED
            )
            elapsed = time.perf_counter() - started
            if waiter in finished:
                out.answered.append(elapsed)
                stopper.cancel()
            else:  # the case ended first: give a last chance of a few seconds
                try:
                    await asyncio.wait_for(waiter, 5)
                    out.answered.append(time.perf_counter() - started)
                except (TimeoutError, asyncio.CancelledError):
                    out.unanswered.append(time.perf_counter() - started)
                return
            await asyncio.sleep(max(period - elapsed, 0.05))

    await asyncio.gather(*(one(u, period * i / len(users)) for i, u in enumerate(users)))


async def cpu_per_help(stub: BotApiStub, bot: BotProcess, users: list[User]) -> float:
    """CPU seconds the bot spends per /help on a quiet bot: one /help from each user in
    turn (each user once, so no chat waits for its one-message-a-second allowance),
    minus what the idle bot spends in as long (polling, the dispatcher's tick)."""
    idle_from, idle_cpu = time.perf_counter(), tree_cpu(bot.pid)
    await asyncio.sleep(2.0)
    idle_rate = (tree_cpu(bot.pid) - idle_cpu) / (time.perf_counter() - idle_from)
    began, before = time.perf_counter(), tree_cpu(bot.pid)
    for user in users:
        await ask_help(stub, user, timeout=30)
    spent = tree_cpu(bot.pid) - before - idle_rate * (time.perf_counter() - began)
    return max(spent, 0.0) / len(users)


async def wait_quiet(stub: BotApiStub, chat: object, quiet: float, limit: float) -> int:
    """Wait until no new bot message arrived in `chat` for `quiet` seconds; returns how
    many bot messages the chat has."""
    deadline = time.perf_counter() + limit
    last_count, last_change = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        count = len(stub.messages(chat))  # type: ignore[arg-type]
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        elif time.perf_counter() - last_change >= quiet:
            break
        await asyncio.sleep(0.1)
    return last_count


async def wait_edit(stub: BotApiStub, message: StubMessage, timeout: float) -> StubMessage:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        current = stub.message(message.chat_id, message.message_id)
        if current.version != message.version:
            return current
        await asyncio.sleep(0.02)
    raise TimeoutError("no edit")


# -- the cases ---------------------------------------------------------------------------------


@dataclass
class World:
    stub: BotApiStub
    probes: list[User]
    importer: User
    planners: list[User]
    campaign_ids: list[int]
    flooder: User
    member: User
    stranger: User
    group: object
    xlsx: bytes
    bomb: bytes
    burst: int


def _first_line(message: StubMessage) -> str:
    return (message.text or message.caption or "").splitlines()[0][:100] if message else ""


async def case_import(w: World, timeout: float) -> str:
    stub = w.stub
    stub.mark_read(w.importer)
    stub.send_document(w.importer, filename="catalogue.xlsx", content=w.xlsx)
    preview = (await stub.wait_for_messages(w.importer, 1, timeout=timeout))[0]
    if "✅ Confirm" not in preview.button_texts:
        return f"no preview: {_first_line(preview)}"
    stub.press_button(w.importer, preview, text="✅ Confirm")
    done = await wait_edit(stub, preview, timeout)
    return _first_line(done)


async def case_plans(w: World, timeout: float) -> str:
    stub = w.stub
    for user, campaign_id in zip(w.planners, w.campaign_ids, strict=True):
        stub.mark_read(user)
        stub.send_message(user, f"/plan {campaign_id}")
    results = await asyncio.gather(
        *(stub.wait_for_messages(user, 3, timeout=timeout) for user in w.planners)
    )
    documents = sum(1 for messages in results for m in messages if m.document is not None)
    return f"{len(results)} plans, {documents} files"


async def case_burst(w: World, timeout: float) -> str:
    stub = w.stub
    stub.mark_read(w.flooder)
    before = len(stub.messages(w.flooder))
    for _ in range(w.burst):
        stub.send_message(w.flooder, "/help")
    total = await wait_quiet(stub, w.flooder, quiet=5.0, limit=timeout)
    return f"the flooder got {total - before} replies to {w.burst} commands"


async def case_bomb(w: World, timeout: float) -> str:
    stub = w.stub
    stub.mark_read(w.importer)
    stub.send_document(w.importer, filename="bomb.xlsx", content=w.bomb)
    (answer,) = await stub.wait_for_messages(w.importer, 1, timeout=timeout)
    return f"answer: {_first_line(answer)}"


async def case_group_flood(w: World, timeout: float) -> str:
    stub = w.stub
    mention = f"/help@{stub.bot_username}"
    stub.mark_read(w.group)  # type: ignore[arg-type]
    before = len(stub.messages(w.group))  # type: ignore[arg-type]
    for _ in range(45):
        stub.send_message(w.stranger, mention, chat=w.group)  # type: ignore[arg-type]
    total = await wait_quiet(stub, w.group, quiet=5.0, limit=timeout)
    stub.mark_read(w.group)  # type: ignore[arg-type]
    asked = time.perf_counter()
    stub.send_message(w.member, mention, chat=w.group)  # type: ignore[arg-type]
    await stub.wait_for_messages(w.group, 1, timeout=timeout)  # type: ignore[arg-type]
    member = time.perf_counter() - asked
    return (
        f"the non-member got {total - before} replies to 45 commands; a member's /help "
        f"after the flood: {member * 1000:.0f} ms"
    )


CASES: dict[str, tuple[str, Callable[[World, float], Awaitable[str]]]] = {
    "a": ("50,000-row XLSX import, preview + confirm", case_import),
    "b": ("three /plan of 5,000-SKU campaigns at once", case_plans),
    "c": ("one user sends a burst of /help", case_burst),
    "d": ("dimension-bomb XLSX", case_bomb),
    "e": ("a non-member floods a linked group with /help@bot", case_group_flood),
}


# -- main ----------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
        began = time.perf_counter()
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        factory = UnitOfWorkFactory(create_session_factory(engine))
        xlsx = await asyncio.to_thread(catalogue_xlsx, args.rows)
        async with BotApiStub(rate_limits=True) as stub:
            probes = [stub.create_user(f"Probe {i}", started=True) for i in range(args.probes)]
            planners = [stub.create_user(f"Planner {i}", started=True) for i in range(3)]
            samplers = [stub.create_user(f"CPU {i}", started=True) for i in range(args.cpu_samples)]
            member = stub.create_user("Member", started=True)
            stranger = stub.create_user("Stranger", started=True)
            group = stub.create_group(
                "Sellers", members=[planners[0], member, stranger], with_bot=True
            )
            campaign_ids = []
            if "b" in args.cases or "e" in args.cases:
                for n, planner in enumerate(planners):
                    campaign_ids.append(await seed_plan_team(factory, planner, args.skus, n))
                await seed_group(factory, planners[0], member, group.id)
            world = World(
                stub=stub,
                probes=probes,
                importer=stub.create_user("Importer", started=True),
                planners=planners,
                campaign_ids=campaign_ids,
                flooder=stub.create_user("Flooder", started=True),
                member=member,
                stranger=stranger,
                group=group,
                xlsx=xlsx,
                bomb=dimension_bomb(),
                burst=args.burst,
            )
            await engine.dispose()
            print(
                f"set up in {time.perf_counter() - began:.1f} s: XLSX {len(xlsx) / 1e6:.1f} MB "
                f"({args.rows} rows), {args.skus} SKUs × 3 teams, {args.probes} probe users "
                f"each sending /help every {args.period} s; database "
                f"{'SQLite' if args.database_url is None else args.database_url.split(':')[0]}"
            )
            log = Path(args.log) if args.log else workdir / "bot.log"
            for key in args.cases:
                title, workload = CASES[key]
                bot = BotProcess(stub, url, workdir, log, args.memory_cap_mb)
                await bot.start()
                try:
                    await ask_help(stub, probes[0], timeout=60)  # up and polling
                    if key in ("a", "d"):  # a channel to import into
                        stub.mark_read(world.importer)
                        stub.send_message(world.importer, f"/channel add {CHANNEL}")
                        await stub.wait_for_messages(world.importer, 1, timeout=30)
                    for user in probes + samplers:  # known users from here on
                        await ask_help(stub, user, timeout=30)
                    await asyncio.sleep(1.0)
                    cpu = await cpu_per_help(stub, bot, samplers)
                    await asyncio.sleep(3.0)  # Telegram's per-chat allowance refills
                    bot.reset_peak()
                    latencies = Latencies()
                    stop = asyncio.Event()
                    prober = asyncio.create_task(
                        probe_loop(stub, probes, args.period, stop, latencies)
                    )
                    await asyncio.sleep(args.period)  # probes before the load, too
                    started = time.perf_counter()
                    try:
                        outcome = await asyncio.wait_for(
                            workload(world, args.timeout), args.timeout
                        )
                        outcome += f"; took {time.perf_counter() - started:.1f} s"
                    except TimeoutError:
                        outcome = f"did not finish in {args.timeout:.0f} s"
                    except Exception as exc:
                        outcome = f"failed: {type(exc).__name__}: {str(exc)[:200]}"
                    await asyncio.sleep(min(args.period, 2.0))  # and after
                    stop.set()
                    await prober
                    peak, peak_pss = bot.peak_rss, bot.peak_pss
                finally:
                    hwm = await bot.stop()
                print(f"({key}) {title}: {outcome}")
                print(f"    other users' /help: {latencies.summary()}")
                print(
                    f"    bot peak RSS {peak / 2**20:.0f} MB, PSS {peak_pss / 2**20:.0f} MB "
                    "(process tree, sampled), "
                    f"main process high-water mark {hwm / 2**20:.0f} MB; "
                    f"CPU per /help on a quiet bot {cpu * 1000:.1f} ms"
                )
            tail = log.read_text(errors="replace").strip().splitlines()[-5:]
            if tail:
                print("last lines of the bot's log:\n    " + "\n    ".join(tail))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="abcde", help="letters of the cases to run")
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--skus", type=int, default=5_000)
    parser.add_argument("--burst", type=int, default=60)
    parser.add_argument("--probes", type=int, default=12)
    parser.add_argument("--period", type=float, default=2.0)
    parser.add_argument("--cpu-samples", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=240.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--log", default=None, help="keep the bot's log in this file")
    parser.add_argument("--memory-cap-mb", type=int, default=MEMORY_CAP_MB)
    args = parser.parse_args()
    args.cases = [c for c in args.cases.replace(",", "") if c in CASES]
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
