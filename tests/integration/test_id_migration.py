"""Issue 11, finding 2: the migration that makes SQLite ids never reused rebuilds every
table with a surrogate id. On a populated database it keeps every row and every relation
(foreign keys, their ON DELETE actions, unique constraints, indexes), on both backends;
afterwards a deleted newest row's id is never handed out again. Run on SQLite with
foreign keys enforced, it refuses rather than cascade-deleting through the rebuild."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.db.engine import create_engine
from bot.db.migrate import alembic_config, upgrade, upgrade_connection
from bot.db.models import NEVER_REUSE_IDS, Base
from tests.conftest import BACKENDS
from tests.integration.test_migrations import _drop_database, _fresh_database_url

REVISION = "0006_settings_ids"
AT = "2026-11-01 08:00:00"
ROWS: list[tuple[str, dict[str, Any]]] = [
    # two teams, three people, and something in every table that has an id
    ("teams", {"id": 1, "name": "Mei", "is_personal": True}),
    ("teams", {"id": 2, "name": "Acme", "is_personal": False}),
    ("users", {"id": 101, "first_name": "Mei", "active_team_id": 2}),
    ("users", {"id": 102, "first_name": "Bo", "active_team_id": 2}),
    ("users", {"id": 103, "first_name": "Li", "active_team_id": 1}),
    ("memberships", {"team_id": 1, "user_id": 101, "role": "owner"}),
    ("memberships", {"team_id": 2, "user_id": 101, "role": "owner"}),
    ("memberships", {"team_id": 2, "user_id": 102, "role": "editor"}),
    ("memberships", {"team_id": 1, "user_id": 103, "role": "viewer"}),
    (
        "invites",
        {"id": 1, "team_id": 2, "token_hash": "a" * 64, "role": "viewer", "created_by": 101},
    ),
    ("chat_bindings", {"id": 1, "team_id": 2, "chat_id": -1001, "kind": "group", "bound_by": 101}),
    ("channels", {"id": 1, "team_id": 2, "name": "temu-us"}),
    ("channels", {"id": 2, "team_id": 2, "name": "shein-us"}),
    ("channels", {"id": 3, "team_id": 1, "name": "own"}),
    ("skus", {"id": 1, "team_id": 2, "code": "A1", "unit_cost": "35.5"}),
    ("skus", {"id": 2, "team_id": 2, "code": "A2", "unit_cost": "0.0035"}),
    ("skus", {"id": 3, "team_id": 1, "code": "M1", "unit_cost": "12"}),
    ("listings", {"id": 1, "sku_id": 1, "channel_id": 1, "list_price": "19.99"}),
    ("listings", {"id": 2, "sku_id": 2, "channel_id": 1, "list_price": "9.99"}),
    ("listings", {"id": 3, "sku_id": 1, "channel_id": 2, "list_price": "21.99"}),
    ("price_history", {"id": 1, "listing_id": 1, "price": "19.99", "changed_by": 101}),
    ("price_history", {"id": 2, "listing_id": 3, "price": "21.99", "changed_by": 102}),
    ("campaigns", {"id": 1, "team_id": 2, "channel_id": 1, "name": "Black Friday"}),
    ("campaigns", {"id": 2, "team_id": 2, "channel_id": 2, "name": "Cyber Monday"}),
    ("campaign_audit", {"id": 1, "campaign_id": 1, "team_id": 2, "user_id": 101}),
    ("vouchers", {"id": 1, "campaign_id": 1, "threshold": "50", "value": "5"}),
    ("enrolments", {"id": 1, "campaign_id": 1, "sku_id": 1, "enrolled_by": 102}),
    ("enrolments", {"id": 2, "campaign_id": 1, "sku_id": 2, "enrolled_by": 102}),
    ("enrolments", {"id": 3, "campaign_id": 2, "sku_id": 1, "enrolled_by": 101}),
    ("fx_rates", {"id": 1, "source": "ecb", "base": "EUR", "quote": "USD", "rate": "1.05"}),
    ("fx_overrides", {"id": 1, "team_id": 2, "base": "CNY", "quote": "USD", "rate": "0.1385"}),
    ("notifications", {"id": 1, "key": "k1", "team_id": 2, "chat_id": -1001}),
    ("notifications", {"id": 2, "key": "k2", "team_id": 1, "chat_id": 103}),
    ("pending_imports", {"id": 1, "team_id": 2, "user_id": 102, "filename": "skus.csv"}),
    ("flow_states", {"user_id": 101, "chat_id": 101, "flow": "newcampaign", "step": "name"}),
    ("job_state", {"name": "fx_refresh", "last_attempt_at": AT}),
]
# what each table needs besides the columns above
FILLERS: dict[str, dict[str, Any]] = {
    "teams": {
        "cost_currency": "CNY",
        "target_margin": "0.15",
        "fx_buffer": "0.02",
        "timezone": "Asia/Shanghai",
        "locale": "zh_CN",
        "reminder_offsets": "{}",
        "created_at": AT,
        "updated_at": AT,
    },
    "users": {"created_at": AT, "updated_at": AT},
    "memberships": {"joined_at": AT},
    "invites": {"single_use": True, "created_at": AT, "expires_at": AT},
    "chat_bindings": {
        "thread_id": 0,
        "title": "Ops",
        "locale": "zh_CN",
        "timezone": "Asia/Shanghai",
        "status": "active",
        "bound_at": AT,
    },
    "channels": {
        "platform": "temu",
        "market": "US",
        "mode": "semi",
        "currency": "USD",
        "vat_rate": "0",
        "prices_include_vat": False,
        "fees_on": "gross",
        "commission": "0",
        "payment_rate": "0",
        "returns_rate": "0",
        "ads_rate": "0",
        "payment_fixed": "0",
        "fulfilment_fee": "0",
        "other_channel_fee": "0",
        "duty_basis": "fob",
        "discount_step": "0.01",
        "timezone": "America/New_York",
        "created_at": AT,
        "updated_at": AT,
    },
    "skus": {
        "name": "",
        "cost_currency": "CNY",
        "packaging": "0",
        "first_mile": "0",
        "other_cost": "0",
        "duty_rate": "0",
        "created_at": AT,
        "updated_at": AT,
    },
    "listings": {"created_at": AT, "updated_at": AT},
    "price_history": {"effective_at": AT, "source": "manual"},
    "campaigns": {
        "starts_at": "2026-11-27 05:00:00",
        "ends_at": "2026-12-01 04:59:59",
        "timezone": "America/New_York",
        "reference_rule": "list",
        "subsidy_kind": "none",
        "created_at": AT,
        "updated_at": AT,
    },
    "campaign_audit": {"at": AT, "action": "create", "changes": "{}"},
    "vouchers": {"platform_share": "0", "created_at": AT},
    "enrolments": {
        "price_mode": "suggested",
        "below_floor": False,
        "created_at": AT,
        "updated_at": AT,
    },
    "fx_rates": {"rate_date": "2026-11-01", "fetched_at": AT},
    "fx_overrides": {"set_at": AT},
    "notifications": {
        "kind": "reminder",
        "payload": "{}",
        "thread_id": 0,
        "due_at": AT,
        "status": "pending",
        "attempts": 0,
        "created_at": AT,
        "updated_at": AT,
    },
    "pending_imports": {"rows": "{}", "created_at": AT},
    "flow_states": {"data": "{}", "updated_at": AT},
    "job_state": {},
}
ID_TABLES = sorted(
    table.name
    for table in Base.metadata.sorted_tables
    if table.dialect_options["sqlite"]["autoincrement"]
)


def previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url, created = _fresh_database_url(request.param, tmp_path)
    try:
        yield url
    finally:
        if created:
            _drop_database(created)


JSON_COLUMNS = frozenset({"changes", "payload", "rows", "data", "reminder_offsets"})


def _value(dialect: str, value: Any) -> Any:
    """asyncpg wants Python values for typed columns; SQLite takes the text as it is."""
    if dialect != "postgresql" or not isinstance(value, str) or not value[:1].isdigit():
        return value
    if len(value) >= 10 and value[4:5] == "-":
        if len(value) == 10:
            return datetime.strptime(value, "%Y-%m-%d").date()
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return Decimal(value)


async def insert(connection: AsyncConnection, table: str, row: dict[str, Any]) -> Any:
    dialect = connection.dialect.name
    values = {key: _value(dialect, value) for key, value in row.items()}
    params = ", ".join(
        f"CAST(:{key} AS json)" if key in JSON_COLUMNS and dialect == "postgresql" else f":{key}"
        for key in values
    )
    statement = f"INSERT INTO {table} ({', '.join(values)}) VALUES ({params})"
    if "id" not in values and table == "campaigns":
        statement += " RETURNING id"
    return await connection.execute(text(statement), values)


async def populate(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as connection:
        for table, values in ROWS:
            await insert(connection, table, {**FILLERS[table], **values})
        if connection.dialect.name == "postgresql":  # explicit ids: move the sequences on
            for table in sorted({name for name, _values in ROWS} & set(ID_TABLES)):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    await engine.dispose()


async def snapshot(url: str) -> dict[str, Any]:
    """Every row of every table, and the schema's relations, indexes and constraints."""
    engine = create_engine(url)
    result: dict[str, Any] = {}
    async with engine.connect() as connection:
        present = set(await connection.run_sync(lambda sync: inspect(sync).get_table_names()))
        for table in Base.metadata.sorted_tables:
            # this migration's own new table aside, and tables of later migrations
            if table.name == "team_audit" or table.name not in present:
                continue
            key = ", ".join(c.name for c in table.primary_key.columns)
            rows = await connection.execute(text(f"SELECT * FROM {table.name} ORDER BY {key}"))
            result[table.name] = [tuple(row) for row in rows]

        def schema(sync: Any) -> dict[str, Any]:
            inspector = inspect(sync)
            found = {}
            for name in inspector.get_table_names():
                if name in ("alembic_version", "team_audit", "sqlite_sequence"):
                    continue
                found[name] = {
                    "fks": sorted(
                        (
                            fk["name"],
                            tuple(fk["constrained_columns"]),
                            fk["referred_table"],
                            (fk.get("options") or {}).get("ondelete"),
                        )
                        for fk in inspector.get_foreign_keys(name)
                    ),
                    "indexes": sorted(
                        (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                        for ix in inspector.get_indexes(name)
                    ),
                    "unique": sorted(
                        (uq["name"], tuple(uq["column_names"]))
                        for uq in inspector.get_unique_constraints(name)
                    ),
                    "columns": [
                        (c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(name)
                    ],
                }
            return found

        result["schema"] = await connection.run_sync(schema)
    await engine.dispose()
    return result


def test_the_migration_keeps_every_row_and_relation(fresh_url: str) -> None:
    upgrade(fresh_url, previous_revision())
    asyncio.run(populate(fresh_url))
    before = asyncio.run(snapshot(fresh_url))
    assert sum(len(rows) for name, rows in before.items() if name != "schema") == len(ROWS)

    upgrade(fresh_url, REVISION)

    after = asyncio.run(snapshot(fresh_url))
    assert after == before
    upgrade(fresh_url)  # and on to head, where every id table is checked below

    async def afterwards() -> None:
        engine = create_engine(fresh_url)  # as the bot connects: foreign keys enforced
        async with engine.begin() as connection:
            if connection.dialect.name == "sqlite":
                for table in ID_TABLES:
                    sql = await connection.scalar(
                        text("SELECT sql FROM sqlite_master WHERE type='table' AND name=:t"),
                        {"t": table},
                    )
                    assert "AUTOINCREMENT" in sql, table
                assert (await connection.execute(text("PRAGMA foreign_key_check"))).all() == []
                assert await connection.scalar(text("PRAGMA foreign_keys")) == 1
            # the newest campaign deleted: its id is not handed out again
            await connection.execute(text("DELETE FROM enrolments WHERE campaign_id = 2"))
            await connection.execute(text("DELETE FROM campaigns WHERE id = 2"))
            row = {**FILLERS["campaigns"], "team_id": 2, "channel_id": 1, "name": "Next"}
            new_id = (await insert(connection, "campaigns", row)).scalar_one()
            assert new_id == 3
            # the ON DELETE actions survived the rebuild: a team takes its rows along
            await connection.execute(text("DELETE FROM teams WHERE id = 1"))
            assert await connection.scalar(text("SELECT count(*) FROM skus WHERE team_id = 1")) == 0
            assert await connection.scalar(text("SELECT count(*) FROM memberships")) == 2
            assert (
                await connection.scalar(text("SELECT active_team_id FROM users WHERE id = 103"))
                is None
            )
        await engine.dispose()

    asyncio.run(afterwards())


def test_every_table_with_a_surrogate_id_never_reuses_ids() -> None:
    for table in Base.metadata.sorted_tables:
        surrogate = [c for c in table.primary_key.columns if c.autoincrement is not False]
        integer_id = (
            len(table.primary_key.columns) == 1 and table.primary_key.columns[0].name == "id"
        )
        if integer_id and table.name != "users":  # users.id is Telegram's
            assert table.dialect_options["sqlite"]["autoincrement"], table.name
            assert surrogate
    assert NEVER_REUSE_IDS == {"sqlite_autoincrement": True}


def test_on_sqlite_with_foreign_keys_enforced_the_migration_refuses(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'guarded.sqlite3'}"
    upgrade(url, previous_revision())
    asyncio.run(populate(url))
    before = asyncio.run(snapshot(url))

    async def run_inside_a_transaction() -> None:
        engine = create_engine(url)
        async with engine.connect() as connection:
            # a write opens the transaction in which the pragma can no longer change
            await connection.execute(text("UPDATE job_state SET last_error = 'x'"))
            await connection.run_sync(upgrade_connection, REVISION)
        await engine.dispose()

    with pytest.raises(RuntimeError, match="foreign keys off"):
        asyncio.run(run_inside_a_transaction())
    after = asyncio.run(snapshot(url))
    assert after == before
