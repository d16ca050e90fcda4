"""Where the Mini App lives and how chats open it (pure: no web framework imported, so
the chat views can build their buttons without the server)."""

from __future__ import annotations

from urllib.parse import quote, urlencode

PREFIX = "/miniapp"


def page_url(base_url: str, campaign_id: int | None = None) -> str:
    """The page, opened on one campaign."""
    url = f"{base_url.rstrip('/')}{PREFIX}/"
    return url if campaign_id is None else f"{url}?{urlencode({'campaign': campaign_id})}"


def direct_link(bot_username: str, short_name: str, campaign_id: int) -> str:
    """A t.me link that opens the Mini App registered as `short_name`; Telegram hands
    the page `start_param` (signed, inside initData)."""
    return f"https://t.me/{quote(bot_username)}/{quote(short_name)}?startapp={campaign_id}"
