"""The typed callback context every handler receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.db.uow import UnitOfWork, UnitOfWorkFactory
from bot.i18n import Translator, negotiate_locale


@dataclass
class Runtime:
    """What the composition root wires once and every handler or job may use."""

    settings: Settings
    uow_factory: UnitOfWorkFactory
    clock: Clock
    extras: dict[str, Any] = field(default_factory=dict)


RUNTIME_KEY = "runtime"
ENGINE_KEY = "engine"  # bot_data: the application's AsyncEngine


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Adds the runtime, a unit of work and the reader's translator.

    PTB builds the context before the per-update setup handler (group -1)
    runs, so the translator is set there and read lazily here."""

    _translator: Translator | None = None

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._translator = None

    @property
    def runtime(self) -> Runtime:
        runtime = self.bot_data[RUNTIME_KEY]
        assert isinstance(runtime, Runtime)
        return runtime

    def uow(self) -> UnitOfWork:
        return self.runtime.uow_factory()

    @property
    def t(self) -> Translator:
        """The reader's translator (locale and time zone)."""
        if self._translator is None:
            default = self.runtime.settings.default_locale
            self._translator = Translator(default, self.runtime.settings.default_timezone)
        return self._translator

    def set_reader(self, locale: str, timezone: str) -> None:
        self._translator = Translator(locale, timezone)

    def reader_from_language_code(self, language_code: str | None) -> Translator:
        settings = self.runtime.settings
        return Translator(
            negotiate_locale(language_code, settings.default_locale), settings.default_timezone
        )
