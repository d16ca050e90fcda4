"""Near-misses of commands (SPEC §4.2): an unknown command gets the nearest known one
with its arguments (`/plna 2` → "Did you mean /plan 2?") or a pointer to /help.

The known commands are the ones this Application registered (its `CommandHandler`s):
what the bot answers, a superset of the menu it sets with setMyCommands (menu order
first). In a group, only a command addressed to this bot (`/plna@thisbot`, or a reply
to one of its messages) is answered; another bot's commands, and bare unknown ones, are
dropped by the per-update setup before any lookup (`setup.py`). The answer writes
nothing: the setup only reads who is asking, and the update went through the throttle
like any command."""

from __future__ import annotations

from telegram import Message, Update
from telegram.constants import ChatType, MessageEntityType
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.context import BotContext
from bot.handlers.common import reply
from bot.handlers.menu import COMMANDS
from bot.services.guess import command_budget, nearest
from bot.views import guesses as views

MENU_ORDER = {name: index for index, (name, _text, _scopes) in enumerate(COMMANDS)}
MIN_PREFIX = 3  # `/cal` is the start of /calendar; `/c` is the start of too much


def _command_of(message: Message | None) -> tuple[str, str | None, str] | None:
    """The command at the start of a message: (name lower-cased, the bot it names or None,
    the text after it)."""
    if message is None or not message.text or not message.entities:
        return None
    entity = message.entities[0]
    if entity.type != MessageEntityType.BOT_COMMAND or entity.offset != 0:
        return None
    name, _at, addressee = message.text[1 : entity.length].partition("@")
    return name.lower(), addressee or None, message.text[entity.length :].strip()


def addressed_elsewhere(update: Update, bot_username: str | None) -> bool:
    """A command that names another bot (`/start@otherbot`)."""
    found = _command_of(update.message)
    if found is None or found[1] is None or not bot_username:
        return False
    return found[1].casefold() != bot_username.casefold()


def registered_commands(app: Application) -> list[str]:  # type: ignore[type-arg]
    """Every command the Application answers, the menu's first in the menu's order."""
    names: list[str] = []
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                names += sorted(name for name in handler.commands if name not in names)
    return sorted(names, key=lambda name: MENU_ORDER.get(name, len(MENU_ORDER)))


def is_unknown_command(update: Update, app: Application) -> bool:  # type: ignore[type-arg]
    found = _command_of(update.message)
    return found is not None and found[0] not in registered_commands(app)


def suggest_command(typed: str, known: list[str]) -> str | None:
    """The known command `typed` most likely means: the one it is a typo of, else the
    first (in menu order) that starts with it (`/cal` → /calendar)."""
    found = nearest(typed, known, budget=command_budget)
    if found is not None or len(typed) < MIN_PREFIX:
        return found
    return next((name for name in known if name.startswith(typed)), None)


def is_addressed(update: Update, bot_id: int) -> bool:
    """Whether a command is meant for this bot: in a private chat always; in a group
    when it names the bot (`/plna@thisbot`; another bot's are stopped at the gate) or
    replies to one of its messages. A bare `/plna` in a group may be another bot's."""
    found = _command_of(update.message)
    chat, message = update.effective_chat, update.message
    if found is None or chat is None or message is None:
        return False
    if chat.type == ChatType.PRIVATE or found[1] is not None:
        return True
    replied = message.reply_to_message
    return replied is not None and replied.from_user is not None and replied.from_user.id == bot_id


async def unknown_command(update: Update, context: BotContext) -> None:
    found = _command_of(update.message)
    if found is None:
        return
    typed, _addressee, rest = found
    known = registered_commands(context.application)
    if typed in known or not is_addressed(update, context.bot.id):
        return  # a feature answered it; or a bare command in a group, maybe another bot's
    suggestion = suggest_command(typed, known)
    await reply(update, views.unknown_command(context.t, typed, suggestion, rest))


UNKNOWN_GROUP = 1  # after the features' group 0, whatever it holds


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(
        MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command),
        group=UNKNOWN_GROUP,
    )
