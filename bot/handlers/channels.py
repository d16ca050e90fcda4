"""/channels and /channel: sales channel profiles (list, add from a preset, edit, delete)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.domain.permissions import Action, is_allowed
from bot.handlers.common import actor_from, reply, show, typed_arguments, typed_tail
from bot.services import channels as service
from bot.services.access import team_for
from bot.services.arguments import (
    Arguments,
    suggesting_subcommand,
)
from bot.views import channels as views
from bot.views.callbacks import BadCallbackData, Callback, decode, pattern

DELETE_WORDS = frozenset({"del", "delete", "remove"})
CHANNEL_WORDS = ("add", "del", "delete", "remove")  # what `/channel` reads as a subcommand


def object_id(callback: Callback, index: int) -> int:
    """A database id taken from callback data: a positive integer the columns can hold."""
    return callback.id_arg(index)


async def channels_command(update: Update, context: BotContext) -> None:
    actor = actor_from(update)
    async with context.uow() as uow:
        access = await team_for(uow, actor, context.runtime.clock.now(), Action.READ)
        rows = await service.list_channels(uow, access.team_id)
    can_manage = is_allowed(access.role, Action.MANAGE_CHANNELS)
    await reply(update, *views.channel_list(context.t, rows, can_manage=can_manage))


async def channel_command(update: Update, context: BotContext) -> None:
    """`/channel add PRESET [name=…]`, `/channel NAME [key=value …]`, `/channel del NAME`."""
    args = typed_arguments(update, context)
    if not args.words:
        if args.pairs:
            await reply(update, *views.channel_usage(context.t))
            return
        await channels_command(update, context)
        return
    first = args.words[0].lower()
    rest = args.rest()
    with suggesting_subcommand("channel", typed_tail(update), CHANNEL_WORDS):
        if first == "add":
            await _add(update, context, rest)
        elif first in DELETE_WORDS:
            await _ask_delete(update, context, rest)
        elif rest.pairs or rest.words:
            await _edit(update, context, args.words[0], rest)
        else:
            await _show(update, context, args.words[0])


async def _add(update: Update, context: BotContext, args: Arguments) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.MANAGE_CHANNELS)
        try:
            channel, preset = await service.add_channel(uow, access, args, now)
        except service.UnknownPresetName as exc:
            await reply(update, *views.preset_list(context.t, exc.name or None))
            return
        await uow.commit()
    await reply(update, *views.channel_added(context.t, channel, preset))


async def _show(update: Update, context: BotContext, name: str) -> None:
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), context.runtime.clock.now(), Action.READ)
        channel = await service.find_channel(uow, access.team_id, name)
    can_manage = is_allowed(access.role, Action.MANAGE_CHANNELS)
    await reply(update, *views.channel_card(context.t, channel, can_manage=can_manage))


async def _edit(update: Update, context: BotContext, name: str, args: Arguments) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.MANAGE_CHANNELS)
        edit = await service.edit_channel(uow, access, name, args, now)
        await uow.commit()
    await reply(update, *views.channel_edited(context.t, edit))


async def _ask_delete(update: Update, context: BotContext, args: Arguments) -> None:
    if len(args.words) != 1 or args.pairs:
        await reply(update, *views.channel_usage(context.t))
        return
    async with context.uow() as uow:
        access = await team_for(
            uow, actor_from(update), context.runtime.clock.now(), Action.MANAGE_CHANNELS
        )
        channel = await service.channel_to_delete(uow, access, args.words[0])
    await reply(update, *views.confirm_delete(context.t, channel))


async def delete_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    channel_id = object_id(callback, 0)
    async with context.uow() as uow:
        access = await team_for(
            uow, actor_from(update), context.runtime.clock.now(), Action.MANAGE_CHANNELS
        )
        channel = await service.channel_by_id(uow, access.team_id, channel_id)
        if channel is None:  # deleted meanwhile, or another team's id: reveal nothing
            raise BadCallbackData(f"no channel {channel_id} in team {access.team_id}")
        callback.check_stamp(1, channel.created_at)  # the very channel the button was for
        name = channel.name
        await service.delete_channel(uow, access, channel)
        await uow.commit()
    await query.answer()
    await show(update, *views.channel_deleted(context.t, name))


async def keep_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    object_id(decode(query.data), 0)
    async with context.uow() as uow:
        await team_for(uow, actor_from(update), context.runtime.clock.now(), Action.READ)
    await query.answer()
    await show(update, *views.delete_cancelled(context.t))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("channels", channels_command))
    app.add_handler(CommandHandler("channel", channel_command))
    app.add_handler(CallbackQueryHandler(delete_button, pattern=pattern("chdel")))
    app.add_handler(CallbackQueryHandler(keep_button, pattern=pattern("chkeep")))
