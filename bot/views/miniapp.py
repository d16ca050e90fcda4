"""The button that opens a campaign's plan in the Mini App: a `web_app` button in a
private chat, a t.me link in a group (Telegram allows `web_app` buttons only in private
chats). No button when the Mini App is not configured."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot.config import Settings
from bot.i18n import Translator
from bot.views.common import Rendered
from bot.web.links import direct_link, page_url


def open_button(
    _: Translator,
    settings: Settings,
    campaign_id: int,
    chat_type: str,
    bot_username: str | None,
) -> InlineKeyboardButton | None:
    label = _("📊 Plan table")
    if chat_type == "private":
        if not settings.miniapp_url:
            return None
        return InlineKeyboardButton(
            label, web_app=WebAppInfo(page_url(settings.miniapp_url, campaign_id))
        )
    if not settings.miniapp_short_name or not bot_username:
        return None
    return InlineKeyboardButton(
        label, url=direct_link(bot_username, settings.miniapp_short_name, campaign_id)
    )


def with_open_button(rendered: Rendered, button: InlineKeyboardButton | None) -> Rendered:
    """The screen with the Mini App's button as its keyboard's first row."""
    text, markup = rendered
    if button is None:
        return rendered
    rows = [list(row) for row in markup.inline_keyboard] if markup is not None else []
    return text, InlineKeyboardMarkup([[button], *rows])
