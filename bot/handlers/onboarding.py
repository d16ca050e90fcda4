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
from bot.domain.numbers import reader_style
from bot.handlers.common import actor_from, reply, show
from bot.handlers.flows import text_step
from bot.services import flows, users
from bot.services.flows import Flow
from bot.views import onboarding as views
from bot.views.callbacks import BadCallbackData, decode, pattern

ONBOARDING_FLOW = "onboarding"
JOINED_FLOW = "joined"  # someone who joined through an invite is asked for their time zone
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
        plan = await users.begin_onboarding(uow, actor.user_id, now)
        # the personal team's settings are asked for only while it is new; the flow
        # remembers which team, so a later step cannot reach another one
        data = {"team_id": plan.personal_team_id} if plan.sets_team else {}
        await flows.set_flow(
            uow, actor.user_id, actor.chat_id, Flow(ONBOARDING_FLOW, "language", data), now
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


async def _onboarding_at(update: Update, context: BotContext, step: str) -> Flow | None:
    """The user's /start flow in this chat, if it is at `step`."""
    actor = actor_from(update)
    async with context.uow() as uow:
        flow = await flows.get_flow(uow, actor.user_id, actor.chat_id, context.runtime.clock.now())
    if flow is None or flow.name != ONBOARDING_FLOW or flow.step != step:
        return None
    return flow


async def language_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    locale = _checked_arg(users.parse_locale, callback.arg(0))
    # a picker of a /start that is over only changes the language
    flow = None
    if callback.arg(1) == views.ONBOARDING:
        flow = await _onboarding_at(update, context, "language")
    actor = actor_from(update)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await users.set_locale(uow, actor.user_id, locale)
        if flow is not None:
            await _advance(uow, actor.user_id, actor.chat_id, flow, "timezone", now)
        await uow.commit()
    context.set_reader(locale, context.t.timezone)
    await query.answer()
    if flow is not None:
        await show(update, *views.timezone_picker(context.t, None, views.ONBOARDING))
    else:
        await show(update, *views.language_saved(context.t))


async def timezone_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    zone = _checked_arg(users.parse_timezone, callback.arg(0))
    where = callback.arg(1)
    await query.answer()
    if where == views.JOINED:
        await _save_joined_timezone(update, context, zone)
        return
    flow = None
    if where == views.ONBOARDING:
        flow = await _onboarding_at(update, context, "timezone")
    await _save_timezone(update, context, zone, flow)


async def currency_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    code = _checked_arg(users.parse_currency, decode(query.data).arg(0))
    flow = await _onboarding_at(update, context, "currency")
    if flow is None:
        raise BadCallbackData("no /start waiting for a cost currency")
    await query.answer()
    await _save_currency(update, context, flow, code)


async def margin_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    raw = decode(query.data).arg(0)
    try:
        margin = users.parse_target_margin(raw)
    except UserInputError:
        raise BadCallbackData(f"invalid margin {raw!r}") from None
    flow = await _onboarding_at(update, context, "margin")
    if flow is None:
        raise BadCallbackData("no /start waiting for a target margin")
    await query.answer()
    await _finish(update, context, flow, margin)


# -- the steps, shared by buttons and typed answers ---------------------------------------------


async def _advance(
    uow: UnitOfWork, user_id: int, chat_id: int, flow: Flow, step: str, now: datetime
) -> None:
    flow.step = step
    await flows.set_flow(uow, user_id, chat_id, flow, now)


async def _save_timezone(update: Update, context: BotContext, zone: str, flow: Flow | None) -> None:
    """The person's zone. In a /start that sets up a new personal team, its currency comes
    next; otherwise /start is done (no team is touched)."""
    actor = actor_from(update)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await users.set_timezone(uow, actor.user_id, zone)
        if flow is not None and flow.data.get("team_id"):
            await _advance(uow, actor.user_id, actor.chat_id, flow, "currency", now)
        await uow.commit()
    context.set_reader(context.t.locale, zone)
    if flow is None:
        await show(update, *views.timezone_saved(context.t, zone))
    elif flow.data.get("team_id"):
        await show(update, *views.currency_picker(context.t, None))
    else:
        await _finish(update, context, flow, None)


async def _save_currency(update: Update, context: BotContext, flow: Flow, code: str) -> None:
    actor = actor_from(update)
    now = context.runtime.clock.now()
    flow.data["currency"] = code  # written with the margin, at the end: all or nothing
    async with context.uow() as uow:
        await _advance(uow, actor.user_id, actor.chat_id, flow, "margin", now)
        await uow.commit()
    await show(update, *views.margin_picker(context.t, None))


async def _finish(update: Update, context: BotContext, flow: Flow, margin: Decimal | None) -> None:
    actor = actor_from(update)
    now = context.runtime.clock.now()
    setup = None
    team_id, currency = flow.data.get("team_id"), flow.data.get("currency")
    if team_id and currency and margin is not None:
        setup = users.TeamSetup(int(team_id), str(currency), margin)
    async with context.uow() as uow:
        result = await users.finish_onboarding(uow, actor.user_id, now, setup)
        await flows.clear_flow(uow, actor.user_id, actor.chat_id)
        await uow.commit()
    await show(update, *views.onboarding_done(context.t, result))


async def _save_joined_timezone(update: Update, context: BotContext, zone: str) -> None:
    """The answer of someone who just joined a team through an invite."""
    actor = actor_from(update)
    async with context.uow() as uow:
        await users.set_timezone(uow, actor.user_id, zone)
        flow = await flows.get_flow(uow, actor.user_id, actor.chat_id, context.runtime.clock.now())
        if flow is not None and flow.name == JOINED_FLOW:
            await flows.clear_flow(uow, actor.user_id, actor.chat_id)
        await uow.commit()
    context.set_reader(context.t.locale, zone)
    await show(update, *views.joined_timezone_saved(context.t, zone))


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
                uow, actor.user_id, actor.chat_id, flow, "timezone", context.runtime.clock.now()
            )
            await uow.commit()
        context.set_reader(locale, context.t.timezone)
        await reply(update, *views.timezone_picker(context.t, None, views.ONBOARDING))
    elif flow.step == "timezone":
        await _save_timezone(update, context, users.parse_timezone(text), flow)
    elif flow.step == "currency":
        await _save_currency(update, context, flow, users.parse_currency(text))
    elif flow.step == "margin":
        await _finish(
            update, context, flow, users.parse_target_margin(text, reader_style(context.t.locale))
        )


@text_step(JOINED_FLOW)
async def joined_text(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    await _save_joined_timezone(update, context, users.parse_timezone(message.text))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("start", start_command))
    app.add_handler(CommandHandler("help", help_command))
    app.add_handler(CommandHandler("language", language_command))
    app.add_handler(CommandHandler("timezone", timezone_command))
    app.add_handler(CallbackQueryHandler(language_button, pattern=pattern("lang")))
    app.add_handler(CallbackQueryHandler(timezone_button, pattern=pattern("tz")))
    app.add_handler(CallbackQueryHandler(currency_button, pattern=pattern("ccy")))
    app.add_handler(CallbackQueryHandler(margin_button, pattern=pattern("margin")))
