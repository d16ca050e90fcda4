"""/newcampaign (guided or one line), /campaigns, /campaign and the campaign card's buttons
(card, reminders, edit, delete, the creation flow's). Every command and every button press
resolves the team and checks the role again, and re-loads the campaign by id inside that team.

Enrolment (/enroll, /unenroll, the picker) lives in bot/handlers/enrolment.py and vouchers
(/voucher, the voucher buttons) in bot/handlers/vouchers.py; both use the helpers below."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.calendar import FESTIVAL_NAMES, Occurrence, upcoming
from bot.context import BotContext
from bot.db import models
from bot.db.uow import UnitOfWork
from bot.domain.campaigns import (
    Bound,
    SubsidySpec,
    check_deadline,
    check_order,
    command_tail,
    parse_amount,
    parse_campaign_ref,
    parse_margin,
    parse_min_discount,
    parse_moment,
    parse_name,
    parse_percentage,
    parse_reference_rule,
    parse_subsidy,
    parse_timezone,
    split_args,
)
from bot.domain.enums import SubsidyKind
from bot.domain.errors import N_, UserInputError
from bot.domain.numbers import reader_style
from bot.domain.permissions import Action
from bot.handlers.common import actor_from, reply, show, with_plan_table
from bot.handlers.flows import text_step
from bot.pricing import currency_digits
from bot.services import campaigns, flows, reminders
from bot.services.access import TeamAccess, team_for
from bot.services.actor import Actor
from bot.services.arguments import near_subcommand
from bot.services.flows import Flow
from bot.views import calendar as calendar_views
from bot.views import campaigns as views
from bot.views.callbacks import BadCallbackData, Callback, check_stamp, decode, pattern
from bot.views.common import Rendered

NEW_FLOW = "newcampaign"
EDIT_FLOW = "editcampaign"
# the subsidy's follow-up questions, after its buttons (not in STEPS: reached by a button)
SUBSIDY_STEPS = ("subsidy_fixed", "subsidy_share", "subsidy_cap")
STEPS = (
    "template",
    "channel",
    "name",
    "zone",  # asked only when the market's zone and the team's differ
    "deadline",
    "start",
    "end",
    "min_discount",
    "ref",
    "subsidy",
    "margin",
    "confirm",
)


# -- shared by the campaign features (this module, enrolment, vouchers) ------------------------


def clock_now(context: BotContext) -> datetime:
    return context.runtime.clock.now()


def message_text(update: Update) -> str:
    message = update.effective_message
    return "" if message is None or message.text is None else message.text


def query_data(update: Update) -> Callback:
    query = update.callback_query
    assert query is not None
    return decode(query.data)


async def answer_query(update: Update, text: str | None = None) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(text)


async def load_campaign(
    uow: UnitOfWork,
    actor: Actor,
    now: datetime,
    campaign_id: int,
    action: Action,
    mark: str | None = None,
) -> tuple[TeamAccess, models.Campaign]:
    """The actor's team (checked for `action`) and the campaign with this id inside it;
    with a button's `mark`, only if it is the campaign the button was made for."""
    access = await team_for(uow, actor, now, action)
    campaign = await campaigns.get_campaign(uow, access.team_id, campaign_id)
    if mark is not None:
        check_stamp(mark, campaign.created_at)
    return access, campaign


async def _card(update: Update, context: BotContext, campaign_id: int) -> Rendered:
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.READ)
        card = await campaigns.campaign_card(uow, access.team, campaign, now)
        await uow.commit()
    return with_plan_table(
        views.campaign_card(context.t, card, role=access.role), update, context, campaign_id
    )


# -- /campaigns and /campaign ----------------------------------------------------------------


async def campaigns_command(update: Update, context: BotContext) -> None:
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.READ)
        summaries = await campaigns.list_campaigns(uow, access.team_id, now)
        await uow.commit()
    await reply(update, *views.campaign_list(context.t, summaries))


