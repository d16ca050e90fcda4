"""Engine throughput: floors for SKU × channel rows on one core.

    python bench/bench_pricing.py [--skus 10000] [--repeat 5]

Evaluates every SKU on every channel preset (10 000 SKUs × 10 channels = 100 000
rows by default) through `PricingContext.evaluate_many`, twice: floors only (no
list price) and full rows (list price → deepest discount with a capped share
subsidy, margin at list). For scale it also times a naive per-row evaluation of
SPEC §3 (Decimal, rounding with `quantize`) and the rich `PricingContext.floor`
that builds the whole breakdown. Prints rows per second (best and median).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a plain checkout works too

from bot.pricing import (
    FxTable,
    PricingContext,
    RunSettings,
    SkuCost,
    Subsidy,
    get_preset,
    minor_unit,
)

CHANNELS = [
    "amazon-us",
    "amazon-de",
    "amazon-uk",
    "amazon-jp",
    "temu-us-semi",
    "temu-us-full",
    "shein-us-semi",
    "aliexpress-kr",
    "tiktok-us",
    "temu-za",
]
# ECB-style table (1 EUR = …), so CNY → sale currency is a cross rate through EUR
FX = FxTable.from_base_rates(
    {
        "USD": Decimal("1.0832"),
        "CNY": Decimal("7.8612"),
        "GBP": Decimal("0.8321"),
        "JPY": Decimal("162.31"),
        "KRW": Decimal("1502.4"),
        "ZAR": Decimal("19.772"),
    }
)
RUN = RunSettings(Decimal("0.15"), Decimal("0.02"))
SUBSIDY = Subsidy.share_of_discount(Decimal("0.30"), Decimal(5))


def make_skus(count: int, seed: int = 1) -> list[SkuCost]:
    rnd = random.Random(seed)
    return [
        SkuCost(
            f"SKU-{i:06d}",
            Decimal(rnd.randint(100, 50_000)).scaleb(-2),
            "CNY",
            packaging=Decimal(rnd.randint(0, 300)).scaleb(-2),
            first_mile=Decimal(rnd.randint(50, 900)).scaleb(-2),
            other_cost=Decimal(0),
            duty_rate=Decimal(rnd.choice([0, 75, 250])).scaleb(-3),
        )
        for i in range(count)
    ]


def cost_rows(
    skus: list[SkuCost], list_prices: list[Decimal | None]
) -> list[tuple[Decimal, Decimal, Decimal, Decimal, Decimal, str, Decimal | None]]:
    return [
        (s.unit_cost, s.packaging, s.first_mile, s.other_cost, s.duty_rate, s.cost_currency, lp)
        for s, lp in zip(skus, list_prices, strict=True)
    ]


def naive_floor(sku: SkuCost, context: PricingContext) -> Decimal | None:
    """SPEC §3.1–3.3 per row, straight from the formulas (the ~100 k rows/s baseline)."""
    channel, run = context.channel, context.run
    quote = context.quote(sku.cost_currency)
    if quote is None:
        return None
    base = sku.unit_cost + (sku.first_mile if channel.duty_basis == "cif" else 0)
    duty = 0 if channel.mode == "full" else sku.duty_rate * base
    cost = sku.unit_cost + sku.packaging + sku.first_mile + sku.other_cost + duty
    buffer = 0 if quote.is_identity else run.fx_buffer
    landed = cost * quote.numerator / quote.denominator * (1 + buffer)
    v = channel.effective_vat_rate
    beta = 1 if channel.fees_on == "gross" else 1 / (1 + v)
    d = (1 - run.target_margin) / (1 + v) - channel.percent_fees * beta
    if d <= 0:
        return None
    return ((channel.fixed_fees + landed) / d).quantize(
        minor_unit(channel.currency), rounding=ROUND_CEILING
    )


def measure(label: str, rows: int, repeat: int, work: Callable[[], object]) -> None:
    work()  # warm-up: first-touch memory and caches are not what we measure
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        timings.append(time.perf_counter() - start)
    best, median = min(timings), statistics.median(timings)
    print(
        f"{label:<34} {rows:>7} rows  best {rows / best:>10,.0f} rows/s"
        f"  median {rows / median:>10,.0f} rows/s"
    )


def calibration() -> float:
    """ns per iteration of an empty Python loop: how fast this machine is right now."""
    start = time.perf_counter()
    for _ in range(2_000_000):
        pass
    return (time.perf_counter() - start) / 2_000_000 * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    skus = make_skus(args.skus)
    contexts = [PricingContext(get_preset(name).channel, RUN, FX, SUBSIDY) for name in CHANNELS]
    rows = len(skus) * len(contexts)
    no_list = cost_rows(skus, [None] * len(skus))
    per_channel = []
    rnd = random.Random(2)
    for context in contexts:
        unit = minor_unit(context.channel.currency)
        scale = 1000 if unit == 1 else 1  # KRW / JPY prices are larger numbers
        prices: list[Decimal | None] = [
            Decimal(rnd.randint(300, 9000) * scale).scaleb(-2).quantize(unit) for _ in skus
        ]
        per_channel.append(cost_rows(skus, prices))

    print(f"python loop calibration: {calibration():.0f} ns per empty iteration")
    print(f"{len(skus)} SKUs × {len(contexts)} channels, CNY costs through EUR cross rates")
    measure(
        "batch floors (evaluate_many)",
        rows,
        args.repeat,
        lambda: [context.evaluate_many(no_list) for context in contexts],
    )
    measure(
        "batch full rows (+ list, discount)",
        rows,
        args.repeat,
        lambda: [
            context.evaluate_many(priced)
            for context, priced in zip(contexts, per_channel, strict=True)
        ],
    )
    measure(
        "batch from SkuCost (floor_rows)",
        rows,
        args.repeat,
        lambda: [context.floor_rows(skus) for context in contexts],
    )
    sample = skus[: max(1, len(skus) // 10)]
    sample_rows = len(sample) * len(contexts)
    measure(
        "naive per-row SPEC formulas",
        sample_rows,
        args.repeat,
        lambda: [naive_floor(sku, context) for context in contexts for sku in sample],
    )
    measure(
        "rich floor() with breakdown",
        sample_rows,
        args.repeat,
        lambda: [context.floor(sku) for context in contexts for sku in sample],
    )


if __name__ == "__main__":
    main()
