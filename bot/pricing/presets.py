"""Channel presets shipped in `presets.json`: typed, looked up by name (any case)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from bot.pricing.fields import CHANNEL_FIELDS, parse_channel_value
from bot.pricing.model import Channel
from bot.pricing.reasons import InputError, InputProblem

__all__ = ["Preset", "UnknownPresetError", "get_preset", "load_presets", "preset_names"]

DEFAULT_PRESET = "custom"


class UnknownPresetError(InputError):
    """No preset has that name."""

    def __init__(self, name: str) -> None:
        super().__init__(
            InputProblem.NOT_A_CHOICE, name, "channel", limit=", ".join(preset_names())
        )


@dataclass(frozen=True, slots=True)
class Preset:
    """A starting channel profile, with the date its figures were checked and their source."""

    name: str
    channel: Channel
    as_of: date
    source: str


def _parse_preset(name: str, raw: Mapping[str, Any]) -> Preset:
    values: dict[str, object] = {}
    for field, value in raw.items():
        if field in ("as_of", "source"):
            continue
        if field not in CHANNEL_FIELDS:
            raise ValueError(f"preset {name}: unknown field {field!r}")
        text = str(value).lower() if isinstance(value, bool) else str(value)
        values[field] = parse_channel_value(field, text)
    return Preset(
        name=name,
        channel=Channel(**values),  # type: ignore[arg-type]
        as_of=date.fromisoformat(raw["as_of"]),
        source=str(raw["source"]),
    )


@cache
def load_presets() -> Mapping[str, Preset]:
    """All presets by lower-case name, in file order."""
    text = resources.files("bot.pricing").joinpath("presets.json").read_text(encoding="utf-8")
    data = json.loads(text)
    presets = {
        name.lower(): _parse_preset(name.lower(), raw) for name, raw in data["presets"].items()
    }
    return MappingProxyType(presets)


def preset_names() -> list[str]:
    return list(load_presets())


def get_preset(name: str) -> Preset:
    """The preset called `name` (case-insensitive); raises `UnknownPresetError`."""
    try:
        return load_presets()[name.strip().lower()]
    except KeyError:
        raise UnknownPresetError(name) from None
