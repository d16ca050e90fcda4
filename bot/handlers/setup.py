"""Per-update setup (handler group -1): record the user, pick the reader's language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.handlers.common import actor_from
from bot.i18n import negotiate_locale
from bot.services import users

SETUP_GROUP = -1


async def prepare_update(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is not None and user.is_bot:
        raise ApplicationHandlerStop  # ignore other bots (and our own echoes)
    await resolve_reader(update, context)


async def resolve_reader(update: Update, context: BotContext) -> None:
    """Record the user and set the reader's locale and zone on the context.

    Also used by the error handler, which PTB gives a fresh context."""
    user, chat = update.effective_user, update.effective_chat
    settings = context.runtime.settings
    if user is None or chat is None:
        return
    async with context.uow() as uow:
        reader = await users.touch_user(uow, actor_from(update), context.runtime.clock.now())
        await uow.commit()
    locale = reader.locale or negotiate_locale(user.language_code, settings.default_locale)
    context.set_reader(locale, reader.timezone or settings.default_timezone)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, prepare_update), group=SETUP_GROUP)
