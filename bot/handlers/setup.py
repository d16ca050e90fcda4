"""Per-update setup, before any feature sees the update.

Group -2 (the gate): an update the update processor let through only to say "slow down"
(`bot.runtime.updates`) gets that notice, once, in the reader's language, and goes no
further. Group -1: record the user, pick the reader's language; in a group linked to a
team, a command from someone outside the team is refused once and the person is then
ignored in that chat for a while (SPEC §6.2)."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.context import BotContext
from bot.handlers import guesses
from bot.handlers.common import actor_from, answer_user_error, reply
from bot.i18n import negotiate_locale
from bot.runtime.throttle import Throttle
from bot.runtime.updates import NEVER_SILENCED, ChatOrderedProcessor, command_name, is_counted
from bot.services import access, users

log = logging.getLogger(__name__)

GATE_GROUP = -2
SETUP_GROUP = -1


def processor_of(context: BotContext) -> ChatOrderedProcessor | None:
    found = context.application.update_processor
    return found if isinstance(found, ChatOrderedProcessor) else None


def throttle_of(context: BotContext) -> Throttle | None:
    processor = processor_of(context)
    return processor.throttle if processor is not None else None


async def gate(update: Update, context: BotContext) -> None:
    processor = processor_of(context)
    if guesses.addressed_elsewhere(update, context.bot.username):
        raise ApplicationHandlerStop  # another bot's command: not ours to answer
    if processor is None:
        return
    user, chat = update.effective_user, update.effective_chat
    throttle = processor.throttle
    if (
        throttle is not None
        and user is not None
        and chat is not None
        and throttle.is_silenced(chat.id, user.id)
        and command_name(update) not in NEVER_SILENCED
    ):
        raise ApplicationHandlerStop  # admitted before the refusal that silenced them
    if not processor.take_notice(update):
        return
    try:
        await resolve_reader(update, context)
    except Exception:
        log.warning("could not resolve the reader's language for a throttling notice")
    _ = context.t
    text = _(
        "You are sending messages faster than I can read them. I skipped some of them: "
        "wait a few seconds, then send again what you need."
    )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        else:
            await reply(update, text)
    except TelegramError as exc:
        log.info("could not send a throttling notice: %s", exc)
    raise ApplicationHandlerStop


async def prepare_update(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is not None and user.is_bot:
        raise ApplicationHandlerStop  # ignore other bots (and our own echoes)
    # an unknown command is only answered with a hint: it records no one (SPEC §4.2)
    unknown = guesses.is_unknown_command(update, context.application)
    if unknown and not guesses.is_addressed(update, context.bot.id):
        raise ApplicationHandlerStop  # a bare unknown command in a group: maybe another bot's
    outsider = await resolve_reader(update, context, check_outsider=True, record=not unknown)
    if outsider:
        await refuse_outsider(update, context, access.NotAMember())
        raise ApplicationHandlerStop


async def resolve_reader(
    update: Update, context: BotContext, *, check_outsider: bool = False, record: bool = True
) -> bool:
    """Record the user and set the reader's locale and zone on the context. With
    `check_outsider`, also say whether this is a command in a group from someone outside
    the team linked to it (the answer is False otherwise). Without `record`, only read
    what is known of the user.

    Also used by the error handler, which PTB gives a fresh context."""
    user, chat = update.effective_user, update.effective_chat
    settings = context.runtime.settings
    if user is None or chat is None:
        return False
    actor = actor_from(update)
    outsider = False
    async with context.uow() as uow:
        if record:
            reader = await users.touch_user(uow, actor, context.runtime.clock.now())
        else:
            reader = await users.peek_reader(uow, actor.user_id)
        if check_outsider and _is_group_command(update):
            outsider = await access.is_outsider(uow, actor.chat_id, actor.thread_id, user.id)
        await uow.commit()
    locale = reader.locale or negotiate_locale(user.language_code, settings.default_locale)
    context.set_reader(locale, reader.timezone or settings.default_timezone)
    return outsider


def _is_group_command(update: Update) -> bool:
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return False
    return is_counted(update) and command_name(update) not in NEVER_SILENCED


async def refuse_outsider(update: Update, context: BotContext, error: access.NotAMember) -> None:
    """One refusal, then silence in this chat (the update processor drops the rest)."""
    user, chat = update.effective_user, update.effective_chat
    throttle = throttle_of(context)
    if throttle is not None and user is not None and chat is not None:
        throttle.silence(chat.id, user.id)
    try:
        await answer_user_error(update, context, error)
    except TelegramError as exc:
        log.info("could not refuse a non-member: %s", exc)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(TypeHandler(Update, gate), group=GATE_GROUP)
    app.add_handler(TypeHandler(Update, prepare_update), group=SETUP_GROUP)
