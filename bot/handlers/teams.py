"""/team, invites (/start join-…), /link and /unlink, and the bot's own membership in
groups and channels (added, removed, blocked, group upgraded to a supergroup)."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import limits
from bot.context import BotContext
from bot.db.models import Invite
from bot.db.uow import UnitOfWork
from bot.domain.enums import BindingKind, Role
from bot.domain.errors import N_, NotAllowed, UserInputError
from bot.domain.permissions import Action
from bot.handlers.common import actor_from, reply, show
from bot.handlers.onboarding import JOINED_FLOW, START_HOOKS
from bot.i18n import Translator
from bot.jobs import wake_dispatcher
from bot.services import access as access_service
from bot.services import chats, flows, teams, users
from bot.services.access import team_for
from bot.services.arguments import command_text, near_subcommand
from bot.services.flows import Flow
from bot.services.teams import Member
from bot.views import teams as views
from bot.views.callbacks import BadCallbackData, Callback, decode, pattern
from bot.views.common import Rendered

log = logging.getLogger(__name__)

TEAM_USAGE = N_(
    "Write it like this:\n<code>/team</code> — members and buttons\n"
    "<code>/team invite editor</code> — an invite link (owner, admin, editor or viewer)\n"
    "<code>/team invites</code> — open invite links\n"
    "<code>/team role @name viewer</code>, <code>/team remove @name</code>\n"
    "<code>/team switch</code>, <code>/team new Acme Store</code>, "
    "<code>/team rename Acme</code>, <code>/team leave</code>, <code>/team delete</code>"
)


def invite_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={teams.INVITE_PREFIX}{token}"


async def team_command(update: Update, context: BotContext) -> None:
    args = context.args or []
    sub = args[0].lower() if args else ""
    handler = _SUBCOMMANDS.get(sub)
    if handler is None:
        message = update.effective_message
        tail = command_text(message.text if message else None)
        words = [word for word in _SUBCOMMANDS if word]
        raise near_subcommand("team", tail, words) or UserInputError(TEAM_USAGE)
    await handler(update, context, args[1:])


async def _overview(update: Update, context: BotContext, _args: list[str]) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
        view = await teams.overview(uow, access, now)
        await uow.commit()
    await reply(update, *views.overview(context.t, view))


async def _invite(update: Update, context: BotContext, args: list[str]) -> None:
    role = teams.parse_role(args[0]) if args else Role.EDITOR
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
        created = await teams.create_invite(uow, access, role, now)
        await uow.commit()
    link = invite_link(context.bot.username, created.token)
    await reply(update, *views.invite_created(context.t, access.team, created.invite, link))


async def _invites(update: Update, context: BotContext, _args: list[str]) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
        rows = await teams.open_invites(uow, access, now)
    await reply(update, *views.invites(context.t, access.team, rows))


async def _find_member(uow: UnitOfWork, access: access_service.TeamAccess, ref: str) -> Member:
    people = await teams.members_of(uow, access.team_id)
    key = ref.strip().lstrip("@").lower()
    for member in people:
        if str(member.user_id) == key or (member.username or "").lower() == key:
            return member
    raise UserInputError(
        N_(
            "I cannot find “{value}” in this team. Use their @username or pick them in "
            "/team → Members and roles."
        ),
        value=ref[:40],
    )


async def _role(update: Update, context: BotContext, args: list[str]) -> None:
    if len(args) != 2:
        raise UserInputError(TEAM_USAGE)
    role = teams.parse_role(args[1])
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
        member = await _find_member(uow, access, args[0])
        await teams.change_role(uow, access, member.user_id, role)
        await uow.commit()
    changed = Member(member.user_id, member.name, member.username, role)
    await reply(update, *views.role_changed(context.t, changed))


async def _remove(update: Update, context: BotContext, args: list[str]) -> None:
    if len(args) != 1:
        raise UserInputError(TEAM_USAGE)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
        member = await _find_member(uow, access, args[0])
        await teams.remove_member(uow, access, member.user_id)
        await uow.commit()
    await reply(update, *views.member_removed(context.t, member))


async def _leave(update: Update, context: BotContext, _args: list[str]) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
    await reply(update, *views.confirm_leave(context.t, access.team))


async def _switch(update: Update, context: BotContext, args: list[str]) -> None:
    actor = actor_from(update)
    async with context.uow() as uow:
        if args:
            team_id = limits.parse_id(args[0])
            if team_id is None:
                if not (args[0].isascii() and args[0].isdigit()):
                    raise UserInputError(TEAM_USAGE)
                team_id = 0  # beyond any team id: not found, like any team one is not in
            team = await teams.switch(uow, actor.user_id, team_id)
            await uow.commit()
            await reply(update, *views.switched(context.t, team))
            return
        options = await teams.teams_of(uow, actor.user_id)
        user = await users.get_user(uow, actor.user_id)
    await reply(update, *views.switch_list(context.t, options, user.active_team_id))


async def _new(update: Update, context: BotContext, args: list[str]) -> None:
    name = teams.parse_team_name(" ".join(args))
    actor = actor_from(update)
    async with context.uow() as uow:
        created = await teams.create_team(uow, actor.user_id, name, context.runtime.clock.now())
        await uow.commit()
    await reply(update, *views.created(context.t, created))


async def _rename(update: Update, context: BotContext, args: list[str]) -> None:
    name = teams.parse_team_name(" ".join(args))
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
        team = await teams.rename(uow, access, name)
        await uow.commit()
    await reply(update, *views.renamed(context.t, team))


async def _delete(update: Update, context: BotContext, _args: list[str]) -> None:
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor_from(update), now)
        access.require(Action.DELETE_TEAM)
    await reply(update, *views.confirm_delete(context.t, access.team))


_SUBCOMMANDS = {
    "": _overview,
    "invite": _invite,
    "invites": _invites,
    "role": _role,
    "remove": _remove,
    "leave": _leave,
    "switch": _switch,
    "new": _new,
    "rename": _rename,
    "delete": _delete,
}


# -- invites via deep link ---------------------------------------------------------------------


async def join_hook(update: Update, context: BotContext, payload: str) -> None:
    actor = actor_from(update)
    if not actor.in_private:
        raise NotAllowed(N_("Open the invite link in a private chat with me."))
    token = payload.removeprefix(teams.INVITE_PREFIX)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        user = await users.get_user(uow, actor.user_id)
        await users.ensure_personal_team(uow, user, now)
        team, role = await teams.join(uow, actor.user_id, token, now)
        ask_zone = user.timezone is None  # they never chose one: ask, with the team's first
        if ask_zone:
            flow = Flow(JOINED_FLOW, "timezone", {"team_id": team.id})
            await flows.set_flow(uow, actor.user_id, actor.chat_id, flow, now)
        await uow.commit()
    await reply(update, *views.joined(context.t, team, role, ask_timezone=ask_zone))


# -- buttons ---------------------------------------------------------------------------------


# what each team button needs of the presser; checked before the button's stamp, so a
# forged press learns nothing it could not learn from /team
TEAM_ACTIONS: dict[str, Action] = {
    "tinv": Action.MANAGE_MEMBERS,
    "tinvrv": Action.MANAGE_MEMBERS,
    "tmems": Action.MANAGE_MEMBERS,
    "tmem": Action.MANAGE_MEMBERS,
    "trole": Action.MANAGE_MEMBERS,
    "trm": Action.MANAGE_MEMBERS,
    "trmy": Action.MANAGE_MEMBERS,
    "tsw": Action.READ,
    "tleave": Action.READ,
    "tleavey": Action.READ,
    "tdely": Action.DELETE_TEAM,
    "tchl": Action.BIND_CHAT,
}


def _role_arg(callback: Callback, index: int) -> Role:
    try:
        return Role(callback.arg(index))
    except ValueError:
        raise BadCallbackData("bad role") from None


async def team_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None
    callback = decode(query.data)
    actor = actor_from(update)
    now = context.runtime.clock.now()
    _ = context.t
    action = callback.action
    if action == "tno":
        await query.answer()
        await show(update, *views.cancelled(_))
        return
    if action == "tswl":
        await query.answer()
        async with context.uow() as uow:
            options = await teams.teams_of(uow, actor.user_id)
            user = await users.get_user(uow, actor.user_id)
        await show(update, *views.switch_list(_, options, user.active_team_id))
        return
    if action not in TEAM_ACTIONS:
        raise BadCallbackData(f"unknown team action {action}")
    # read every argument first: malformed data is "no longer valid", whoever presses
    team_id = callback.id_arg(0)
    role = _role_arg(callback, 1) if action == "tinv" else None
    if action == "trole":
        role = _role_arg(callback, 2)
    other = callback.int_arg(1) if action in ("tmem", "trole", "trm", "trmy", "tchl") else 0
    invite_id = callback.id_arg(1) if action == "tinvrv" else 0
    async with context.uow() as uow:
        access = await access_service.access_to_team(uow, actor.user_id, team_id)
        access.require(TEAM_ACTIONS[action])
        callback.check_stamp(len(callback.args) - 1, access.team.created_at)
        if action == "tinv":
            assert role is not None
            created = await teams.create_invite(uow, access, role, now)
            await uow.commit()
            link = invite_link(context.bot.username, created.token)
            rendered = views.invite_created(_, access.team, created.invite, link)
        elif action == "tinvrv":
            invite = await uow.session.get(Invite, invite_id)
            if invite is not None and invite.team_id == access.team_id:
                callback.check_stamp(2, invite.created_at)
            await teams.revoke_invite(uow, access, invite_id, now)
            await uow.commit()
            rendered = views.invite_revoked(_)
        elif action == "tmems":
            rendered = views.members(_, access.team, await teams.members_of(uow, team_id))
        elif action == "tmem":
            member = await _member_by_id(uow, team_id, other)
            rendered = views.member_card(_, access.team, member)
        elif action == "trole":
            assert role is not None
            member = await _member_by_id(uow, team_id, other)
            await teams.change_role(uow, access, member.user_id, role)
            await uow.commit()
            changed = Member(member.user_id, member.name, member.username, role)
            rendered = views.role_changed(_, changed)
        elif action == "trm":
            member = await _member_by_id(uow, team_id, other)
            rendered = views.confirm_remove(_, access.team, member)
        elif action == "trmy":
            member = await _member_by_id(uow, team_id, other)
            await teams.remove_member(uow, access, member.user_id)
            await uow.commit()
            rendered = views.member_removed(_, member)
        elif action == "tsw":
            team = await teams.switch(uow, actor.user_id, team_id)
            await uow.commit()
            rendered = views.switched(_, team)
        elif action == "tleave":
            rendered = views.confirm_leave(_, access.team)
        elif action == "tleavey":
            await teams.leave(uow, access)
            await uow.commit()
            rendered = views.left(_, access.team)
        elif action == "tdely":
            name = await teams.delete_team(uow, access)
            await uow.commit()
            rendered = views.deleted(_, name)
        else:  # tchl
            rendered = await _link_channel(update, context, uow, access, other)
    await query.answer()
    await show(update, *rendered)


async def _member_by_id(uow: UnitOfWork, team_id: int, user_id: int) -> Member:
    for member in await teams.members_of(uow, team_id):
        if member.user_id == user_id:
            return member
    raise BadCallbackData("not a member of this team")


# -- linking groups, topics and channels ---------------------------------------------------


async def _is_chat_admin(context: BotContext, chat_id: int, user_id: int) -> bool:
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return False
    return member.status in (ChatMember.OWNER, ChatMember.ADMINISTRATOR)


async def _require_group_admin(context: BotContext, actor_chat_id: int, user_id: int) -> None:
    """Linking and unlinking a group both need an admin of the group (asked from Telegram),
    on top of the team role the service checks."""
    if not await _is_chat_admin(context, actor_chat_id, user_id):
        raise NotAllowed(N_("Only an admin of this group can link it to a team or unlink it."))


async def link_command(update: Update, context: BotContext) -> None:
    actor = actor_from(update)
    chat = update.effective_chat
    assert chat is not None
    if actor.in_private:
        raise UserInputError(
            N_(
                "Run /link in the group (or forum topic) that should get this team's notices. "
                "To use a channel, add me to it as an admin."
            )
        )
    await _require_group_admin(context, actor.chat_id, actor.user_id)
    chosen = users.parse_locale(context.args[0]) if context.args else None
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await access_service.active_team_access(uow, actor.user_id, now)
        locale = chosen or access.team.locale  # the team's notice language (/settings)
        binding = await teams.bind_chat(
            uow,
            access,
            chat_id=actor.chat_id,
            thread_id=actor.thread_id,
            kind=BindingKind.TOPIC if actor.thread_id else BindingKind.GROUP,
            title=chat.title or "",
            locale=locale,
            now=now,
        )
        await uow.commit()
    await reply(update, *views.linked(Translator(locale, context.t.timezone), access.team, binding))


async def unlink_command(update: Update, context: BotContext) -> None:
    actor = actor_from(update)
    if actor.in_private:
        raise UserInputError(N_("Run /unlink in the group that is linked to your team."))
    await _require_group_admin(context, actor.chat_id, actor.user_id)
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        access = await team_for(uow, actor, now)
        await teams.unbind_chat(uow, access)
        await uow.commit()
    await reply(update, *views.unlinked(context.t))


async def _link_channel(
    update: Update,
    context: BotContext,
    uow: UnitOfWork,
    access: access_service.TeamAccess,
    chat_id: int,
) -> Rendered:
    """Bind a broadcast channel: the presser must be an admin of the team and of the
    channel (asked from Telegram, not taken from the button)."""
    actor = actor_from(update)
    if not await _is_chat_admin(context, chat_id, actor.user_id):
        raise NotAllowed(N_("Only an admin of that channel can link it."))
    try:
        chat = await context.bot.get_chat(chat_id)
    except TelegramError:
        raise NotAllowed(N_("I cannot reach that channel any more.")) from None
    binding = await teams.bind_chat(
        uow,
        access,
        chat_id=chat_id,
        thread_id=0,
        kind=BindingKind.CHANNEL,
        title=chat.title or "",
        locale=context.t.locale,
        now=context.runtime.clock.now(),
    )
    await uow.commit()
    return views.linked(context.t, access.team, binding)


# -- the bot's own membership -------------------------------------------------------------------

_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER, ChatMember.RESTRICTED}


def membership_change(update: ChatMemberUpdated) -> tuple[bool, bool]:
    """(was present, is present) for the bot, from a my_chat_member update."""

    def present(member: ChatMember) -> bool:
        if member.status == ChatMember.RESTRICTED:
            return bool(getattr(member, "is_member", True))
        return member.status in _PRESENT

    return present(update.old_chat_member), present(update.new_chat_member)


async def my_chat_member(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    assert change is not None
    was, now_present = membership_change(change)
    chat = change.chat
    clock_now = context.runtime.clock.now()
    if chat.type == ChatType.PRIVATE:
        async with context.uow() as uow:
            user = await users.get_user(uow, change.from_user.id)
            user.blocked_at = None if now_present else clock_now
            await uow.commit()
        return
    if now_present and not was:
        if chat.type == ChatType.CHANNEL:
            await _offer_channel(context, change)
        else:
            await context.bot.send_message(
                chat.id, views.introduce_in_group(context.t, context.bot.username)
            )
    elif was and not now_present:
        await _chat_gone(context, chat.id)


async def _offer_channel(context: BotContext, change: ChatMemberUpdated) -> None:
    adder = change.from_user
    async with context.uow() as uow:
        access = await access_service.active_team_access(uow, adder.id, context.runtime.clock.now())
        await uow.commit()
    if not access.role.at_least(Role.ADMIN):
        return
    text, markup = views.offer_channel_link(
        context.t, change.chat.title or "", access.team, change.chat.id
    )
    try:
        await context.bot.send_message(adder.id, text, reply_markup=markup)
    except TelegramError as exc:
        log.info("could not offer a channel link to %s: %s", adder.id, exc)


async def _chat_gone(context: BotContext, chat_id: int) -> None:
    """Unbind the chat; the owners of each bound team are told privately (via the outbox)."""
    now = context.runtime.clock.now()
    async with context.uow() as uow:
        await chats.chat_gone(uow, chat_id, now)
        await uow.commit()
    wake_dispatcher(context.application)


async def chat_migrated(update: Update, context: BotContext) -> None:
    message = update.effective_message
    assert message is not None
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    async with context.uow() as uow:
        moved = await chats.migrate_chat(uow, old, new)
        await uow.commit()
    log.info("group %s became supergroup %s; %s binding(s) moved", old, new, moved)


def register(app: Application) -> None:  # type: ignore[type-arg]
    START_HOOKS["join"] = join_hook
    app.add_handler(CommandHandler("team", team_command))
    app.add_handler(CommandHandler("link", link_command))
    app.add_handler(CommandHandler("unlink", unlink_command))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated))
    app.add_handler(ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    for action in ("tno", "tswl", *TEAM_ACTIONS):
        app.add_handler(CallbackQueryHandler(team_button, pattern=pattern(action)))
