"""Team screens: overview, members, invites, switching, group and channel binding."""

from __future__ import annotations

from bot.db.models import ChatBinding, Invite, Team
from bot.domain.enums import Role
from bot.i18n import LANGUAGE_NAMES, Translator
from bot.limits import shorten
from bot.services.teams import Member, NewTeam, TeamOverview
from bot.views.callbacks import encode, stamp
from bot.views.common import Button, Rendered, chunk, h, keyboard
from bot.views.onboarding import joined_timezone_picker

ROLE_ICONS = {Role.OWNER: "👑", Role.ADMIN: "🛠", Role.EDITOR: "✏️", Role.VIEWER: "👀"}


def team_button(action: str, team: Team, *args: object) -> str:
    """Callback data of a button acting on `team`: its id first, its stamp last."""
    return encode(action, team.id, *args, stamp(team.created_at))


def member_name(member: Member) -> str:
    return h(member.name or member.username or member.user_id) + (
        f" (@{h(member.username)})" if member.username else ""
    )


def binding_label(_: Translator, binding: ChatBinding) -> str:
    if binding.kind == "channel":
        return _("channel {title}", title=h(binding.title))
    if binding.thread_id:
        return _("topic in {title}", title=h(binding.title))
    return _("group {title}", title=h(binding.title))


def overview(_: Translator, view: TeamOverview) -> Rendered:
    team = view.team
    lines = [
        _("<b>{team}</b> — you are {role}", team=h(team.name), role=_(view.role.label)),
        "",
        _.ngettext("{n} member:", "{n} members:", len(view.members)),
    ]
    lines += [f"{ROLE_ICONS[m.role]} {member_name(m)} — {_(m.role.label)}" for m in view.members]
    lines.append("")
    if view.bindings:
        targets = ", ".join(binding_label(_, b) for b in view.bindings)
        lines.append(_("Notices go to: {targets}", targets=targets))
    else:
        lines.append(
            _("Notices go to members' private chats. Run /link in a group to send them there.")
        )
    manage = view.role.at_least(Role.ADMIN)
    if manage and view.open_invites:
        lines.append(
            _.ngettext(
                "{n} invite link is open (/team invites).",
                "{n} invite links are open (/team invites).",
                view.open_invites,
            )
        )
    rows: list[list[Button]] = []
    if manage:
        roles = [Role.EDITOR, Role.VIEWER, Role.ADMIN]
        rows.append(
            [
                (_("Invite {role}", role=_(r.label)), team_button("tinv", team, r.value))
                for r in roles
            ]
        )
        rows.append([(_("Members and roles"), team_button("tmems", team))])
    if view.team_count > 1:
        rows.append([(_("Switch team"), encode("tswl"))])
    if not (view.role is Role.OWNER and team.is_personal):
        rows.append([(_("Leave team"), team_button("tleave", team))])
    return "\n".join(lines), keyboard(rows) if rows else None


def invite_created(_: Translator, team: Team, invite: Invite, link: str) -> Rendered:
    text = _(
        "Invite link for <b>{team}</b> as {role}:\n{link}\n\nIt works once and expires on "
        "{expires}. Send it to your colleague.",
        team=h(team.name),
        role=_(Role(invite.role).label),
        link=h(link),
        expires=_.datetime(invite.expires_at),
    )
    return text, keyboard([[(_("Revoke"), revoke_data(team, invite))]])


def revoke_data(team: Team, invite: Invite) -> str:
    return team_button("tinvrv", team, invite.id, stamp(invite.created_at))


def invites(_: Translator, team: Team, rows: list[Invite]) -> Rendered:
    if not rows:
        return _("No open invite links for {team}.", team=h(team.name)), None
    lines = [_("Open invite links for <b>{team}</b>:", team=h(team.name))]
    buttons = []
    for number, invite in enumerate(rows, 1):
        lines.append(
            _(
                "{number}. {role}, expires {expires}",
                number=number,
                role=_(Role(invite.role).label),
                expires=_.datetime(invite.expires_at),
            )
        )
        buttons.append((_("Revoke {number}", number=number), revoke_data(team, invite)))
    return "\n".join(lines), keyboard(chunk(buttons, 3))


def invite_revoked(_: Translator) -> Rendered:
    return _("The invite link was revoked; it no longer works."), None


def members(_: Translator, team: Team, people: list[Member]) -> Rendered:
    text = _(
        "Members of <b>{team}</b>. Choose one to change their role or remove them:",
        team=h(team.name),
    )
    buttons = [
        (
            f"{ROLE_ICONS[m.role]} {shorten(m.name or m.username or str(m.user_id))}",
            team_button("tmem", team, m.user_id),
        )
        for m in people
    ]
    return text, keyboard(chunk(buttons, 2))


def member_card(_: Translator, team: Team, member: Member) -> Rendered:
    text = _(
        "{member} is {role} in <b>{team}</b>.",
        member=member_name(member),
        role=_(member.role.label),
        team=h(team.name),
    )
    role_buttons = [
        (_(r.label), team_button("trole", team, member.user_id, r.value))
        for r in (Role.VIEWER, Role.EDITOR, Role.ADMIN, Role.OWNER)
        if r is not member.role
    ]
    rows = [role_buttons, [(_("Remove from team"), team_button("trm", team, member.user_id))]]
    return text, keyboard(rows)


