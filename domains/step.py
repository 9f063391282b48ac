"""The offline domain step: status lines change the doc; anything else is kept as a note."""

from __future__ import annotations

from typing import TYPE_CHECKING

from domains import store
from domains.status_doc import apply_ops, confirmation_text
from domains.status_lines import Ask, Propose, parse_status_lines, refusal_text
from orchestrator import texts
from orchestrator.canonical import InboundEvent, Post
from orchestrator.db import utcnow
from orchestrator.eventlog import record

if TYPE_CHECKING:
    from orchestrator.pipeline import Context, Orchestrator


def offline_step(
    orch: Orchestrator, ctx: Context, domain: str, event: InboundEvent, *, in_home: bool
) -> Post:
    """Apply status lines in the domain's own channel; keep other text as a note."""
    charter = orch.charters.get(domain)
    parsed = parse_status_lines(event.text, orch.charters.names()) if in_home else None
    if parsed is None or not parsed.ops and not parsed.errors:
        _note(ctx, domain, event, charter.version)
        return Post(text=texts.noted(domain))
    if parsed.errors:
        return Post(text=refusal_text(parsed.errors))
    doc = store.load_doc(ctx.session, domain, for_update=True)
    new, changes = apply_ops(doc, parsed.ops, actor=event.identity, at=utcnow())
    if new != doc:
        store.save_doc(
            ctx.session,
            new,
            changes,
            actor=event.identity,
            source_event_id=ctx.event_id,
            charter_version=charter.version,
        )
    lines = [confirmation_text(changes, domain)] if changes or new != doc else []
    for op in parsed.ops:
        if isinstance(op, Ask | Propose):
            lines.append(orch.handlers.deferred(ctx, domain, op))
    return Post(text="\n".join(line for line in lines if line))


def _note(ctx: Context, domain: str, event: InboundEvent, version: str) -> None:
    record(
        ctx.session,
        kind="domain.note",
        actor=event.identity,
        domain=domain,
        subject=f"event:{ctx.event_id}",
        data={"text": event.text[:4000]},
        charter_version=version,
        source_event_id=ctx.event_id,
    )