async def campaign_command(update: Update, context: BotContext) -> None:
    args = split_args(command_tail(message_text(update)))
    if not args.positional:
        await campaigns_command(update, context)
        return
    campaign_id = parse_campaign_ref(args.positional[0])
    extra = [word.lower() for word in args.positional[1:]]
    if extra == ["delete"] and not args.options:
        await _delete_screen(update, context, campaign_id)
        return
    if extra:
        tail = command_tail(message_text(update))
        raise near_subcommand("campaign", tail, ("delete",), at=1) or UserInputError(
            N_(
                "Write changes as key=value, like <code>/campaign {id} end=2026-12-01</code>, "
                "or <code>/campaign {id} delete</code>."
            ),
            id=campaign_id,
        )
    if not args.options:
        await reply(update, *await _card(update, context, campaign_id))
        return
    await reply(update, *await _edit(update, context, campaign_id, args.options))


async def _edit(
    update: Update,
    context: BotContext,
    campaign_id: int,
    options: dict[str, str],
    *,
    mark: str | None = None,
    confirmed: bool = False,
) -> Rendered:
    """Apply an edit; one that sets a registration deadline already past is not saved but
    asked about (the options wait in the edit flow for the seller's answer)."""
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN, mark
        )
        try:
            result = await campaigns.edit_campaign(
                uow, access, campaign, options, now, confirmed=confirmed, locale=context.t.locale
            )
        except campaigns.PastDeadline as past:  # nothing was written
            data = {"campaign_id": campaign_id, "options": options, "stamp": mark}
            flow = Flow(EDIT_FLOW, "confirm", data)
            await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
            await uow.commit()
            return views.edit_past_deadline(context.t, campaign, past.deadline, past.zone)
        card = await campaigns.campaign_card(uow, access.team, campaign, now)
        await uow.commit()
    return views.edited(context.t, result, card, access.role)


async def card_button(update: Update, context: BotContext) -> None:
    campaign_id = query_data(update).id_arg(0)
    rendered = await _card(update, context, campaign_id)
    await answer_query(update)
    await show(update, *rendered)


async def reminders_button(update: Update, context: BotContext) -> None:
    campaign_id = query_data(update).id_arg(0)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(uow, actor, now, campaign_id, Action.READ)
        planned = reminders.plan_reminders(campaign, reminders.team_offsets(access.team))
        await uow.commit()
    due = [(r.due_at, r.event) for r in planned if r.due_at > now]
    await answer_query(update)
    await show(update, *views.reminders_text(context.t, campaign, due))


# -- edit and delete buttons -----------------------------------------------------------------


async def edit_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id = callback.id_arg(0)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        _access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN, callback.stamp_arg(1)
        )
        await uow.commit()
    await answer_query(update)
    await show(update, *views.edit_menu(context.t, campaign))


async def edit_field_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id, field = callback.id_arg(0), callback.arg(1)
    if field not in dict(views.EDIT_FIELDS):
        raise BadCallbackData(f"unknown campaign field {field!r}")
    actor, now = actor_from(update), clock_now(context)
    mark = callback.stamp_arg(2)
    async with context.uow() as uow:
        _access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.EDIT_CAMPAIGN, mark
        )
        await flows.set_flow(
            uow,
            actor.user_id,
            actor.chat_id,
            Flow(EDIT_FLOW, "value", {"campaign_id": campaign_id, "field": field, "stamp": mark}),
            now,
        )
        await uow.commit()
    await answer_query(update)
    await show(update, *views.edit_prompt(context.t, campaign, field))


async def edit_value_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id, field, value = callback.id_arg(0), callback.arg(1), callback.arg(2)
    if field not in dict(views.EDIT_FIELDS):
        raise BadCallbackData(f"unknown campaign field {field!r}")
    rendered = await _edit(update, context, campaign_id, {field: value}, mark=callback.stamp_arg(3))
    await _clear_edit_flow(update, context, unless_confirming=True)
    await answer_query(update)
    await show(update, *rendered)


