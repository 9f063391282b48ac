"""Memory: the thread's recent messages, and a domain's notes found by full-text search."""

from __future__ import annotations

from domains.agent import memory
from domains.agent.prices import Tokens, cost_usd, price_for
from tests.agent_support import agent_chat, notes


def test_full_text_search_ranks_and_stems_within_one_domain(db):
    """SQLite FTS5 and PostgreSQL to_tsvector both: stems match, other domains never."""
    with db.session() as s:
        for text in ("Hotel in Porto booked for the conference", "Renew the passport in May",
                     "Booking flights via Lisbon is cheaper"):  # fmt: skip
            memory.remember(s, domain="travel", kind="note", text_=text, source_event_id=None)
        memory.remember(s, domain="finance", kind="note", text_="hotel expenses claim",
                        source_event_id=None)  # fmt: skip
    with db.session() as s:
        found = [m.text for m in memory.search(s, "travel", "which hotels did we book?")]
        assert found[:2] == ["Hotel in Porto booked for the conference",
                             "Booking flights via Lisbon is cheaper"]  # fmt: skip
        assert memory.search(s, "travel", "expenses claim") == []
        assert memory.search(s, "travel", "the of and ?!") == []  # nothing to search for
        assert memory.search(s, "travel", 'hotel" OR "x') != []  # quotes are not syntax


def test_notes_and_decisions_are_remembered_and_recalled_in_later_turns(db, api):
    c = agent_chat(db)
    api.tools(("remember_note", {"text": "Prefers aisle seats on long flights"}),
              ("record_decision", {"text": "Fly via Lisbon"}))  # fmt: skip
    api.tools(("reply", {"text": "Noted."}))
    c.say("remember: I like aisle seats on long flights. And we fly via Lisbon.")
    kinds = {n.kind: n.text for n in notes(db, "travel")}
    assert kinds["note"] == "Prefers aisle seats on long flights"
    assert kinds["decision"] == "Fly via Lisbon"
    assert kinds["message"].startswith("remember: I like aisle seats")
    c.say("which seats for the long flights to Lisbon?")
    context = api.requests()[-1]["messages"][0]["content"][0]["text"]
    memory_block = context.split('<data kind="memory">')[1].split("</data>")[0]
    assert "Prefers aisle seats" in memory_block and "Fly via Lisbon" in memory_block
    assert "which seats" not in memory_block  # not the message itself


def test_the_thread_is_short_term_memory(db, api):
    """A follow-up in the same thread sees the earlier message and the agent's answer."""
    c = agent_chat(db)
    api.text("Porto or Lisbon both work in March.")
    asked = c.say("where should we go in March?")
    c.say("ok, which is cheaper?", thread=asked.ref)
    thread = api.requests()[-1]["messages"][0]["content"][0]["text"]
    block = thread.split('<data kind="thread">')[1].split("</data>")[0]
    assert "user: where should we go in March?" in block
    assert "assistant: Porto or Lisbon both work in March." in block


def test_prices_by_model_family_are_an_estimate_per_call():
    assert price_for("claude-sonnet-4-5-20250929").family == "sonnet-4"
    assert price_for("claude-sonnet-5-5").family == "sonnet-5.5"
    assert price_for("claude-opus-4-1").family == "opus-4"
    assert price_for("claude-opus-4-6").family == "opus-4.5+"
    assert price_for("claude-haiku-4-5").family == "haiku-4.5"
    assert price_for("something-new").family == "unknown"
    million = Tokens(input=1_000_000, output=1_000_000, cache_read=1_000_000,
                     cache_write_5m=1_000_000, cache_write_1h=1_000_000)  # fmt: skip
    assert cost_usd("claude-sonnet-4-5", million) == 3 + 15 + 0.3 + 3.75 + 6
