"""The one error handler: expected errors become a localized reply; anything else is
logged and the user gets a short apology in their language (never a traceback)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError

from bot.context import BotContext
from bot.domain.errors import UserFacingError
from bot.handlers import guesses
from bot.handlers.common import answer_user_error, reply
from bot.handlers.setup import refuse_outsider, resolve_reader
from bot.services.access import NotAMember
from bot.views.callbacks import BadCallbackData

log = logging.getLogger(__name__)


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if not isinstance(update, Update):
        log.error("error outside an update", exc_info=error)
        return
    try:
        # PTB hands the error handler a new context; an unknown command still records no one
        record = not guesses.is_unknown_command(update, context.application)
        await resolve_reader(update, context, record=record)
    except Exception:
        log.warning("could not resolve the reader's language for an error reply")
    if isinstance(error, NotAMember):
        await refuse_outsider(update, context, error)  # once; then silence in that chat
        return
    if isinstance(error, UserFacingError):
        await _safely(answer_user_error(update, context, error))
        return
    _ = context.t
    if isinstance(error, BadCallbackData):
        log.warning("rejected callback data %r: %s", _callback_data(update), error)
        if update.callback_query is not None:
            await _safely(
                update.callback_query.answer(_("This button is no longer valid."), show_alert=True)
            )
        return
    log.error("error while handling update %s", update.update_id, exc_info=error)
    if isinstance(error, Forbidden):
        return  # we cannot write to this chat anyway
    if update.callback_query is not None:
        await _safely(update.callback_query.answer())
    await _safely(reply(update, _("Sorry, something went wrong on my side. Please try again.")))


def _callback_data(update: Update) -> str | None:
    return update.callback_query.data if update.callback_query else None


async def _safely(awaitable: object) -> None:
    try:
        await awaitable  # type: ignore[misc]
    except (TelegramError, NetworkError) as exc:
        log.warning("could not tell the user about an error: %s", exc)
