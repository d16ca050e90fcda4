"""/enroll and /unenroll, and the campaign card's enrolment picker (pick a price mode, tap SKUs
in and out, enrol every eligible SKU). Every command and every button press resolves the team
and checks the role again, and re-loads the campaign by id inside that team."""

from __future__ import annotations

from decimal import Decimal

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.db import models
from bot.domain.campaigns import (
    check_keys,
    command_tail,
    parse_amount,
    parse_campaign_ref,
    parse_percentage,
    split_args,
)
from bot.domain.errors import N_, UserInputError
from bot.domain.numbers import reader_style
from bot.domain.permissions import Action
from bot.handlers.campaigns import answer_query, clock_now, load_campaign, message_text, query_data
from bot.handlers.common import actor_from, reply, show
from bot.pricing import currency_digits
from bot.pricing.numbers import NumberStyle
from bot.services import campaigns
from bot.services.access import team_for
from bot.services.plan import PriceChoice, PriceMode
from bot.views import campaigns as campaign_views
from bot.views import enrolment as views
from bot.views.callbacks import BadCallbackData, check_stamp, pattern

ENROL_KEYS = ("price", "discount")


def parse_choice(
    options: dict[str, str], digits: int, style: NumberStyle | None = None
) -> PriceChoice | None:
    """`price=…` or `discount=…|max`, numbers as the reader writes them (`style`)."""
    check_keys(options, ENROL_KEYS)
    if "price" in options and "discount" in options:
        raise UserInputError(N_("Give either a price or a discount, not both."))
    if "price" in options:
        return PriceChoice(
            PriceMode.PRICE, price=parse_amount(options["price"], digits, style=style)
        )
    if "discount" in options:
        raw = options["discount"].strip().lower()
        if raw in ("max", "deepest"):
            return PriceChoice(PriceMode.MAX)
        return PriceChoice(
            PriceMode.DISCOUNT,
            discount=parse_percentage(raw, example="15%", maximum=Decimal(99), style=style),
        )
    return None


async def enroll_command(update: Update, context: BotContext) -> None:
    args = split_args(command_tail(message_text(update)))
    if len(args.positional) < 2:
        raise UserInputError(
            N_(
                "Name the campaign and the SKUs, like <code>/enroll 3 A1 A2</code>, "
                "<code>/enroll 3 A1 discount=max</code> or <code>/enroll 3 all</code> (every "
                "eligible SKU)."
            )
        )
    campaign_id = parse_campaign_ref(args.positional[0])
    codes: list[str] | None = list(args.positional[1:])
    if codes is not None and [c.lower() for c in codes] == ["all"]:
        codes = None
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN)
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        choice = parse_choice(
            args.options, currency_digits(channel.currency), reader_style(context.t.locale)
        )
        result = await campaigns.enrol(uow, access, campaign, codes, choice, now)
        await uow.commit()
    await reply(update, *views.enrol_result(context.t, campaign, result, channel.currency))


async def unenroll_command(update: Update, context: BotContext) -> None:
    args = split_args(command_tail(message_text(update)))
    if len(args.positional) < 2 or args.options:
        raise UserInputError(
            N_("Name the campaign and the SKUs to take out, like <code>/unenroll 3 A1 A2</code>.")
        )
    campaign_id = parse_campaign_ref(args.positional[0])
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN)
        removed = await campaigns.unenrol(uow, access, campaign, args.positional[1:], now)
        await uow.commit()
    await reply(update, *views.unenrolled(context.t, campaign, removed))


def _picker_choice(code: str, campaign: models.Campaign) -> PriceChoice | None:
    """The picker's mode from callback data (None: ask the seller to choose)."""
    if code in (campaign_views.NO_MODE, "s"):
        return PriceChoice(PriceMode.SUGGESTED) if campaign.min_discount else None
    if code == "m":
        return PriceChoice(PriceMode.MAX)
    if code.startswith("d"):
        try:
            discount = parse_percentage(code[1:], maximum=Decimal(99))
        except UserInputError:
            raise BadCallbackData(f"bad discount {code!r}") from None
        return PriceChoice(PriceMode.DISCOUNT, discount=discount)
    raise BadCallbackData(f"unknown picker mode {code!r}")


