"""`campaignbot floors`: the floor table for a CSV or XLSX of SKUs (SPEC §6.1).

    campaignbot floors SKUS.csv [--channel PRESET] [--listing NAME] [--set FIELD=VALUE]…
        [--margin PCT] [--fx-buffer PCT] [--fx FROM:TO=RATE]…
        [--subsidy fixed:AMOUNT | share:PCT[:cap:AMOUNT]]

The header is read as the bot's import reads it (bot/services/catalogue_file.py): any
case, spaces or '_', the translated names (`单位成本`, `Stückkosten` …), and the listing
columns of the bot's own export, `list_price@CHANNEL` / `lowest_30d@CHANNEL`. The list
prices come from `--listing NAME`; without it from the column named after the `--channel`
preset, else from the file's only `list_price@…` column, else from a plain `list_price`.

The input is streamed and evaluated in chunks; the output is spooled (in memory,
then on disk for very large files) and copied to standard output only when every
row was valid, so a bad row or argument leaves standard output empty.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from bot.pricing import (
    DECIMAL_COMMA,
    Channel,
    FloorRow,
    FxRate,
    FxTable,
    InputError,
    InputProblem,
    NumberStyle,
    PricingContext,
    RunSettings,
    SkuRowParser,
    Status,
    Subsidy,
    apply_channel_overrides,
    get_preset,
    minor_unit,
    normalize_currency,
    parse_amount,
    parse_percent,
    parse_rate,
)
from bot.pricing.fields import LISTING_FIELDS
from bot.pricing.floors import CostRow, GcPause

__all__ = ["COLUMNS", "add_floors_parser", "build_parser", "main", "run_floors"]

COLUMNS = (
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
EXIT_OK = 0
EXIT_BAD_INPUT = 2  # like argparse: the command was wrong, not the program
CLI_FX_SOURCE = "cli"
_CHUNK_ROWS = 4096
_SPOOL_BYTES = 16 << 20  # beyond this the pending output goes to a temporary file
_XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})
_STATUS_TEXT = {status: status.value for status in Status}  # Enum.value is slow per row
_FX_RE = re.compile(r"\s*([A-Za-z]{3})\s*:\s*([A-Za-z]{3})\s*=\s*(\S+)\s*")

DESCRIPTION = (
    "Compute landed cost, break-even, floor price and the deepest discount for every SKU "
    "of a CSV or XLSX file, and print them as CSV."
)


class FloorsError(Exception):
    """A bad argument or row; the message names the argument, or the row and column."""


def _configure(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("skus", metavar="SKUS.csv", help="CSV or XLSX file with a header row")
    parser.add_argument(
        "--channel", default="custom", metavar="PRESET", help="channel preset (default: custom)"
    )
    parser.add_argument(
        "--listing",
        default=None,
        metavar="NAME",
        help="read the list prices of list_price@NAME columns (a /export file has one per "
        "channel; default: the preset's name, or the file's only one)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override a channel field, e.g. --set commission=12 (repeatable)",
    )
    parser.add_argument(
        "--margin", default="15", metavar="PCT", help="target margin in percent (default: 15)"
    )
    parser.add_argument(
        "--fx-buffer", default="2", metavar="PCT", help="FX buffer in percent (default: 2)"
    )
    parser.add_argument(
        "--fx",
        dest="rates",
        action="append",
        default=[],
        metavar="FROM:TO=RATE",
        help="1 FROM = RATE TO, e.g. --fx USD:CNY=7.10; the inverse is implied (repeatable)",
    )
    parser.add_argument(
        "--subsidy",
        default=None,
        metavar="fixed:AMOUNT | share:PCT[:cap:AMOUNT]",
        help="platform subsidy per unit, in the channel's currency",
    )
    return parser


def add_floors_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register `floors` on the main CLI's sub-parsers; dispatch to `run_floors`."""
    parser = subparsers.add_parser("floors", help=DESCRIPTION, description=DESCRIPTION)
    return _configure(parser)


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser for `python -m bot.floors_cli`."""
    return _configure(argparse.ArgumentParser(prog="campaignbot floors", description=DESCRIPTION))


# --- arguments ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Run:
    context: PricingContext
    channel: Channel
    preset: str
    listing: str | None


def _argument_error(argument: str, error: InputError | str) -> FloorsError:
    detail = error.describe() if isinstance(error, InputError) else error
    return FloorsError(f"argument {argument}: {detail}")


def _parse_rate(text: str) -> FxRate:
    match = _FX_RE.fullmatch(text)
    if match is None:
        raise _argument_error("--fx", f"{text!r} is not FROM:TO=RATE, e.g. USD:CNY=7.10")
    try:
        source, target = normalize_currency(match[1]), normalize_currency(match[2])
        rate = parse_rate(match[3])  # 0.000001 to 1 000 000, as in chat (SPEC §4.2)
    except InputError as exc:
        raise _argument_error("--fx", exc) from None
    if source == target:
        raise _argument_error("--fx", f"{text!r} converts a currency into itself")
    return FxRate(source, target, rate, None, CLI_FX_SOURCE)


def _parse_subsidy(text: str | None) -> Subsidy:
    if text is None or text.strip().lower() == "none":
        return Subsidy.none()
    parts = [part.strip() for part in text.split(":")]
    kind = parts[0].lower()
    try:
        if kind == "fixed" and len(parts) == 2:
            return Subsidy.fixed(parse_amount(parts[1]))
        if kind == "share" and len(parts) == 2:
            return Subsidy.share_of_discount(parse_percent(parts[1]))
        if kind == "share" and len(parts) == 4 and parts[2].lower() == "cap":
            return Subsidy.share_of_discount(parse_percent(parts[1]), parse_amount(parts[3]))
    except InputError as exc:
        raise _argument_error("--subsidy", exc) from None
    raise _argument_error("--subsidy", f"{text!r} is not fixed:AMOUNT or share:PCT[:cap:AMOUNT]")


def _parse_overrides(pairs: Sequence[str]) -> list[tuple[str, str]]:
    overrides = []
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep or not field.strip():
            raise _argument_error("--set", f"{pair!r} is not FIELD=VALUE")
        overrides.append((field.strip(), value))
    return overrides


def _prepare(args: argparse.Namespace) -> _Run:
    """Turn the arguments into a pricing context, or raise FloorsError naming the argument."""
    try:
        preset = get_preset(args.channel)
    except InputError as exc:
        raise _argument_error("--channel", exc) from None
    try:
        channel = apply_channel_overrides(preset.channel, _parse_overrides(args.overrides))
    except InputError as exc:
        raise _argument_error(f"--set {exc.field}" if exc.field else "--set", exc) from None
    except ValueError as exc:  # a combination the channel refuses
        raise _argument_error("--set", str(exc)) from None
    try:
        margin = parse_percent(args.margin)
    except InputError as exc:
        raise _argument_error("--margin", exc) from None
    try:
        fx_buffer = parse_percent(args.fx_buffer)
    except InputError as exc:
        raise _argument_error("--fx-buffer", exc) from None
    rates = FxTable(overrides=[_parse_rate(text) for text in args.rates])
    subsidy = _parse_subsidy(args.subsidy)
    run = RunSettings(target_margin=margin, fx_buffer=fx_buffer)
    listing = None if args.listing is None else args.listing.strip().lower()
    if listing == "":
        raise _argument_error("--listing", "a channel name is required")
    preset = args.channel.strip().lower()
    return _Run(PricingContext(channel, run, rates, subsidy), channel, preset, listing)


# --- input ------------------------------------------------------------------------------
class _Table:
    """The rows of an input file as lists of cell texts; `row_number` is the file row
    (header = 1) of the row last read, for error messages."""

    def __init__(
        self,
        rows: Iterator[list[str]],
        row_number: Callable[[], int],
        style: NumberStyle | None = None,
    ) -> None:
        self._rows = rows
        self._row_number = row_number
        self.style = style  # how its text numbers are written (None: plain '.')

    def __iter__(self) -> Iterator[list[str]]:
        return self._rows

    @property
    def row_number(self) -> int:
        return self._row_number()


@contextmanager
def _csv_table(path: Path) -> Iterator[_Table]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
        delimiter = ";" if first.count(";") > first.count(",") else ","  # Excel in EU locales
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        # a ';'-separated file writes decimal commas (SPEC §4.2), like the bot's imports read it
        style = DECIMAL_COMMA if delimiter == ";" else None
        yield _Table(reader, lambda: reader.line_num, style)  # the reader directly: C speed


@contextmanager
def _xlsx_table(path: Path) -> Iterator[_Table]:
    """The bot's own streaming reader (bot/services/tables.py): the same checks against
    hostile workbooks, cells by type (a 0% -formatted duty of 0.25 is 25 %)."""
    from bot.services.catalogue_file import PERCENT_FIELDS
    from bot.services.tables import FileRefused, XlsxTable, cell_text

    try:
        table = XlsxTable(str(path))
    except FileRefused as exc:
        raise FloorsError(f"cannot read {path} as an XLSX workbook: {_english(exc)}") from None
    percent = [_field_of(cell) in PERCENT_FIELDS for cell in table.header]
    position = [1]

    def rows() -> Iterator[list[str]]:
        yield table.header
        try:
            for number, cells in table.rows(range(len(percent))):
                position[0] = number
                yield [
                    cell_text(cell, percent_field=is_percent)
                    for cell, is_percent in zip(cells, percent, strict=True)
                ]
        except FileRefused as exc:
            raise FloorsError(f"cannot read {path}: {_english(exc)}") from None

    try:
        yield _Table(rows(), lambda: position[0])
    finally:
        table.close()


# --- header -----------------------------------------------------------------------------
def _field_of(text: str) -> str | None:
    """The SKU field a header cell names, as the import reads it (None: not a field)."""
    from bot.services.catalogue_file import field_of_name

    return field_of_name(text.strip().lstrip("\ufeff").partition("@")[0])


def _listing_channels(cells: Sequence[str]) -> tuple[list[str], bool]:
    """The channels the file has `list_price@…` / `lowest_30d@…` columns for (in file
    order), and whether it has a plain `list_price` / `lowest_30d` column."""
    channels: list[str] = []
    plain = False
    for cell in cells:
        if _field_of(cell) not in LISTING_FIELDS:
            continue
        _, at, name = cell.partition("@")
        name = name.strip().lower()
        if not at:
            plain = True
        elif name not in channels:
            channels.append(name)
    return channels, plain


def _chosen_listing(run: _Run, channels: list[str]) -> str | None:
    """Whose list prices to read: `--listing`, else the preset's, else the only one."""
    names = ", ".join(channels)
    if run.listing is not None:
        if run.listing not in channels:
            found = f"it has them for {names}" if channels else "it has none"
            raise _argument_error(
                "--listing",
                f"the file has no list_price@{run.listing} column ({found})",
            )
        return run.listing
    if run.preset in channels:
        return run.preset
    if len(channels) == 1:
        return channels[0]
    if channels:
        raise _argument_error(
            "--listing",
            f"the file has list prices for several channels ({names}): choose one, "
            f"e.g. --listing {channels[0]}",
        )
    return None


