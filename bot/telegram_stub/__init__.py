"""A local stand-in for the Telegram Bot API, for the demo and the tests.

Start a :class:`BotApiStub`, point PTB at ``stub.base_url`` /
``stub.base_file_url``, and drive users, groups and button presses from the
driver API. See ``driver.py`` for the API and ``methods.py`` for what the
Bot API side implements.
"""

from bot.telegram_stub.driver import (
    BotApiStub,
    Button,
    CallbackAnswer,
    ChatAction,
    StubDocument,
    StubMessage,
    StubPhoto,
)
from bot.telegram_stub.errors import ApiError, DriverError
from bot.telegram_stub.ratelimit import ManualClock, RateLimits
from bot.telegram_stub.server import ApiCall
from bot.telegram_stub.world import Chat, User

__all__ = [
    "ApiCall",
    "ApiError",
    "BotApiStub",
    "Button",
    "CallbackAnswer",
    "Chat",
    "ChatAction",
    "DriverError",
    "ManualClock",
    "RateLimits",
    "StubDocument",
    "StubMessage",
    "StubPhoto",
    "User",
]
