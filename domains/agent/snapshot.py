"""Loading what one turn may read, in one short transaction, before any model call.

Only this domain's status doc and memory, the headline of every domain (the shared board),
the open inbox entries addressed to this domain, and the message's own thread.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from domains import store
from domains.agent import memory, profile
from domains.agent.prompt import Headline, InboxItem, Snapshot
from domains.inbox.service import open_entries
from orchestrator.canonical import InboundEvent
from orchestrator.charters import CharterSet
from orchestrator.db import utcnow

MEMORIES = 5


def load(
    session: Session,
    charters: CharterSet,
    domain: str,
    event: InboundEvent,
    event_id: int,
    text: str,
    *,
    zone: ZoneInfo,
) -> Snapshot:
    return Snapshot(
        domain=domain,
        author=event.user_name or event.identity,
        text=text,
        doc=store.load_doc(session, domain),
        board=_board(session, charters),
        inbox=_inbox(session, domain),
        thread=memory.thread(session, event_id, event, domain),
        memories=memory.search(session, domain, text, limit=MEMORIES, skip_event=event_id),
        facts=profile.facts(session, domain),
        now=utcnow().replace(tzinfo=UTC).astimezone(zone),
    )


def _board(session: Session, charters: CharterSet) -> list[Headline]:
    """Headlines only: colour and one line per domain, as on the shared board."""
    docs = store.load_all(session)
    rows = []
    for name in charters.names():
        doc = docs.get(name)
        color = doc.headline_color if doc else None
        rows.append(Headline(name, color, doc.headline_text if doc else ""))
    return rows


def _inbox(session: Session, domain: str) -> list[InboxItem]:
    return [
        InboxItem(e.id, e.from_domain, e.priority, e.status, e.ask, e.context, e.privacy_note)
        for e in open_entries(session, domain, limit=20)
    ]
