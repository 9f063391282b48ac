"""A domain agent's turn through the real anthropic SDK and the Messages API stand-in."""

from __future__ import annotations

import json

from domains import store
from jobs.agent_tasks import agent_turn
from tests.agent_support import TRAVEL, agent_chat, events, turns
from tests.inbox_support import chat


def doc(db, domain: str = "travel"):
    with db.session() as s:
        return store.load_doc(s, domain)


def reply_of(c) -> str:
    """The thread's answer as the user finally sees it (the placeholder, edited)."""
    (answer,) = c.posts_in(TRAVEL)
    edits = c.edits_of(answer)
    return edits[-1].text if edits else answer.post.text


def test_tools_update_the_doc_and_the_reply_edits_the_placeholder(db, api):
    """Free text becomes the same ops as status lines, applied once, confirmed in the thread."""
    c = agent_chat(db)
    api.tools(
        ("update_status", {"phase": "Booking", "next_steps": ["hotel", "insurance"]}),
        ("set_headline", {"color": "yellow", "text": "waiting on the visa"}),
    )
    api.tools(("record_decision", {"text": "Fly via Lisbon"}))
    api.tools(("reply", {"text": "Booking phase; headline yellow until the visa comes."}))
    c.say("we're booking now — hotel then insurance, visa still pending; we fly via Lisbon")
    (placeholder,) = c.posts_in(TRAVEL)
    assert placeholder.post.text == "_Thinking…_"
    text = reply_of(c)
    assert text.startswith("Booking phase; headline yellow")
    assert "phase → Booking" in text and "decision → Fly via Lisbon" in text
    d = doc(db)
    assert (d.phase, d.next_steps, d.decision) == (
        "Booking",
        ["hotel", "insurance"],
        "Fly via Lisbon",
    )
    assert (d.headline_color, d.updated_by) == ("yellow", "agent:travel")
    changed = events(db, "status.changed")
    assert {e.subject for e in changed} == {"phase", "next_steps", "headline", "decision"}
    assert {e.actor for e in changed} == {"agent:travel"}
    assert [t.stop for t in turns(db)] == ["reply"]


def test_requests_carry_the_model_tools_and_cache_marks(db, api):
    """PARALLELOS_MODEL, strict tool schemas, cache_control on the charter (over Sonnet 4.6's
    1024-token minimum)."""
    c = agent_chat(db, PARALLELOS_MODEL="claude-sonnet-4-6")
    c.say("what's left before the trip?")
    (req,) = api.requests()
    assert req["model"] == "claude-sonnet-4-6"
    assert req["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert (
        "Out of scope" in req["system"][0]["text"] and "cannot execute" in req["system"][0]["text"]
    )
    assert "cache_control" not in json.dumps(req["messages"])  # one call: nothing to reuse
    tools = {t["name"]: t for t in req["tools"]}
    assert set(tools) == {"update_status", "set_headline", "record_decision", "create_handoff",
                          "propose_action", "follow_up", "remember_note", "recall",
                          "reply", "remember", "update_fact", "forget"}  # fmt: skip
    assert all(t["strict"] and t["input_schema"]["additionalProperties"] is False
               for t in tools.values())  # fmt: skip
    assert (
        "travel" not in tools["create_handoff"]["input_schema"]["properties"]["to_domain"]["enum"]
    )
    assert reply_of(c) == "Noted."


def test_malformed_tool_input_is_an_error_result_and_changes_nothing(db, api):
    """Invalid input goes back as is_error; the model may correct itself; nothing else applies."""
    c = agent_chat(db)
    api.tools(("update_status", {"phase": 5, "domain": "finance"}),
              ("set_headline", {"color": "purple", "text": "x"}))  # fmt: skip
    api.tools(("update_status", {}))
    api.text("I could not update the doc.")
    c.say("mark the phase as booking")
    second, third = api.requests()[1:]
    results = second["messages"][-1]["content"]
    assert [r["is_error"] for r in results] == [True, True]
    assert "domain" in results[0]["content"] and "color" in results[1]["content"]
    assert third["messages"][-1]["content"][0]["is_error"] is True
    assert doc(db).phase == "" and events(db, "status.changed") == []
    assert reply_of(c) == "I could not update the doc."


def test_thinking_blocks_go_back_unchanged_before_the_tool_results(db, api):
    """Models that think between tool calls need their blocks back as they were."""
    c = agent_chat(db)
    api.tools(("update_status", {"phase": "Booking"}), thinking="The user is booking.",
              text="Setting the phase.")  # fmt: skip
    api.text("Done.")
    c.say("we're booking")
    assistant = api.requests()[1]["messages"][1]
    assert [b["type"] for b in assistant["content"]] == ["thinking", "text", "tool_use"]
    assert assistant["content"][0] == {
        "type": "thinking", "thinking": "The user is booking.", "signature": "sig-1"
    }  # fmt: skip
    assert reply_of(c).startswith("Done.") and "The user is booking" not in reply_of(c)


def test_the_loop_stops_at_the_charter_limit_and_says_so(db, api):
    """Travel allows 10 model calls a turn: the 11th is never made; what was done is applied."""
    c = agent_chat(db)
    for n in range(12):
        api.tools(("update_status", {"sprint": f"step {n}"}))
    c.say("keep going")
    assert len(api.requests()) == 10
    assert "stopped after 10 tool steps" in reply_of(c)
    assert doc(db).sprint == "step 9"
    assert turns(db)[0].stop == "limit"


def test_status_lines_apply_at_once_and_only_free_text_reaches_the_model(db, api):
    """Offline first: the lines are applied in the pipeline; the agent sees the rest."""
    c = agent_chat(db)
    c.say("Phase: Booking\nBlocker: visa pending\nalso, can you think about insurance?")
    assert doc(db).phase == "Booking" and doc(db).blockers == ["visa pending"]
    (req,) = api.requests()
    message = req["messages"][0]["content"][1]["text"]
    assert "insurance" in message and "Blocker: visa" not in message
    assert reply_of(c).startswith("Updated travel")


def test_only_status_lines_need_no_model(db, api):
    c = agent_chat(db)
    c.say("Phase: Booking\nNext: hotel; insurance")
    assert api.requests() == [] and turns(db) == []
    assert "phase → Booking" in reply_of(c)


def test_a_turn_runs_once(db, api):
    """Re-running the job of a finished turn calls nothing and posts nothing."""
    c = agent_chat(db)
    c.say("what's next?")
    posted = len(c.sender.sent) + len(c.sender.edits)
    agent_turn(event_id=turns(db)[0].event_id, domain="travel")
    assert len(api.requests()) == 1
    assert len(c.sender.sent) + len(c.sender.edits) == posted


def test_refusal_and_empty_answers_are_handled(db, api):
    c = agent_chat(db)
    api.refusal()
    c.say("help me with something odd")
    assert "declined to answer" in reply_of(c)
    api.empty()
    c.say("and now?")
    edits = c.edits_of(c.posts_in(TRAVEL)[1])
    assert "had nothing to add" in edits[-1].text
    assert [t.stop for t in turns(db)] == ["refusal", "end_turn"]


def test_without_a_key_nothing_calls_the_model(db, api):
    """Offline mode is unchanged: a note, no turn, no request."""
    c = chat(db)
    c.say("can you think about insurance?")
    assert "without a language model" in c.posts_in(TRAVEL)[0].post.text
    assert api.calls() == [] and turns(db) == []
