"""What the price grid costs the batch engine: full rows (list price → deepest discount
with a capped share subsidy) on temu-us-semi with the default grid and with coarser ones.

    python bench/bench_grid.py [--skus 20000] [--repeat 5]

Prints rows per second (best and median) per grid.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # a plain checkout works too
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_pricing import FX, RUN, SUBSIDY, cost_rows, make_skus

from bot.pricing import PricingContext, apply_channel_overrides, get_preset

GRIDS = {
    "one minor unit (default)": {},
    "price_endings=0.99": {"price_endings": "0.99"},
    "price_endings=0.49,0.99": {"price_endings": "0.49,0.99"},
    "price_step=0.05": {"price_step": "0.05"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skus", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    skus = make_skus(args.skus)
    for label, overrides in GRIDS.items():
        channel = apply_channel_overrides(get_preset("temu-us-semi").channel, overrides)
        context = PricingContext(channel, RUN, FX, SUBSIDY)
        floors = context.evaluate_many(cost_rows(skus, [None] * len(skus)))
        prices = [
            None
            if f.floor_price is None
            else (f.floor_price * Decimal("1.6")).quantize(Decimal("0.01"))
            for f in floors
        ]
        rows = cost_rows(skus, prices)
        context.evaluate_many(rows)  # warm-up
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            context.evaluate_many(rows)
            timings.append(time.perf_counter() - start)
        print(
            f"{label:<26} {len(rows):>7} rows  best {len(rows) / min(timings):>10,.0f} rows/s"
            f"  median {len(rows) / statistics.median(timings):>10,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
