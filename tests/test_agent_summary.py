"""A long domain thread is summarised, not truncated: the older turns become a stored summary
(per domain and thread, written with the light model), used in place of them, idempotent."""

from __future__ import annotations

import json

from sqlalchemy import select

from domains.agent import summary, texts
from domains.agent.models import ThreadSummaryRow
from orchestrator.db import Database
from tests.agent_support import DM, FINANCE, agent_chat, events, turns
from tests.test_agent_privacy import FINANCE_TEXT

LIGHT = "claude-haiku-5-5"
STEPS = [f"KPI step{i}: value {i}" for i in range(1, 12)]  # status lines: no model needed


def summaries(db: Database) -> list[ThreadSummaryRow]:
    with db.session() as s:
        return list(s.scalars(select(ThreadSummaryRow).order_by(ThreadSummaryRow.id)))


def context_of(request: dict) -> str:  # type: ignore[type-arg]
    return request["messages"][0]["content"][0]["text"]


def long_thread(c):  # type: ignore[no-untyped-def]
    """Twelve messages of finance in one thread of its channel, none needing the model."""
    first = c.say("Phase: tax filing for 2026", channel=FINANCE)
    for line in STEPS:
        c.say(line, channel=FINANCE, thread=first.ref)
    return first


def test_older_turns_are_summarised_once_and_used_in_their_place(db, api):
    c = agent_chat(db, PARALLELOS_LIGHT_MODEL=LIGHT)
    first = long_thread(c)
    assert api.requests() == []
    api.text("Summary: the 2026 tax filing started; step1 KPI set.")
    api.text("Next: file the return.")
    c.say("what is next?", channel=FINANCE, thread=first.ref)
    asked, turn_call = api.requests()
    assert asked["model"] == LIGHT and asked["system"][0]["text"] == texts.SUMMARY_RULES
    older = json.dumps(asked["messages"])
    assert "Phase: tax filing for 2026" in older and "KPI step1: value 1" in older
    assert "KPI step2: value 2" not in older  # still in the verbatim window
    seen = context_of(turn_call)
    assert '<data kind="thread_summary">\nSummary: the 2026 tax filing started' in seen
    thread = seen.split('<data kind="thread">', 1)[1]
    assert "Phase: tax filing" not in thread and "KPI step11: value 11" in thread
    (row,) = summaries(db)
    assert (row.domain, row.messages) == ("finance", 2)
    (logged,) = events(db, summary.EVENT)
    assert logged.data["up_to_event_id"] == row.up_to_event_id
    calls = events(db, "agent.call")
    assert [e.data["purpose"] for e in calls] == ["summary", "turn"]

    api.text("Summary: filing started; step1 and step2 KPIs set.")
    api.text("Still: file the return.")
    c.say("and after that?", channel=FINANCE, thread=first.ref)
    folded = json.dumps(api.requests()[2]["messages"])  # only what fell out of the window since
    assert "Summary: the 2026 tax filing started" in folded and "KPI step2: value 2" in folded
    assert "Phase: tax filing for 2026" not in folded and "KPI step1: value 1" not in folded
    (row,) = summaries(db)
    assert row.messages == 3 and len(events(db, summary.EVENT)) == 2


def test_a_retry_uses_the_stored_summary_and_pays_for_it_once(db, api):
    c = agent_chat(db)
    first = long_thread(c)
    api.text("Summary: the 2026 tax filing started.")
    api.fail_in_order(529, 3)  # the turn's first call fails past the SDK's retries: the job retries
    api.text("Next: file the return.")
    c.say("what is next?", channel=FINANCE, thread=first.ref)
    purposes = [e.data["purpose"] for e in events(db, "agent.call")]
    assert purposes == ["summary", "turn"] and turns(db)[-1].attempts == 2
    assert "Summary: the 2026 tax filing started" in context_of(api.requests()[-1])
    assert len(summaries(db)) == 1 and len(events(db, summary.EVENT)) == 1


def test_a_short_thread_needs_no_summary(db, api):
    c = agent_chat(db)
    first = c.say("Phase: tax filing", channel=FINANCE)
    c.say("what is next?", channel=FINANCE, thread=first.ref)
    assert len(api.requests()) == 1 and summaries(db) == []
    assert "thread_summary" not in context_of(api.requests()[0])


def test_a_summary_never_holds_another_domains_turn_of_the_same_dm_thread(db, api, monkeypatch):
    """The leak of issue 12, for summaries: finance first, then career turns in one DM thread."""
    monkeypatch.setattr(summary, "RECENT_MESSAGES", 2)
    c = agent_chat(db)
    first = c.say(f"finance: {FINANCE_TEXT}", channel=DM)
    for n in range(1, 4):
        c.say(f"career: review prep, point {n}", channel=DM, thread=first.ref)
    api.text("Summary: preparing the review, point 1.")
    c.say("career: what did I say first?", channel=DM, thread=first.ref)
    asked = api.requests()[-2]
    assert asked["system"][0]["text"] == texts.SUMMARY_RULES
    assert "review prep, point 1" in json.dumps(asked)
    for request in api.requests()[1:]:
        for secret in ("95k", "12,345", "joint account"):
            assert secret not in json.dumps(request)
    assert [(r.domain, r.messages) for r in summaries(db)] == [("career", 1)]
