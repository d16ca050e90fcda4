"""/start onboarding, /language, /timezone and /help."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.db.uow import UnitOfWork
from bot.domain.errors import UserInputError
from bot.handlers.common import actor_from, reply, show
from bot.handlers.flows import text_step
from bot.services import flows, users
from bot.services.flows import Flow
from bot.views import onboarding as views
from bot.views.callbacks import BadCallbackData, decode, pattern

ONBOARDING_FLOW = "onboarding"
StartHook = Callable[[Update, BotContext, str], Awaitable[None]]
# deep-link payload prefix → handler, e.g. "join" for team invites (t.me/bot?start=join-…)
START_HOOKS: dict[str, StartHook] = {}


async def start_command(update: Update, context: BotContext) -> None:
    actor = actor_from(update)
    payload = context.args[0] if context.args else ""
    prefix = payload.split("-", 1)[0]
    if prefix in START_HOOKS:
        await START_HOOKS[prefix](update, context, payload)
        return
    _ = context.t
    if not actor.in_private:
        await reply(
            update,
            _(
                "Hello! I plan campaign discounts and vouchers for your team. Set me up in a "
                "private chat with @{bot}, then a team admin can run /link here.",
                bot=context.bot.username,
            ),
        )
        return
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        user = await users.get_user(uow, actor.user_id)
        await users.ensure_personal_team(uow, user, now)
        await flows.set_flow(
            uow, actor.user_id, actor.chat_id, Flow(ONBOARDING_FLOW, "language"), now
        )
        await uow.commit()
    await reply(update, *views.language_picker(_, _.locale, views.ONBOARDING))


async def help_command(update: Update, context: BotContext) -> None:
    await reply(update, views.help_text(context.t, context.bot.username))


async def language_command(update: Update, context: BotContext) -> None:
    actor = actor_from(update)
    _ = context.t
    if context.args:
        locale = users.parse_locale(" ".join(context.args))
        async with context.uow() as uow:
            await users.set_locale(uow, actor.user_id, locale)
            await uow.commit()
        context.set_reader(locale, _.timezone)
        await reply(update, *views.language_saved(context.t))
        return
    await reply(update, *views.language_picker(_, _.locale, views.STANDALONE))


async def timezone_command(update: Update, context: BotContext) -> None:
    actor = actor_from(update)
    _ = context.t
    if context.args:
        zone = users.parse_timezone(" ".join(context.args))
        async with context.uow() as uow:
            await users.set_timezone(uow, actor.user_id, zone)
            await uow.commit()
        context.set_reader(_.locale, zone)
        await reply(update, *views.timezone_saved(context.t, zone))
        return
    await reply(update, *views.timezone_picker(_, _.timezone, views.STANDALONE))


# -- buttons -----------------------------------------------------------------------------------


def _checked_arg(parse: Callable[[str], str], value: str) -> str:
    """Re-validate a value taken from callback data; a forged one is rejected."""
    try:
        return parse(value)
    except UserInputError:
        raise BadCallbackData(f"invalid value {value!r}") from None


async def language_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    locale = _checked_arg(users.parse_locale, callback.arg(0))
    step = callback.arg(1)
    actor = actor_from(update)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await users.set_locale(uow, actor.user_id, locale)
        if step == views.ONBOARDING:
            await _advance(uow, actor.user_id, actor.chat_id, "timezone", now)
        await uow.commit()
    context.set_reader(locale, context.t.timezone)
    await query.answer()
    if step == views.ONBOARDING:
        await show(update, *views.timezone_picker(context.t, None, views.ONBOARDING))
    else:
        await show(update, *views.language_saved(context.t))


async def timezone_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    zone = _checked_arg(users.parse_timezone, callback.arg(0))
    await query.answer()
    await _save_timezone(update, context, zone, onboarding=callback.arg(1) == views.ONBOARDING)


async def currency_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    code = _checked_arg(users.parse_currency, decode(query.data).arg(0))
    await query.answer()
    await _save_currency(update, context, code)


async def margin_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    raw = decode(query.data).arg(0)
    try:
        margin = users.parse_target_margin(raw)
    except UserInputError:
        raise BadCallbackData(f"invalid margin {raw!r}") from None
    await query.answer()
    await _finish(update, context, margin)


# -- the steps, shared by buttons and typed answers ---------------------------------------------


async def _advance(uow: UnitOfWork, user_id: int, chat_id: int, step: str, now: datetime) -> None:
    await flows.set_flow(uow, user_id, chat_id, Flow(ONBOARDING_FLOW, step), now)


async def _save_timezone(
    update: Update, context: BotContext, zone: str, *, onboarding: bool
) -> None:
    actor = actor_from(update)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await users.set_timezone(uow, actor.user_id, zone)
        if onboarding:
            await _advance(uow, actor.user_id, actor.chat_id, "currency", now)
        await uow.commit()
    context.set_reader(context.t.locale, zone)
    if onboarding:
        await show(update, *views.currency_picker(context.t, None))
    else:
        await show(update, *views.timezone_saved(context.t, zone))


async def _save_currency(update: Update, context: BotContext, code: str) -> None:
    actor = actor_from(update)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await users.set_cost_currency(uow, actor.user_id, code, now)
        await _advance(uow, actor.user_id, actor.chat_id, "margin", now)
        await uow.commit()
    await show(update, *views.margin_picker(context.t, None))


async def _finish(update: Update, context: BotContext, margin: Decimal) -> None:
    actor = actor_from(update)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await users.set_target_margin(uow, actor.user_id, margin, now)
        team = await users.finish_onboarding(uow, actor.user_id, now)
        await flows.clear_flow(uow, actor.user_id, actor.chat_id)
        await uow.commit()
    _ = context.t
    await show(update, *views.onboarding_done(_, _.timezone, team.cost_currency, margin))


@text_step(ONBOARDING_FLOW)
async def onboarding_text(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    text = message.text
    if flow.step == "language":
        locale = users.parse_locale(text)
        actor = actor_from(update)
        async with context.uow() as uow:
            await users.set_locale(uow, actor.user_id, locale)
            await _advance(
                uow, actor.user_id, actor.chat_id, "timezone", context.runtime.clock.now()
            )
            await uow.commit()
        context.set_reader(locale, context.t.timezone)
        await reply(update, *views.timezone_picker(context.t, None, views.ONBOARDING))
    elif flow.step == "timezone":
        await _save_timezone(update, context, users.parse_timezone(text), onboarding=True)
    elif flow.step == "currency":
        await _save_currency(update, context, users.parse_currency(text))
    elif flow.step == "margin":
        await _finish(update, context, users.parse_target_margin(text))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("language", language_command))
    app.add_handler(CommandHandler("timezone", timezone_command))
    app.add_handler(CallbackQueryHandler(language_button, pattern=pattern("lang")))
    app.add_handler(CallbackQueryHandler(timezone_button, pattern=pattern("tz")))
    app.add_handler(CallbackQueryHandler(currency_button, pattern=pattern("ccy")))
    app.add_handler(CallbackQueryHandler(margin_button, pattern=pattern("margin")))
