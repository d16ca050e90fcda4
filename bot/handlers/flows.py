"""Routes plain text to the guided flow the user is in (state lives in the database)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import BotContext
from bot.handlers.common import reply
from bot.services import flows
from bot.services.flows import Flow
from bot.views.callbacks import BadCallbackData

FlowTextHandler = Callable[[Update, BotContext, Flow], Awaitable[None]]
_TEXT_HANDLERS: dict[str, FlowTextHandler] = {}


def text_step(flow_name: str) -> Callable[[FlowTextHandler], FlowTextHandler]:
    """Register the function that reads typed answers for one flow."""

    def register(handler: FlowTextHandler) -> FlowTextHandler:
        _TEXT_HANDLERS[flow_name] = handler
        return handler

    return register


async def route_text(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        return
    async with context.uow() as uow:
        flow = await flows.get_flow(uow, user.id, chat.id, context.runtime.clock.now())
    if flow is not None and flow.name in _TEXT_HANDLERS:
        await _TEXT_HANDLERS[flow.name](update, context, flow)
    elif chat.type == "private":
        _ = context.t
        await reply(update, _("I did not understand that. /help shows what I can do."))


async def cancel_command(update: Update, context: BotContext) -> None:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    async with context.uow() as uow:
        had_flow = await flows.clear_flow(uow, user.id, chat.id)
        await uow.commit()
    _ = context.t
    await reply(update, _("Cancelled.") if had_flow else _("There is nothing to cancel."))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("cancel", cancel_command))


async def stale_button(update: Update, context: BotContext) -> None:
    """A press no other handler claimed: an old keyboard, or forged data."""
    raise BadCallbackData(f"unrouted callback data {update.callback_query.data!r}")  # type: ignore[union-attr]


def register_fallbacks(app: Application) -> None:  # type: ignore[type-arg]
    """Registered last, so commands and other handlers win."""
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, route_text))
    app.add_handler(CallbackQueryHandler(stale_button))