_HEADER_PROBLEMS: dict[str, str] = {
    InputProblem.REQUIRED: "required column is missing",
    InputProblem.DUPLICATE: "the column appears twice",
    InputProblem.MALFORMED: "only list_price and lowest_30d take @CHANNEL",
}


def _canonical_header(run: _Run, cells: Sequence[str]) -> list[str]:
    """The header with each column renamed to the field it names (the import's rules:
    aliases, case, spaces; the chosen channel's listing columns become `list_price` and
    `lowest_30d`); other columns become ''. Raises FloorsError naming the column."""
    from bot.services.catalogue_file import resolve_header

    channels, _plain = _listing_channels(cells)
    chosen = _chosen_listing(run, channels)
    kept = [
        ""
        if _field_of(cell) in LISTING_FIELDS
        and "@" in cell
        and cell.partition("@")[2].strip().lower() != chosen
        else cell
        for cell in cells
    ]
    header = resolve_header(kept, {chosen or "": run.channel.currency})
    if header.errors:
        error = header.errors[0]
        problem = _HEADER_PROBLEMS.get(error.problem, f"cannot be read ({error.problem})")
        raise FloorsError(f"row 1, column {error.column}: {problem}")
    canonical = [""] * len(cells)
    for name, index in header.columns.items():
        canonical[index] = name
    for column in header.listings:
        canonical[column.index] = column.field
    return canonical


