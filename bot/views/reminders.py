"""/reminders: the settings, what will be sent when (reader's zone), what was missed."""

from __future__ import annotations

from babel.units import format_unit

from bot.domain.errors import N_
from bot.i18n import Translator
from bot.services.reminders import EXAMPLE, QueuedNotice, RemindersOverview
from bot.views.common import Rendered, h

EVENT_LABELS = {
    "deadline": N_("Registration deadline"),
    "start": N_("Start"),
    "end": N_("End"),
    "summary": N_("Summary after the end"),
}
MISSED_LABELS = {
    "expired": N_("expired: I was offline"),
    "failed": N_("could not be delivered"),
    "uncertain": N_("may not have arrived (timed out)"),
}


def span(_: Translator, minutes: int) -> str:
    """72 hours, 3 days, 90 minutes — exact, in the reader's language."""
    value = abs(minutes)
    if value and value % 1440 == 0 and value >= 2880:
        return format_unit(value // 1440, "duration-day", length="long", locale=_.locale)
    if value % 60 == 0:
        return format_unit(value // 60, "duration-hour", length="long", locale=_.locale)
    return format_unit(value, "duration-minute", length="long", locale=_.locale)


def _offsets(_: Translator, event: str, offsets: list[int]) -> str:
    if not offsets:
        return _("off")
    parts = []
    for minutes in offsets:
        if minutes == 0:
            parts.append(_("at the end") if event in ("end", "summary") else _("at the moment"))
        elif minutes < 0:
            parts.append(_("{span} before", span=span(_, minutes)))
        else:
            parts.append(_("{span} after", span=span(_, minutes)))
    return ", ".join(parts)


def _what(_: Translator, notice: QueuedNotice) -> str:
    if notice.kind == "reminder" and notice.event in EVENT_LABELS:
        label = _(EVENT_LABELS[notice.event])
        if notice.offset:
            label += " · " + _offsets(_, notice.event, [int(notice.offset)])
        return label
    if notice.kind == "margin":
        return _("margin warning")
    if notice.kind == "digest":
        return _("daily margin check")
    if notice.kind == "chat_gone":
        return _("group unlinked")
    return h(notice.kind)


def _line(_: Translator, notice: QueuedNotice) -> str:
    subject = f"<b>{h(notice.campaign)}</b>: " if notice.campaign else ""
    return f"• {_.datetime(notice.due_at)} — {subject}{_what(_, notice)}"


def overview(_: Translator, view: RemindersOverview, *, saved: bool = False) -> Rendered:
    lines = []
    if saved:
        lines += [_("✅ Saved. Queued reminders were rescheduled."), ""]
    lines.append(_("🔔 <b>Reminders</b> — {team}", team=h(view.team.name)))
    lines.append(
        _("Notices go to the linked chat.")
        if view.bound
        else _("Notices go to each member's private chat (no group is linked).")
    )
    lines.append("")
    for event, label in EVENT_LABELS.items():
        lines.append(f"• {_(label)}: {_offsets(_, event, view.offsets.get(event, []))}")
    lines += ["", _("Coming up (times in {zone}):", zone=h(_.zone()))]
    if view.upcoming:
        lines += [_line(_, notice) for notice in view.upcoming]
    else:
        lines.append(_("Nothing is queued."))
    if view.missed:
        lines += ["", _("Not sent in the last 7 days:")]
        for notice in view.missed:
            reason = _(MISSED_LABELS.get(notice.status, MISSED_LABELS["failed"]))
            lines.append(f"{_line(_, notice)} — {reason}")
    lines += [
        "",
        _(
            "Admins change them like <code>{example}</code>; <code>off</code> turns one "
            "off, <code>/reminders reset</code> restores the defaults.",
            example=EXAMPLE,
        ),
    ]
    return "\n".join(lines), None