def role_changed(_: Translator, member: Member) -> Rendered:
    return _("{member} is now {role}.", member=member_name(member), role=_(member.role.label)), None


def confirm(_: Translator, question: str, yes: str, yes_data: str) -> Rendered:
    return question, keyboard([[(yes, yes_data), (_("Cancel"), encode("tno"))]])


def switch_list(_: Translator, teams: list[tuple[Team, Role]], active_id: int | None) -> Rendered:
    buttons = [
        (("✅ " if team.id == active_id else "") + shorten(team.name), team_button("tsw", team))
        for team, _role in teams
    ]
    return _("Which team do you want to work in?"), keyboard(chunk(buttons, 1))


def switched(_: Translator, team: Team) -> Rendered:
    return _("You now work in <b>{team}</b>.", team=h(team.name)), None


def joined(_: Translator, team: Team, role: Role, *, ask_timezone: bool = False) -> Rendered:
    """Welcome to the team; someone who never chose a time zone is asked for one (the
    team's first), so their reminders and dates are not in UTC by accident."""
    text = _(
        "Welcome to <b>{team}</b>! You joined as {role}, and it is now your active team. "
        "/team shows who is in it; /help shows what I can do.",
        team=h(team.name),
        role=_(role.label),
    )
    if not ask_timezone:
        return text, None
    question, markup = joined_timezone_picker(_, team)
    return text + "\n\n" + question, markup


def created(_: Translator, new: NewTeam) -> Rendered:
    team, source = new.team, new.source
    return (
        _(
            "Team <b>{team}</b> created; you are its owner and it is your active team.\n\n"
            "It starts with the settings of your personal team <b>{personal}</b>: cost "
            "currency {currency}, target margin {margin}, FX buffer {buffer}, time zone "
            "{zone}, notices in {language}. /settings changes them for this team only; "
            "invite colleagues with /team.",
            team=h(team.name),
            personal=h(source.name),
            currency=h(team.cost_currency),
            margin=_.percent(team.target_margin),
            buffer=_.percent(team.fx_buffer),
            zone=h(_.zone(team.timezone)),
            language=LANGUAGE_NAMES.get(team.locale, team.locale),
        ),
        None,
    )


def linked(_: Translator, team: Team, binding: ChatBinding) -> Rendered:
    return (
        _(
            "Linked: {target} now belongs to <b>{team}</b>. Members can use me here, and the "
            "team's reminders and warnings will be posted here.",
            target=binding_label(_, binding),
            team=h(team.name),
        ),
        None,
    )


def unlinked(_: Translator) -> Rendered:
    return _("Unlinked. Notices go to members' private chats again."), None


def introduce_in_group(_: Translator, bot_username: str) -> str:
    return _(
        "Hello! I am a campaign planner: discount and voucher floors, reminders and margin "
        "warnings for your team. A team admin can run /link here to connect this group to "
        "their team (set up your team first in a private chat with @{bot}).",
        bot=h(bot_username),
    )


def offer_channel_link(_: Translator, title: str, team: Team, chat_id: int) -> Rendered:
    text = _(
        "You added me to the channel <b>{title}</b>. Should I post the reminders and warnings "
        "of <b>{team}</b> there?",
        title=h(title),
        team=h(team.name),
    )
    return text, keyboard(
        [
            [
                (_("Link channel"), team_button("tchl", team, chat_id)),
                (_("Cancel"), encode("tno")),
            ]
        ]
    )


def cancelled(_: Translator) -> Rendered:
    return _("Cancelled."), None


def member_removed(_: Translator, member: Member) -> Rendered:
    return _("{member} was removed from the team.", member=member_name(member)), None


def confirm_leave(_: Translator, team: Team) -> Rendered:
    return confirm(
        _,
        _("Leave <b>{team}</b>?", team=h(team.name)),
        _("Leave team"),
        team_button("tleavey", team),
    )


def confirm_delete(_: Translator, team: Team) -> Rendered:
    question = _(
        "Delete <b>{team}</b> with all its SKUs, channels and campaigns? This cannot be undone.",
        team=h(team.name),
    )
    return confirm(_, question, _("Delete team"), team_button("tdely", team))


def confirm_remove(_: Translator, team: Team, member: Member) -> Rendered:
    question = _(
        "Remove {member} from <b>{team}</b>?", member=member_name(member), team=h(team.name)
    )
    return confirm(_, question, _("Remove from team"), team_button("trmy", team, member.user_id))


def left(_: Translator, team: Team) -> Rendered:
    return _("You left <b>{team}</b>.", team=h(team.name)), None


def deleted(_: Translator, name: str) -> Rendered:
    return _("Team <b>{team}</b> was deleted.", team=h(name)), None


def renamed(_: Translator, team: Team) -> Rendered:
    return _("The team is now called <b>{team}</b>.", team=h(team.name)), None