def _english(error: Exception) -> str:
    message = getattr(error, "message", str(error))
    params = getattr(error, "params", {})
    return str(message).format(**params)


def _open_table(path: Path) -> AbstractContextManager[_Table]:
    with path.open("rb") as probe:
        is_zip = probe.read(4) == b"PK\x03\x04"
    if is_zip or path.suffix.lower() in _XLSX_SUFFIXES:
        return _xlsx_table(path)
    return _csv_table(path)


# --- output ------------------------------------------------------------------------------
class _Formatter:
    """Plain numbers with the currency's minor-unit digits, percentages as SPEC §6.1 asks."""

    def __init__(self, channel: Channel, discount_step: Decimal) -> None:
        self.currency = channel.currency
        self.unit = minor_unit(channel.currency)
        step_percent = discount_step.scaleb(2).normalize()
        exponent = step_percent.as_tuple().exponent
        assert isinstance(exponent, int)
        self.percent_quantum = Decimal(1).scaleb(min(exponent, 0))

    def rows(self, skus: Sequence[str], rows: Sequence[FloorRow]) -> list[tuple[object, ...]]:
        """The output cells. The csv writer prints None as an empty cell and a Decimal with
        `str`; engine amounts already carry the currency's exponent (list prices are
        quantized on input, grid prices quantized by the grid), so they come out with the
        right digits."""
        currency, quantum, status_text = self.currency, self.percent_quantum, _STATUS_TEXT
        return [
            (
                sku,
                currency,
                landed,
                break_even,
                floor,
                list_price,
                None if pct is None else pct.scaleb(2).quantize(quantum),
                customer_floor,
                margin,
                status_text[status],
            )
            for sku, (
                status,
                landed,
                break_even,
                floor,
                list_price,
                _,
                customer_floor,
                pct,
                margin,
                _raw_floor,
                _raw_customer_floor,
            ) in zip(skus, rows, strict=True)
        ]


