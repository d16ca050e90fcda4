"""/voucher (ask which voucher is safe, optionally save it) and the campaign card's voucher
buttons. Every command and every button press resolves the team and checks the role again,
and re-loads the campaign by id inside that team."""

from __future__ import annotations

from decimal import Decimal

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.db import models
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
from bot.domain.permissions import Action
from bot.handlers.campaigns import answer_query, clock_now, load_campaign, message_text, query_data
from bot.handlers.common import actor_from, reply, show
from bot.pricing import currency_digits
from bot.services import campaigns
from bot.services.plan import VoucherQuestion, answer_voucher, save_voucher
from bot.views import campaigns as campaign_views
from bot.views import vouchers as views
from bot.views.callbacks import BadCallbackData, pattern

VOUCHER_KEYS = ("value", "threshold", "share", "cap")


def parse_voucher_question(args: Args, digits: int) -> VoucherQuestion:
    check_keys(args.options, VOUCHER_KEYS)
    options = args.options
    if "value" not in options and "threshold" not in options:
        raise UserInputError(
            N_(
                "Say the voucher or the threshold, like <code>/voucher 3 value=5</code> or "
                "<code>/voucher 3 threshold=50</code>."
            )
        )
    share = (
        parse_percentage(options["share"], example="50%", allow_zero=True)
        if "share" in options
        else Decimal(0)
    )
    return VoucherQuestion(
        value=parse_amount(options["value"], digits) if "value" in options else None,
        threshold=parse_amount(options["threshold"], digits) if "threshold" in options else None,
        share=share,
        cap=parse_amount(options["cap"], digits, allow_zero=True) if "cap" in options else None,
    )


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
        raise UserInputError(
            N_("Write the voucher as key=value, like <code>/voucher {id} value=5 save</code>."),
            id=campaign_id,
        )
    saving = "save" in flags
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN if saving else Action.READ
        )
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        question = parse_voucher_question(args, currency_digits(channel.currency))
        answer = await answer_voucher(uow, access.team, campaign, question)
        if saving:
            pair = answer.pair
            if pair is None or answer.verdict is False:
                raise UserInputError(
                    N_(
                        "That voucher is not safe, so I did not save it. See the answer without "
                        "<code>save</code>."
                    )
                )
            await save_voucher(uow, campaign, *pair, question.share, question.cap, now)
        await uow.commit()
    await reply(
        update, *views.voucher_answer(context.t, campaign, answer, channel.currency, saved=saving)
    )


async def vouchers_button(update: Update, context: BotContext) -> None:
    campaign_id = query_data(update).int_arg(0)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        _access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.READ)
        saved = await campaigns.saved_vouchers(uow, campaign.id)
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        await uow.commit()
    await answer_query(update)
    await show(update, *views.vouchers_screen(context.t, campaign, saved, channel.currency))


async def save_voucher_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id = callback.int_arg(0)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        _access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN)
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        digits = currency_digits(channel.currency)
        try:
            threshold = parse_amount(callback.arg(1), digits)
            value = parse_amount(callback.arg(2), digits)
            share = Decimal(callback.arg(3))
            cap = (
                None
                if callback.arg(4) == "-"
                else parse_amount(callback.arg(4), digits, allow_zero=True)
            )
        except (UserInputError, ArithmeticError):
            raise BadCallbackData("malformed voucher") from None
        if not (Decimal(0) <= share <= 1) or value > threshold:
            raise BadCallbackData("impossible voucher")
        await save_voucher(uow, campaign, threshold, value, share, cap, now)
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
