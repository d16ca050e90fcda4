"""/voucher (ask which voucher is safe, optionally save it) and the campaign card's voucher
buttons. Every command and every button press resolves the team and checks the role again,
and re-loads the campaign by id inside that team."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.db import models
from bot.db.uow import UnitOfWork
from bot.domain.campaigns import (
    Args,
    check_keys,
    command_tail,
    parse_amount,
    parse_campaign_ref,
    parse_percentage,
    split_args,
)
from bot.domain.errors import N_, UserInputError
from bot.domain.numbers import reader_style
from bot.domain.permissions import Action, is_allowed
from bot.handlers.campaigns import answer_query, clock_now, load_campaign, message_text, query_data
from bot.handlers.common import actor_from, reply, show
from bot.pricing import currency_digits
from bot.pricing.numbers import NumberStyle
from bot.runtime.cooperative import heavy_work
from bot.services import campaigns
from bot.services.arguments import near_subcommand
from bot.services.plan import VoucherAnswer, VoucherQuestion, answer_voucher, save_voucher
from bot.views import campaigns as campaign_views
from bot.views import vouchers as views
from bot.views.callbacks import BadCallbackData, Callback, pattern

VOUCHER_KEYS = ("value", "threshold", "share", "cap")


def parse_voucher_question(
    args: Args, digits: int, style: NumberStyle | None = None
) -> VoucherQuestion:
    """`value=…`, `threshold=…`, `share=…`, `cap=…`; numbers as the reader writes them."""
    check_keys(args.options, VOUCHER_KEYS)
    options = args.options
    if "value" not in options and "threshold" not in options:
        raise UserInputError(
            N_(
                "Say the voucher or the threshold, like <code>/voucher 3 value=5</code> or "
                "<code>/voucher 3 threshold=50</code>."
            )
        )
    return VoucherQuestion(
        value=parse_amount(options["value"], digits, style=style) if "value" in options else None,
        threshold=parse_amount(options["threshold"], digits, style=style)
        if "threshold" in options
        else None,
        share=parse_share(options["share"], style) if "share" in options else Decimal(0),
        cap=parse_amount(options["cap"], digits, allow_zero=True, style=style)
        if "cap" in options
        else None,
    )


def parse_share(text: str, style: NumberStyle | None = None) -> Decimal:
    """The platform's share of a voucher, as typed: a percentage from 0 to 100."""
    return parse_percentage(text, example="50%", allow_zero=True, style=style)


def _share_from_button(text: str) -> Decimal:
    """The save button carries the share as a fraction ('0.5'): strictly digits and a
    point, then read as the percentage it stands for by the typed form's parser."""
    if len(text) > 8 or not text.isascii() or not text.replace(".", "", 1).isdigit():
        raise ValueError(f"not a plain fraction: {text!r}")
    return parse_share(format(Decimal(text).scaleb(2), "f"))


def button_question(callback: Callback, digits: int) -> VoucherQuestion:
    """The voucher a save button names, read exactly as `/voucher … save` reads it."""
    cap = callback.arg(4)
    return VoucherQuestion(
        threshold=callback.parsed(1, lambda text: parse_amount(text, digits)),
        value=callback.parsed(2, lambda text: parse_amount(text, digits)),
        share=callback.parsed(3, _share_from_button),
        cap=None
        if cap == "-"
        else callback.parsed(4, lambda text: parse_amount(text, digits, allow_zero=True)),
    )


async def save_if_safe(
    uow: UnitOfWork,
    team: models.Team,
    campaign: models.Campaign,
    question: VoucherQuestion,
    now: datetime,
) -> VoucherAnswer:
    """Check the voucher against the floors of the campaign's SKUs as they are now, and
    save it only when it is safe — for the command and the button alike."""
    answer = await answer_voucher(uow, team, campaign, question)
    pair = answer.pair
    if pair is None or answer.verdict is False:
        raise UserInputError(
            N_(
                "That voucher is not safe, so I did not save it. See the answer without "
                "<code>save</code>."
            )
        )
    await save_voucher(uow, campaign, *pair, question.share, question.cap, now)
    return answer


async def voucher_command(update: Update, context: BotContext) -> None:
    args = split_args(command_tail(message_text(update)))
    if not args.positional:
        raise UserInputError(
            N_(
                "Name the campaign, like <code>/voucher 3 value=5</code> or "
                "<code>/voucher 3 threshold=50</code>."
            )
        )
    campaign_id = parse_campaign_ref(args.positional[0])
    flags = [word.lower() for word in args.positional[1:]]
    if any(flag != "save" for flag in flags):
        tail = command_tail(message_text(update))
        bad = next(flag for flag in flags if flag != "save")
        at = next((i for i, word in enumerate(tail.split()) if word.lower() == bad), -1)
        raise near_subcommand("voucher", tail, ("save",), at=at) or UserInputError(
            N_("Write the voucher as key=value, like <code>/voucher {id} value=5 save</code>."),
            id=campaign_id,
        )
    saving = "save" in flags
    actor, now = actor_from(update), clock_now(context)
    async with heavy_work(), context.uow() as uow:  # prices the whole campaign
        access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN if saving else Action.READ
        )
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        question = parse_voucher_question(
            args, currency_digits(channel.currency), reader_style(context.t.locale)
        )
        if saving:
            answer = await save_if_safe(uow, access.team, campaign, question, now)
        else:
            answer = await answer_voucher(uow, access.team, campaign, question)
        await uow.commit()
    await reply(
        update,
        *views.voucher_answer(
            context.t,
            campaign,
            answer,
            channel.currency,
            saved=saving,
            can_save=is_allowed(access.role, Action.EDIT_CAMPAIGN),
        ),
    )


async def vouchers_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id = callback.id_arg(0)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        _access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.READ, callback.stamp_arg(1)
        )
        saved = await campaigns.saved_vouchers(uow, campaign.id)
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        await uow.commit()
    await answer_query(update)
    await show(update, *views.vouchers_screen(context.t, campaign, saved, channel.currency))


async def save_voucher_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id = callback.id_arg(0)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN)
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        question = button_question(callback, currency_digits(channel.currency))
        value, threshold = question.value, question.threshold
        if value is None or threshold is None or value > threshold:
            raise BadCallbackData("a save button names a voucher and its threshold")
        callback.check_stamp(5, campaign.created_at)  # read as the command reads it, then stamp
        await save_if_safe(uow, access.team, campaign, question, now)
        saved = await campaigns.saved_vouchers(uow, campaign.id)
        await uow.commit()
    _ = context.t
    await answer_query(update, _("Saved."))
    await show(update, *views.vouchers_screen(_, campaign, saved, channel.currency))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("voucher", voucher_command))
    for action, callback in (
        (campaign_views.VOUCHERS, vouchers_button),
        (campaign_views.SAVE_VOUCHER, save_voucher_button),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern(action)))
