"""The offline domain step: status lines change the doc; anything else is kept as a note.

`OfflineStaff` is the kernel's `Staff` without a model: the composition root uses it when no
`ANTHROPIC_API_KEY` is set (CONTRACT §7).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from domains import store
from domains.approvals import service as approvals
from domains.inbox import service as inbox
from domains.reminders import service as reminders
from domains.status_doc import apply_ops, confirmation_text
from domains.status_lines import Ask, Op, Propose, Remind, parse_status_lines, refusal_text
from orchestrator import attachments, texts
from orchestrator.canonical import InboundEvent, Post
from orchestrator.db import utcnow
from orchestrator.eventlog import record

if TYPE_CHECKING:
    from orchestrator.context import Context, Kernel
    from orchestrator.models import OutboxRow
    from orchestrator.router import RouteDecision


class OfflineStaff:
    """Status lines, asks and proposals; free text is kept as a note."""

    def step(self, ctx: Context, domain: str, event: InboundEvent, *, in_home: bool) -> Post:
        return offline_step(ctx.orch, ctx, domain, event, in_home=in_home)

    def answered(
        self, ctx: Context, domain: str, event: InboundEvent, rows: list[OutboxRow]
    ) -> None:
        return None  # nothing edits an offline answer later

    def defer_route(self, ctx: Context, decision: RouteDecision) -> bool:
        return False  # no model to ask: the user picks from the candidates


def offline_step(
    orch: Kernel, ctx: Context, domain: str, event: InboundEvent, *, in_home: bool
) -> Post:
    """Apply status lines in the domain's own channel, or in a message that names the domain
    (`#travel` on its own line: the only way in a Telegram private chat); keep the rest as a note.
    """
    orch.charters.get(domain)  # an unknown domain fails here, before anything changes
    addressed = in_home or orch.router.mentioned_domain(event.text) == domain
    names, zone = orch.charters.names(), orch.settings.zone
    parsed = parse_status_lines(event.text, names, zone=zone) if addressed else None
    files = attachments.summary(event.attachments, model=False)
    if parsed is None or not parsed.ops and not parsed.errors:
        keep_note(ctx, domain, event, orch.charters.revision(domain))
        return Post(text="\n".join(line for line in (texts.noted(domain), files) if line))
    if parsed.errors:
        return Post(text=refusal_text(parsed.errors))
    lines = apply_status_ops(orch, ctx, domain, event, parsed.ops)
    return Post(text="\n".join(line for line in [*lines, files] if line))


def apply_status_ops(
    orch: Kernel,
    ctx: Context,
    domain: str,
    event: InboundEvent,
    ops: Sequence[Op],
    *,
    actor: str | None = None,
) -> list[str]:
    """Apply ops from an error-free message (or an agent's tools): the doc, then asks,
    proposals and reminders. Returns the confirmation lines."""
    name = event.user_name if actor is None else None  # a person, not an agent
    actor = actor or event.identity
    doc = store.load_doc(ctx.session, domain, for_update=True)
    new, changes = apply_ops(doc, ops, actor=actor, at=utcnow(), name=name)
    if new != doc:
        store.save_doc(
            ctx.session,
            new,
            changes,
            actor=actor,
            source_event_id=ctx.event_id,
            charter_version=orch.charters.revision(domain),
        )
    lines = [confirmation_text(changes, domain)] if changes or new != doc else []
    for op in ops:
        if isinstance(op, Ask):
            lines.append(inbox.ask(ctx, domain, op))
        elif isinstance(op, Propose):
            lines.append(approvals.propose(ctx, domain, op.action))
        elif isinstance(op, Remind):
            lines.append(
                reminders.create(ctx, domain, when=op.when, due_at=op.due_at, text=op.text)
            )
    return lines


def keep_note(ctx: Context, domain: str, event: InboundEvent, version: str | None) -> None:
    """Free text in a domain is kept: a `domain.note` event in the log."""
    record(
        ctx.session,
        kind="domain.note",
        actor=event.identity,
        domain=domain,
        subject=f"event:{ctx.event_id}",
        data={"text": event.text[:4000], **_files(event)},
        charter_version=version,
        source_event_id=ctx.event_id,
    )


def _files(event: InboundEvent) -> dict[str, object]:
    """The note's file references (ids, names, types, sizes: never the files themselves)."""
    if not event.attachments:
        return {}
    return {
        "attachments": [a.model_dump(mode="json", exclude_none=True) for a in event.attachments]
    }