async def edit_confirm_button(update: Update, context: BotContext) -> None:
    """The answer to "the new deadline has already passed — save it anyway?"."""
    callback = query_data(update)
    campaign_id, choice, mark = callback.id_arg(0), callback.arg(1), callback.stamp_arg(2)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        flow = await flows.get_flow(uow, actor.user_id, actor.chat_id, now)
    if (
        flow is None
        or flow.name != EDIT_FLOW
        or flow.step != "confirm"
        or flow.data.get("campaign_id") != campaign_id
        or choice not in ("y", "n")
    ):
        raise BadCallbackData(f"no pending edit of campaign {campaign_id}")
    if choice == "n":
        await _clear_edit_flow(update, context)
        await answer_query(update)
        await show(update, *views.flow_cancelled(context.t))
        return
    options = {str(k): str(v) for k, v in dict(flow.data.get("options", {})).items()}
    rendered = await _edit(update, context, campaign_id, options, mark=mark, confirmed=True)
    await _clear_edit_flow(update, context)
    await answer_query(update)
    await show(update, *rendered)


async def _clear_edit_flow(
    update: Update, context: BotContext, *, unless_confirming: bool = False
) -> None:
    """End the edit flow (but not a question the edit just asked, with `unless_confirming`)."""
    actor = actor_from(update)
    async with context.uow() as uow:
        flow = await flows.get_flow(uow, actor.user_id, actor.chat_id, clock_now(context))
        if flow is None or flow.name != EDIT_FLOW:
            return
        if unless_confirming and flow.step == "confirm":
            return
        await flows.clear_flow(uow, actor.user_id, actor.chat_id)
        await uow.commit()


@text_step(EDIT_FLOW)
async def edit_text(update: Update, context: BotContext, flow: Flow) -> None:
    campaign_id = int(flow.data["campaign_id"])
    mark = flow.data.get("stamp")
    mark = None if mark is None else str(mark)
    if flow.step == "confirm":  # the question is answered with its buttons: ask again
        options = {str(k): str(v) for k, v in dict(flow.data.get("options", {})).items()}
        await reply(update, *await _edit(update, context, campaign_id, options, mark=mark))
        return
    field = str(flow.data["field"])
    rendered = await _edit(update, context, campaign_id, {field: message_text(update)}, mark=mark)
    await _clear_edit_flow(update, context, unless_confirming=True)
    await reply(update, *rendered)


async def _delete_screen(
    update: Update, context: BotContext, campaign_id: int, mark: str | None = None
) -> None:
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.DELETE_CAMPAIGN, mark
        )
        card = await campaigns.campaign_card(uow, access.team, campaign, now)
        await uow.commit()
    await answer_query(update)
    await show(update, *views.delete_confirm(context.t, campaign, card.enrolled))


async def delete_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    await _delete_screen(update, context, callback.id_arg(0), callback.stamp_arg(1))


async def delete_yes_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    campaign_id = callback.id_arg(0)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access, campaign = await load_campaign(
            uow, actor, now, campaign_id, Action.DELETE_CAMPAIGN, callback.stamp_arg(1)
        )
        name = campaign.name
        await campaigns.delete_campaign(uow, access, campaign, now)
        await uow.commit()
    await answer_query(update)
    await show(update, *views.deleted(context.t, name))


# -- /newcampaign: one line, or one question at a time -------------------------------------


