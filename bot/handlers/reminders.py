"""/reminders — what will be sent when; admins edit the offsets
(`/reminders deadline=72h,24h,2h start=24h,1h,0 end=2h`, `/reminders reset`)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot.context import BotContext
from bot.db.models import DEFAULT_REMINDER_OFFSETS
from bot.domain.permissions import Action
from bot.handlers.common import actor_from, reply
from bot.jobs.dispatcher import wake_dispatcher
from bot.services import reminders
from bot.services.access import team_for
from bot.services.arguments import suggesting_subcommand
from bot.views import reminders as views

RESET_WORDS = ("reset", "default", "defaults")


async def reminders_command(update: Update, context: BotContext) -> None:
    args = context.args or []
    now = context.runtime.clock.now()
    actor = actor_from(update)
    async with context.uow() as uow:
        if not args:
            access = await team_for(uow, actor, now, Action.READ)
            saved = False
        else:
            access = await team_for(uow, actor, now, Action.MANAGE_SETTINGS)
            if len(args) == 1 and args[0].lower() in RESET_WORDS:
                offsets = {k: list(v) for k, v in DEFAULT_REMINDER_OFFSETS.items()}
            else:
                with suggesting_subcommand("reminders", " ".join(args), RESET_WORDS, names=False):
                    offsets = reminders.parse_offsets(args, reminders.team_offsets(access.team))
            await reminders.set_offsets(uow, access.team, offsets, now)
            saved = True
        view = await reminders.overview(uow, access.team, now)
        await uow.commit()
    if saved:
        wake_dispatcher(context.application)
    await reply(update, *views.overview(context.t, view, saved=saved))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("reminders", reminders_command))
