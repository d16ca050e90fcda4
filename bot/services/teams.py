"""Teams: members and roles, invite links, switching, binding to groups and channels."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from bot import limits
from bot.db.models import ChatBinding, Invite, Membership, Team, User
from bot.db.uow import UnitOfWork
from bot.domain.enums import BindingKind, BindingStatus, Role
from bot.domain.errors import N_, Conflict, NotAllowed, NotFound, UserInputError
from bot.domain.permissions import Action, can_grant
from bot.services.access import TeamAccess, membership
from bot.services.users import ensure_personal_team, get_user, plain, record_team_audit

INVITE_TTL = timedelta(days=7)
INVITE_PREFIX = "join-"
# SPEC §4.2 allows names of up to 200 characters; a team's name column holds 128
MAX_TEAM_NAME = min(limits.MAX_NAME_LENGTH, 128)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Member:
    user_id: int
    name: str
    username: str | None
    role: Role


@dataclass(frozen=True, slots=True)
class TeamOverview:
    team: Team
    role: Role  # the reader's
    members: list[Member]
    bindings: list[ChatBinding]
    open_invites: int
    team_count: int  # how many teams the reader belongs to


@dataclass(frozen=True, slots=True)
class NewInvite:
    invite: Invite
    token: str  # shown once; only its hash is stored


async def members_of(uow: UnitOfWork, team_id: int) -> list[Member]:
    rows = await uow.session.execute(
        select(Membership.role, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.team_id == team_id)
        .order_by(Membership.joined_at, User.id)
    )
    members = [Member(u.id, u.first_name, u.username, Role(role)) for role, u in rows]
    return sorted(members, key=lambda m: -m.role.rank)


async def overview(uow: UnitOfWork, access: TeamAccess, now: datetime) -> TeamOverview:
    team = access.team
    bindings = (
        await uow.session.scalars(
            select(ChatBinding).where(
                ChatBinding.team_id == team.id, ChatBinding.status == BindingStatus.ACTIVE
            )
        )
    ).all()
    open_invites = await uow.session.scalar(
        select(func.count(Invite.id)).where(
            Invite.team_id == team.id,
            Invite.revoked_at.is_(None),
            Invite.used_at.is_(None),
            Invite.expires_at > now,
        )
    )
    team_count = await uow.session.scalar(
        select(func.count()).where(Membership.user_id == access.user.id)
    )
    return TeamOverview(
        team,
        access.role,
        await members_of(uow, team.id),
        list(bindings),
        int(open_invites or 0),
        int(team_count or 0),
    )


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower())
    except ValueError:
        raise UserInputError(
            N_("“{value}” is not a role. Use one of: owner, admin, editor, viewer."),
            value=text.strip()[:20],
        ) from None


# -- invites ----------------------------------------------------------------------------------


async def create_invite(
    uow: UnitOfWork, access: TeamAccess, role: Role, now: datetime
) -> NewInvite:
    access.require(Action.MANAGE_MEMBERS)
    if not can_grant(access.role, role):
        raise NotAllowed(N_("Only an owner can invite someone as {role}."), role=role.label)
    token = secrets.token_urlsafe(16)  # 128 bits, URL- and deep-link-safe
    invite = Invite(
        team_id=access.team_id,
        token_hash=hash_token(token),
        role=role,
        single_use=True,
        created_by=access.user.id,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    uow.session.add(invite)
    await uow.flush()
    return NewInvite(invite, token)


async def open_invites(uow: UnitOfWork, access: TeamAccess, now: datetime) -> list[Invite]:
    access.require(Action.MANAGE_MEMBERS)
    rows = await uow.session.scalars(
        select(Invite)
        .where(
            Invite.team_id == access.team_id,
            Invite.revoked_at.is_(None),
            Invite.used_at.is_(None),
            Invite.expires_at > now,
        )
        .order_by(Invite.created_at)
    )
    return list(rows)


async def revoke_invite(
    uow: UnitOfWork, access: TeamAccess, invite_id: int, now: datetime
) -> Invite:
    access.require(Action.MANAGE_MEMBERS)
    invite = await uow.session.get(Invite, invite_id)
    if invite is None or invite.team_id != access.team_id:
        raise NotFound(N_("That invite does not exist (any more)."))
    if invite.revoked_at is None:
        invite.revoked_at = now
    return invite


async def join(uow: UnitOfWork, user_id: int, token: str, now: datetime) -> tuple[Team, Role]:
    """Redeem an invite token. Refuses unknown, revoked, expired and used tokens alike
    except for the message, so a token cannot be probed for more than that."""
    invite = await uow.session.scalar(
        select(Invite).where(Invite.token_hash == hash_token(token)).with_for_update()
    )
    if invite is None:
        raise NotAllowed(N_("This invite link is not valid. Ask a team admin for a new one."))
    if invite.revoked_at is not None:
        raise NotAllowed(N_("This invite link was revoked. Ask a team admin for a new one."))
    if invite.expires_at <= now:
        raise NotAllowed(N_("This invite link has expired. Ask a team admin for a new one."))
    if invite.single_use and invite.used_at is not None:
        raise NotAllowed(N_("This invite link was already used. Ask a team admin for a new one."))
    team = await uow.session.get(Team, invite.team_id)
    if team is None:
        raise NotAllowed(N_("This invite link is not valid. Ask a team admin for a new one."))
    user = await get_user(uow, user_id)
    existing = await membership(uow, team.id, user_id)
    if existing is not None:
        raise Conflict(
            N_("You are already in {team} as {role}."),
            team=team.name,
            role=Role(existing.role).label,
        )
    role = Role(invite.role)
    uow.session.add(Membership(team_id=team.id, user_id=user_id, role=role, joined_at=now))
    invite.used_at, invite.used_by = now, user_id
    user.active_team_id = team.id
    await uow.flush()
    return team, role


# -- members ----------------------------------------------------------------------------------


async def _owner_count(uow: UnitOfWork, team_id: int) -> int:
    count = await uow.session.scalar(
        select(func.count()).where(Membership.team_id == team_id, Membership.role == Role.OWNER)
    )
    return int(count or 0)


async def _target_member(uow: UnitOfWork, access: TeamAccess, user_id: int) -> Membership:
    target = await membership(uow, access.team_id, user_id)
    if target is None:
        raise NotFound(N_("That person is not a member of {team}."), team=access.team.name)
    return target


async def change_role(uow: UnitOfWork, access: TeamAccess, user_id: int, role: Role) -> Membership:
    access.require(Action.MANAGE_MEMBERS)
    target = await _target_member(uow, access, user_id)
    current = Role(target.role)
    # an admin manages editors and viewers; owners and admins are the owners' business
    if not can_grant(access.role, role) or (
        current.at_least(Role.ADMIN) and access.role is not Role.OWNER
    ):
        raise NotAllowed(
            N_("Only an owner can change an owner's or an admin's role, or make owners.")
        )
    if (
        current is Role.OWNER
        and role is not Role.OWNER
        and await _owner_count(uow, access.team_id) <= 1
    ):
        raise Conflict(N_("A team needs at least one owner. Make someone else owner first."))
    target.role = role
    return target


async def remove_member(uow: UnitOfWork, access: TeamAccess, user_id: int) -> None:
    if user_id == access.user.id:
        await leave(uow, access)
        return
    access.require(Action.MANAGE_MEMBERS)
    target = await _target_member(uow, access, user_id)
    if Role(target.role).at_least(Role.ADMIN) and access.role is not Role.OWNER:
        raise NotAllowed(N_("Only an owner can remove an owner or an admin."))
    if Role(target.role) is Role.OWNER and await _owner_count(uow, access.team_id) <= 1:
        raise Conflict(N_("A team needs at least one owner. Make someone else owner first."))
    await uow.session.delete(target)
    await _forget_active_team(uow, user_id, access.team_id)


async def leave(uow: UnitOfWork, access: TeamAccess) -> None:
    if access.role is Role.OWNER and await _owner_count(uow, access.team_id) <= 1:
        raise Conflict(
            N_(
                "You are the last owner of {team}, so you cannot leave it. Make someone else "
                "owner first."
            ),
            team=access.team.name,
        )
    member = await _target_member(uow, access, access.user.id)
    await uow.session.delete(member)
    await _forget_active_team(uow, access.user.id, access.team_id)


async def _forget_active_team(uow: UnitOfWork, user_id: int, team_id: int) -> None:
    user = await uow.session.get(User, user_id)
    if user is not None and user.active_team_id == team_id:
        user.active_team_id = None  # the next command falls back to the personal team


# -- several teams -------------------------------------------------------------------------


async def teams_of(uow: UnitOfWork, user_id: int) -> list[tuple[Team, Role]]:
    rows = await uow.session.execute(
        select(Team, Membership.role)
        .join(Membership, Membership.team_id == Team.id)
        .where(Membership.user_id == user_id)
        .order_by(Team.is_personal.desc(), Team.name, Team.id)
    )
    return [(team, Role(role)) for team, role in rows]


async def switch(uow: UnitOfWork, user_id: int, team_id: int) -> Team:
    if await membership(uow, team_id, user_id) is None:
        raise NotAllowed(N_("You are not a member of that team."))
    team = await uow.session.get(Team, team_id)
    assert team is not None
    user = await get_user(uow, user_id)
    user.active_team_id = team.id
    return team


def parse_team_name(text: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > MAX_TEAM_NAME:
        raise UserInputError(
            N_(
                "Give the team a name of 1 to {limit} characters, like "
                "<code>/team new Acme Store</code>."
            ),
            limit=MAX_TEAM_NAME,
        )
    return name


# what a new team copies from its creator's personal team (SPEC §4.1)
COPIED_SETTINGS = ("cost_currency", "target_margin", "fx_buffer", "timezone", "locale")


@dataclass(frozen=True, slots=True)
class NewTeam:
    team: Team
    source: Team  # the creator's personal team, whose settings it starts from


async def create_team(uow: UnitOfWork, user_id: int, name: str, now: datetime) -> NewTeam:
    """A new shared team, owned by its creator and now their active team. It starts from
    the settings of the creator's personal team (made now if they have none yet), and the
    audit trail says so."""
    user = await get_user(uow, user_id)
    personal = await ensure_personal_team(uow, user, now)
    team = Team(
        name=name,
        is_personal=False,
        created_at=now,
        updated_at=now,
        **{setting: getattr(personal, setting) for setting in COPIED_SETTINGS},
    )
    uow.session.add(team)
    await uow.flush()
    uow.session.add(Membership(team_id=team.id, user_id=user_id, role=Role.OWNER, joined_at=now))
    user.active_team_id = team.id
    record_team_audit(
        uow,
        team.id,
        user_id,
        now,
        "create",
        {setting: [None, plain(getattr(team, setting))] for setting in COPIED_SETTINGS}
        | {"copied_from": [None, personal.id]},
    )
    await uow.flush()
    return NewTeam(team, personal)


async def rename(uow: UnitOfWork, access: TeamAccess, name: str) -> Team:
    access.require(Action.MANAGE_SETTINGS)
    access.team.name = name
    return access.team


async def delete_team(uow: UnitOfWork, access: TeamAccess) -> str:
    access.require(Action.DELETE_TEAM)
    if access.team.is_personal:
        raise Conflict(N_("Your personal team cannot be deleted."))
    name = access.team.name
    await uow.session.execute(
        update(User).where(User.active_team_id == access.team_id).values(active_team_id=None)
    )
    await uow.session.delete(access.team)
    return name


# -- binding chats ---------------------------------------------------------------------------


async def bind_chat(
    uow: UnitOfWork,
    access: TeamAccess,
    *,
    chat_id: int,
    thread_id: int,
    kind: BindingKind,
    title: str,
    locale: str,
    now: datetime,
) -> ChatBinding:
    """Send this team's notices to a group, a forum topic or a channel."""
    access.require(Action.BIND_CHAT)
    existing = await uow.session.scalar(
        select(ChatBinding).where(
            ChatBinding.chat_id == chat_id, ChatBinding.thread_id == thread_id
        )
    )
    if existing is not None and existing.status == BindingStatus.ACTIVE:
        if existing.team_id != access.team_id:
            raise Conflict(
                N_(
                    "This chat is already linked to another team. An admin of that team can "
                    "/unlink it first."
                )
            )
        existing.title, existing.locale = title, locale
        return existing
    if existing is None:
        existing = ChatBinding(chat_id=chat_id, thread_id=thread_id)
        uow.session.add(existing)
    existing.team_id = access.team_id
    existing.kind = kind
    existing.title = title[:256]
    existing.locale = locale
    existing.timezone = access.team.timezone
    existing.status = BindingStatus.ACTIVE
    existing.bound_by = access.user.id
    existing.bound_at = now
    await uow.flush()
    return existing


async def unbind_chat(uow: UnitOfWork, access: TeamAccess) -> ChatBinding:
    access.require(Action.BIND_CHAT)
    binding = access.binding
    if binding is None:
        raise NotFound(N_("This chat is not linked to a team."))
    binding.status = BindingStatus.REMOVED
    return binding


async def owners_of(uow: UnitOfWork, team_id: int) -> list[User]:
    rows = await uow.session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, Membership.role == Role.OWNER)
    )
    return list(rows)
