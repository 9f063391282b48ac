"""`parallelos export DIR`: everything a user needs to leave — docs, board, inbox, event log."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains import store
from domains.board import build_board, render_board_markdown
from domains.status_doc import StatusDoc, render_status_markdown
from orchestrator.db import Database, utcnow
from orchestrator.models import LogEvent

# Extra Markdown sections by file name, beside the inbox and approvals that `_sections` names.
EXTRA_EXPORTS: dict[str, Callable[[Session], str]] = {}


def export_all(db: Database, charters, directory: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Write status/<domain>.md, board.md, inbox.md, approvals.md, extra sections and
    events.jsonl; return counts."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "status").mkdir(exist_ok=True)
    with db.session() as s:
        docs = store.load_all(s)
        titles = {n: charters.get(n).title for n in charters.names()}
        for name in charters.names():
            doc = docs.get(name) or StatusDoc(domain=name)
            (directory / "status" / f"{name}.md").write_text(
                render_status_markdown(doc, titles[name]), encoding="utf-8"
            )
        stale = {n: charters.get(n).status_doc.stale_after_days for n in charters.names()}
        rows = build_board(docs, titles, now=utcnow(), stale_after_days=stale)
        (directory / "board.md").write_text(render_board_markdown(rows), encoding="utf-8")
        for filename, render in _sections().items():
            (directory / filename).write_text(render(s), encoding="utf-8")
        events = _write_events(s, directory / "events.jsonl")
    return {"domains": len(charters.names()), "events": events}


def _sections() -> dict[str, Callable[[Session], str]]:
    """The Markdown files beside the docs and the board, whether or not `Handlers` was built."""
    from orchestrator.inbox_dashboard import approvals_markdown, inbox_markdown

    return {"inbox.md": inbox_markdown, "approvals.md": approvals_markdown, **EXTRA_EXPORTS}


def _write_events(s: Session, path: Path) -> int:
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in s.scalars(
            select(LogEvent).order_by(LogEvent.id).execution_options(yield_per=1000)
        ):
            out.write(json.dumps(event_json(row), ensure_ascii=False) + "\n")
            count += 1
    return count


def event_json(row: LogEvent) -> dict[str, object]:
    return {
        "id": row.id,
        "at": row.at.isoformat() + "Z",
        "kind": row.kind,
        "actor": row.actor,
        "domain": row.domain,
        "charter_version": row.charter_version,
        "subject": row.subject,
        "data": row.data,
        "cost_usd": row.cost_usd,
        "source_event_id": row.source_event_id,
    }
