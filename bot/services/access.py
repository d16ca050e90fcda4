"""Which team a command acts on, and whether the actor may do it.

In a private chat: the user's active team (their personal team by default).
In a group: the team bound to that group (or to the forum topic), and only for
its members. Nothing here trusts anything the client sent besides the user
and chat ids Telegram vouches for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.db.models import ChatBinding, Membership, Team, User
from bot.db.uow import UnitOfWork
from bot.domain.enums import BindingStatus, Role
from bot.domain.errors import N_, NotAllowed
from bot.domain.permissions import REQUIRED_ROLE, Action, is_allowed
from bot.services.actor import Actor
from bot.services.users import ensure_personal_team, get_user


class NotAMember(NotAllowed):
    """A command in a group from someone outside the team linked to it: refused once,
    then the person is ignored in that chat for a while (SPEC §6.2)."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "Sorry, only members of the team linked to this chat can use me here. Ask a "
                "team admin for an invite link."
            )
        )


@dataclass(frozen=True, slots=True)
class TeamAccess:
    team: Team
    role: Role
    user: User
    binding: ChatBinding | None  # the group/topic binding the command came through

    @property
    def team_id(self) -> int:
        return self.team.id

    def require(self, action: Action) -> None:
        if not is_allowed(self.role, action):
            raise NotAllowed(
                N_("Your role in {team} is {role}; this needs {required} or above."),
                team=self.team.name,
                role=self.role.label,
                required=REQUIRED_ROLE[action].label,
            )


async def binding_for_chat(uow: UnitOfWork, chat_id: int, thread_id: int) -> ChatBinding | None:
    """The exact topic binding, else the whole-chat binding, else the single team bound
    in some topic of this chat (so the General topic works too)."""
    rows = (
        await uow.session.scalars(
            select(ChatBinding).where(
                ChatBinding.chat_id == chat_id, ChatBinding.status == BindingStatus.ACTIVE
            )
        )
    ).all()
    by_thread = {row.thread_id: row for row in rows}
    if thread_id in by_thread:
        return by_thread[thread_id]
    if 0 in by_thread:
        return by_thread[0]
    teams = {row.team_id for row in rows}
    return rows[0] if len(teams) == 1 else None


async def membership(uow: UnitOfWork, team_id: int, user_id: int) -> Membership | None:
    return await uow.session.get(Membership, (team_id, user_id))


async def is_outsider(uow: UnitOfWork, chat_id: int, thread_id: int, user_id: int) -> bool:
    """True when this group (or topic) is linked to a team and `user_id` is not in it."""
    binding = await binding_for_chat(uow, chat_id, thread_id)
    return binding is not None and await membership(uow, binding.team_id, user_id) is None


async def team_for(
    uow: UnitOfWork, actor: Actor, now: datetime, action: Action = Action.READ
) -> TeamAccess:
    """Resolve the team for this actor here, and check `action` against their role."""
    user = await get_user(uow, actor.user_id)
    if actor.in_private:
        access = await _private_access(uow, user, now)
    else:
        access = await _group_access(uow, actor, user)
    access.require(action)
    return access


async def access_to_team(uow: UnitOfWork, user_id: int, team_id: int) -> TeamAccess:
    """The actor's access to a team named explicitly (a button, an argument): members only.
    Asking about a team one is not in reveals nothing about it."""
    user = await get_user(uow, user_id)
    member = await membership(uow, team_id, user_id)
    team = await uow.session.get(Team, team_id) if member is not None else None
    if member is None or team is None:
        raise NotAllowed(N_("You are not a member of that team."))
    return TeamAccess(team, Role(member.role), user, None)


async def active_team_access(uow: UnitOfWork, user_id: int, now: datetime) -> TeamAccess:
    """The user's own active team, wherever they write from (used by /link)."""
    return await _private_access(uow, await get_user(uow, user_id), now)


async def _group_access(uow: UnitOfWork, actor: Actor, user: User) -> TeamAccess:
    binding = await binding_for_chat(uow, actor.chat_id, actor.thread_id)
    if binding is None:
        raise NotAllowed(
            N_(
                "This chat is not linked to a team yet. A team admin can run /link here; "
                "until then, talk to me in a private chat."
            )
        )
    member = await membership(uow, binding.team_id, user.id)
    if member is None:
        raise NotAMember()
    team = await uow.session.get(Team, binding.team_id)
    assert team is not None
    return TeamAccess(team, Role(member.role), user, binding)


async def _private_access(uow: UnitOfWork, user: User, now: datetime) -> TeamAccess:
    if user.active_team_id is not None:
        member = await membership(uow, user.active_team_id, user.id)
        if member is not None:
            team = await uow.session.get(Team, user.active_team_id)
            assert team is not None
            return TeamAccess(team, Role(member.role), user, None)
    # no active team, or the user left it: fall back to the personal team
    team = await ensure_personal_team(uow, user, now)
    user.active_team_id = team.id
    member = await membership(uow, team.id, user.id)
    assert member is not None
    return TeamAccess(team, Role(member.role), user, None)
