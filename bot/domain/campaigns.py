"""Campaign input as users write it: the one-line `key=value` form, dates in a market's time
zone, percentages, amounts and subsidies. Pure functions; every refusal is a
`UserInputError` whose message shows how to write the value.

Dates and times:

* ``2026-11-27``, ``2026-11-27T12:00`` (or ``2026-11-27 12:00``), ``…T12:00:30``; and,
  given the reader's locale, its own short and medium forms (``15.11.2027 12:00``,
  ``2027年11月15日 12:00``: `bot.domain.dates`); read in the campaign's zone (the channel
  market's zone unless ``tz=`` is given — the guided flow asks).
* Numbers as the reader writes them (`bot.pricing.numbers`): ``12,5 %`` from a German.
* A date alone means the start of that day for a **start**, and the end of that
  day — 23:59:59 — for an **end** or a **registration deadline** (stored as that
  instant in UTC; the end is inclusive).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_time, get_datetime_format

from bot import limits
from bot.domain.dates import read_local_moment
from bot.domain.enums import ReferenceRule, SubsidyKind
from bot.domain.errors import N_, NotFound, UserInputError
from bot.domain.numbers import AmbiguousNumber, ambiguous_number, is_ambiguous
from bot.pricing.money import parse_decimal
from bot.pricing.numbers import NumberStyle
from bot.pricing.reasons import InputError, InputProblem

# the keys of `/newcampaign key=value …` and `/campaign <id> key=value …`, in the
# order the guided flow asks for them
CAMPAIGN_KEYS: tuple[str, ...] = (
    "name",
    "channel",
    "deadline",
    "start",
    "end",
    "min_discount",
    "ref",
    "subsidy",
    "margin",
    "tz",
)
REQUIRED_KEYS: tuple[str, ...] = ("name", "start", "end")
# SPEC §4.2 allows names of up to 200 characters; a campaign's name column holds 128
MAX_NAME_LENGTH = min(limits.MAX_NAME_LENGTH, 128)
MAX_TARGET_MARGIN = Decimal("0.95")
END_OF_DAY = time(23, 59, 59)
CLEAR_WORDS = frozenset({"none", "no", "-", "0", "off", "team"})
# “smart quotes” some clients type instead of plain ones
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "‘": "'", "’": "'"})
_MOMENT = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[T ](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?"
)
_HUNDRED = Decimal(100)


class Bound(StrEnum):
    """Which moment a date names: a date alone is 00:00 for a start, 23:59:59 otherwise."""

    START = "start"
    END = "end"
    DEADLINE = "deadline"


@dataclass(frozen=True, slots=True)
class Args:
    """A command's words: positional ones and `key=value` pairs (keys lower-case)."""

    positional: tuple[str, ...]
    options: dict[str, str]


def command_tail(text: str | None) -> str:
    """What follows the command word (`/newcampaign@bot name=…` → `name=…`)."""
    if not text:
        return ""
    parts = text.strip().split(maxsplit=1)
    return parts[1] if len(parts) == 2 else ""


def split_args(text: str) -> Args:
    """Split shell-style (quotes keep spaces: `name="Black Friday"`)."""
    try:
        words = shlex.split(text.translate(_QUOTES))
    except ValueError:
        raise UserInputError(
            N_(
                "A quote is not closed in “{value}”. Put values with spaces in quotes, like "
                '<code>name="Black Friday"</code>.'
            ),
            value=text[:80],
        ) from None
    positional: list[str] = []
    options: dict[str, str] = {}
    for word in words:
        key, sep, value = word.partition("=")
        if not sep:
            positional.append(word)
            continue
        key = key.strip().lower()
        if not key:
            raise UserInputError(
                N_(
                    "“{value}” has no name before “=”. Write it like <code>start=2026-11-27</code>."
                ),
                value=word[:40],
            )
        if key in options:
            raise UserInputError(N_("“{key}” is given twice."), key=key[:32])
        options[key] = value.strip()
    return Args(tuple(positional), options)


def check_keys(options: dict[str, str], allowed: tuple[str, ...]) -> None:
    for key in options:
        if key not in allowed:
            raise UserInputError(
                N_("I do not know “{key}”. The keys are: {keys}."),
                key=key[:32],
                keys=", ".join(allowed),
            )


