"""A domain's profile: the durable facts its agent keeps, always in its turn's context.

Facts are numbered 1, 2, … in the order they were kept, as the agent and `memory <domain>`
show them; a change names the fact by its row id, so a number shown earlier cannot hit a
different fact after another was forgotten. Every query is bound to one domain. Fact text is
redacted like every message (`orchestrator.redact`), whoever wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.agent.models import AgentFactRow
from orchestrator.db import utcnow
from orchestrator.redact import redact

MAX_FACTS = 50


@dataclass(frozen=True)
class Fact:
    id: int
    text: str


@dataclass(frozen=True)
class FactChange:
    """One change the turn applies at its end: add (id None), update, or forget (text "")."""

    kind: str  # add | update | forget
    fact_id: int | None
    text: str = ""


def facts(session: Session, domain: str) -> list[Fact]:
    rows = session.scalars(
        select(AgentFactRow).where(AgentFactRow.domain == domain).order_by(AgentFactRow.id)
    ).all()
    return [Fact(r.id, r.text) for r in rows[:MAX_FACTS]]


def apply(session: Session, domain: str, changes: list[FactChange], event_id: int) -> None:
    for change in changes:
        if change.kind == "add":
            session.add(AgentFactRow(domain=domain, text=redact(change.text),
                                     source_event_id=event_id))  # fmt: skip
            continue
        row = session.get(AgentFactRow, change.fact_id)
        if row is None or row.domain != domain:
            continue  # already forgotten (by the operator, meanwhile)
        if change.kind == "forget":
            session.delete(row)
        else:
            row.text, row.updated_at = redact(change.text), utcnow()


def forget(session: Session, domain: str, number: int) -> Fact | None:
    """The operator's delete, by the number `memory <domain>` shows; the fact, or None."""
    current = facts(session, domain)
    if not 1 <= number <= len(current):
        return None
    fact = current[number - 1]
    row = session.get(AgentFactRow, fact.id)
    if row is not None:
        session.delete(row)
    return fact