def _error_for_row(number: int, exc: InputError) -> FloorsError:
    if exc.problem is InputProblem.REQUIRED and exc.limit == "column":
        return FloorsError(f"row {number}, column {exc.field}: required column is missing")
    if exc.problem is InputProblem.DUPLICATE and exc.limit == "header":
        return FloorsError(f"row {number}, column {exc.field}: the column appears twice")
    return FloorsError(f"row {number}, column {exc.field}: {exc.describe()}")


@dataclass(slots=True)
class _Tally:
    """What the rows said, for a note on standard error: how many had no FX rate, and
    from which cost currencies."""

    rows: int = 0
    no_fx_rate: int = 0
    missing: dict[str, None] = field(default_factory=dict)  # cost currencies, in order

    def add(self, costs: Sequence[CostRow], rows: Sequence[FloorRow]) -> None:
        self.rows += len(rows)
        no_fx = Status.NO_FX_RATE
        for cost, row in zip(costs, rows, strict=True):
            if row[0] is no_fx:
                self.no_fx_rate += 1
                self.missing.setdefault(cost[5])

    def notes(self, sale_currency: str) -> list[str]:
        if not self.rows or self.no_fx_rate < self.rows:
            return []
        flags = " ".join(f"--fx {code}:{sale_currency}=RATE" for code in self.missing)
        return [
            f"no row has an exchange rate into {sale_currency}: add {flags} "
            f"(1 {next(iter(self.missing))} = RATE {sale_currency})"
        ]


def _write_table(run: _Run, path: Path, out: IO[str], tally: _Tally) -> int:
    """Evaluate every row into `out`; raise FloorsError at the first bad one."""
    with _open_table(path) as table:
        try:
            return _evaluate_table(run, table, out, tally)
        except csv.Error as exc:
            raise FloorsError(f"row {table.row_number}: {exc}") from None


