"""`campaignbot floors` on a 100 000-row CSV: wall time and peak memory.

    python bench/bench_floors_cli.py [--rows 100000] [--repeat 3]

Generates the CSV in a temporary directory, runs `python -m bot.floors_cli` on it
in a subprocess (output to a file), and prints the wall time of each run and the
peak resident set size of the children (resource.getrusage(RUSAGE_CHILDREN)).
Goal: under 2 s and under 200 MB.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMMAND = ["--channel", "amazon-us", "--fx", "USD:CNY=7.1", "--subsidy", "share:30:cap:5"]


def write_csv(path: Path, rows: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "sku,name,unit_cost,cost_currency,packaging,first_mile,other_cost,duty_rate,"
            "list_price,lowest_30d\n"
        )
        for i in range(rows):
            handle.write(
                f"SKU-{i:06d},Item {i},{rnd.randint(100, 50_000) / 100:.2f},CNY,"
                f"{rnd.randint(0, 300) / 100:.2f},{rnd.randint(50, 900) / 100:.2f},0,"
                f"{rnd.choice(['0', '7.5', '25'])},{rnd.randint(300, 9000) / 100:.2f},\n"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "skus.csv", Path(tmp) / "floors.csv"
        write_csv(source, args.rows)
        size_mb = source.stat().st_size / 1e6
        print(f"input: {args.rows} rows, {size_mb:.1f} MB; floors {' '.join(COMMAND)}")
        timings = []
        for run in range(1, args.repeat + 1):
            with target.open("w") as out:
                start = time.perf_counter()
                done = subprocess.run(
                    [sys.executable, "-m", "bot.floors_cli", str(source), *COMMAND],
                    cwd=ROOT,
                    stdout=out,
                    stderr=subprocess.PIPE,
                    check=False,
                )
                wall = time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"floors failed ({done.returncode}): {done.stderr.decode()}")
            with target.open() as produced:
                lines = sum(1 for _ in produced)
            assert lines == args.rows + 1, f"expected {args.rows + 1} lines, got {lines}"
            timings.append(wall)
            print(f"run {run}: {wall:.2f} s wall")
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        print(
            f"wall best {min(timings):.2f} s, median {statistics.median(timings):.2f} s; "
            f"peak RSS {peak_mb:.0f} MB (goal: < 2 s, < 200 MB)"
        )


if __name__ == "__main__":
    main()
