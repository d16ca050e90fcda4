"""The SKU catalogue: /skus, /sku, /floor, /export, /import and CSV/XLSX uploads."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot import limits
from bot.context import BotContext
from bot.db.uow import UnitOfWork
from bot.domain.errors import N_, NotFound, UserInputError
from bot.domain.numbers import reader_style
from bot.domain.permissions import Action
from bot.handlers.channels import object_id
from bot.handlers.charts import send_chart, start_chart
from bot.handlers.common import actor_from, reply, show, typed_arguments, typed_tail
from bot.handlers.flows import text_step
from bot.handlers.plan_file import plan_file_received
from bot.jobs.dispatcher import wake_dispatcher
from bot.runtime.cooperative import heavy_work
from bot.runtime.workers import (
    BUSY,
    WorkerBusy,
    WorkerLimit,
    building_refused,
    file_workers,
    reading_refused,
)
from bot.services import catalog as service
from bot.services import flows, imports, plan_file
from bot.services.access import TeamAccess, team_for
from bot.services.arguments import (
    suggesting_subcommand,
)
from bot.services.channels import list_channels
from bot.services.flows import Flow
from bot.views import catalog as views
from bot.views import charts as chart_views
from bot.views import exports
from bot.views.callbacks import BadCallbackData, Callback, decode, pattern
from bot.views.common import Rendered
from bot.views.split import fit_caption

DELETE_WORDS = frozenset({"del", "delete", "remove"})
SKU_WORDS = ("add", "del", "delete", "remove")  # what `/sku` reads as a subcommand
CORRECT_FLOW = "pricefix"  # the correct price of a history entry, typed after the button


# --- /skus --------------------------------------------------------------------------------------
async def skus_command(update: Update, context: BotContext) -> None:
    args = typed_arguments(update, context)
    page = 0
    if args.words and args.words[0].isascii() and args.words[0].isdigit():  # `/skus 3`
        page = min(int(args.words[0][:7]), limits.MAX_PAGE) - 1  # past the end: the last
    await _show_page(update, context, page, edit=False)


async def skus_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    page = decode(query.data).page_arg(0)
    await query.answer()
    await _show_page(update, context, page, edit=True)


async def _show_page(update: Update, context: BotContext, page: int, *, edit: bool) -> None:
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), context.runtime.clock.now(), Action.READ)
        result = await service.sku_page(uow, access, page)
    rendered = views.sku_page(context.t, result)
    if edit:
        await show(update, *rendered)
    else:
        await reply(update, *rendered)


# --- /sku -------------------------------------------------------------------------------------
async def sku_command(update: Update, context: BotContext) -> None:
    """`/sku add CODE key=value …`, `/sku CODE [key=value …]`, `/sku del CODE`."""
    args = typed_arguments(update, context)
    if not args.words:
        if args.pairs:  # `/sku unit_cost=5`: the code is missing
            service.check_code("")
        await reply(update, *views.sku_usage(context.t))
        return
    first = args.words[0].lower()
    rest = args.rest()
    now = context.runtime.clock.now()
    actor = actor_from(update)
    with suggesting_subcommand(
        "sku", typed_tail(update), SKU_WORDS, after_name=(service.HISTORY_WORD,)
    ):
        if first == "add":
            async with context.uow() as uow:
                access = await team_for(uow, actor, now, Action.EDIT_CATALOG)
                saved = await service.add_sku(uow, access, rest, now)
                await uow.commit()
            await reply(update, *_saved_or_held(context, saved))
        elif first in DELETE_WORDS:
            code = service.check_code(rest.words[0] if rest.words else "", "/sku del A1")
            async with context.uow() as uow:
                access = await team_for(uow, actor, now, Action.EDIT_CATALOG)
                sku, campaigns = await service.sku_to_delete(uow, access, code)
            await reply(update, *views.confirm_sku_delete(context.t, sku, campaigns))
        elif rest.words and rest.words[0].lower() == service.HISTORY_WORD and not rest.pairs:
            async with context.uow() as uow:
                access = await team_for(uow, actor, now, Action.READ)
                history = await service.history_for_command(
                    uow, access, args.words[0], rest.words[1:], now
                )
            await reply(update, *views.price_history(context.t, history))
        elif rest.pairs or rest.words:
            async with context.uow() as uow:
                access = await team_for(uow, actor, now, Action.EDIT_CATALOG)
                saved = await service.edit_sku(uow, access, args.words[0], rest, now)
                await uow.commit()
            await reply(update, *_saved_or_held(context, saved))
        else:
            async with context.uow() as uow:
                access = await team_for(uow, actor, now, Action.READ)
                card = await service.sku_card(uow, access, args.words[0], now)
            await reply(update, *views.sku_card(context.t, card))


def _saved_or_held(context: BotContext, result: service.SkuSaved | service.HeldChange) -> Rendered:
    if isinstance(result, service.HeldChange):
        return views.price_check(context.t, result)
    wake_dispatcher(context.application)  # margin warnings the change may have queued
    return views.sku_saved(context.t, result)


async def sku_change_button(update: Update, context: BotContext) -> None:
    """Save a /sku command held for implausible prices after all, or cancel it: the
    author's own, re-read and re-checked as if typed again."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    pending_id, answer = object_id(callback, 0), callback.arg(1)
    if answer not in ("y", "n"):
        raise BadCallbackData(f"bad answer {answer!r}")
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.EDIT_CATALOG)
        if answer == "n":
            if not await service.cancel_sku_change(uow, access, pending_id, now):
                raise BadCallbackData(f"no held change {pending_id} for this user and team")
            await uow.commit()
            rendered = views.sku_change_cancelled(context.t)
        else:
            result = await service.confirm_sku_change(uow, access, pending_id, now)
            if result is None:
                raise BadCallbackData(f"no held change {pending_id} for this user and team")
            await uow.commit()
            rendered = _saved_or_held(context, result)
    await query.answer()
    await show(update, *rendered)