def _chosen_mode(code: str, campaign: models.Campaign) -> PriceChoice:
    """The picker's mode for a press that enrols: a mode must have been chosen."""
    choice = _picker_choice(code, campaign)
    if choice is None:
        raise BadCallbackData("the picker's mode is not set")
    return choice


async def _show_picker(
    update: Update,
    context: BotContext,
    campaign_id: int,
    page: int,
    mode: str,
    mark: str | None = None,
) -> None:
    """The picker; `mark` is the pressed button's stamp (None: reached from the server's
    own state, like a settled under-floor question)."""
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN)
        choice = _picker_choice(mode, campaign)  # a malformed button is refused as such first
        if mark is not None:
            check_stamp(mark, campaign.created_at)
        if choice is None:
            await uow.commit()
            rendered = views.pick_mode(context.t, campaign)
        else:
            picker = await campaigns.picker_page(uow, access.team, campaign, choice, page)
            channel = await uow.session.get(models.Channel, campaign.channel_id)
            assert channel is not None
            await uow.commit()
            rendered = views.picker(context.t, picker, channel.currency)
    await answer_query(update)
    await show(update, *rendered)


async def pick_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    await _show_picker(
        update,
        context,
        callback.id_arg(0),
        callback.page_arg(1),
        callback.arg(2),
        callback.stamp_arg(3),
    )


async def toggle_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id, sku_id, page, mode = (
        callback.id_arg(0),
        callback.id_arg(1),
        callback.page_arg(2),
        callback.arg(3),
    )
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN)
        choice = _chosen_mode(mode, campaign)
        callback.check_stamp(4, campaign.created_at)
        picker = {"page": page, "mode": mode}
        result = await campaigns.toggle_enrolment(
            uow, access, campaign, sku_id, choice, now, picker=picker
        )
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        await uow.commit()
    if result is not None and result.pending_id is not None:  # under its floor: ask first
        await answer_query(update)
        await show(update, *views.under_floor_question(context.t, result, channel.currency))
        return
    await _show_picker(update, context, campaign_id, page, mode)


async def under_floor_button(update: Update, context: BotContext) -> None:
    """Enrol the SKUs held under their floor anyway (marked in the plan), or leave them out;
    back to the picker when the question came from it."""
    callback = query_data(update)
    pending_id, answer = callback.id_arg(0), callback.arg(1)
    if answer not in ("y", "n"):
        raise BadCallbackData(f"bad answer {answer!r}")
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
        held = await campaigns.settle_under_floor(uow, access, pending_id, answer == "y", now)
        if held is None:  # used, stale, or someone else's
            raise BadCallbackData(f"no held enrolment {pending_id} for this user and team")
        channel = await uow.session.get(models.Channel, held.campaign.channel_id)
        assert channel is not None
        await uow.commit()
    picker = held.picker
    if picker is not None:
        page = picker.get("page")
        mode = picker.get("mode")
        if isinstance(page, int) and isinstance(mode, str):
            await _show_picker(update, context, held.campaign.id, page, mode)
            return
    await answer_query(update)
    await show(update, *views.under_floor_settled(context.t, held, channel.currency))


async def enrol_all_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id, mode = callback.id_arg(0), callback.arg(1)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN)
        choice = _chosen_mode(mode, campaign)
        callback.check_stamp(2, campaign.created_at)
        result = await campaigns.enrol(uow, access, campaign, None, choice, now)
        channel = await uow.session.get(models.Channel, campaign.channel_id)
        assert channel is not None
        await uow.commit()
    await answer_query(update)
    await show(update, *views.enrol_result(context.t, campaign, result, channel.currency))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler(["enroll", "enrol"], enroll_command))
    app.add_handler(CommandHandler(["unenroll", "unenrol"], unenroll_command))
    for action, callback in (
        (campaign_views.PICK, pick_button),
        (campaign_views.TOGGLE, toggle_button),
        (campaign_views.ENROL_ALL, enrol_all_button),
        (campaign_views.UNDER_FLOOR, under_floor_button),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern(action)))
