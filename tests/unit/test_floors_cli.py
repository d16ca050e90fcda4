"""`campaignbot floors` (SPEC §6.1) on real files: output, statuses, errors, XLSX.

Expected figures are worked by hand in the comments. The sample file is
tests/data/floors/skus.csv.
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from bot.floors_cli import COLUMNS, add_floors_parser, build_parser, run_floors

DATA = Path(__file__).resolve().parents[1] / "data" / "floors"
SAMPLE = DATA / "skus.csv"
ROOT = Path(__file__).resolve().parents[2]
HEADER = ",".join(COLUMNS)
SPEC_ARGS = ["--set", "commission=15", "--set", "other_channel_fee=5", "--margin", "25"]
SPEC_ARGS += ["--fx", "USD:CNY=7.1"]

# custom channel (USD, no VAT), commission 15 %, F = 5, margin 25 %, buffer 2 %:
# A1: L = 30 (same currency: no buffer); break-even 35 / 0.85 = 41.176 → 41.18;
#     floor 35 / 0.60 = 58.333 → 58.34; D = 80 − 58.34 = 21.66 = 27.075 % → 27;
#     margin at 80: (68 − 35) / 80 = 41.25 %
# B2: L = 71 / 7.1 × 1.02 = 10.20; break-even 15.20 / 0.85 = 17.882 → 17.89;
#     floor 15.20 / 0.60 = 25.333 → 25.34; 12 < floor; margin (10.2 − 15.2) / 12 = −41.666… %
# C3: EUR cost, no EUR rate → only sku, currency and list price
# D4: L = 10; break-even 15 / 0.85 = 17.647 → 17.65; floor 15 / 0.60 = 25.00; no list price
SPEC_OUTPUT = f"""{HEADER}
A1,USD,30.00,41.18,58.34,80.00,27,58.34,41.25,ok
B2,USD,10.20,17.89,25.34,12.00,,,-41.67,below_floor
C3,USD,,,,15.00,,,,no_fx_rate
D4,USD,10.00,17.65,25.00,,,,,no_list_price
"""


def run(path: Path, *args: str) -> tuple[int, str, str]:
    parsed = build_parser().parse_args([str(path), *args])
    out, err = io.StringIO(), io.StringIO()
    code = run_floors(parsed, out, err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, text: str, name: str = "skus.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_sample_file_gives_the_hand_worked_table() -> None:
    code, out, err = run(SAMPLE, *SPEC_ARGS)
    assert (code, err) == (0, "")
    assert out == SPEC_OUTPUT


def test_columns_are_exactly_the_spec_columns() -> None:
    assert COLUMNS == (
        "sku",
        "currency",
        "landed_cost",
        "break_even",
        "floor_price",
        "list_price",
        "max_discount_pct",
        "customer_floor",
        "margin_at_list_pct",
        "status",
    )
    _, out, _ = run(SAMPLE)
    assert out.splitlines()[0] == HEADER


def test_no_price_leaves_the_floor_and_discount_empty() -> None:
    # 90 % margin + 15 % commission ≥ 100 %: no floor; break-even (m = 0) is still shown
    code, out, _ = run(SAMPLE, *SPEC_ARGS, "--margin", "90")
    assert code == 0
    assert out.splitlines()[1:] == [
        "A1,USD,30.00,41.18,,80.00,,,41.25,no_price",
        "B2,USD,10.20,17.89,,12.00,,,-41.67,no_price",
        "C3,USD,,,,15.00,,,,no_fx_rate",
        "D4,USD,10.00,17.65,,,,,,no_price",
    ]


def test_defaults_custom_channel_15_percent_margin_2_percent_buffer(tmp_path: Path) -> None:
    # custom: no fees. 10 / 0.85 = 11.764… → 11.77; cost currency defaults to CNY: needs --fx
    path = write(tmp_path, "sku,unit_cost,cost_currency,list_price\nA,10,USD,20\nB,10,,20\n")
    code, out, _ = run(path)
    assert code == 0
    # D = 20 − 11.77 = 8.23 = 41.15 % → 41; margin at 20: 1 − 10/20 = 50 %
    assert out.splitlines()[1:] == [
        "A,USD,10.00,10.00,11.77,20.00,41,11.77,50.00,ok",
        "B,USD,,,,20.00,,,,no_fx_rate",
    ]


@pytest.mark.parametrize(
    ("subsidy", "expected"),
    [
        # fixed 5: D = 21.66 + 5 = 26.66 = 33.325 % → 33; customer floor 53.34
        ("fixed:5", "A1,USD,30.00,41.18,58.34,80.00,33,53.34,41.25,ok"),
        # share 30 %: D = 21.66 / 0.7 = 30.94 = 38.675 % → 38; customer floor 49.06
        ("share:30", "A1,USD,30.00,41.18,58.34,80.00,38,49.06,41.25,ok"),
        # share 30 % capped at 5: min(30.94, 26.66)
        ("share:30%:cap:5", "A1,USD,30.00,41.18,58.34,80.00,33,53.34,41.25,ok"),
        ("none", "A1,USD,30.00,41.18,58.34,80.00,27,58.34,41.25,ok"),
    ],
)
def test_subsidies(subsidy: str, expected: str) -> None:
    code, out, _ = run(SAMPLE, *SPEC_ARGS, "--subsidy", subsidy)
    assert code == 0
    assert out.splitlines()[1] == expected


def test_discount_step_other_than_one(tmp_path: Path) -> None:
    # step 5 %: 27.075 % → 25; step 0.5 %: → 27.0 (shown with the step's decimal)
    code, out, _ = run(SAMPLE, *SPEC_ARGS, "--set", "discount_step=5")
    assert code == 0 and out.splitlines()[1].split(",")[6] == "25"
    code, out, _ = run(SAMPLE, *SPEC_ARGS, "--set", "discount_step=0.5")
    assert code == 0 and out.splitlines()[1].split(",")[6] == "27.0"


def test_krw_preset_prints_whole_won(tmp_path: Path) -> None:
    # aliexpress-kr (VAT 10 % inside, fees on gross) with commission 8 %, F = 3000, and the
    # price grid back at one won (the preset's is 10 won: see the next test):
    # L = 50 × 190 × 1.02 = 9690; floor 13959 / 0.712 = 19605.3 → 19606; break-even
    # 13959 / 0.912 = 15305.9 → 15306; D = 39900 − 19606 = 20294 = 50.86 % → 50 on a 10 % step;
    # margin at 39900: 0.912 − 13959 / 39900 = 56.215… % → 56.22
    path = write(tmp_path, "sku,unit_cost,cost_currency,list_price\nK,50,CNY,39900\n")
    code, out, _ = run(
        path,
        "--channel",
        "AliExpress-KR",
        "--set",
        "price_step=1",
        "--set",
        "commission=8",
        "--set",
        "fulfilment_fee=3000",
        "--set",
        "discount_step=10",
        "--margin",
        "20",
        "--fx",
        "CNY:KRW=190",
    )
    assert code == 0
    assert out.splitlines()[1] == "K,KRW,9690,15306,19606,39900,50,19606,56.22,ok"


def test_vat_inclusive_gross_fees_and_cif_duty(tmp_path: Path) -> None:
    # amazon-de: VAT 19 % inside, 15 % on gross, CIF: duty 4 % × 22 = 0.88 → L = 23.88;
    # floor 23.88 × 1.19 / 0.6715 = 42.318 → 42.32; break-even 28.4172 / 0.8215 → 34.60
    path = write(
        tmp_path,
        "sku,unit_cost,cost_currency,packaging,first_mile,duty_rate\nE,20,EUR,1,2,4\n",
    )
    code, out, _ = run(path, "--channel", "amazon-de")
    assert code == 0
    assert out.splitlines()[1] == "E,EUR,23.88,34.60,42.32,,,,,no_list_price"


def test_fx_inverse_and_cross_rates(tmp_path: Path) -> None:
    # USD:CNY=7.2 gives CNY→USD = 1/7.2; EUR:USD=1.2 then gives CNY→EUR through USD
    path = write(tmp_path, "sku,unit_cost,cost_currency\nC,86.4,CNY\n")
    code, out, _ = run(
        path,
        "--channel",
        "amazon-de",
        "--set",
        "commission=0",
        "--margin",
        "0",
        "--fx-buffer",
        "0",
        "--fx",
        "USD:CNY=7.2",
        "--fx",
        "EUR:USD=1.2",
    )
    # 86.4 / 7.2 / 1.2 = 10.00 EUR exactly; at m 0 without fees the floor only adds the
    # 19 % VAT inside the shelf price: 10 × 1.19 = 11.90
    assert code == 0
    assert out.splitlines()[1] == "C,EUR,10.00,11.90,11.90,,,,,no_list_price"


def test_full_mode_drops_duty_and_fob_ignores_freight(tmp_path: Path) -> None:
    path = write(tmp_path, "sku,unit_cost,cost_currency,first_mile,duty_rate\nT,40,USD,10,10\n")
    _, semi, _ = run(path, "--channel", "temu-us-semi", "--margin", "0")
    _, full, _ = run(path, "--channel", "temu-us-full", "--margin", "0")
    assert semi.splitlines()[1].split(",")[2] == "54.00"  # FOB: 40 + 10 + 10 % × 40
    assert full.splitlines()[1].split(",")[2] == "50.00"  # the platform pays import costs


def test_margin_ties_round_half_up(tmp_path: Path) -> None:
    # (200 − 175.31) / 200 = 12.345 % → 12.35 (half even would say 12.34)
    path = write(tmp_path, "sku,unit_cost,cost_currency,list_price\nH,175.31,USD,200\n")
    _, out, _ = run(path, "--margin", "0")
    assert out.splitlines()[1].split(",")[8] == "12.35"


def test_input_conveniences(tmp_path: Path) -> None:
    # BOM, upper-case headers, semicolons, blank lines, rows of empty cells, short rows,
    # extra columns; a SKU with a comma is quoted on output
    text = (
        "\ufeffSKU;Unit_Cost;Cost_Currency;List_Price;Notes\n"
        "\n"
        '"X, blue";10;USD;20;fragile\n'
        ";;;;\n"
        "Y;10;USD\n"
    )
    code, out, err = run(write(tmp_path, text))
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert [row[0] for row in rows[1:]] == ["X, blue", "Y"]
    assert rows[1][-1] == "ok" and rows[2][-1] == "no_list_price"
    assert '"X, blue",USD' in out


def test_xlsx_input_gives_the_same_table(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        for row in csv.reader(handle):
            # numbers as numeric cells, like a seller's spreadsheet
            sheet.append([_numeric(cell) for cell in row])
    path = tmp_path / "skus.xlsx"
    workbook.save(path)
    code, out, err = run(path, *SPEC_ARGS)
    assert (code, err) == (0, "")
    assert out == SPEC_OUTPUT


def _numeric(cell: str) -> object:
    if cell == "":
        return None
    try:
        return int(cell)
    except ValueError:
        try:
            return float(cell)
        except ValueError:
            return cell


def test_xlsx_float_cells_and_error_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["sku", "unit_cost", "cost_currency", "list_price"])
    sheet.append(["F", 12.5, "USD", 19.9])  # floats: shortest decimal, '12.5' and '19.9'
    sheet.append([])
    sheet.append(["G", "twelve", "USD", None])
    path = tmp_path / "bad.xlsx"
    workbook.save(path)
    code, out, err = run(path)
    assert code == 2 and out == ""
    assert "row 4, column unit_cost" in err
    sheet.delete_rows(4)
    workbook.save(path)
    code, out, err = run(path)
    # 12.5 / 0.85 = 14.705… → 14.71
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "F,USD,12.50,12.50,14.71,19.90,26,14.71,37.19,ok"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sku,unit_cost\nA,1\nB,abc\n", "row 3, column unit_cost: 'abc' is not a number"),
        ("sku,unit_cost,packaging\nA,1,-1\n", "row 2, column packaging: '-1' must not be negative"),
        ("sku,unit_cost\nA,-5\n", "row 2, column unit_cost: '-5' must not be negative"),
        ("sku,unit_cost,cost_currency\nA,1,USX\n", "row 2, column cost_currency: 'USX'"),
        ("sku,unit_cost,duty_rate\nA,1,150\n", "row 2, column duty_rate: '150' is over"),
        ("sku,amount\nA,1\n", "row 1, column unit_cost: required column is missing"),
        ("sku,unit_cost\n,1\n", "row 2, column sku"),
        ("sku,unit_cost\nA,\n", "row 2, column unit_cost"),
        ("sku,unit_cost\nA,1\nA,2\n", "row 3, column sku: 'A' appears more than once"),
        ("sku,unit_cost,list_price\nA,1,9.999\n", "row 2, column list_price"),
        ("sku,unit_cost,list_price\nA,1,0\n", "row 2, column list_price"),
        ("sku,unit_cost\n\n\nA,1e3\n", "row 4, column unit_cost"),  # physical line number
        ("sku,unit_cost,unit_cost\nA,1,2\n", "row 1, column unit_cost"),
        ("", "no header row"),
    ],
)
def test_bad_rows_exit_non_zero_and_print_nothing(tmp_path: Path, text: str, message: str) -> None:
    code, out, err = run(write(tmp_path, text), "--fx", "USD:CNY=7.1")
    assert code == 2
    assert out == ""
    assert message in err


def test_an_error_after_thousands_of_rows_still_prints_nothing(tmp_path: Path) -> None:
    rows = [f"S{i},{i % 97 + 1},USD,{i % 50 + 100}" for i in range(9000)]
    rows.append("BAD,oops,USD,1")
    path = write(tmp_path, "sku,unit_cost,cost_currency,list_price\n" + "\n".join(rows) + "\n")
    code, out, err = run(path)
    assert code == 2 and out == ""
    assert "row 9002, column unit_cost" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--margin", "150"], "argument --margin"),
        (["--margin", "abc"], "argument --margin"),
        (["--fx-buffer", "-1"], "argument --fx-buffer"),
        (["--set", "colour=red"], "argument --set"),
        (["--set", "commission=x"], "argument --set commission"),
        (["--set", "commission"], "argument --set"),
        (["--fx", "USDCNY=7"], "argument --fx"),
        (["--fx", "USD:CNY=0"], "argument --fx"),
        (["--fx", "USD:USD=1"], "argument --fx"),
        (["--fx", "USD:XYZ=1"], "argument --fx"),
        (["--subsidy", "share:abc"], "argument --subsidy"),
        (["--subsidy", "fixed"], "argument --subsidy"),
        (["--subsidy", "share:30:cap"], "argument --subsidy"),
        (["--channel", "ebay-us"], "argument --channel"),
    ],
)
def test_bad_arguments_exit_non_zero_and_print_nothing(args: list[str], message: str) -> None:
    code, out, err = run(SAMPLE, *args)
    assert code == 2
    assert out == ""
    assert message in err


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    code, out, err = run(tmp_path / "nope.csv")
    assert (code, out) == (2, "") and "nope.csv" in err
    path = tmp_path / "gbk.csv"
    path.write_bytes("sku,unit_cost\n台灯,10\n".encode("gbk"))
    code, out, err = run(path)
    assert (code, out) == (2, "") and "UTF-8" in err


def test_registers_as_a_sub_command() -> None:
    parser = argparse.ArgumentParser(prog="campaignbot")
    subparsers = parser.add_subparsers(dest="command")
    add_floors_parser(subparsers)
    args = parser.parse_args(["floors", str(SAMPLE), *SPEC_ARGS])
    assert args.command == "floors"
    out, err = io.StringIO(), io.StringIO()
    assert run_floors(args, out, err) == 0
    assert out.getvalue() == SPEC_OUTPUT


def _module(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "bot.floors_cli", *args],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_runs_as_a_module(tmp_path: Path) -> None:
    done = _module(str(SAMPLE), *SPEC_ARGS)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == SPEC_OUTPUT
    bad = write(tmp_path, "sku,unit_cost\nA,1\nB,abc\n")
    done = _module(str(bad))
    assert done.returncode == 2
    assert done.stdout == b""
    assert b"row 3, column unit_cost" in done.stderr
    done = _module(str(SAMPLE), "--no-such-option")
    assert done.returncode == 2 and done.stdout == b""


# --- the price grid (SPEC §3.8) -------------------------------------------------------------
def test_krw_preset_floors_end_in_ten_won(tmp_path: Path) -> None:
    # the preset's grid is 10 won: the floor 19606 → 19610 and the customer floor with it;
    # break-even stays to the won; D = 39900 − 19610 = 20290 = 50.85 % → 50 on a 10 % step
    path = write(tmp_path, "sku,unit_cost,cost_currency,list_price\nK,50,CNY,39900\n")
    args = ["--channel", "aliexpress-kr", "--set", "commission=8", "--set", "fulfilment_fee=3000"]
    args += ["--set", "discount_step=10", "--margin", "20", "--fx", "CNY:KRW=190"]
    code, out, err = run(path, *args)
    assert (code, err) == (0, "")
    assert out.splitlines()[1] == "K,KRW,9690,15306,19610,39900,50,19610,56.22,ok"


def test_price_endings_move_the_floor_and_the_customer_floor(tmp_path: Path) -> None:
    # the SPEC sample with .99 endings: floor 58.34 → 58.99; D = 80 − 58.99 = 21.01 = 26.26 %
    code, out, _ = run(SAMPLE, *SPEC_ARGS, "--set", "price_endings=0.99")
    assert code == 0
    assert out.splitlines()[1] == "A1,USD,30.00,41.18,58.99,80.00,26,58.99,41.25,ok"
    assert out.splitlines()[4] == "D4,USD,10.00,17.65,25.99,,,,,no_list_price"
    # a list price between the exact floor (58.34) and the grid's (58.99): no grid price fits;
    # the margin at 58.50 is still shown: (58.50 × 0.85 − 35) / 58.50 = 25.17 %
    path = write(tmp_path, "sku,unit_cost,cost_currency,list_price\nA1,30,USD,58.50\n")
    code, out, _ = run(path, *SPEC_ARGS, "--set", "price_endings=0.99")
    assert code == 0
    assert out.splitlines()[1] == "A1,USD,30.00,41.18,58.99,58.50,,,25.17,no_grid_price"
    # steps of 5 dollars, with a subsidy: the customer floor 53.34 → 55.00
    code, out, _ = run(SAMPLE, *SPEC_ARGS, "--set", "price_step=5", "--subsidy", "fixed:5")
    assert out.splitlines()[1] == "A1,USD,30.00,41.18,60.00,80.00,31,55.00,41.25,ok"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--channel", "aliexpress-kr", "--set", "price_endings=0.99"],
         "argument --set price_endings: '0.99' has more decimals than KRW allows"),
        (["--set", "price_step=0.001"], "argument --set price_step"),
        (["--set", "price_step=0"], "argument --set price_step"),
        (["--set", "price_endings=1.5"], "argument --set price_endings: '1.5' must be below 1.00"),
        (["--listing", ""], "argument --listing"),
    ],
)  # fmt: skip
def test_bad_grids_exit_non_zero(args: list[str], message: str) -> None:
    code, out, err = run(SAMPLE, *args)
    assert (code, out) == (2, "")
    assert message in err


# --- the bot's own export -------------------------------------------------------------------
D = Decimal


def _export(tmp_path: Path, kind: str, header: list[str] | None = None) -> Path:
    """A catalogue file as /export writes it (bot/views/spreadsheets.py), two channels."""
    from bot.services.catalogue_file import export_header
    from bot.views.spreadsheets import catalogue_csv, catalogue_xlsx

    columns = header or export_header(["shop-de", "temu-us-semi"])
    rows: list[list[object]] = [
        ["A1", "Desk lamp", D("30"), "USD", D(0), D(0), D(0), D(0), D("75.00"), None,
         D("80.00"), D("79.00")],
        ["-B2", "Cable", D("71"), "CNY", D(0), D(0), D(0), D(0), None, None, D("12.00"), None],
        ["D4", "Notebook", D("10"), "USD", D(0), D(0), D(0), D(0), D("20.00"), None, None, None],
    ]  # fmt: skip
    escaped = [[f"'{r[0]}" if str(r[0]).startswith("-") else r[0], *r[1:]] for r in rows]
    path = tmp_path / f"catalogue.{kind}"
    if kind == "csv":
        path.write_bytes(catalogue_csv(columns, escaped))
    else:
        path.write_bytes(catalogue_xlsx(columns, escaped))  # type: ignore[arg-type]
    return path


EXPORT_ROWS = [
    "A1,USD,30.00,41.18,58.34,80.00,27,58.34,41.25,ok",
    "-B2,USD,10.20,17.89,25.34,12.00,,,-41.67,below_floor",
    "D4,USD,10.00,17.65,25.00,,,,,no_list_price",
]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_file_gives_the_list_prices_of_the_presets_channel(
    tmp_path: Path, kind: str
) -> None:
    path = _export(tmp_path, kind)
    args = ["--channel", "temu-us-semi", "--set", "commission=15", "--set", "other_channel_fee=5"]
    code, out, err = run(path, *args, "--margin", "25", "--fx", "USD:CNY=7.1")
    assert (code, err) == (0, "")
    # temu-us-semi: no VAT, commission 15 %, F = 5: the hand-worked SPEC figures above
    assert out.splitlines()[1:] == EXPORT_ROWS


def test_listing_chooses_another_channel_and_errors_name_the_choices(tmp_path: Path) -> None:
    path = _export(tmp_path, "csv")
    code, out, _ = run(path, *SPEC_ARGS, "--listing", "SHOP-DE")
    assert code == 0
    # list_price@shop-de: A1 75.00 (D = 16.66 = 22.21 % → 22; margin 28.75 / 75 = 38.33 %),
    # B2 none, D4 20.00
    assert out.splitlines()[1] == "A1,USD,30.00,41.18,58.34,75.00,22,58.34,38.33,ok"
    assert out.splitlines()[2] == "-B2,USD,10.20,17.89,25.34,,,,,no_list_price"
    code, out, err = run(path, *SPEC_ARGS)  # custom preset: two channels, neither chosen
    assert (code, out) == (2, "")
    assert "several channels (shop-de, temu-us-semi): choose one, e.g. --listing shop-de" in err
    code, out, err = run(path, *SPEC_ARGS, "--listing", "amazon-us")
    assert (code, out) == (2, "")
    assert "no list_price@amazon-us column (it has them for shop-de, temu-us-semi)" in err


def test_a_file_with_one_listing_channel_uses_it(tmp_path: Path) -> None:
    text = "sku,unit_cost,cost_currency,list_price@my-shop,lowest_30d@my-shop\nA1,30,USD,80,79\n"
    code, out, _ = run(write(tmp_path, text), *SPEC_ARGS)
    assert code == 0 and out.splitlines()[1] == "A1,USD,30.00,41.18,58.34,80.00,27,58.34,41.25,ok"
    both = "sku,unit_cost,list_price,list_price@my-shop\nA1,30,80,79\n"
    code, out, err = run(write(tmp_path, both), *SPEC_ARGS)
    assert (code, out) == (2, "") and "row 1, column list_price@my-shop" in err


@pytest.mark.parametrize(
    "header",
    [
        # the import's translated names, as a seller relabels the export
        ["货号", "名称", "单位成本", "成本币种", "包装", "头程", "其他成本", "关税率",
         "售价@shop-de", "30天最低价@shop-de", "售价@temu-us-semi", "30天最低价@temu-us-semi"],
        ["Artikelnummer", "Bezeichnung", "Stückkosten", "Kostenwährung", "Verpackung",
         "Vorlauffracht", "Sonstige Kosten", "Zollsatz", "Preis@shop-de",
         "Tiefstpreis 30 Tage@shop-de", "Preis@temu-us-semi", "Tiefstpreis 30 Tage@temu-us-semi"],
        ["상품코드", "상품명", "단가", "원가 통화", "포장비", "초기 운송비", "기타 비용", "관세율",
         "정가@shop-de", "30일 최저가@shop-de", "판매가@temu-us-semi", "30일 최저가@temu-us-semi"],
        ["SKU", "Name", "Unit Cost", "Cost Currency", "Packaging", "First Mile", "Other Cost",
         "Duty Rate", "List Price@shop-de", "Lowest 30d@shop-de", "List-Price@temu-us-semi",
         "LOWEST_30D@temu-us-semi"],
    ],
)  # fmt: skip
def test_localized_headers_are_read_like_the_import(tmp_path: Path, header: list[str]) -> None:
    path = _export(tmp_path, "csv", header)
    code, out, err = run(path, *SPEC_ARGS, "--listing", "temu-us-semi")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == EXPORT_ROWS


def test_an_xlsx_percent_duty_under_a_translated_header(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["SKU编码", "单位成本", "成本币种", "关税", "原价"])
    sheet.append(["T", 40, "USD", 0.1, 100])
    sheet["D2"].number_format = "0%"  # 10 %, as the sheet shows it
    path = tmp_path / "zh.xlsx"
    workbook.save(path)
    code, out, err = run(path, "--channel", "temu-us-semi", "--margin", "0")
    assert (code, err) == (0, "")
    assert out.splitlines()[1].split(",")[2] == "44.00"  # FOB: 40 + 10 % × 40


def test_cost_is_a_name_the_import_reads_for_unit_cost(tmp_path: Path) -> None:
    code, out, _ = run(write(tmp_path, "sku,cost,cost_currency\nA,10,USD\n"))
    assert code == 0 and out.splitlines()[1] == "A,USD,10.00,10.00,11.77,,,,,no_list_price"


def test_every_row_without_a_rate_names_the_missing_fx(tmp_path: Path) -> None:
    text = "sku,unit_cost,cost_currency,list_price\nA,10,CNY,20\nB,10,EUR,20\nC,5,,20\n"
    code, out, err = run(write(tmp_path, text))
    assert code == 0
    assert [row.split(",")[-1] for row in out.splitlines()[1:]] == ["no_fx_rate"] * 3
    assert err == (
        "campaignbot floors: note: no row has an exchange rate into USD: add "
        "--fx CNY:USD=RATE --fx EUR:USD=RATE (1 CNY = RATE USD)\n"
    )
    # one row with a rate: no note (the table says which rows lack one)
    code, _, err = run(write(tmp_path, text), "--fx", "EUR:USD=1.1")
    assert (code, err) == (0, "")