async def newcampaign_command(update: Update, context: BotContext) -> None:
    tail = command_tail(message_text(update))
    actor, now = actor_from(update), clock_now(context)
    if tail.strip():
        args = split_args(tail)
        if args.positional:
            raise UserInputError(
                N_(
                    'Write every value as key=value, like <code>/newcampaign name="Black '
                    'Friday" channel=temu-us start=2026-11-27 end=2026-11-30</code>. '
                    "“{value}” has no key."
                ),
                value=args.positional[0][:40],
            )
        async with context.uow() as uow:
            access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
            values, warnings = await campaigns.campaign_values(
                uow, access.team_id, args.options, now, locale=context.t.locale
            )
            if campaigns.needs_confirmation(values, now):
                # registration has closed: ask before creating (the guided flow's last step)
                # the answers as typed: re-read in the writer's locale
                answers = {"answers": args.options, "defaults": {}, "locale": context.t.locale}
                flow = Flow(NEW_FLOW, "confirm", answers)
                await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
                await uow.commit()
                rendered = views.flow_confirm(
                    context.t,
                    values,
                    access.team.target_margin,
                    warnings,
                    past_deadline=True,
                    other_zone=_other_zone(
                        values.timezone, values.channel.timezone, access.team.timezone
                    ),
                )
                await reply(update, *rendered)
                return
            campaign = await campaigns.create_campaign(uow, access, values, now)
            card = await campaigns.campaign_card(uow, access.team, campaign, now)
            await uow.commit()
        await reply(update, *views.created(context.t, card, warnings, access.role))
        return
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
        if not await campaigns.team_channels(uow, access.team_id):
            await uow.commit()
            await reply(update, *views.no_channels(context.t))
            return
        flow = Flow(NEW_FLOW, "template", {"answers": {}, "defaults": {}})
        await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
        await uow.commit()
    await reply(update, *views.flow_question(context.t, "template", defaults={}))


async def start_from_festival(
    update: Update, context: BotContext, item: Occurrence, market: str | None
) -> None:
    """A calendar button: /newcampaign prefilled with the festival's name and dates."""
    actor, now = actor_from(update), clock_now(context)
    _ = context.t
    name = _(FESTIVAL_NAMES.get(item.festival.key, item.festival.key))
    defaults: dict[str, str] = {"name": f"{name} {item.year}"}
    if item.campaign_start is not None and item.campaign_end is not None:
        defaults["start"] = item.campaign_start.isoformat()
        defaults["end"] = item.campaign_end.isoformat()
    if market in ("DE", "FR"):  # EU: a reduction is measured from the 30-day lowest price
        defaults["ref"] = "lowest_30d"
    data = {"answers": {}, "defaults": defaults, "festival": item.festival.key, "market": market}
    flow = Flow(NEW_FLOW, "channel", data)
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
        if await campaigns.team_channels(uow, access.team_id):
            await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
        rendered = await _question(uow, access, flow, _, now)
        await uow.commit()
    await answer_query(update)
    await show(update, *rendered)


async def _question(
    uow: UnitOfWork, access: TeamAccess, flow: Flow, _: Any, now: datetime
) -> Rendered:
    """The flow's current question (the channel step lists the team's channels)."""
    step = flow.step
    defaults: dict[str, str] = flow.data.get("defaults", {})
    if step == "channel":
        channels = await campaigns.team_channels(uow, access.team_id)
        if not channels:
            return views.no_channels(_)
        market = flow.data.get("market")
        channels.sort(key=lambda c: (c.market.upper() != (market or c.market.upper()), c.name))
        return views.flow_question(_, step, defaults=defaults, channels=channels)
    if step == "zone":
        channel = await _flow_channel(uow, access, flow)
        return views.zone_question(_, channel, access.team.timezone, now)
    if step == "confirm":
        values, warnings = await campaigns.campaign_values(
            uow,
            access.team_id,
            flow.data["answers"],
            now,
            festival=flow.data.get("festival"),
            locale=flow.data.get("locale"),
        )
        past = campaigns.needs_confirmation(values, now)
        return views.flow_confirm(
            _,
            values,
            access.team.target_margin,
            warnings,
            past_deadline=past,
            other_zone=_other_zone(values.timezone, values.channel.timezone, access.team.timezone),
        )
    return views.flow_question(
        _,
        step,
        defaults=defaults,
        zone=flow.data.get("zone", "UTC"),
        team_margin=access.team.target_margin,
        market_zone=flow.data.get("market_zone"),
        currency=str(flow.data.get("currency", "USD")),
    )


async def _flow_channel(uow: UnitOfWork, access: TeamAccess, flow: Flow) -> models.Channel:
    """The channel the flow's answers name, looked up in the team again."""
    return await campaigns.find_channel(uow, access.team_id, flow.data["answers"].get("channel"))


