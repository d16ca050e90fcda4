"""The input bounds of SPEC §4.2 ("Limits"), table by table: `bot/limits.py` itself, and
the parsers that apply them — the engine's field parsers (chat, `floors`, imports), the
campaign input, the callback codec and the configuration's password masking."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

import pytest

from bot import limits
from bot.config import describe_validation_error, mask_secrets
from bot.domain.campaigns import (
    Bound,
    parse_amount,
    parse_campaign_ref,
    parse_moment,
    parse_percentage,
)
from bot.domain.errors import NotFound, UserInputError
from bot.limits import OutOfBounds, Problem
from bot.pricing import (
    InputError,
    InputProblem,
    SkuRowParser,
    parse_channel_value,
    parse_decimal,
    parse_percent,
    parse_rate,
)
from bot.pricing import parse_amount as parse_money
from bot.views.callbacks import BadCallbackData, decode

D = Decimal
BIG = "9" * 31


def problem_of(call: object) -> str | None:
    """The bounds problem a call raises (None when it returns)."""
    try:
        call()  # type: ignore[operator]
    except OutOfBounds as exc:
        return exc.problem.value
    except InputError as exc:
        return exc.problem.value
    return None


# -- amounts, rates, percentages -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "options", "problem"),
    [
        (D(0), {}, None),
        (D("1000000000"), {}, None),
        (D("1000000000.00"), {}, None),
        (D("1000000000.000001"), {}, Problem.TOO_LARGE),
        (D(BIG), {}, Problem.TOO_LARGE),
        (D("1E+999999999"), {}, Problem.TOO_LARGE),
        (D("0.000001"), {}, None),
        (D("0.0000010"), {}, None),  # trailing zeros do not count
        (D("0.0000001"), {}, Problem.TOO_PRECISE),
        (D("1E-999999999"), {}, Problem.TOO_PRECISE),
        (D("-1"), {}, Problem.NEGATIVE),
        (D("NaN"), {}, Problem.NOT_A_NUMBER),
        (D("Infinity"), {}, Problem.NOT_A_NUMBER),
        (D("0.01"), {"positive": True, "unit": D("0.01")}, None),
        (D("0"), {"positive": True, "unit": D("0.01")}, Problem.NOT_POSITIVE),
        (D("0.001"), {"positive": True, "unit": D("0.01")}, Problem.TOO_MANY_DECIMALS),
        (D("1"), {"positive": True, "unit": D("1")}, None),
        (D("0.5"), {"positive": True, "unit": D("1")}, Problem.TOO_MANY_DECIMALS),
        (D("0.5"), {"positive": True}, None),
        (D("0"), {"positive": True}, Problem.NOT_POSITIVE),
    ],
)
def test_check_amount(value: Decimal, options: dict[str, object], problem: str | None) -> None:
    assert problem_of(lambda: limits.check_amount(value, **options)) == problem  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (D("0.000001"), None),
        (D("1000000"), None),
        (D("7.1"), None),
        (D("0.000000999999"), Problem.RATE_OUT_OF_RANGE),
        (D("1000000.000001"), Problem.RATE_OUT_OF_RANGE),
        (D("0"), Problem.RATE_OUT_OF_RANGE),
        (D("-7.1"), Problem.RATE_OUT_OF_RANGE),
        (D("1E-27"), Problem.RATE_OUT_OF_RANGE),
        (D("1.0000000000001"), Problem.TOO_PRECISE),
        (D("NaN"), Problem.NOT_A_NUMBER),
    ],
)
def test_check_rate(value: Decimal, problem: str | None) -> None:
    assert problem_of(lambda: limits.check_rate(value)) == problem


@pytest.mark.parametrize(
    ("value", "places"),
    [
        (D("1"), 0),
        (D("1.50"), 1),
        (D("1E+3"), 0),
        (D("0.000"), 0),
        (D("0E-50"), 0),
        (D("12.3456"), 4),
        (D("1E-999999999"), 999999999),
    ],
)
def test_decimal_places(value: Decimal, places: int) -> None:
    assert limits.decimal_places(value) == places


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", D(12)),
        ("12.5", D("12.5")),
        (".5", D("0.5")),
        ("1000000000", D(1000000000)),
        ("1000000000.5", InputProblem.TOO_LARGE),
        (BIG, InputProblem.TOO_LARGE),
        ("0.0000000000001", InputProblem.TOO_PRECISE),
        ("0.000000000001", D("0.000000000001")),
        ("1" + "0" * 40, InputProblem.NOT_A_NUMBER),  # longer than any number is written
        ("1e3", InputProblem.NOT_A_NUMBER),
        ("NaN", InputProblem.NOT_A_NUMBER),
        ("1,000", InputProblem.NOT_A_NUMBER),
        ("-1", InputProblem.NEGATIVE),
        ("١٢", InputProblem.NOT_A_NUMBER),  # Arabic-Indic digits
    ],
)
def test_parse_decimal(text: str, expected: object) -> None:
    if isinstance(expected, Decimal):
        assert parse_decimal(text) == expected
    else:
        assert problem_of(lambda: parse_decimal(text)) == expected


@pytest.mark.parametrize(
    ("text", "options", "expected"),
    [
        ("19.9", {"positive": True, "currency": "USD"}, D("19.90")),
        ("1990", {"positive": True, "currency": "KRW"}, D(1990)),
        ("19.999", {"positive": True, "currency": "USD"}, InputProblem.TOO_MANY_DECIMALS),
        ("0", {"positive": True, "currency": "USD"}, InputProblem.NOT_POSITIVE),
        ("0.5", {"positive": True, "currency": "JPY"}, InputProblem.TOO_MANY_DECIMALS),
        ("1000000000", {"positive": True, "currency": "USD"}, D("1000000000.00")),
        ("1000000000.01", {"positive": True, "currency": "USD"}, InputProblem.TOO_LARGE),
        ("0", {}, D(0)),
        ("0.0035", {}, D("0.0035")),
        ("0.0000001", {}, InputProblem.TOO_PRECISE),
    ],
)
def test_parse_money_amount(text: str, options: dict[str, object], expected: object) -> None:
    if isinstance(expected, Decimal):
        value = parse_money(text, **options)  # type: ignore[arg-type]
        assert value == expected and str(value) == str(expected)
    else:
        assert problem_of(lambda: parse_money(text, **options)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.10", D("7.10")),
        ("0.000001", D("0.000001")),
        ("1000000", D(1000000)),
        ("0.0000009", InputProblem.RATE_OUT_OF_RANGE),
        ("1000001", InputProblem.RATE_OUT_OF_RANGE),
        ("0", InputProblem.RATE_OUT_OF_RANGE),
        ("0.000000000000000000000000001", InputProblem.TOO_PRECISE),
    ],
)
def test_parse_rate(text: str, expected: object) -> None:
    if isinstance(expected, Decimal):
        assert parse_rate(text) == expected
    else:
        assert problem_of(lambda: parse_rate(text)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15", D("0.15")),
        ("12.3456 %", D("0.123456")),
        ("12.34567", InputProblem.TOO_PRECISE),
        ("101", InputProblem.OVER_MAXIMUM),
        (BIG, InputProblem.TOO_LARGE),
        ("-5", InputProblem.NEGATIVE),
    ],
)
def test_parse_percent(text: str, expected: object) -> None:
    if isinstance(expected, Decimal):
        assert parse_percent(text) == expected
    else:
        assert problem_of(lambda: parse_percent(text)) == expected


@pytest.mark.parametrize(
    ("field", "text", "problem"),
    [
        ("fulfilment_fee", "9" * 27, InputProblem.TOO_LARGE),
        ("fulfilment_fee", "3.5", None),
        ("payment_fixed", "0.0000001", InputProblem.TOO_PRECISE),
        ("commission", "12.12345", InputProblem.TOO_PRECISE),
        ("discount_step", "0", InputProblem.NOT_POSITIVE),
    ],
)
def test_channel_fields_are_bounded(field: str, text: str, problem: str | None) -> None:
    assert problem_of(lambda: parse_channel_value(field, text)) == problem


HEADER = ["sku", "name", "unit_cost", "packaging", "list_price", "lowest_30d"]


@pytest.mark.parametrize(
    ("row", "field", "problem"),
    [
        (["A", "", "12.5", "", "19.99", ""], None, None),
        (["A", "", "999999999.999999", "", "", ""], None, None),
        (["A", "", BIG, "", "", ""], "unit_cost", InputProblem.TOO_LARGE),
        (["A", "", "1000000000.5", "", "", ""], "unit_cost", InputProblem.TOO_LARGE),
        (["A", "", "1.1234567", "", "", ""], "unit_cost", InputProblem.TOO_PRECISE),
        (["A", "", "1", "9" * 20, "", ""], "packaging", InputProblem.TOO_LARGE),
        (["A", "", "1", "", "1" + "0" * 30, ""], "list_price", InputProblem.TOO_LARGE),
        (["A", "", "1", "", "", "0.001"], "lowest_30d", InputProblem.TOO_MANY_DECIMALS),
        (["A", "x" * 201, "1", "", "", ""], "name", InputProblem.TOO_LONG),
        (["A", "x" * 200, "1", "", "", ""], None, None),
        (["A", "'=" + "x" * 199, "1", "", "", ""], None, None),  # an export's escape
    ],
)
def test_sku_rows_are_bounded(row: list[str], field: str | None, problem: str | None) -> None:
    parser = SkuRowParser(HEADER, "USD")
    try:
        parser.parse(row)
        parser.parse_cost(row)
    except InputError as exc:
        assert (exc.field, exc.problem.value) == (field, problem)
    else:
        assert problem is None


# -- campaign input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2026-11-27", True),
        ("2000-01-01", True),
        ("2100-12-31T12:00", True),
        ("1999-12-31", False),
        ("2101-01-01", False),
        ("9999-12-20", False),
        ("0001-11-27", False),
    ],
)
def test_campaign_dates_are_between_2000_and_2100(text: str, ok: bool) -> None:
    if ok:
        assert parse_moment(text, "Pacific/Kiritimati", Bound.END).tzinfo is UTC
    else:
        with pytest.raises(UserInputError) as caught:
            parse_moment(text, "Pacific/Kiritimati", Bound.END)
        assert caught.value.params["first"] == 2000 and caught.value.params["last"] == 2100


@pytest.mark.parametrize(
    ("text", "digits", "options", "expected"),
    [
        ("19.99", 2, {}, D("19.99")),
        ("1000000000", 2, {}, D(1000000000)),
        ("1000000000.01", 2, {}, "too large"),
        ("99999999999999999999", 0, {}, "too large"),
        ("0", 2, {}, "not an amount"),
        ("0", 2, {"allow_zero": True}, D(0)),
        ("0.001", 2, {}, "not an amount"),
        ("1E-999999999", 2, {}, "not an amount"),
    ],
)
def test_campaign_amounts(
    text: str, digits: int, options: dict[str, bool], expected: object
) -> None:
    if isinstance(expected, Decimal):
        assert parse_amount(text, digits, **options) == expected
        return
    with pytest.raises(UserInputError) as caught:
        parse_amount(text, digits, **options)
    assert expected in caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20", D("0.2")),
        ("12.5%", D("0.125")),
        ("12.3456", D("0.123456")),
        ("12.34567", None),
        ("NaN", None),
        ("1E-999999999", None),
    ],
)
def test_campaign_percentages(text: str, expected: Decimal | None) -> None:
    if expected is not None:
        assert parse_percentage(text) == expected
    else:
        with pytest.raises(UserInputError):
            parse_percentage(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3", 3),
        ("#3", 3),
        ("2147483647", 2147483647),
        ("2147483648", NotFound),
        ("99999999999999999999999", NotFound),
        ("0", NotFound),
        ("abc", UserInputError),
        ("３", UserInputError),  # a full-width digit
        ("-1", UserInputError),
    ],
)
def test_campaign_numbers_beyond_the_id_column_are_not_found(text: str, expected: object) -> None:
    if isinstance(expected, int):
        assert parse_campaign_ref(text) == expected
    else:
        with pytest.raises(expected):  # type: ignore[call-overload]
            parse_campaign_ref(text)


# -- ids, pages, callback data -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        ("2147483647", 2147483647),
        ("2147483648", None),
        ("9223372036854775808", None),
        ("9" * 40, None),
        ("9" * 41, None),
        ("0", None),
        ("-1", None),
        ("+1", None),
        ("1e3", None),
        ("１", None),
        ("", None),
    ],
)
def test_parse_id(text: str, expected: int | None) -> None:
    assert limits.parse_id(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("-9223372036854775808", -(2**63)),
        ("9223372036854775807", 2**63 - 1),
        ("9223372036854775808", None),
        ("-9223372036854775809", None),
        ("-1001234567890", -1001234567890),
        ("12a", None),
    ],
)
def test_parse_int64(text: str, expected: int | None) -> None:
    assert limits.parse_int64(text) == expected


@pytest.mark.parametrize(
    ("data", "method", "expected"),
    [
        ("1:cpc:7", "id_arg", 7),
        ("1:cpc:2147483648", "id_arg", None),
        ("1:cpc:0", "id_arg", None),
        ("1:cpc:-3", "id_arg", None),
        ("1:tmem:-1001234567890", "int_arg", -1001234567890),
        ("1:tmem:99999999999999999999", "int_arg", None),
        ("1:skus:3", "page_arg", 3),
        ("1:skus:100001", "page_arg", 100000),  # beyond the last page: the last page
        ("1:skus:abc", "page_arg", None),
        ("1:skus:-1", "page_arg", None),
    ],
)
def test_callback_arguments_are_bounded(data: str, method: str, expected: int | None) -> None:
    callback = decode(data)
    if expected is None:
        with pytest.raises(BadCallbackData):
            getattr(callback, method)(0)
    else:
        assert getattr(callback, method)(0) == expected


@pytest.mark.parametrize("text", ["1E-999999999", "NaN", "1e3", "-1", "50.001", "99999999999"])
def test_callback_values_are_read_by_the_typed_parser(text: str) -> None:
    with pytest.raises(BadCallbackData):
        decode(f"1:cpw:{text}").parsed(0, lambda value: parse_amount(value, 2))
    assert decode("1:cpw:49.99").parsed(0, lambda value: parse_amount(value, 2)) == D("49.99")


# -- names, years, time zones -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("Blue mug", 40, "Blue mug"),
        ("  Blue \n mug  ", 40, "Blue mug"),
        ("x" * 40, 40, "x" * 40),
        ("x" * 41, 40, "x" * 39 + "…"),
        ("word " * 20, 12, "word word w…"),
        ("", 40, ""),
        (None, 40, ""),
    ],
)
def test_shorten(text: str | None, width: int, expected: str) -> None:
    assert limits.shorten(text, width) == expected
    assert len(limits.shorten(text, width)) <= width


@pytest.mark.parametrize(
    ("text", "ok"),
    [("x" * 200, True), ("x" * 201, False), ("  " + "x" * 200 + "  ", True), ("", True)],
)
def test_check_name(text: str, ok: bool) -> None:
    assert (problem_of(lambda: limits.check_name(text)) is None) is ok


@pytest.mark.parametrize(
    ("value", "ok"),
    [(2000, True), (2100, True), (1999, False), (2101, False), (date(9999, 1, 1), False)],
)
def test_check_year(value: int | date, ok: bool) -> None:
    assert (problem_of(lambda: limits.check_year(value)) is None) is ok
    assert limits.year_in_range(value if isinstance(value, int) else value.year) is ok


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("Asia/Seoul", True),
        ("UTC", True),
        ("Etc/GMT+8", True),
        ("America/Argentina/Buenos_Aires", True),
        ("A" * 5000, False),
        ("Europe/" + "B" * 300, False),
        ("../../../../etc/passwd", False),
        ("/etc/localtime", False),
        ("Asia/Seoul\x00", False),
        ("Asia/Nowhere", False),
        ("", False),
    ],
)
def test_time_zone_names(name: str, ok: bool) -> None:
    assert limits.is_valid_timezone(name) is ok


# -- what was stored before the bounds -----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "amount", "fraction"),
    [
        (D("12.5"), D("12.5"), D(1)),
        (D(BIG), D(10) ** 9, D(1)),
        (D("1E-999999999"), D(0), D(0)),
        (D("0.15"), D("0.15"), D("0.15")),
        (D("-3"), D(0), D(0)),
        (D("0"), D(0), D(0)),
    ],
)
def test_stored_values_enter_the_engine_within_the_bounds(
    value: Decimal, amount: Decimal, fraction: Decimal
) -> None:
    assert limits.stored_amount(value) == amount
    assert limits.stored_fraction(value) == fraction


def test_a_stored_duty_may_pass_100_percent() -> None:
    assert limits.stored_fraction(D("1.45"), limits.MAX_STORED_DUTY) == D("1.45")
    assert limits.stored_fraction(D(BIG), limits.MAX_STORED_DUTY) == limits.MAX_STORED_DUTY


@pytest.mark.parametrize(
    ("value", "expected"),
    [(D("7.1"), D("7.1")), (D("1E-27"), None), (D("1E+9"), None), (D("0.000001"), D("0.000001"))],
)
def test_stored_rates(value: Decimal, expected: Decimal | None) -> None:
    assert limits.stored_rate(value) == expected


# -- secrets in configuration errors ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hidden", "kept"),
    [
        ("postgresql://bob:hunter2@db/x", "hunter2", "postgresql://bob:***@db/x"),
        ("postgresql://bob:s3:cr@t@db/x", "s3:cr@t", "@db/x"),
        ("postgres//bob:hunter2@db", "hunter2", "@db"),
        ("bob:hunter2@db/x", "hunter2", "@db/x"),
        ("host=db password=hunter2 user=x", "hunter2", "user=x"),
        ("https://u:hunter2@example.com/x", "hunter2", "example.com"),
        ("postgresql://bob@db/x", "", "postgresql://bob@db/x"),
    ],
)
def test_mask_secrets(text: str, hidden: str, kept: str) -> None:
    masked = mask_secrets(text)
    if hidden:
        assert hidden not in masked
    assert kept in masked


@pytest.mark.parametrize(
    "url",
    [
        "postgres//bob:hunter2@db",
        "postgresql://bob:hunter2@db:notaport/x",
        "postgresql:/bob:hunter2@db",
        "bob:hunter2@db/x",
        "postgresql://bob:hunter2@[::1/x",
        "postgresql://bob:hun ter2@db:x/y",
    ],
)
def test_a_malformed_database_url_never_shows_its_password(url: str) -> None:
    from pydantic import ValidationError

    from bot.config import Settings

    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, database_url=url)  # type: ignore[call-arg]
    line = describe_validation_error(caught.value)
    assert line.startswith("DATABASE_URL: ")
    assert "hunter2" not in line and "ter2" not in line
