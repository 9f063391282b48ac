"""Long threads: a domain's older turns in a thread are summarised, not dropped (issue 12.3).

A turn sees its thread verbatim while it fits: the last RECENT_MESSAGES messages of this domain
(with its answers), within RECENT_CHARS. What is older is replaced by a summary the model
writes (with PARALLELOS_LIGHT_MODEL when set), stored in `agent_thread_summaries`, one row per
(domain, platform, channel, thread). The history comes from `memory.history`, which holds only
this domain's messages, and the row is keyed by domain: no summary carries or reaches another
domain's text (DESIGN rule 5).

The summary grows by steps: a later turn folds into it only the messages that fell out of the
window since, so each call is small. It is idempotent: a stored summary that already covers
the older messages is used as it is (a retry or a re-run pays nothing); of two racing turns
only the one whose write advances `up_to_event_id` stores it and logs
`agent.thread_summarised`. When the model cannot be asked (over budget, unavailable), the
older messages are left out, as before, and the stored summary is still used.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domains.agent import budget, llm, memory, texts
from domains.agent.memory import Line
from domains.agent.models import Claimed, ThreadSummaryRow
from domains.agent.prompt import Snapshot, data_block
from orchestrator.canonical import InboundEvent
from orchestrator.db import utcnow
from orchestrator.eventlog import record
from orchestrator.redact import redact

if TYPE_CHECKING:
    from orchestrator.services import Services

log = logging.getLogger(__name__)

RECENT_MESSAGES = 10  # messages kept verbatim, at most
RECENT_CHARS = 6000  # and their text, at most (about 1,500 tokens)
MAX_TOKENS = 600
SUMMARY_CHARS = 4000
EVENT = "agent.thread_summarised"


@dataclass(frozen=True)
class ThreadView:
    """A thread as one turn sees it: the stored summary, the older messages it lacks, and the
    recent messages kept verbatim."""

    key: tuple[str, str, str] | None  # (platform, channel, thread)
    summary: str = ""
    covered: int = 0  # the stored summary's up_to_event_id
    pending: list[Line] = field(default_factory=list)  # older, not yet in the summary
    recent: list[Line] = field(default_factory=list)


def view(session: Session, event_id: int, event: InboundEvent, domain: str) -> ThreadView:
    """Split this domain's thread history at the window; DB only, no model call."""
    thread = event.thread or event.message_ref
    if thread is None:
        return ThreadView(None)
    key = (event.platform.value, event.channel, thread)
    stored = _stored(session, domain, key)
    covered = stored.up_to_event_id if stored else 0
    lines = [x for x in memory.history(session, event_id, event, domain) if x.event_id > covered]
    cut = _window_start(lines)
    return ThreadView(key, stored.text if stored else "", covered, lines[:cut], lines[cut:])


def _window_start(lines: list[Line]) -> int:
    """Index of the first line kept verbatim: whole messages, newest first, while they fit."""
    messages = chars = 0
    start = len(lines)
    while start > 0:
        first = start
        while first > 0 and lines[first - 1].event_id == lines[start - 1].event_id:
            first -= 1
        size = sum(len(x.text) for x in lines[first:start])
        if messages + 1 > RECENT_MESSAGES or (messages and chars + size > RECENT_CHARS):
            break
        messages, chars, start = messages + 1, chars + size, first
    return start


def use(svc: Services, claimed: Claimed, snap: Snapshot, seen: ThreadView) -> Snapshot:
    """The snapshot with the thread's summary (brought up to date) and its recent messages."""
    text = seen.summary
    if seen.pending and seen.key is not None and claimed.checkpoint is None:  # resumed: asked
        text = _bring_up_to_date(svc, claimed, seen) or seen.summary
    return dataclasses.replace(snap, thread=seen.recent, thread_summary=text)


def _bring_up_to_date(svc: Services, claimed: Claimed, seen: ThreadView) -> str | None:
    """Ask the model for the new summary and store it; None when it cannot be had."""
    with svc.db.session() as s:
        if not budget.state(s, svc.charters, claimed.domain).allows():
            return None
    model, setting = llm.light_model(svc.settings)
    info = llm.CallInfo(claimed.domain, "summary", svc.charters.revision(claimed.domain),
                        claimed.event_id, claimed.turn_id, model_setting=setting)  # fmt: skip
    older = "\n".join(f"{x.who}: {x.text}" for x in seen.pending)
    content = "\n\n".join(
        [
            data_block("summary_so_far", seen.summary, domain=claimed.domain),
            data_block("older_messages", older, domain=claimed.domain),
        ]
    )
    try:
        message, _ = llm.call_once(
            svc.settings, svc.db, info, model=model, max_tokens=MAX_TOKENS,
            system=[{"type": "text", "text": texts.SUMMARY_RULES}],
            messages=[{"role": "user", "content": content}],
        )  # fmt: skip
    except llm.ModelUnavailable as exc:
        log.warning("agent %s: thread not summarised (%s)", claimed.domain, exc)
        return None
    said = "\n".join(b.text for b in message.content if b.type == "text").strip()
    if message.stop_reason == "refusal" or not said:
        return None
    assert seen.key is not None
    return _store(svc, claimed, seen, redact(said)[:SUMMARY_CHARS])


def _store(svc: Services, claimed: Claimed, seen: ThreadView, text: str) -> str:
    """Keep the summary unless another turn stored one that covers as much; the one kept."""
    assert seen.key is not None
    up_to = seen.pending[-1].event_id
    count = len({x.event_id for x in seen.pending})
    with svc.db.session() as s:
        row = _stored(s, claimed.domain, seen.key, lock=True)
        if row is not None and row.up_to_event_id >= up_to:
            return row.text  # a racing turn got there first
        if row is None:
            platform, channel, thread = seen.key
            row = ThreadSummaryRow(domain=claimed.domain, platform=platform, channel=channel,
                                   thread=thread, text=text, up_to_event_id=up_to,
                                   messages=count)  # fmt: skip
            try:
                with s.begin_nested():
                    s.add(row)
            except IntegrityError:
                return seen.summary
        else:
            row.text, row.up_to_event_id = text, up_to
            row.messages, row.updated_at = row.messages + count, utcnow()
        record(s, kind=EVENT, actor=f"agent:{claimed.domain}", domain=claimed.domain,
               subject=f"thread:{':'.join(seen.key)}",
               data={"up_to_event_id": up_to, "messages": row.messages, "added": count},
               charter_version=svc.charters.revision(claimed.domain),
               source_event_id=claimed.event_id)  # fmt: skip
        return text


def _stored(
    session: Session, domain: str, key: tuple[str, str, str], *, lock: bool = False
) -> ThreadSummaryRow | None:
    platform, channel, thread = key
    query = select(ThreadSummaryRow).where(
        ThreadSummaryRow.domain == domain,
        ThreadSummaryRow.platform == platform,
        ThreadSummaryRow.channel == channel,
        ThreadSummaryRow.thread == thread,
    )
    return session.scalars(query.with_for_update() if lock else query).first()