def _other_zone(chosen: str, market_zone: str, team_zone: str) -> str | None:
    """The zone of the two (market, team) that the dates were not given in, if any."""
    for zone in (market_zone, team_zone):
        if zone != chosen:
            return zone
    return None


def _next_step(step: str, flow: Flow, team_zone: str) -> str:
    """The step after `step`; the zone question only when the two zones differ."""
    following = STEPS[STEPS.index(step) + 1]
    if following == "zone" and flow.data.get("market_zone", team_zone) == team_zone:
        flow.data["answers"]["tz"] = team_zone
        return STEPS[STEPS.index(following) + 1]
    return following


def _subsidy_answer(
    step: str, answer: str | None, answers: dict[str, str], flow: Flow, locale: str
) -> str:
    """A plain answer to one of the subsidy's follow-up questions ("2", "30 %", "2,50"),
    read as the reader writes numbers; returns the step that comes next. The subsidy is
    kept in the one-line syntax (`fixed:2.5`, `share:30%:cap:2.5`)."""
    style = reader_style(locale)
    digits = int(flow.data.get("digits", 2))
    if step == "subsidy_fixed":
        amount = parse_amount(answer or "", digits, style=style)
        answers["subsidy"] = SubsidySpec(SubsidyKind.FIXED, amount).text()
        return "margin"
    if step == "subsidy_share":
        share = parse_percentage(answer or "", example="30%", style=style)
        flow.data["subsidy_share"] = format(share, "f")
        return "subsidy_cap"
    # subsidy_cap: an amount, or None (the "No cap" button)
    cap = None if answer is None else parse_amount(answer, digits, style=style)
    share = Decimal(str(flow.data["subsidy_share"]))
    answers["subsidy"] = SubsidySpec(SubsidyKind.SHARE, share, cap).text()
    return "margin"


class _PastDeadlineAnswer(Exception):
    def __init__(self, moment: datetime) -> None:
        super().__init__("the deadline has already passed")
        self.moment = moment


async def _advance(
    update: Update,
    context: BotContext,
    flow: Flow,
    answer: str | None,
    *,
    confirmed: bool = False,
) -> None:
    """Record the answer to the current step (None: skip it), then ask the next question.
    A deadline already past is asked about first (unless `confirmed`)."""
    actor, now = actor_from(update), clock_now(context)
    _ = context.t
    step = flow.step
    answers: dict[str, str] = dict(flow.data.get("answers", {}))
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
        zone = str(flow.data.get("zone", "UTC"))
        flow.data.pop("past_deadline", None)
        following: str | None = None  # set by a step that picks what comes next
        try:
            if step == "channel":
                channel = await campaigns.find_channel(uow, access.team_id, answer or "")
                answers["channel"] = channel.name
                flow.data["zone"] = channel.timezone
                flow.data["market_zone"] = channel.timezone
                flow.data["digits"] = currency_digits(channel.currency)
                flow.data["currency"] = channel.currency
            elif step == "zone":  # a button's zone, or one typed: dates are read in it
                chosen = parse_timezone(answer or "")
                flow.data["zone"] = chosen
                answers["tz"] = chosen
            elif step in SUBSIDY_STEPS:
                following = _subsidy_answer(step, answer, answers, flow, _.locale)
            elif answer is None:
                answers.pop(step, None)
            else:
                answers[step] = _check_answer(
                    step, answer, answers, zone, flow, now, confirmed=confirmed, locale=_.locale
                )
        except _PastDeadlineAnswer as past:
            assert answer is not None
            flow.data["past_deadline"] = answer.strip()
            rendered = views.past_deadline_question(_, past.moment, zone)
        else:
            flow.data["answers"] = answers
            flow.step = following or _next_step(step, flow, access.team.timezone)
            rendered = await _question(uow, access, flow, _, now)
        await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
        await uow.commit()
    await answer_query(update)
    if update.callback_query is not None:
        await show(update, *rendered)
    else:
        await reply(update, *rendered)


