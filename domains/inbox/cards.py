"""The inbox's card: what each status looks like, and its buttons (Accept, Done, Decline)."""

from __future__ import annotations

from domains.cards import when, who
from domains.inbox.models import InboxEntryRow
from orchestrator import texts
from orchestrator.canonical import Button, ButtonStyle, Field_, Post
from orchestrator.statuses import InboxStatus

ACCEPT, DONE, DECLINE = "inbox_accept", "inbox_done", "inbox_decline"


def inbox_card(entry: InboxEntryRow) -> Post:
    status = InboxStatus(entry.status)
    line = status.value
    if entry.updated_by and status is not InboxStatus.OPEN:
        line = texts.decided_line(status.value, who(entry.updated_name, entry.updated_by),
                                  when(entry.updated_at))  # fmt: skip
    return Post(
        title=texts.inbox_card_title(entry.from_domain, entry.to_domain),
        text=entry.ask,
        sections=[Field_(label="Context", value=entry.context)] if entry.context else [],
        fields=[
            Field_(label="Priority", value=entry.priority),
            Field_(label="Status", value=line),
            Field_(label="Asked by", value=who(entry.created_name, entry.created_by)),
        ],
        buttons=_inbox_buttons(entry.id, status),
        context=f"{entry.privacy_note} · inbox #{entry.id}",
    )


def _inbox_buttons(entry_id: int, status: InboxStatus) -> list[Button]:
    value = str(entry_id)
    accept = Button(label="Accept", action=ACCEPT, value=value, style=ButtonStyle.PRIMARY)
    done = Button(label="Done", action=DONE, value=value, style=ButtonStyle.PRIMARY)
    decline = Button(label="Decline", action=DECLINE, value=value, style=ButtonStyle.DANGER)
    if status is InboxStatus.OPEN:
        return [accept, done.model_copy(update={"style": ButtonStyle.DEFAULT}), decline]
    return [done, decline] if status is InboxStatus.ACCEPTED else []
