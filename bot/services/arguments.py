"""Command arguments (`code key=value "quoted value"`) and the engine's field errors in words.

Pure: no Telegram, no database. The chat layer gives the text after the command;
an `InputError` from the pricing engine's parsers becomes a `UserInputError` whose
message names the field, the value and the right way to write it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from bot.domain.errors import N_, Msg, NotFound, Percent, UserInputError
from bot.domain.numbers import ambiguous_number, is_ambiguous, reader_style
from bot.pricing import InputError, InputProblem, NumberStyle
from bot.services.guess import command_budget, nearest

MAX_SHOWN_VALUE = 40

# Why a value was refused, as a phrase that follows the value: "“abc” is not a number …".
# Keyed by `InputProblem` values plus the chat layer's own problems ("too_long").
TOO_LONG = InputProblem.TOO_LONG.value
UNKNOWN_CHANNEL = "unknown_channel"
PROBLEM_HINTS: dict[str, str] = {
    InputProblem.REQUIRED: N_("is required."),
    InputProblem.NOT_A_NUMBER: N_("is not a number: use digits and a decimal point, like 12.5."),
    InputProblem.NEGATIVE: N_("must not be negative."),
    InputProblem.NOT_POSITIVE: N_("must be greater than 0."),
    InputProblem.OVER_MAXIMUM: N_("is over {limit}."),
    InputProblem.TOO_MANY_DECIMALS: N_("has more decimal places than the currency has."),
    InputProblem.UNKNOWN_CURRENCY: N_(
        "is not an ISO 4217 currency code (three letters, like CNY or USD)."
    ),
    InputProblem.UNKNOWN_FIELD: N_("is not a field I know."),
    InputProblem.NOT_A_CHOICE: N_("is not one of the allowed values."),
    InputProblem.NOT_A_BOOLEAN: N_("is not yes or no: write true or false."),
    InputProblem.DUPLICATE: N_("appears more than once."),
    InputProblem.MALFORMED: N_("cannot be read."),
    InputProblem.TOO_LARGE: N_("is too large: amounts go up to 1,000,000,000."),
    InputProblem.TOO_PRECISE: N_("has too many decimal places."),
    InputProblem.RATE_OUT_OF_RANGE: N_(
        "is not a rate I accept: rates go from 0.000001 to 1,000,000."
    ),
    InputProblem.YEAR_OUT_OF_RANGE: N_("is not a year I accept: use 2000 to 2100."),
    InputProblem.AMBIGUOUS: N_(
        "can be read two ways: with a thousands separator or with decimals. Write whole "
        "numbers without a thousands separator."
    ),
    TOO_LONG: N_("is too long."),
    UNKNOWN_CHANNEL: N_("names a channel this team does not have."),
}


def problem_hint(problem: str) -> str:
    """The hint's msgid; its `{limit}` (over the maximum) is filled by `problem_msg`, or
    by a view with `limit=_.percent(HUNDRED_PERCENT)`."""
    return PROBLEM_HINTS.get(problem, PROBLEM_HINTS[InputProblem.MALFORMED])


HUNDRED_PERCENT = Decimal(1)


def problem_msg(problem: str) -> Msg:
    """The hint as a message parameter, with its placeholders."""
    return Msg(problem_hint(problem), limit=Percent(HUNDRED_PERCENT))


def shown(value: object) -> str:
    """A user's value as quoted back to them: trimmed to a sensible length."""
    text = "" if value is None else str(value)
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 1] + "…"


def field_error(exc: InputError, example: str, *, field_name: str | None = None) -> UserInputError:
    """The engine's refusal of one field, in words, with an example of the right form."""
    name = field_name or exc.field or "?"
    if is_ambiguous(exc):
        return ambiguous_number(exc, name)
    if exc.problem is InputProblem.REQUIRED:
        return UserInputError(
            N_("<b>{field}</b> is required.\nWrite it like <code>{example}</code>"),
            field=name,
            example=example,
        )
    if exc.problem in (InputProblem.NOT_A_CHOICE, InputProblem.UNKNOWN_FIELD):
        return UserInputError(
            N_(
                "<b>{field}</b>: “{value}” is not one of: {choices}.\n"
                "Write it like <code>{example}</code>"
            ),
            field=name,
            value=shown(exc.value),
            choices=str(exc.limit or ""),
            example=example,
        )
    return UserInputError(
        N_("<b>{field}</b>: “{value}” {problem}\nWrite it like <code>{example}</code>"),
        field=name,
        value=shown(exc.value),
        problem=problem_msg(exc.problem),
        example=example,
    )


def unknown_key(key: str, choices: list[str], example: str) -> UserInputError:
    return UserInputError(
        N_(
            "“{value}” is not a field I know here. Fields: {choices}.\n"
            "Write it like <code>{example}</code>"
        ),
        value=shown(key),
        choices=", ".join(choices),
        example=example,
    )


