"""Vocabulary of SPEC §2 as enums (str-valued so they store and print plainly)."""

from __future__ import annotations

from enum import StrEnum

from bot.domain.errors import N_, Msg


class Role(StrEnum):
    """Team roles, strongest first. viewer reads; editor changes SKUs, campaigns and
    plans; admin also manages channels, members and binding; owner also deletes
    the team."""

    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"

    @property
    def rank(self) -> int:
        return _ROLE_RANK[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank

    @property
    def label(self) -> Msg:
        """The role's name as a msgid (translate before showing)."""
        return Msg(_ROLE_LABELS[self])


_ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2, Role.OWNER: 3}
_ROLE_LABELS = {
    Role.OWNER: N_("owner"),
    Role.ADMIN: N_("admin"),
    Role.EDITOR: N_("editor"),
    Role.VIEWER: N_("viewer"),
}


class BindingKind(StrEnum):
    GROUP = "group"
    TOPIC = "topic"
    CHANNEL = "channel"


class BindingStatus(StrEnum):
    ACTIVE = "active"
    REMOVED = "removed"  # the bot was removed, blocked or the chat is gone


class ReferenceRule(StrEnum):
    LIST = "list"
    LOWEST_30D = "lowest_30d"


class SubsidyKind(StrEnum):
    NONE = "none"
    FIXED = "fixed"
    SHARE = "share"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    UNCERTAIN = "uncertain"  # timed out: Telegram may have delivered it


class FxSource(StrEnum):
    ECB = "ecb"
    MANUAL = "manual"
