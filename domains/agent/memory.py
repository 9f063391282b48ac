"""An agent's memory. Short-term: the thread's recent messages. Long-term: its own domain's
notes, decisions and messages, found by full-text search in the database (SQLite FTS5 or
PostgreSQL `to_tsvector`), never another domain's: every query is bound to one domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from domains.agent.models import AgentNoteRow
from orchestrator.canonical import EventKind, InboundEvent
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.redact import redact
from orchestrator.routing_text import STOPWORDS

MAX_QUERY_WORDS = 12
THREAD_SCAN = 300  # recent events of the platform looked at for the thread
NOTE_CHARS = 2000


@dataclass(frozen=True)
class Memory:
    kind: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Line:
    """One message of the thread: who said it and what."""

    who: str  # "user" or "assistant"
    text: str
    event_id: int = 0  # the message it is (or answers)


def remember(
    session: Session, *, domain: str, kind: str, text_: str, source_event_id: int | None
) -> None:
    session.add(
        AgentNoteRow(
            domain=domain,
            kind=kind,
            text=redact(text_)[:NOTE_CHARS],
            source_event_id=source_event_id,
        )
    )


def search(
    session: Session, domain: str, query: str, limit: int = 5, *, skip_event: int = -1
) -> list[Memory]:
    """This domain's memories that best match `query`, best first (not from `skip_event`)."""
    words = _words(query)
    if not words:
        return []
    params = {"domain": domain, "k": limit, "skip": skip_event}
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        rows = session.execute(_SQLITE, {**params, "q": " OR ".join(f'"{w}"' for w in words)})
    elif dialect == "postgresql":
        rows = session.execute(_POSTGRES, {**params, "q": " | ".join(words)})
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        return []
    ids = [r.id for r in rows]
    notes = {n.id: n for n in session.scalars(select(AgentNoteRow).where(AgentNoteRow.id.in_(ids)))}
    return [Memory(kind=notes[i].kind, text=notes[i].text, at=notes[i].created_at) for i in ids]


_SQLITE = text(
    "SELECT n.id FROM agent_notes_fts "
    "JOIN agent_notes n ON n.id = agent_notes_fts.rowid "
    "WHERE agent_notes_fts MATCH :q AND n.domain = :domain "
    "AND coalesce(n.source_event_id, 0) != :skip "
    "ORDER BY bm25(agent_notes_fts) LIMIT :k"
)
_POSTGRES = text(
    "SELECT id FROM agent_notes "
    "WHERE domain = :domain AND coalesce(source_event_id, 0) != :skip "
    "AND to_tsvector('english', text) @@ to_tsquery('english', :q) "
    "ORDER BY ts_rank(to_tsvector('english', text), to_tsquery('english', :q)) DESC, id DESC "
    "LIMIT :k"
)


def _words(query: str) -> list[str]:
    """Plain words only (letters and digits): safe inside FTS5 quotes and to_tsquery."""
    seen: list[str] = []
    for word in re.findall(r"[^\W_]+", query.lower()):
        if len(word) > 2 and word not in STOPWORDS and word not in seen:
            seen.append(word)
    return seen[:MAX_QUERY_WORDS]


def thread(
    session: Session, event_id: int, event: InboundEvent, domain: str, limit: int = 10
) -> list[Line]:
    """This domain's earlier messages in the thread and its answers there, oldest first.

    Only messages that went to `domain`: a DM thread can hold turns of several domains, and
    one domain's turn must never see another's text (DESIGN rule 5).
    """
    return history(session, event_id, event, domain, limit=limit)[-2 * limit :]


def history(
    session: Session, event_id: int, event: InboundEvent, domain: str, limit: int = THREAD_SCAN
) -> list[Line]:
    """Like `thread`, the last `limit` messages (all it can see by default), each line with
    its message's event id (what a long thread's summary is keyed on)."""
    key = event.thread or event.message_ref
    rows = session.scalars(
        select(InboundEventRow)
        .where(
            InboundEventRow.platform == event.platform.value,
            InboundEventRow.kind == EventKind.MESSAGE.value,
            InboundEventRow.domain == domain,
            InboundEventRow.id < event_id,
        )
        .order_by(InboundEventRow.id.desc())
        .limit(THREAD_SCAN)
    ).all()
    earlier = [r for r in rows if _in_thread(r.payload, event.channel, key)][:limit]
    answers = _answers(session, [r.id for r in earlier], event.channel)
    lines: list[Line] = []
    for row in reversed(earlier):
        lines.append(Line("user", str(row.payload.get("text", "")), row.id))
        lines += [Line("assistant", t, row.id) for t in answers.get(row.id, [])]
    return lines


def _in_thread(payload: dict, channel: str, key: str | None) -> bool:
    if payload.get("channel") != channel or key is None:
        return False
    return key in (payload.get("thread"), payload.get("message_ref"))


def _answers(session: Session, ids: list[int], channel: str) -> dict[int, list[str]]:
    """The bot's posts in that channel caused by those events (an edit replaces its post)."""
    if not ids:
        return {}
    rows = session.scalars(
        select(OutboxRow).where(OutboxRow.source_event_id.in_(ids)).order_by(OutboxRow.id)
    ).all()
    texts: dict[int, str] = {}
    owner: dict[int, int] = {}
    for row in rows:
        if row.kind == "answer" or row.target.get("channel") != channel:
            continue
        base = row.update_of if row.kind == "update" and row.update_of else row.id
        texts[base] = str(row.post.get("text", ""))
        owner.setdefault(base, row.source_event_id or 0)
    out: dict[int, list[str]] = {}
    for base, body in texts.items():
        out.setdefault(owner[base], []).append(body)
    return out