def _check_answer(
    step: str,
    text: str,
    answers: dict[str, str],
    zone: str,
    flow: Flow,
    now: datetime,
    *,
    confirmed: bool = False,
    locale: str | None = None,
) -> str:
    """Validate one answer (the same parsers as the one-line form, reading numbers and
    dates as the reader writes them); return it in the plain form the flow keeps ('12,5 %'
    from a German reader is kept as '12.5%'), which reads back the same in any locale."""
    value = text.strip()
    style = reader_style(locale)
    if step == "name":
        return parse_name(value)
    if step == "deadline":
        moment = parse_moment(value, zone, Bound.DEADLINE, locale)
        if moment <= now and not confirmed:
            raise _PastDeadlineAnswer(moment)
        return _moment_answer(moment, zone)
    elif step == "start":
        start = parse_moment(value, zone, Bound.START, locale)
        deadline = answers.get("deadline")
        if deadline:
            check_deadline(parse_moment(deadline, zone, Bound.DEADLINE), start)
        return _moment_answer(start, zone)
    elif step == "end":
        start = parse_moment(answers["start"], zone, Bound.START)
        end = parse_moment(value, zone, Bound.END, locale)
        check_order(None, start, end)
        if end <= now:
            raise UserInputError(
                N_(
                    "This campaign would already be over (it ends before now). Check the end "
                    "date — and the year."
                )
            )
        return _moment_answer(end, zone)
    elif step == "min_discount":
        return _percent_answer(parse_min_discount(value, style), "none")
    elif step == "ref":
        return parse_reference_rule(value).value
    elif step == "subsidy":
        return parse_subsidy(value, int(flow.data.get("digits", 2)), style).text()
    elif step == "margin":
        return _percent_answer(parse_margin(value, style), "team")
    return value


def _moment_answer(moment: datetime, zone: str) -> str:
    """A date as the flow keeps it: ISO in the zone it was read in (seconds when it has
    them: an end of day is 23:59:59), read back the same in any locale."""
    local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return local.isoformat(timespec="seconds" if local.second else "minutes")


def _percent_answer(fraction: Decimal | None, cleared: str) -> str:
    """A percentage as the flow keeps it: plain digits and '.', or the word that clears it."""
    if fraction is None:
        return cleared
    return format(fraction.scaleb(2).normalize(), "f") + "%"


@text_step(NEW_FLOW)
async def newcampaign_text(update: Update, context: BotContext, flow: Flow) -> None:
    if flow.step in ("template", "confirm"):
        actor, now = actor_from(update), clock_now(context)
        async with context.uow() as uow:
            access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
            rendered = await _question(uow, access, flow, context.t, now)
        await reply(update, *rendered)  # these steps are answered with the buttons
        return
    await _advance(update, context, flow, message_text(update))


async def new_button(update: Update, context: BotContext) -> None:
    callback = query_data(update)
    step, choice = callback.arg(0), callback.arg(1)
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        flow = await flows.get_flow(uow, actor.user_id, actor.chat_id, now)
    if flow is None or flow.name != NEW_FLOW or flow.step != step:
        raise BadCallbackData(f"no /newcampaign flow at step {step!r}")
    if step == "template":
        if choice == "cal":
            await answer_query(update)
            await _show_festivals(update, context)
            return
        if choice != "blank":
            raise BadCallbackData(f"unknown template choice {choice!r}")
        await _ask(update, context, flow, "channel")
        return
    if step == "confirm":
        await _confirm(update, context, flow, choice)
        return
    if step == "zone":
        await _advance(update, context, flow, await _zone_choice(update, context, flow, callback))
        return
    if step == "subsidy" and choice in ("fixed", "share"):
        await _ask(update, context, flow, "subsidy_fixed" if choice == "fixed" else "subsidy_share")
        return
    if choice == "use":
        default = flow.data.get("defaults", {}).get(step)
        if not default:
            raise BadCallbackData(f"no default for {step!r}")
        await _advance(update, context, flow, str(default))
    elif choice == "skip":
        if step not in ("deadline", "subsidy_cap"):
            raise BadCallbackData(f"{step!r} cannot be skipped")
        await _advance(update, context, flow, None)
    elif choice == "keep":
        past = flow.data.get("past_deadline")
        if step != "deadline" or not past:
            raise BadCallbackData("no past deadline to keep")
        await _advance(update, context, flow, str(past), confirmed=True)
    elif step == "channel":
        channel_id = callback.id_arg(1)
        async with context.uow() as uow:
            access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
            channel = await campaigns.channel_by_id(uow, access.team_id, channel_id)
        if channel is None:
            raise BadCallbackData(f"channel {choice} is not in the team")
        await _advance(update, context, flow, channel.name)
    else:
        await _advance(update, context, flow, choice)  # validated like a typed answer