def zone_of(name: str) -> ZoneInfo:
    if not limits.is_valid_timezone(name):  # shape and length first: no file is opened
        raise _bad_zone(name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise _bad_zone(name) from None


def _bad_zone(name: str) -> UserInputError:
    return UserInputError(
        N_(
            "“{value}” is not a time zone I know. Write it as Area/City from the IANA "
            "database, for example Asia/Shanghai, Europe/Berlin, America/New_York or "
            "Asia/Seoul."
        ),
        value=name[:40],
    )


def parse_timezone(text: str) -> str:
    name = text.strip()
    zone_of(name)
    return name


def parse_moment(text: str, zone: str, bound: Bound, locale: str | None = None) -> datetime:
    """A date or date-time in `zone`, as an aware UTC datetime: ISO always, and with the
    reader's `locale` also its short and medium forms (`bot.domain.dates`)."""
    match = _MOMENT.fullmatch(text.strip())
    if match is None:
        local = read_local_moment(text, locale) if locale else None
        if local is None:
            raise _bad_moment(text, bound, locale)
        return _in_zone(text, local.day, local.clock, zone, bound)
    _check_year(text, int(match["y"]))
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
        clock = (
            None
            if match["H"] is None
            else time(int(match["H"]), int(match["M"]), int(match["S"] or 0))
        )
    except ValueError:
        raise _bad_moment(text, bound, locale) from None
    return _in_zone(text, day, clock, zone, bound)


def _check_year(text: str, year: int) -> None:
    if not limits.year_in_range(year):
        raise UserInputError(
            N_(
                "“{value}”: the year must be from {first} to {last}. Write the date like "
                "<code>2026-11-27</code>."
            ),
            value=text.strip()[:40],
            first=limits.MIN_YEAR,
            last=limits.MAX_YEAR,
        )


def _in_zone(text: str, day: date, clock: time | None, zone: str, bound: Bound) -> datetime:
    """The moment in `zone` as UTC; a date alone is the start or the end of that day."""
    _check_year(text, day.year)
    if clock is None:
        clock = time(0, 0) if bound is Bound.START else END_OF_DAY
    local = datetime.combine(day, clock, tzinfo=zone_of(zone))
    return local.astimezone(UTC)


# the moments a date question or refusal shows as examples (a date, and a time or None)
EXAMPLE_MOMENTS: dict[Bound, tuple[date, time | None]] = {
    Bound.START: (date(2026, 11, 27), None),
    Bound.END: (date(2026, 11, 30), None),
    Bound.DEADLINE: (date(2026, 11, 20), time(12, 0)),
}


def local_example(bound: Bound, locale: str) -> str:
    """The example moment for `bound` as the reader's locale writes it (its medium date,
    short time): a form `read_local_moment` reads back."""
    day, clock = EXAMPLE_MOMENTS[bound]
    text = format_date(day, "medium", locale=locale)
    if clock is not None:
        glue = str(get_datetime_format("medium", locale=locale))
        text = glue.replace("{1}", text).replace("{0}", format_time(clock, "short", locale=locale))
    return text.replace("\u202f", " ")


def _bad_moment(text: str, bound: Bound, locale: str | None = None) -> UserInputError:
    day, clock = EXAMPLE_MOMENTS[bound]
    example = day.isoformat() + ("" if clock is None else "T" + clock.isoformat("minutes"))
    if locale:
        return UserInputError(
            N_(
                "“{value}” is not a date I can read. Write it like <code>{local}</code> or "
                "<code>{example}</code> (year-month-day), optionally with a time: "
                "<code>{local_time}</code>."
            ),
            value=text.strip()[:40],
            local=local_example(bound, locale),
            example=example,
            local_time=local_example(Bound.DEADLINE, locale),
        )
    return UserInputError(
        N_(
            "“{value}” is not a date I can read. Write it like <code>{example}</code> "
            "(year-month-day, optionally with a time: <code>2026-11-20T12:00</code>)."
        ),
        value=text.strip()[:40],
        example=example,
    )


def check_order(deadline: datetime | None, start: datetime, end: datetime) -> None:
    """Refuse impossible orders: the end must follow the start, and registration must
    close no later than the start."""
    if end <= start:
        raise UserInputError(
            N_("The campaign must end after it starts. Check the start and end dates.")
        )
    if deadline is not None:
        check_deadline(deadline, start)


def check_deadline(deadline: datetime, start: datetime) -> None:
    if deadline > start:
        raise UserInputError(
            N_(
                "The registration deadline is after the start. Registration closes before "
                "a campaign starts: check the deadline and the start."
            )
        )


def deadline_passed(deadline: datetime | None, start: datetime, now: datetime) -> bool:
    """A registration deadline already past for a campaign that has not started yet: the
    seller is asked to confirm it (registration is probably closed) rather than it being
    stored silently. Once the start has passed too, the campaign is accepted with a warning
    (SPEC §4: a past start is accepted with a warning)."""
    return deadline is not None and deadline <= now < start


def _read_number(text: str, style: NumberStyle | None, error: UserInputError) -> Decimal:
    """A non-negative number through the one number reader (`bot.pricing.numbers`): as the
    reader writes it with a `style` ('12,5'), plain digits and '.' without. An ambiguous
    one ('1,234') is refused with both readings; anything else unreadable with `error`."""
    try:
        return parse_decimal(text, style=style)
    except InputError as exc:
        if is_ambiguous(exc):
            raise ambiguous_number(exc) from None
        raise error from None


def parse_percentage(
    text: str,
    *,
    example: str = "20%",
    allow_zero: bool = False,
    maximum: Decimal = _HUNDRED,
    style: NumberStyle | None = None,
) -> Decimal:
    """'20', '20%', '12.5 %' (with a decimal-comma `style` also '12,5 %') → Decimal('0.2')
    (a fraction); bounds are in percent."""
    stripped = text.strip()
    number = stripped[:-1].rstrip() if stripped.endswith(("%", "％")) else stripped
    value = _read_number(number, style, _bad_percent(text, example))
    if value > maximum or value < 0 or (value == 0 and not allow_zero):
        raise _bad_percent(text, example)
    try:
        limits.check_percent_text(value)
    except limits.OutOfBounds:
        raise _bad_percent(text, example) from None
    return value.scaleb(-2)


def _bad_percent(text: str, example: str) -> UserInputError:
    return UserInputError(
        N_("“{value}” is not a percentage I can use here. Write it like <code>{example}</code>."),
        value=text.strip()[:24],
        example=example,
    )


def parse_min_discount(text: str, style: NumberStyle | None = None) -> Decimal | None:
    """A minimum discount from 1 % to 99 % (none/0 clears it)."""
    if text.strip().lower() in CLEAR_WORDS:
        return None
    value = parse_percentage(text, example="20%", maximum=Decimal(99), style=style)
    return value


def parse_margin(text: str, style: NumberStyle | None = None) -> Decimal | None:
    """A target margin override, 0 to 95 % (exclusive); team/none clears it."""
    if text.strip().lower() in CLEAR_WORDS - {"0"}:
        return None
    value = parse_percentage(text, example="18%", allow_zero=True, style=style)
    if value >= MAX_TARGET_MARGIN:
        raise _bad_percent(text, "18%")
    return value


def parse_reference_rule(text: str) -> ReferenceRule:
    key = text.strip().lower().replace("-", "_")
    aliases = {
        "list": ReferenceRule.LIST,
        "list_price": ReferenceRule.LIST,
        "lowest_30d": ReferenceRule.LOWEST_30D,
        "lowest30d": ReferenceRule.LOWEST_30D,
        "lowest": ReferenceRule.LOWEST_30D,
        "30d": ReferenceRule.LOWEST_30D,
    }
    if key not in aliases:
        raise UserInputError(
            N_(
                "“{value}” is not a reference-price rule. Write <code>list</code> (discount "
                "from the list price) or <code>lowest_30d</code> (from the lowest price of the "
                "30 days before the start)."
            ),
            value=text.strip()[:24],
        )
    return aliases[key]


def parse_amount(
    text: str, digits: int, *, allow_zero: bool = False, style: NumberStyle | None = None
) -> Decimal:
    """An amount with at most `digits` decimals, at most 10^9 and — unless `allow_zero` — at
    least one minor unit (SPEC §4.2); written as the reader writes numbers (`style`), plain
    digits and '.' without one."""
    stripped = text.strip()
    try:
        value = parse_decimal(stripped, style=style)
    except InputError as exc:
        if is_ambiguous(exc):
            raise ambiguous_number(exc) from None
        if exc.problem is not InputProblem.TOO_LARGE:
            raise _bad_amount(text, digits, style) from None
        value = limits.MAX_AMOUNT + 1
    if value > limits.MAX_AMOUNT:
        raise UserInputError(
            N_("“{value}” is too large: amounts go up to 1,000,000,000."),
            value=stripped[:24],
        )
    try:
        limits.check_amount(value, positive=not allow_zero, unit=Decimal(1).scaleb(-digits))
    except limits.OutOfBounds:
        raise _bad_amount(text, digits, style) from None
    return value


def _bad_amount(text: str, digits: int, style: NumberStyle | None = None) -> UserInputError:
    mark = "," if style is not None and style.decimal_comma else "."
    example = "1990" if digits == 0 else "19" + mark + "9" * digits
    return UserInputError(
        N_(
            "“{value}” is not an amount I can use. Write a positive number with at most "
            "{digits} decimals, like <code>{example}</code>."
        ),
        value=text.strip()[:24],
        digits=digits,
        example=example,
    )


@dataclass(frozen=True, slots=True)
class SubsidySpec:
    """`none`, `fixed:AMOUNT` (per unit) or `share:PCT[:cap:AMOUNT]` (of the discount)."""

    kind: SubsidyKind
    value: Decimal | None = None  # the amount (fixed) or the share (a fraction)
    cap: Decimal | None = None

    def text(self) -> str:
        """The syntax that parses back to this value."""
        if self.kind is SubsidyKind.FIXED:
            return f"fixed:{self.value}"
        if self.kind is SubsidyKind.SHARE:
            assert self.value is not None
            share = format((self.value * _HUNDRED).normalize(), "f")
            return f"share:{share}%" + ("" if self.cap is None else f":cap:{self.cap}")
        return "none"


def parse_subsidy(text: str, digits: int, style: NumberStyle | None = None) -> SubsidySpec:
    raw = text.strip().lower()
    parts = [p.strip() for p in raw.split(":")]
    try:
        if raw in ("none", "no", "0", "-"):
            return SubsidySpec(SubsidyKind.NONE)
        if parts[0] == "fixed" and len(parts) == 2:
            return SubsidySpec(SubsidyKind.FIXED, parse_amount(parts[1], digits, style=style))
        if parts[0] == "share" and len(parts) in (2, 4):
            share = parse_percentage(parts[1], example="30%", style=style)
            cap = None
            if len(parts) == 4:
                if parts[2] != "cap":
                    raise ValueError
                cap = parse_amount(parts[3], digits, style=style)
            return SubsidySpec(SubsidyKind.SHARE, share, cap)
    except AmbiguousNumber:
        raise
    except (UserInputError, ValueError):
        pass
    raise UserInputError(
        N_(
            "“{value}” is not a subsidy I can read. Write <code>none</code>, "
            "<code>fixed:2</code> (the platform pays 2 per unit) or "
            "<code>share:30%:cap:5</code> (the platform funds 30 % — at most 5 per unit — of "
            "each discount; the cap is optional)."
        ),
        value=text.strip()[:40],
    )


def parse_name(text: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME_LENGTH:
        raise UserInputError(
            N_("A campaign name has 1 to {limit} characters, like <code>Black Friday</code>."),
            limit=MAX_NAME_LENGTH,
        )
    return name


def parse_campaign_ref(text: str) -> int:
    """`3` or `#3` → 3. A number no campaign can have (0, or beyond the id column) is not
    found, like any other campaign that does not exist."""
    raw = text.strip().lstrip("#")
    campaign_id = limits.parse_id(raw)
    if campaign_id is not None:
        return campaign_id
    if raw.isascii() and raw.isdigit():
        raise NotFound(
            N_("There is no campaign #{id} in this team. /campaigns lists them."), id=raw[:24]
        )
    raise UserInputError(
        N_(
            "“{value}” is not a campaign number. /campaigns lists them; write the number, "
            "like <code>/campaign 3</code>."
        ),
        value=text.strip()[:24],
    )
