"""/settings: read a team's settings (everyone), change them (admins and owners) in one
line, with the buttons, or by answering the question a button asks (a guided step whose
state lives in the database). Every press resolves the team again, checks the presser's
role there and that the team is the one the button was made for."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.db.uow import UnitOfWork
from bot.domain.permissions import Action
from bot.handlers.common import actor_from, reply, show
from bot.handlers.flows import text_step
from bot.jobs import wake_dispatcher
from bot.services import flows
from bot.services import settings as service
from bot.services.access import TeamAccess, access_to_team, team_for
from bot.services.arguments import command_text
from bot.services.flows import Flow
from bot.services.settings import Setting, SettingValue
from bot.views import settings as views
from bot.views.callbacks import BadCallbackData, Callback, check_stamp, decode, pattern
from bot.views.common import Rendered

SETTINGS_FLOW = "settings"


async def settings_command(update: Update, context: BotContext) -> None:
    message = update.effective_message
    text = command_text(message.text if message is not None else None)
    actor, now = actor_from(update), context.runtime.clock.now()
    if not text.strip():
        async with context.uow() as uow:
            access = await team_for(uow, actor, now)
            view = await service.team_settings(uow, access)
            await uow.commit()
        await reply(update, *views.settings_card(context.t, view))
        return
    values = service.parse_changes(text, context.t.locale)
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.MANAGE_SETTINGS)
        rendered = await _change(uow, context, access, values)
    await reply(update, *rendered)


async def _change(
    uow: UnitOfWork,
    context: BotContext,
    access: TeamAccess,
    values: dict[Setting, SettingValue],
) -> Rendered:
    now = context.runtime.clock.now()
    change = await service.change_settings(uow, access, values, now)
    view = await service.team_settings(uow, access)
    await uow.commit()
    if change.rechecked is not None and (change.rechecked.warned or change.rechecked.recovered):
        wake_dispatcher(context.application)
    return views.saved(context.t, change, view)


# -- buttons and the guided answer ---------------------------------------------------------


async def _team_from_button(
    uow: UnitOfWork, context: BotContext, update: Update, callback: Callback
) -> TeamAccess:
    """The team the button names — the presser must be in it, and it must be the team the
    button was made for (its stamp is the last argument)."""
    access = await access_to_team(uow, actor_from(update).user_id, callback.id_arg(0))
    callback.check_stamp(len(callback.args) - 1, access.team.created_at)
    return access


def _setting(code: str) -> Setting:
    setting = views.BY_CODE.get(code)
    if setting is None:
        raise BadCallbackData(f"unknown setting {code!r}")
    return setting


async def card_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    actor = actor_from(update)
    async with context.uow() as uow:
        access = await _team_from_button(uow, context, update, callback)
        view = await service.team_settings(uow, access)
        await _end_flow(uow, actor.user_id, actor.chat_id, context)
        await uow.commit()
    await query.answer()
    await show(update, *views.settings_card(context.t, view))


async def ask_button(update: Update, context: BotContext) -> None:
    """A setting's button: its question, with choices; a typed answer is read too."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    setting = _setting(callback.arg(1))
    actor, now = actor_from(update), context.runtime.clock.now()
    async with context.uow() as uow:
        access = await _team_from_button(uow, context, update, callback)
        access.require(Action.MANAGE_SETTINGS)
        data = {"team_id": access.team_id, "stamp": callback.stamp_arg(2)}
        await flows.set_flow(
            uow, actor.user_id, actor.chat_id, Flow(SETTINGS_FLOW, setting.value, data), now
        )
        await uow.commit()
    await query.answer()
    value = service.current(access.team)[setting]
    await show(update, *views.question(context.t, access.team, setting, value))


async def set_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    setting = _setting(callback.arg(1))
    value = callback.parsed(2, service.PARSERS[setting])  # as if typed: same bounds
    actor = actor_from(update)
    async with context.uow() as uow:
        access = await _team_from_button(uow, context, update, callback)
        access.require(Action.MANAGE_SETTINGS)
        await _end_flow(uow, actor.user_id, actor.chat_id, context)
        rendered = await _change(uow, context, access, {setting: value})
    await query.answer()
    await show(update, *rendered)


async def _end_flow(uow: UnitOfWork, user_id: int, chat_id: int, context: BotContext) -> None:
    flow = await flows.get_flow(uow, user_id, chat_id, context.runtime.clock.now())
    if flow is not None and flow.name == SETTINGS_FLOW:
        await flows.clear_flow(uow, user_id, chat_id)


@text_step(SETTINGS_FLOW)
async def settings_text(update: Update, context: BotContext, flow: Flow) -> None:
    """The typed answer to a setting's question; a bad one is explained and asked again
    (the flow stays until an answer is saved, /cancel or « Settings)."""
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        setting = Setting(flow.step)
    except ValueError:
        raise BadCallbackData(f"unknown settings step {flow.step!r}") from None
    value = service.parse_value(setting, message.text, context.t.locale)
    actor = actor_from(update)
    async with context.uow() as uow:
        access = await access_to_team(uow, actor.user_id, int(flow.data["team_id"]))
        mark = flow.data.get("stamp")
        if mark is not None:
            check_stamp(str(mark), access.team.created_at)
        access.require(Action.MANAGE_SETTINGS)
        await flows.clear_flow(uow, actor.user_id, actor.chat_id)
        rendered = await _change(uow, context, access, {setting: value})
    await reply(update, *rendered)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("settings", settings_command))
    app.add_handler(CallbackQueryHandler(card_button, pattern=pattern(views.CARD)))
    app.add_handler(CallbackQueryHandler(ask_button, pattern=pattern(views.ASK)))
    app.add_handler(CallbackQueryHandler(set_button, pattern=pattern(views.SET)))
