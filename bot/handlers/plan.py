"""/plan <campaign>: the summary in chat, the full table as XLSX and CSV documents; the
card's Plan and Export buttons."""

from __future__ import annotations

import io

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.context import BotContext
from bot.domain.campaigns import command_tail, parse_campaign_ref, split_args
from bot.domain.enums import Role
from bot.domain.errors import N_, UserInputError
from bot.domain.permissions import Action
from bot.handlers.charts import send_chart, start_chart
from bot.handlers.common import actor_from, reply, show, with_plan_table
from bot.runtime.cooperative import heavy_work
from bot.runtime.workers import WorkerLimit, building_refused, file_workers
from bot.services import campaigns
from bot.services.access import team_for
from bot.services.plan import Plan, build_plan
from bot.views import campaigns as campaign_views
from bot.views import charts as chart_views
from bot.views import exports
from bot.views import plan as views
from bot.views.callbacks import decode, pattern


async def _plan(update: Update, context: BotContext, campaign_id: int) -> tuple[Plan, Role]:
    """The plan, and the reader's role (which buttons the summary offers)."""
    actor, now = actor_from(update), context.runtime.clock.now()
    async with heavy_work(), context.uow() as uow:  # one plan at a time: see heavy_work
        access = await team_for(uow, actor, now, Action.READ)
        campaign = await campaigns.get_campaign(uow, access.team_id, campaign_id)
        plan = await build_plan(uow, access.team, campaign, now)
        await uow.commit()
    return plan, access.role


async def _send_files(update: Update, context: BotContext, plan: Plan) -> None:
    message = update.effective_message
    if message is None:
        return
    _ = context.t
    document, lines = await exports.shipped_plan_document(plan, _)
    try:  # CPU work: in a worker process, so other updates are not held up
        xlsx, csv_bytes = await file_workers(context.runtime).run(
            exports.shipped_plan_files, document, lines
        )
    except WorkerLimit as limit:
        raise building_refused(limit) from None
    await message.reply_document(
        InputFile(io.BytesIO(xlsx), filename=exports.filename(plan, "xlsx")),
        caption=views.files_caption(_, plan, "XLSX"),
        do_quote=False,
    )
    await message.reply_document(
        InputFile(io.BytesIO(csv_bytes), filename=exports.filename(plan, "csv")),
        caption=views.files_caption(_, plan, "CSV"),
        do_quote=False,
    )


async def _send_files_and_chart(update: Update, context: BotContext, plan: Plan) -> None:
    """The XLSX and CSV, then the margins chart, drawn while the files are built (each in
    its own worker pool). The chart comes last: the summary and the files carry every
    number already."""
    drawing = start_chart(context, chart_views.plan_chart(context.t, plan))
    try:
        if plan.rows or plan.others:
            await _send_files(update, context, plan)
    finally:  # the chart goes out even if the files could not be built
        await send_chart(update, drawing, chart_views.plan_caption(context.t, plan))


async def plan_command(update: Update, context: BotContext) -> None:
    args = split_args(
        command_tail(update.effective_message.text if update.effective_message else "")
    )
    if len(args.positional) != 1 or args.options:
        raise UserInputError(
            N_("Name the campaign, like <code>/plan 3</code>. /campaigns lists them.")
        )
    plan, role = await _plan(update, context, parse_campaign_ref(args.positional[0]))
    await reply(
        update,
        *with_plan_table(
            views.plan_summary(context.t, plan, role), update, context, plan.campaign.id
        ),
    )
    await _send_files_and_chart(update, context, plan)


async def plan_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    plan, role = await _plan(update, context, decode(query.data).id_arg(0))
    await query.answer()
    await show(
        update,
        *with_plan_table(
            views.plan_summary(context.t, plan, role), update, context, plan.campaign.id
        ),
    )
    await _send_files_and_chart(update, context, plan)


async def export_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    plan, _role = await _plan(update, context, decode(query.data).id_arg(0))
    await query.answer()
    await _send_files(update, context, plan)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("plan", plan_command))
    app.add_handler(CallbackQueryHandler(plan_button, pattern=pattern(campaign_views.PLAN)))
    app.add_handler(CallbackQueryHandler(export_button, pattern=pattern(campaign_views.EXPORT)))
