"""The plan file sent back: a preview of its campaign price changes (the upload arrives
through the catalogue's document handler, which reads every spreadsheet in the worker
pool and hands plan files here), and the Save / Cancel buttons."""

from __future__ import annotations

import re

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import BotContext
from bot.domain.permissions import Action
from bot.handlers.channels import object_id
from bot.handlers.common import actor_from, reply, show
from bot.jobs.dispatcher import wake_dispatcher
from bot.services import plan_edits
from bot.services.access import team_for
from bot.services.plan_file import PlanUpload
from bot.views import campaigns as campaign_views
from bot.views import plan_file as views
from bot.views.callbacks import BadCallbackData, decode, pattern

_PLAN_FILENAME = re.compile(r"plan-([0-9]{1,10})-")


def replied_campaign(message: Message) -> int | None:
    """The campaign of the bot's plan message this upload replies to, if it does: the
    plan's file (its name) or the plan's card (its buttons). Only compared with the
    file's own campaign, never trusted to choose one."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or not replied.from_user.is_bot:
        return None
    if replied.document is not None:
        match = _PLAN_FILENAME.match(replied.document.file_name or "")
        return int(match[1]) if match else None
    markup = replied.reply_markup
    for row in markup.inline_keyboard if markup is not None else ():
        for button in row:
            data = button.callback_data
            if not isinstance(data, str):
                continue
            try:
                callback = decode(data)
                if callback.action in (campaign_views.PICK, campaign_views.VOUCHERS):
                    return callback.id_arg(0)
            except BadCallbackData:
                continue
    return None


async def plan_file_received(
    update: Update, context: BotContext, upload: PlanUpload, filename: str
) -> None:
    message = update.effective_message
    assert message is not None
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.EDIT_CAMPAIGN)
        result = await plan_edits.preview_plan_file(
            uow, access, upload, filename, now, expected_campaign_id=replied_campaign(message)
        )
        await uow.commit()
    await reply(update, *views.preview(context.t, result, filename))


async def plan_file_button(update: Update, context: BotContext) -> None:
    """Save or cancel a previewed plan file: the presser's own, re-priced, all or nothing."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    pending_id, answer = object_id(callback, 0), callback.arg(1)
    if answer not in ("a", "s", "n"):
        raise BadCallbackData(f"bad plan file answer {answer!r}")
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.EDIT_CAMPAIGN)
        if answer == "n":
            if not await plan_edits.cancel_price_changes(uow, access, pending_id, now):
                raise BadCallbackData(f"no plan file change {pending_id} for this user and team")
            await uow.commit()
            rendered = views.cancelled(context.t)
        else:
            result = await plan_edits.apply_price_changes(
                uow, access, pending_id, now, include_under_floor=answer == "a"
            )
            if result is None:
                raise BadCallbackData(f"no plan file change {pending_id} for this user and team")
            await uow.commit()
            rendered = views.done(context.t, result)
    wake_dispatcher(context.application)  # margin notices the change may have queued
    await query.answer()
    await show(update, *rendered)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CallbackQueryHandler(plan_file_button, pattern=pattern(views.PLAN_FILE)))
