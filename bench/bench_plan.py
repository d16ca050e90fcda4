"""`/plan` on a campaign with 5,000 enrolled SKUs, end to end: a user sends the command to
the real Application over HTTP (the Bot API stand-in) and receives the summary, the XLSX,
the CSV and the margin chart (a PNG photo).

    python bench/bench_plan.py [--skus 5000] [--repeat 3] [--database-url URL]

Seeds a migrated SQLite file (or the database given; it is migrated, and the rows are
added to it) with a team, a Temu US channel, SKUs in CNY with listings and 30 days of
price history, a manual CNY→USD rate and a Black Friday campaign (20 % minimum discount
off the 30-day lowest price, 30 % subsidy capped at 5) with every SKU enrolled. Prints
the seconds from sending `/plan` until the XLSX, the CSV and the chart arrive, per run;
how long another user waits for an answer while the chart is being drawn; and the stages
of one in-process build (the chart's spec on the event loop, its drawing in English and
Chinese). Goals: XLSX under 3 s; the chart adds under 1 s and never delays other users.

The stand-in's per-chat flood limits are switched off so that repeated runs measure the
bot, not the 1 message/s private-chat limit.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a plain checkout works too

from openpyxl import load_workbook
from sqlalchemy import insert

from bot.app import build_application, start_polling, stop_polling
from bot.clock import FakeClock
from bot.config import Settings
from bot.db import models
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.db.uow import UnitOfWorkFactory
from bot.i18n import Translator
from bot.pricing import get_preset
from bot.services import campaigns
from bot.services.plan import build_plan
from bot.telegram_stub import BotApiStub, User
from bot.views.charts import plan_caption, plan_chart
from bot.views.exports import plan_csv, plan_xlsx

NOW = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
START = datetime(2026, 11, 27, 5, 0, tzinfo=UTC)


async def seed(factory: UnitOfWorkFactory, user: User, skus: int) -> int:
    rnd = random.Random(11)
    params = get_preset("temu-us-semi").channel
    async with factory() as uow:
        session = uow.session
        team = models.Team(name="Bench", cost_currency="CNY", created_at=NOW, updated_at=NOW)
        session.add(team)
        await session.flush()
        session.add(
            models.User(
                id=user.id,
                first_name=user.first_name,
                language_code="en",
                timezone="Asia/Shanghai",
                active_team_id=team.id,
                onboarded_at=NOW,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await session.flush()
        session.add(
            models.Membership(team_id=team.id, user_id=user.id, role="owner", joined_at=NOW)
        )
        channel = models.Channel(
            team_id=team.id,
            name="temu-us",
            preset="temu-us-semi",
            platform=params.platform,
            market=params.market,
            mode=params.mode.value,
            currency=params.currency,
            commission=Decimal("0.05"),
            fulfilment_fee=Decimal("1.20"),
            duty_basis="fob",
            discount_step=params.discount_step,
            timezone="America/New_York",
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(channel)
        session.add(
            models.FxOverride(
                team_id=team.id, base="CNY", quote="USD", rate=Decimal("0.1385"), set_at=NOW
            )
        )
        await session.flush()
        sku_rows = [
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
                "created_at": NOW,
                "updated_at": NOW,
            }
            for i in range(skus)
        ]
        await session.execute(insert(models.Sku), sku_rows)
        ids = dict(
            (
                await session.execute(
                    models.Sku.__table__.select().with_only_columns(models.Sku.code, models.Sku.id)
                )
            ).all()
        )
        listing_rows = [
            {
                "sku_id": ids[row["code"]],
                "channel_id": channel.id,
                "list_price": Decimal(rnd.randint(400, 9_000)) / 100,
                "created_at": NOW,
                "updated_at": NOW,
            }
            for row in sku_rows
        ]
        await session.execute(insert(models.Listing), listing_rows)
        listing_ids = dict(
            (
                await session.execute(
                    models.Listing.__table__.select().with_only_columns(
                        models.Listing.sku_id, models.Listing.id
                    )
                )
            ).all()
        )
        history = []
        for row in listing_rows:
            listing_id = listing_ids[row["sku_id"]]
            history.append(
                {
                    "listing_id": listing_id,
                    "price": row["list_price"] + Decimal("2.00"),
                    "effective_at": START - timedelta(days=60),
                    "source": "manual",
                }
            )
            history.append(
                {
                    "listing_id": listing_id,
                    "price": row["list_price"],
                    "effective_at": START - timedelta(days=rnd.randint(5, 50)),
                    "source": "manual",
                }
            )
        await session.execute(insert(models.PriceHistory), history)
        campaign = models.Campaign(
            team_id=team.id,
            channel_id=channel.id,
            name="Black Friday",
            registration_deadline=START - timedelta(days=7),
            starts_at=START,
            ends_at=START + timedelta(days=4),
            timezone="America/New_York",
            min_discount=Decimal("0.2"),
            reference_rule="lowest_30d",
            subsidy_kind="share",
            subsidy_value=Decimal("0.3"),
            subsidy_cap=Decimal(5),
            created_at=NOW,
            updated_at=NOW,
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
                    "created_at": NOW,
                    "updated_at": NOW,
                }
                for sku_id in ids.values()
            ],
        )
        await uow.commit()
        return campaign.id


async def stages(factory: UnitOfWorkFactory, team_id: int, campaign_id: int) -> None:
    """One in-process build, stage by stage (no Telegram)."""
    t = Translator("en", "Asia/Shanghai")
    began = time.perf_counter()
    async with factory() as uow:
        team = await uow.session.get(models.Team, team_id)
        assert team is not None
        campaign = await campaigns.get_campaign(uow, team_id, campaign_id)
        plan = await build_plan(uow, team, campaign, NOW)
    built = time.perf_counter()
    xlsx = plan_xlsx(plan, t)
    written = time.perf_counter()
    plan_csv(plan)
    done = time.perf_counter()
    print(
        f"  stages: load+price {built - began:.3f} s, XLSX {written - built:.3f} s "
        f"({len(xlsx) / 1e6:.2f} MB), CSV {done - written:.3f} s"
    )
    from bot.charts.render import render_plan  # matplotlib: the bot loads it in workers only

    for locale in ("en", "zh_CN"):
        reader = Translator(locale, "Asia/Shanghai")
        began = time.perf_counter()
        spec = plan_chart(reader, plan)
        plan_caption(reader, plan)
        specced = time.perf_counter()
        assert spec is not None
        png = render_plan(spec)
        drawn = time.perf_counter()
        print(
            f"  chart ({locale}): spec + caption on the event loop {specced - began:.3f} s, "
            f"drawing {drawn - specced:.3f} s ({len(png) / 1e3:.0f} kB PNG)"
        )


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.sqlite3'}"
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        factory = UnitOfWorkFactory(create_session_factory(engine))
        async with BotApiStub() as stub:
            stub.set_rate_limits(False)
            user = stub.create_user("Bench", language_code="en")
            other = stub.create_user("Other", language_code="en", started=True)
            began = time.perf_counter()
            campaign_id = await seed(factory, user, args.skus)
            print(f"seeded {args.skus} enrolled SKUs in {time.perf_counter() - began:.1f} s")
            async with factory() as uow:
                campaign = await uow.session.get(models.Campaign, campaign_id)
                assert campaign is not None
                team_id = campaign.team_id
            await stages(factory, team_id, campaign_id)
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                bot_token=stub.token,
                bot_api_base_url=stub.base_url,
                bot_api_file_url=stub.base_file_url,
                database_url=url,
                log_level="WARNING",
            )
            app = build_application(settings, clock=FakeClock(NOW))
            await start_polling(app, poll_timeout=2)
            try:
                xlsx_times, csv_times, chart_times, added, others = [], [], [], [], []
                for attempt in range(1, args.repeat + 1):
                    stub.mark_read(user)
                    sent = time.perf_counter()
                    stub.send_message(user, f"/plan {campaign_id}")
                    summary, xlsx = await stub.wait_for_messages(user, 2, timeout=60)
                    got_xlsx = time.perf_counter()
                    (csv_message,) = await stub.wait_for_messages(user, 1, timeout=60)
                    got_csv = time.perf_counter()
                    # while the chart is drawn, another user asks for something
                    stub.mark_read(other)
                    asked = time.perf_counter()
                    stub.send_message(other, "/help")
                    chart_wait = asyncio.create_task(stub.wait_for_messages(user, 1, timeout=60))
                    await stub.wait_for_messages(other, 1, timeout=60)
                    answered = time.perf_counter()
                    (chart,) = await chart_wait
                    got_chart = time.perf_counter()
                    assert xlsx.document is not None and csv_message.document is not None
                    assert chart.photo is not None
                    xlsx_times.append(got_xlsx - sent)
                    csv_times.append(got_csv - sent)
                    chart_times.append(got_chart - sent)
                    added.append(got_chart - got_csv)
                    others.append(answered - asked)
                    print(
                        f"run {attempt}: XLSX after {got_xlsx - sent:.2f} s, "
                        f"CSV after {got_csv - sent:.2f} s, chart after {got_chart - sent:.2f} s "
                        f"(+{got_chart - got_csv:.2f} s; {chart.photo.width}×"
                        f"{chart.photo.height}); another user's /help answered in "
                        f"{answered - asked:.2f} s meanwhile"
                    )
                book = load_workbook(io.BytesIO(xlsx.document.content), read_only=True)
                rows = sum(
                    sum(1 for _ in sheet.iter_rows(min_row=2))
                    for sheet in book.worksheets
                    # the round trip's edit sheet and hidden sheet repeat the SKUs
                    if sheet.title not in ("Summary", "Edit prices", "campaignbot")
                )
                first_line = summary.text.splitlines()[0]
                print(f"workbook: {len(book.sheetnames)} sheets, {rows} SKU rows; {first_line}")
                print(
                    f"/plan with {args.skus} enrolled SKUs, end to end: XLSX median "
                    f"{statistics.median(xlsx_times):.2f} s (best {min(xlsx_times):.2f} s), "
                    f"CSV median {statistics.median(csv_times):.2f} s, chart median "
                    f"{statistics.median(chart_times):.2f} s (it adds "
                    f"{statistics.median(added):.2f} s after the CSV); another user answered in "
                    f"{statistics.median(others):.2f} s (median) while a chart was drawn"
                )
                print(
                    "(the chart is drawn in its worker while the files are built; it then "
                    "waits for the chat's next send slot: the bot sends at most one message a "
                    "second to a private chat, as Telegram asks)"
                )
            finally:
                await stop_polling(app)
                await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