# --- /sku CODE history: list, correct, remove --------------------------------------------------
async def history_button(update: Update, context: BotContext) -> None:
    """◀ ▶ through a SKU's price history (and back from the removal question)."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    sku_id = object_id(callback, 0)
    channel_id = 0 if callback.arg(1) == "0" else object_id(callback, 1)
    page = callback.page_arg(2)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.READ)
        history = await service.history_for_button(uow, access, sku_id, channel_id, page, now)
        if history is None:
            raise BadCallbackData(f"no SKU {sku_id} / channel {channel_id} in this team")
    await query.answer()
    await show(update, *views.price_history(context.t, history))


async def _entry(uow: UnitOfWork, access: TeamAccess, callback: Callback) -> service.EntryRef:
    entry_id = object_id(callback, 0)
    ref = await service.history_entry(uow, access, entry_id)
    if ref is None:  # removed meanwhile, or another team's id: reveal nothing
        raise BadCallbackData(f"no price history entry {entry_id} in team {access.team_id}")
    return ref


async def history_correct_button(update: Update, context: BotContext) -> None:
    """✏️: ask for the right price (the next message from the presser in this chat)."""
    query = update.callback_query
    assert query is not None
    actor, now = actor_from(update), context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CATALOG)
        ref = await _entry(uow, access, decode(query.data))
        flow = Flow(CORRECT_FLOW, "price", {"entry_id": ref.entry.id})
        await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
        await uow.commit()
        rendered = views.correction_prompt(context.t, ref)
    await query.answer()
    await show(update, *rendered)


@text_step(CORRECT_FLOW)
async def correction_text(update: Update, context: BotContext, flow: Flow) -> None:
    message = update.effective_message
    text = message.text if message is not None and message.text else ""
    actor, now = actor_from(update), context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor, now, Action.EDIT_CATALOG)
        ref = await service.history_entry(uow, access, int(flow.data["entry_id"]))
        if ref is None:
            await flows.clear_flow(uow, actor.user_id, actor.chat_id)
            await uow.commit()
            raise NotFound(N_("That price history entry no longer exists."))
        fix = await service.correct_entry(
            uow, access, ref, text, now, reader_style(context.t.locale)
        )
        await flows.clear_flow(uow, actor.user_id, actor.chat_id)
        history = await service.price_history(uow, access, ref.sku, ref.channel, 0, now)
        await uow.commit()
    wake_dispatcher(context.application)
    text, keyboard = views.price_history(context.t, history)
    await reply(update, views.history_fixed(context.t, fix) + "\n\n" + text, keyboard)


async def history_remove_button(update: Update, context: BotContext) -> None:
    """🗑: ask before removing an entry."""
    query = update.callback_query
    assert query is not None
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.EDIT_CATALOG)
        ref = await _entry(uow, access, decode(query.data))
        rendered = views.confirm_entry_removal(context.t, ref)
    await query.answer()
    await show(update, *rendered)


async def history_remove_yes_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.EDIT_CATALOG)
        ref = await _entry(uow, access, decode(query.data))
        fix = await service.remove_entry(uow, access, ref, now)
        history = await service.price_history(uow, access, ref.sku, ref.channel, 0, now)
        await uow.commit()
    wake_dispatcher(context.application)
    text, keyboard = views.price_history(context.t, history)
    await query.answer()
    await show(update, views.history_fixed(context.t, fix) + "\n\n" + text, keyboard)


async def sku_delete_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    sku_id = object_id(callback, 0)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.EDIT_CATALOG)
        sku = await service.sku_by_id(uow, access.team_id, sku_id)
        if sku is None:  # deleted meanwhile, or another team's id: reveal nothing
            raise BadCallbackData(f"no SKU {sku_id} in team {access.team_id}")
        callback.check_stamp(1, sku.created_at)  # the SKU the button was made for
        code = sku.code
        await service.delete_sku(uow, access, sku, now)
        await uow.commit()
    await query.answer()
    await show(update, *views.sku_deleted(context.t, code))


async def sku_keep_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    async with context.uow() as uow:
        await team_for(uow, actor_from(update), context.runtime.clock.now(), Action.READ)
    await query.answer()
    await show(update, *views.sku_kept(context.t))


# --- /floor -----------------------------------------------------------------------------------
async def floor_command(update: Update, context: BotContext) -> None:
    args = typed_arguments(update, context)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.READ)
        card = await service.floor_card(uow, access, args, now)
    await reply(update, *views.floor_card(context.t, card))
    chart = chart_views.floor_chart(context.t, card)  # the waterfall, after the numbers
    if chart is not None:
        caption = chart_views.floor_caption(context.t, card)
        await send_chart(update, start_chart(context, chart), caption)


# --- import and export ------------------------------------------------------------------------
async def import_command(update: Update, context: BotContext) -> None:
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), context.runtime.clock.now(), Action.READ)
        names = [c.name for c in await list_channels(uow, access.team_id)]
    await reply(update, *views.import_help(context.t, names))


async def export_command(update: Update, context: BotContext) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now, Action.READ)
        table = await imports.catalogue_table(uow, access)
    try:  # building the files is CPU work: in a worker process, off the event loop
        files = await file_workers(context.runtime).run(exports.catalogue_files, table)
    except WorkerLimit as limit:
        raise building_refused(limit) from None
    message = update.effective_message
    assert message is not None
    stem = f"catalogue-{now:%Y-%m-%d}"
    _ = context.t
    for content, kind in ((files.xlsx, "XLSX"), (files.csv, "CSV")):
        caption, rest = fit_caption(views.export_caption(_, files.rows, kind))
        await message.reply_document(
            document=content, filename=f"{stem}.{kind.lower()}", caption=caption, do_quote=False
        )
        if rest:
            await reply(update, "\n".join(rest))


async def document_received(update: Update, context: BotContext) -> None:
    """A CSV/XLSX file: preview the import (nothing is written to the catalogue yet).

    Registered non-blocking: while a worker process reads the file (up to the time
    limit), the bot goes on answering everyone else. One file per user at a time."""
    message = update.effective_message
    assert message is not None and message.document is not None
    document = message.document
    actor = actor_from(update)
    if not imports.is_catalogue_file(document.file_name, document.mime_type):
        if actor.in_private:
            await reply(update, *views.not_a_catalogue(context.t))
        return
    if document.file_size is not None and document.file_size > imports.MAX_FILE_BYTES:
        raise imports.refuse_size(document.file_size)
    now = context.runtime.clock.now()
    filename = document.file_name or "catalogue.csv"
    pool = file_workers(context.runtime)
    try:
        with pool.claim(("upload", actor.user_id)):
            async with context.uow() as uow:  # check before downloading anything
                access = await team_for(uow, actor, now, Action.EDIT_CATALOG)
                channels, cost_currency = await imports.import_context(uow, access)
            file = await context.bot.get_file(document.file_id)
            content = bytes(await file.download_as_bytearray())
            parsed, rows = await pool.run(  # a plan file sent back, else a catalogue
                plan_file.shipped_read_upload,
                filename,
                content,
                channels,
                cost_currency,
                context.t.locale,
            )
            parsed.rows = await rows.unpack()
    except WorkerBusy:
        raise UserInputError(BUSY) from None
    except WorkerLimit as limit:
        raise reading_refused(limit) from None
    if isinstance(parsed, plan_file.PlanUpload):
        await plan_file_received(update, context, parsed, filename)
        return
    async with heavy_work(), context.uow() as uow:  # one heavy job at a time: see heavy_work
        access = await team_for(uow, actor, now, Action.EDIT_CATALOG)
        preview = await imports.preview_import(uow, access, filename, parsed, now)
        await uow.commit()
    await reply(update, *views.import_preview(context.t, preview))


async def import_button(update: Update, context: BotContext) -> None:
    """Confirm or cancel a previewed import: re-checked, the actor's own, all or nothing."""
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    pending_id = object_id(callback, 0)
    answer = callback.arg(1)
    if answer not in ("y", "n"):
        raise BadCallbackData(f"bad import answer {answer!r}")
    now = context.runtime.clock.now()
    async with heavy_work(), context.uow() as uow:  # applying 50,000 rows: see heavy_work
        access = await team_for(uow, actor_from(update), now, Action.EDIT_CATALOG)
        pending = await imports.pending_import(uow, access, pending_id, now)
        if pending is None:  # used, cancelled, expired, or not this user's
            raise BadCallbackData(f"no pending import {pending_id} for this user and team")
        callback.check_stamp(2, pending.created_at)  # the preview the button was made for
        if answer == "n":
            await imports.cancel_import(uow, pending)
            await uow.commit()
            rendered = views.import_cancelled(context.t)
        else:
            result = await imports.apply_import(uow, access, pending, now)
            await uow.commit()
            rendered = views.import_done(context.t, result)
    await query.answer()
    await show(update, *rendered)


def register(app: Application) -> None:  # type: ignore[type-arg]
    app.add_handler(CommandHandler("skus", skus_command))
    app.add_handler(CommandHandler("sku", sku_command))
    app.add_handler(CommandHandler("floor", floor_command))
    app.add_handler(CommandHandler("import", import_command))
    app.add_handler(CommandHandler("export", export_command))
    app.add_handler(MessageHandler(filters.Document.ALL, document_received, block=False))
    app.add_handler(CallbackQueryHandler(skus_button, pattern=pattern("skus")))
    app.add_handler(CallbackQueryHandler(sku_delete_button, pattern=pattern("skudel")))
    app.add_handler(CallbackQueryHandler(sku_keep_button, pattern=pattern("skukeep")))
    app.add_handler(CallbackQueryHandler(import_button, pattern=pattern("imp")))
    for action, callback in (
        (views.SKU_CHANGE, sku_change_button),
        (views.HISTORY, history_button),
        (views.HISTORY_CORRECT, history_correct_button),
        (views.HISTORY_REMOVE, history_remove_button),
        (views.HISTORY_REMOVE_YES, history_remove_yes_button),
    ):
        app.add_handler(CallbackQueryHandler(callback, pattern=pattern(action)))
