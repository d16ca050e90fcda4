"""Helpers every handler uses: who is acting, and how to answer."""

from __future__ import annotations

import html
import logging
import re
from decimal import Decimal
from html import escape

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest

from bot.context import BotContext
from bot.domain.errors import Count, Msg, Percent, UserFacingError
from bot.i18n import Translator
from bot.services.actor import Actor
from bot.services.arguments import Arguments, command_text, parse_arguments
from bot.views import miniapp as miniapp_views
from bot.views.common import Rendered
from bot.views.split import split_html

log = logging.getLogger(__name__)


def actor_from(update: Update) -> Actor:
    user, chat = update.effective_user, update.effective_chat
    if user is None or chat is None:
        raise ValueError("an update without a user or chat has no actor")
    message = update.effective_message
    thread_id = 0
    if message is not None and message.is_topic_message and message.message_thread_id:
        thread_id = message.message_thread_id
    return Actor(
        user_id=user.id,
        chat_id=chat.id,
        chat_type=chat.type,
        thread_id=thread_id,
        first_name=user.first_name or "",
        username=user.username,
        language_code=user.language_code,
    )


async def reply(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> Message | None:
    """Answer in the same chat, and in the same forum topic. A text over Telegram's limit
    goes in several messages (split at line breaks); the keyboard rides on the last."""
    message = update.effective_message
    if message is None:
        return None
    parts = split_html(text)
    sent = None
    for index, part in enumerate(parts):
        markup = keyboard if index == len(parts) - 1 else None
        sent = await message.reply_text(part, reply_markup=markup, do_quote=False)
    return sent


async def show(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
) -> None:
    """Show a screen: replace the pressed button's message, else send a new one. A screen
    over Telegram's limit: its first part replaces the message, the rest follow."""
    query = update.callback_query
    if query is not None and query.message is not None and isinstance(query.message, Message):
        first, *rest = split_html(text)
        try:
            await query.edit_message_text(first, reply_markup=None if rest else keyboard)
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return
            log.info("could not edit message, sending a new one: %s", exc)
        else:
            if rest:
                await reply(update, "\n".join(rest), keyboard)
            return
    await reply(update, text, keyboard)


def with_plan_table(
    rendered: Rendered, update: Update, context: BotContext, campaign_id: int
) -> Rendered:
    """A campaign's screen with the button that opens its plan in the Mini App (when the
    Mini App is configured; a `web_app` button in private chats, a t.me link in groups)."""
    chat = update.effective_chat
    if chat is None:
        return rendered
    button = miniapp_views.open_button(
        context.t, context.runtime.settings, campaign_id, chat.type, context.bot.username
    )
    return miniapp_views.with_open_button(rendered, button)


def render_user_error(error: UserFacingError, _: Translator) -> str:
    def render(value: object) -> str:
        if isinstance(value, Msg):
            return _(value, **{key: render(inner) for key, inner in value.params.items()})
        if isinstance(value, Percent):
            return _.percent(Decimal(value))
        if isinstance(value, Count):
            return _.number(value)
        return escape(str(value), quote=False)

    return _(error.message, **{key: render(value) for key, value in error.params.items()})


async def answer_user_error(update: Update, context: BotContext, error: UserFacingError) -> None:
    text = render_user_error(error, context.t)
    query = update.callback_query
    if query is not None:
        # a short alert for a button press; the full text if it is long
        plain = html.unescape(re.sub(r"<[^>]+>", "", text))
        if len(plain) <= 200:
            await query.answer(plain, show_alert=True)
            return
        await query.answer()
    await reply(update, text)


def typed_tail(update: Update) -> str:
    """The text after the command (`/sku A1 unit_cost=3` → `A1 unit_cost=3`)."""
    message = update.effective_message
    return command_text(message.text if message else None)


def typed_arguments(update: Update, context: BotContext) -> Arguments:
    """The command's arguments, numbers read as the sender writes them."""
    return parse_arguments(typed_tail(update), context.t.locale)
