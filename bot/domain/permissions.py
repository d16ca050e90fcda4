"""Who may do what: one table, checked on the server for every command and button."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.enums import Role


class Action(StrEnum):
    READ = "read"  # see SKUs, channels, campaigns, plans, floors
    EDIT_CATALOG = "edit_catalog"  # SKUs, listings, imports
    EDIT_CAMPAIGN = "edit_campaign"  # create and edit campaigns, enrol, vouchers
    DELETE_CAMPAIGN = "delete_campaign"
    MANAGE_CHANNELS = "manage_channels"
    MANAGE_MEMBERS = "manage_members"  # invites, roles, removals
    MANAGE_SETTINGS = "manage_settings"  # FX overrides, reminder offsets, team margin
    BIND_CHAT = "bind_chat"  # /link, /unlink
    DELETE_TEAM = "delete_team"


REQUIRED_ROLE: dict[Action, Role] = {
    Action.READ: Role.VIEWER,
    Action.EDIT_CATALOG: Role.EDITOR,
    Action.EDIT_CAMPAIGN: Role.EDITOR,
    Action.DELETE_CAMPAIGN: Role.ADMIN,
    Action.MANAGE_CHANNELS: Role.ADMIN,
    Action.MANAGE_MEMBERS: Role.ADMIN,
    Action.MANAGE_SETTINGS: Role.ADMIN,
    Action.BIND_CHAT: Role.ADMIN,
    Action.DELETE_TEAM: Role.OWNER,
}


def is_allowed(role: Role, action: Action) -> bool:
    return role.at_least(REQUIRED_ROLE[action])


def can_grant(granter: Role, granted: Role) -> bool:
    """Admins grant up to admin; only owners make owners."""
    if granted is Role.OWNER:
        return granter is Role.OWNER
    return granter.at_least(Role.ADMIN)
