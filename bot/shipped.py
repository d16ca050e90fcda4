"""What the project ships, for modules that must stay light (chart and file workers
import bot.i18n; bot.config would bring pydantic-settings and SQLAlchemy with it)."""

from __future__ import annotations

from pathlib import Path

SHIPPED_LOCALES: tuple[str, ...] = ("en", "zh_CN", "ko", "es", "de", "pt_BR")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