def _evaluate_table(run: _Run, table: _Table, out: IO[str], tally: _Tally) -> int:
    from bot.services.catalogue_file import FORMULA_PREFIXES

    rows = iter(table)
    header = next(rows, [])
    if not any(cell.strip() for cell in header):
        raise FloorsError("row 1: the file has no header row")
    try:
        parser = SkuRowParser(
            _canonical_header(run, header), run.channel.currency, style=table.style
        )
    except InputError as exc:
        raise _error_for_row(table.row_number, exc) from None
    context = run.context
    formatter = _Formatter(run.channel, context.discount_step)
    _write_csv(out, [COLUMNS])
    first_seen: dict[str, int] = {}
    skus: list[str] = []
    costs: list[CostRow] = []
    count = 0
    parse = parser.parse_cost
    for cells in rows:
        try:
            sku, cost = parse(cells)
        except InputError as exc:
            if not "".join(cells).strip():
                continue  # blank lines and rows of empty cells
            raise _error_for_row(table.row_number, exc) from None
        if sku[0] == "'" and sku[1:2] in FORMULA_PREFIXES:  # the export's formula escape
            sku = sku[1:]
        if first_seen.setdefault(sku, count) != count:
            raise FloorsError(f"row {table.row_number}, column sku: {sku!r} appears more than once")
        skus.append(sku)
        costs.append(cost)
        count += 1
        if len(costs) >= _CHUNK_ROWS:
            _write_chunk(out, formatter, context, skus, costs, tally)
    _write_chunk(out, formatter, context, skus, costs, tally)
    return count


def _write_chunk(
    out: IO[str],
    formatter: _Formatter,
    context: PricingContext,
    skus: list[str],
    costs: list[CostRow],
    tally: _Tally,
) -> None:
    evaluated = context.evaluate_many(costs)
    tally.add(costs, evaluated)
    _write_csv(out, formatter.rows(skus, evaluated))
    skus.clear()
    costs.clear()


def _write_csv(out: IO[str], rows: Iterable[Sequence[object]]) -> None:
    """Format a chunk in memory and write it at once (one write per chunk, not per row)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    out.write(buffer.getvalue())


def run_floors(
    args: argparse.Namespace, stdout: IO[str] | None = None, stderr: IO[str] | None = None
) -> int:
    """Run the `floors` command; returns the exit code (0, or 2 for bad input)."""
    stdout = sys.stdout if stdout is None else stdout
    stderr = sys.stderr if stderr is None else stderr
    with tempfile.SpooledTemporaryFile(
        max_size=_SPOOL_BYTES, mode="w+", encoding="utf-8", newline=""
    ) as spool:
        notes: list[str] = []
        problem = _evaluate_into(args, spool, notes)
        if problem is not None:
            print(f"campaignbot floors: error: {problem}", file=stderr)
            return EXIT_BAD_INPUT
        spool.seek(0)
        try:
            shutil.copyfileobj(spool, stdout)
            stdout.flush()
        except BrokenPipeError:  # `… | head`: the reader has what it wanted
            return EXIT_OK
        for note in notes:
            print(f"campaignbot floors: note: {note}", file=stderr)
    return EXIT_OK


def _evaluate_into(args: argparse.Namespace, spool: IO[str], notes: list[str]) -> str | None:
    """Write the whole table to `spool`; return the error message instead when the
    arguments or a row are bad (nothing of the table may reach standard output then).
    Notes for standard error (every row without an FX rate, say) go to `notes`."""
    try:
        run = _prepare(args)
        path = Path(args.skus)
        if not path.is_file():
            return f"cannot read {args.skus}: no such file"
        tally = _Tally()
        with GcPause():
            _write_table(run, path, spool, tally)
        notes += tally.notes(run.channel.currency)
    except FloorsError as exc:
        return str(exc)
    except UnicodeDecodeError:
        return f"{args.skus} is not UTF-8 text (save it as 'CSV UTF-8' or as XLSX)"
    except OSError as exc:
        return f"cannot read {args.skus}: {exc.strerror or exc}"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_floors(args)


if __name__ == "__main__":
    sys.exit(main())
