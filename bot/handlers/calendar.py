"""/calendar [market]: upcoming shopping festivals; a festival's button starts /newcampaign
prefilled with its name and dates."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.calendar import MARKETS, normalize_market, occurrence, upcoming
from bot.context import BotContext
from bot.domain.campaigns import command_tail
from bot.domain.errors import N_, UserInputError
from bot.domain.permissions import Action
from bot.handlers.campaigns import start_from_festival
from bot.handlers.common import actor_from, show
from bot.services.access import team_for
from bot.services.channels import list_channels
from bot.views import calendar as views
from bot.views.callbacks import BadCallbackData, decode, pattern


def _today(context: BotContext) -> datetime:
    return context.runtime.clock.now().astimezone(ZoneInfo(context.t.timezone))


async def show_calendar(update: Update, context: BotContext, market: str | None) -> None:
    actor, now = actor_from(update), context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.READ)
        channels = await list_channels(uow, access.team_id)
        await uow.commit()
    # the team's markets, from its sales channels: their festivals come first
    markets = sorted({m for c in channels if (m := normalize_market(c.market or "")) is not None})
    today = _today(context).date()
    occurrences = upcoming(today, market)
    await show(
        update,
        *views.calendar_view(
            context.t, occurrences, market, today, team_markets=() if market else markets
        ),
    )


async def calendar_command(update: Update, context: BotContext) -> None:
    text = command_tail(update.effective_message.text if update.effective_message else "")
    market = None
    if text.strip():
        market = normalize_market(text)
        if market is None:
            raise UserInputError(
                N_("“{value}” is not a market I know. Write one of: {markets}."),
                value=text.strip()[:16],
                markets=", ".join(MARKETS),
            )
    await show_calendar(update, context, market)


async def festival_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    key, year, market_arg = callback.arg(0), callback.int_arg(1), callback.arg(2)
    this_year = _today(context).year
    if not this_year - 1 <= year <= this_year + 2:
        raise BadCallbackData(f"festival year {year} out of range")
    item = occurrence(key, year)
    if item is None:
        raise BadCallbackData(f"unknown festival {key!r}")
    market = None if market_arg == "-" else normalize_market(market_arg)
    if market_arg != "-" and market is None:
        raise BadCallbackData(f"unknown market {market_arg!r}")
    await start_from_festival(update, context, item, market)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("calendar", calendar_command))
    app.add_handler(CallbackQueryHandler(festival_button, pattern=pattern(views.FESTIVAL)))