# --- tokenizing ---------------------------------------------------------------------------
_CLOSING = {'"': '"', "“": "”", "„": "“", "«": "»"}


def split_args(text: str) -> list[str]:
    """Split on whitespace; "double quotes" (also the typographic ones phones insert)
    keep spaces inside one argument: `name="Blue mug"` → `name=Blue mug`."""
    tokens: list[str] = []
    current: list[str] = []
    started = False
    closing: str | None = None
    for char in text:
        if closing is not None:
            if char == closing:
                closing = None
            else:
                current.append(char)
        elif char in _CLOSING:
            closing = _CLOSING[char]
            started = True
        elif char.isspace():
            if started or current:
                tokens.append("".join(current))
                current, started = [], False
        else:
            current.append(char)
    if closing is not None:
        raise UserInputError(
            N_(
                "A quotation mark is not closed. Put values with spaces in quotes, like "
                '<code>name="Blue mug"</code>.'
            )
        )
    if started or current:
        tokens.append("".join(current))
    return tokens


def command_text(message_text: str | None) -> str:
    """The text after `/command` (or `/command@bot`)."""
    if not message_text:
        return ""
    parts = message_text.split(maxsplit=1)
    if not parts or not parts[0].startswith("/"):
        return message_text.strip()
    return parts[1] if len(parts) > 1 else ""


@dataclass(frozen=True, slots=True)
class Arguments:
    """Positional words first, then `key=value` pairs (keys lower-cased, in order), and the
    locale of the reader who wrote them: numbers are read as that reader writes them."""

    words: list[str] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)
    locale: str | None = None

    def keys(self) -> list[str]:
        return [key for key, _ in self.pairs]

    @property
    def style(self) -> NumberStyle | None:
        return reader_style(self.locale)

    def rest(self) -> Arguments:
        """The arguments after the first word."""
        return Arguments(self.words[1:], self.pairs, self.locale)


def parse_arguments(text: str, locale: str | None = None) -> Arguments:
    words: list[str] = []
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for token in split_args(text):
        key, sep, value = token.partition("=")
        if not sep:
            words.append(token)
            continue
        key = key.strip().lower()
        if not key:
            raise UserInputError(
                N_("“{value}” has no field name before “=”. Write it like <code>{example}</code>"),
                value=shown(token),
                example="unit_cost=12.5",
            )
        if key in seen:
            raise UserInputError(
                N_("<b>{field}</b> is given twice. Give each field once."), field=shown(key)
            )
        seen.add(key)
        pairs.append((key, value.strip()))
    return Arguments(words, pairs, locale)


# --- near-misses of subcommands -------------------------------------------------------------
MAX_SUGGESTION = 80


def near_subcommand(
    command: str, tail: str, subcommands: Sequence[str], *, at: int = 0
) -> UserInputError | None:
    """`/sku ad TM-006 …` → "Did you mean /sku add TM-006 …?": the word at position `at`
    of `tail` (the text after the command) is a typo of one of `subcommands` (and not one
    of them). The suggestion is the whole command with that word corrected."""
    words = tail.split()
    if not 0 <= at < len(words):
        return None
    typed = words[at]
    found = nearest(typed, subcommands, budget=command_budget)
    if found is None:
        return None
    suggestion = " ".join([f"/{command}", *words[:at], found, *words[at + 1 :]])
    if len(suggestion) > MAX_SUGGESTION:
        suggestion = suggestion[: MAX_SUGGESTION - 1] + "…"
    return UserInputError(
        N_(
            "“{value}” is not something <code>/{command}</code> does. Did you mean "
            "<code>{suggestion}</code>?"
        ),
        value=shown(typed),
        command=command,
        suggestion=suggestion,
    )


@contextmanager
def suggesting_subcommand(
    command: str,
    tail: str,
    subcommands: Sequence[str],
    *,
    after_name: Sequence[str] = (),
    names: bool = True,
) -> Iterator[None]:
    """Turn a refusal into "did you mean" when a word was a typo of a subcommand.

    With `names` (the first word is a subcommand or a name: `/sku add A1`, `/sku A1`): only
    when the name is not found, or is followed by a plain word a name cannot be followed
    by; `after_name` are the words that may follow a name (`/sku A1 history`). Without
    `names`, the first word is only ever a subcommand (`/reminders reset`)."""
    try:
        yield
    except (NotFound, UserInputError) as exc:
        words = [word for word in tail.split() if "=" not in word]
        found = None
        if names and not isinstance(exc, NotFound):
            if len(words) < 2:
                raise  # `/sku de unit_cost=x` for a SKU called "de": its own error stands
            if after_name and "=" not in tail.split()[1]:  # the name exists: what follows?
                found = near_subcommand(command, tail, after_name, at=1)
        if found is None:
            found = near_subcommand(command, tail, subcommands)
        if found is None:
            raise
        raise found from exc