async def _ask(update: Update, context: BotContext, flow: Flow, step: str) -> None:
    """Move the flow to `step` and ask its question (a button's follow-up question)."""
    actor, now = actor_from(update), clock_now(context)
    flow.step = step
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
        await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
        rendered = await _question(uow, access, flow, context.t, now)
        await uow.commit()
    await answer_query(update)
    await show(update, *rendered)


async def _zone_choice(update: Update, context: BotContext, flow: Flow, callback: Callback) -> str:
    """The zone a zone button stands for, read from the database again: the channel the
    button was made for must still be the flow's (same id, same stamp)."""
    choice, channel_id, mark = callback.arg(1), callback.id_arg(2), callback.stamp_arg(3)
    if choice not in ("m", "t"):
        raise BadCallbackData(f"unknown zone choice {choice!r}")
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
        channel = await _flow_channel(uow, access, flow)
        if channel.id != channel_id:
            raise BadCallbackData(f"the flow's channel is not {channel_id}")
        check_stamp(mark, channel.created_at)
        return channel.timezone if choice == "m" else access.team.timezone


async def _show_festivals(update: Update, context: BotContext) -> None:
    actor, now = actor_from(update), clock_now(context)
    async with context.uow() as uow:
        await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
    today = now.astimezone(ZoneInfo(context.t.timezone)).date()
    await show(update, *calendar_views.calendar_view(context.t, upcoming(today), None, today))


async def _confirm(update: Update, context: BotContext, flow: Flow, choice: str) -> None:
    actor, now = actor_from(update), clock_now(context)
    if choice == "cancel":
        async with context.uow() as uow:
            await flows.clear_flow(uow, actor.user_id, actor.chat_id)
            await uow.commit()
        await answer_query(update)
        await show(update, *views.flow_cancelled(context.t))
        return
    if choice != "create":
        raise BadCallbackData(f"unknown confirmation {choice!r}")
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CAMPAIGN)
        values, warnings = await campaigns.campaign_values(
            uow,
            access.team_id,
            flow.data["answers"],
            now,
            festival=flow.data.get("festival"),
            locale=flow.data.get("locale"),
        )
        campaign = await campaigns.create_campaign(uow, access, values, now)
        await flows.clear_flow(uow, actor.user_id, actor.chat_id)
        card = await campaigns.campaign_card(uow, access.team, campaign, now)
        await uow.commit()
    await answer_query(update)
    await show(update, *views.created(context.t, card, warnings, access.role))


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("newcampaign", newcampaign_command))
    app.add_handler(CommandHandler("campaigns", campaigns_command))
    app.add_handler(CommandHandler("campaign", campaign_command))
    for action, callback in (
        (views.CARD, card_button),
        (views.REMINDERS, reminders_button),
        (views.EDIT, edit_button),
        (views.EDIT_FIELD, edit_field_button),
        (views.EDIT_VALUE, edit_value_button),
        (views.EDIT_CONFIRM, edit_confirm_button),
        (views.DELETE, delete_button),
        (views.DELETE_YES, delete_yes_button),
        (views.NEW, new_button),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern(action)))
