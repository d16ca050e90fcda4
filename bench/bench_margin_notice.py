"""Rendering a grouped margin notice: the text (first 20 SKUs) and the CSV of all of them.

    python bench/bench_margin_notice.py [--sizes 25,1000,10000] [--locale de] [--recheck 5000]

For each size, a payload like the one `recheck_margins` writes for one cause (every SKU
with its own cost change, one shared FX move) is rendered as the dispatcher does at send
time; prints the payload's JSON size, the text's length and render time, and the CSV's
size and build time (the dispatcher builds it in a file worker from
`bot.views.margin_files.HEAVY_ROWS` SKUs on).

`--recheck N` also times the write side on a migrated SQLite file: N SKUs enrolled in one
campaign, the first recheck (first sight, silent), then one after the ECB's CNY rate
moved — which queues ONE notice naming all N.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from bot.db import models  # noqa: E402
from bot.db.engine import create_engine, create_session_factory  # noqa: E402
from bot.db.migrate import upgrade  # noqa: E402
from bot.db.uow import UnitOfWorkFactory  # noqa: E402
from bot.i18n import Translator, compile_catalogs  # noqa: E402
from bot.services import margins  # noqa: E402
from bot.views.margin_files import HEAVY_ROWS, margin_csv  # noqa: E402
from bot.views.notifications import margin_notice  # noqa: E402


def payload(size: int) -> dict[str, object]:
    fx = {
        "kind": "fx", "from": "0.13813002", "to": "0.15045714", "from_inverse": "7.2395556",
        "to_inverse": "6.6464109", "pair": ["CNY", "USD"], "date": "2026-11-25",
        "from_source": [{"kind": "ecb", "day": "2026-11-24"}],
        "to_source": [{"kind": "manual", "day": "2026-11-25",
                       "set_at": "2026-11-25T10:00:00+00:00", "set_by": "Alice"}],
    }  # fmt: skip
    causes: list[dict[str, object]] = [fx]
    skus = []
    for n in range(size):
        causes.append({"kind": "cost", "from": "50", "to": str(51 + n % 7), "currency": "CNY"})
        skus.append(
            {"sku": f"SKU-{n:05}", "name": f"Ceramic mug {n}", "enrolment_id": n + 1,
             "below": n % 5 != 0, "status": "below_floor", "planned": "9.99",
             "floor": "10.24", "margin": "0.1319", "causes": [n + 1]}
        )  # fmt: skip
    return {
        "campaign_id": 1, "campaign": "Black Friday", "currency": "USD", "target": "0.15",
        "causes": causes, "shared": [0], "skus": skus,
    }  # fmt: skip


NOW = datetime(2026, 11, 25, 18, tzinfo=UTC)


async def recheck(skus: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.sqlite3"
        await asyncio.to_thread(upgrade, url)
        engine = create_engine(url)
        factory = UnitOfWorkFactory(create_session_factory(engine))
        async with factory() as uow:
            session = uow.session
            team = models.Team(name="Bench", created_at=NOW, updated_at=NOW)
            session.add(team)
            await session.flush()
            session.add(
                models.ChatBinding(
                    team_id=team.id, chat_id=-100, thread_id=0, kind="group", title="G",
                    locale="en", timezone="UTC", status="active", bound_at=NOW,
                )
            )  # fmt: skip
            channel = models.Channel(
                team_id=team.id, name="temu-us", platform="temu", market="US", mode="semi",
                currency="USD", vat_rate=Decimal(0), prices_include_vat=False, fees_on="gross",
                commission=Decimal("0.10"), duty_basis="fob", timezone="UTC",
                created_at=NOW, updated_at=NOW,
            )  # fmt: skip
            session.add(channel)
            await session.flush()
            campaign = models.Campaign(
                team_id=team.id, channel_id=channel.id, name="Black Friday",
                starts_at=datetime(2026, 11, 27, tzinfo=UTC),
                ends_at=datetime(2026, 11, 30, tzinfo=UTC), timezone="UTC",
                created_at=NOW, updated_at=NOW,
            )  # fmt: skip
            session.add(campaign)
            await session.flush()
            await session.execute(
                insert(models.Sku),
                [
                    {"team_id": team.id, "code": f"SKU-{n:05}", "name": f"Mug {n}",
                     "unit_cost": Decimal(50), "cost_currency": "CNY",
                     "created_at": NOW, "updated_at": NOW}
                    for n in range(skus)
                ],
            )  # fmt: skip
            ids = (await session.scalars(select(models.Sku.id))).all()
            await session.execute(
                insert(models.Listing),
                [{"sku_id": i, "channel_id": channel.id, "list_price": Decimal("12.99"),
                  "created_at": NOW, "updated_at": NOW} for i in ids],
            )  # fmt: skip
            await session.execute(
                insert(models.Enrolment),
                [{"campaign_id": campaign.id, "sku_id": i, "price_mode": "price",
                  "planned_price": Decimal("9.99")} for i in ids],
            )  # fmt: skip
            for day, cny in ((date(2026, 11, 24), "7.6247"), (date(2026, 11, 25), "7.0")):
                for code, rate in (("USD", "1.0532"), ("CNY", cny)):
                    session.add(
                        models.FxRate(
                            source="ecb" if day.day == 24 else "ecb-next", base="EUR",
                            quote=code, rate=Decimal(rate), rate_date=day, fetched_at=NOW,
                        )
                    )  # fmt: skip
            await uow.commit()
            team_id = team.id
        for label in ("first sight (silent)", "after the CNY moved"):
            started = time.perf_counter()
            async with factory() as uow:
                check = await margins.recheck_margins(uow, team_id, NOW)
                await uow.commit()
            elapsed = time.perf_counter() - started
            async with factory() as uow:
                rows = await uow.session.scalar(select(func.count(models.Notification.id)))
            print(
                f"recheck of {skus} SKUs, {label}: {elapsed:6.2f} s, {check.warned} warned, "
                f"{rows} outbox rows"
            )
            async with factory() as uow:  # the next day's rates become the ECB's
                await uow.session.execute(
                    models.FxRate.__table__.update()
                    .where(models.FxRate.source == "ecb-next")
                    .values(source="ecb")
                )
                await uow.commit()
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="25,1000,10000")
    parser.add_argument("--locale", default="de")
    parser.add_argument("--recheck", type=int, default=0)
    args = parser.parse_args()
    compile_catalogs()
    reader = Translator(args.locale, "Europe/Berlin")
    print(f"locale {args.locale}; CSV built in a file worker from {HEAVY_ROWS} SKUs")
    for size in (int(s) for s in args.sizes.split(",")):
        data = payload(size)
        encoded = json.dumps(data).encode()
        started = time.perf_counter()
        text, shown, total = margin_notice(reader, data)
        rendered = time.perf_counter() - started
        started = time.perf_counter()
        content = margin_csv(data, reader.locale, reader.timezone)
        built = time.perf_counter() - started
        print(
            f"{size:>6} SKUs: payload {len(encoded) / 1024:8.1f} KiB · text {len(text):5} chars, "
            f"{shown}/{total} listed, {rendered * 1000:6.1f} ms · CSV {len(content) / 1024:8.1f} "
            f"KiB in {built * 1000:7.1f} ms"
        )
    if args.recheck:
        asyncio.run(recheck(args.recheck))


if __name__ == "__main__":
    main()
