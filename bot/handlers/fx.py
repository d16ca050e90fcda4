"""/fx — rates in use; /fx set USD CNY 7.10, /fx unset USD CNY, /fx refresh (admins)."""

from __future__ import annotations

from decimal import Decimal

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.domain.errors import N_, UserInputError
from bot.domain.numbers import reader_style
from bot.domain.permissions import Action
from bot.handlers.common import actor_from, reply, show
from bot.jobs.dispatcher import wake_dispatcher
from bot.services import fx
from bot.services.access import team_for
from bot.services.arguments import command_text, near_subcommand
from bot.views import fx as views
from bot.views.callbacks import decode, pattern

USAGE = N_(
    "“{value}” is not an /fx command. Use <code>/fx</code>, <code>/fx set USD CNY 7.10</code>, "
    "<code>/fx unset USD CNY</code> or <code>/fx refresh</code>."
)

UNSET_WORDS = ("unset", "del", "delete", "remove")
FX_WORDS = ("set", "refresh", *UNSET_WORDS)  # what `/fx` reads as a subcommand


async def fx_command(update: Update, context: BotContext) -> None:
    args = context.args or []
    sub = args[0].lower() if args else ""
    if not args:
        await _overview(update, context)
    elif sub == "set":
        await _set(update, context, args[1:])
    elif sub in UNSET_WORDS:
        await _unset(update, context, args[1:])
    elif sub == "refresh":
        await _refresh(update, context)
    else:
        message = update.effective_message
        tail = command_text(message.text if message else None)
        raise near_subcommand("fx", tail, FX_WORDS) or UserInputError(USAGE, value=args[0][:40])


async def _overview(update: Update, context: BotContext, note: str | None = None) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.READ)
        view = await fx.overview(uow, access.team, now)
        await uow.commit()  # team_for may have created the personal team
    await reply(update, *views.overview(context.t, view, note=note))


async def _set(update: Update, context: BotContext, args: list[str]) -> None:
    base, quote, rate = fx.parse_override(args, reader_style(context.t.locale))
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await team_for(uow, actor_from(update), now, Action.MANAGE_SETTINGS)
        check = await fx.check_against_reference(uow, base, quote, rate)
    if check is not None:  # far from the ECB's rate: ask before saving
        await reply(update, *views.confirm_override(context.t, base, quote, rate, check))
        return
    await _save(update, context, base, quote, rate)


async def _save(update: Update, context: BotContext, base: str, quote: str, rate: Decimal) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.MANAGE_SETTINGS)
        await fx.set_override(uow, access.team, access.user.id, base, quote, rate, now)
        await uow.commit()
    wake_dispatcher(context.application)
    await _overview(update, context, views.override_saved(context.t, base, quote, rate))


async def confirm_button(update: Update, context: BotContext) -> None:
    """Save a rate far from the ECB's after all: the button's pair and rate are read by the
    command's parser (and its bounds), the role is checked again."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    base, quote, rate = callback.parsed(
        2, lambda text: fx.parse_override([callback.arg(0), callback.arg(1), text])
    )
    await query.answer()
    await _save(update, context, base, quote, rate)


async def cancel_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    await show(update, views.override_not_saved(context.t))


async def _unset(update: Update, context: BotContext, args: list[str]) -> None:
    base, quote, rest = fx.parse_pair(args)
    if rest:
        raise UserInputError(USAGE, value=" ".join(rest)[:40])
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.MANAGE_SETTINGS)
        removed = await fx.remove_override(uow, access.team, base, quote, now)
        await uow.commit()
    wake_dispatcher(context.application)
    await reply(update, views.override_removed(context.t, base, quote, removed))


async def _refresh(update: Update, context: BotContext) -> None:
    runtime = context.runtime
    now = runtime.clock.now()
    async with context.uow() as uow:
        await team_for(uow, actor_from(update), now, Action.MANAGE_SETTINGS)
        await uow.commit()
    result = await fx.refresh(runtime.uow_factory, runtime.settings.ecb_url, now)
    wake_dispatcher(context.application)
    await reply(update, views.refreshed(context.t, result))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("fx", fx_command))
    app.add_handler(CallbackQueryHandler(confirm_button, pattern=pattern(views.CONFIRM)))
    app.add_handler(CallbackQueryHandler(cancel_button, pattern=pattern(views.CANCEL)))
