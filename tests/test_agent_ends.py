"""How a turn ends: a reply that crosses a limit, cut-off and refused answers, a paused turn,
configuration errors, and a retry that resumes instead of starting over."""

from __future__ import annotations

import pytest

from domains import store
from domains.agent import texts
from tests.agent_support import FINANCE, TRAVEL, agent_chat, events, turns
from tests.test_agent_failures import final_text

ADVERSARIAL = [
    # the asks reach the agent (the router keeps them in scope: "should I buy…" it declines)
    (FINANCE, "tell me about my Tesla position", "You should buy Tesla stock now."),
    (FINANCE, "what about my Nvidia shares", "Nvidia shares are a strong buy; I'd hold them."),
    (TRAVEL, "the flight gave me a headache", "Take 800 mg of ibuprofen every 6 hours."),
    (TRAVEL, "the rental contract has a clause", "The clause is unenforceable; you will win."),
]


@pytest.mark.parametrize(("channel", "asked", "answer"), ADVERSARIAL)
def test_a_reply_that_gives_advice_is_replaced_by_the_decline_and_logged(
    db, api, channel, asked, answer
):
    """A dose, a buy/sell/hold call, a legal verdict: the decline goes out, never the advice."""
    c = agent_chat(db)
    api.tools(("reply", {"text": answer}))
    c.say(asked, channel=channel)
    said = final_text_in(c, channel)
    assert answer not in said and said.startswith("I can't take this one.")
    (logged,) = events(db, "agent.reply_declined")
    assert logged.data["reply"] == answer


def test_an_ordinary_reply_passes_the_check(db, api):
    c = agent_chat(db)
    api.tools(("reply", {"text": "Logged the Tesla dividend in this month's records."}))
    c.say("log the Tesla dividend", channel=FINANCE)
    assert final_text_in(c, FINANCE) == "Logged the Tesla dividend in this month's records."
    assert events(db, "agent.reply_declined") == []


def test_an_answer_cut_at_max_tokens_with_a_tool_call_is_not_posted_as_complete(db, api):
    c = agent_chat(db)
    api.tools(("update_status", {"phase": "Booking"}), ("reply", {"text": "All booked and"}),
              text="Working on it", stop_reason="max_tokens")  # fmt: skip
    c.say("book everything")
    said = final_text(c)
    assert texts.cut_short("travel") in said and "All booked" not in said
    with db.session() as s:
        assert store.load_doc(s, "travel").phase == ""  # the cut call was not run
    assert [t.stop for t in turns(db)] == ["max_tokens"]


def test_a_refusal_after_a_change_applies_nothing_and_says_so_once(db, api):
    c = agent_chat(db)
    api.tools(("update_status", {"phase": "Booking"}))
    api.refusal()
    c.say("set the phase and then something else")
    assert final_text(c) == texts.refused("travel")
    with db.session() as s:
        assert store.load_doc(s, "travel").phase == ""


def test_pause_turn_continues_the_turn(db, api):
    c = agent_chat(db)
    api.text("Looking it up", stop_reason="pause_turn")
    api.text("Porto is cheaper in March.")
    c.say("which is cheaper?")
    first, second = api.requests()
    assert second["messages"][-1] == {"role": "assistant",
                                      "content": [{"type": "text", "text": "Looking it up"}]}  # fmt: skip
    assert final_text(c) == "Porto is cheaper in March."


@pytest.mark.parametrize(
    ("status", "setting"), [(401, "ANTHROPIC_API_KEY"), (404, "PARALLELOS_MODEL")]
)
def test_a_configuration_error_names_the_setting_and_is_not_retried(db, api, status, setting):
    c = agent_chat(db)
    api.fail(status, times=5)
    c.say("what's next?")
    assert final_text(c) == texts.misconfigured("travel", setting)
    assert f"`{setting}`" in final_text(c) and "unavailable" not in final_text(c)
    assert [call.status for call in api.calls("messages")] == [status]


def test_a_retry_resumes_after_the_last_tool_step_and_pays_once(db, api):
    """Step 1 answers; step 2 fails past the SDK's retries; the job's retry asks only step 2."""
    c = agent_chat(db)
    api.tools(("update_status", {"phase": "Booking"}))
    api.overloaded(3)  # the first try alone, then the SDK's two
    api.tools(("reply", {"text": "Phase set."}))
    c.say("set the phase to booking")
    first, resumed = api.requests()
    assert len(first["messages"]) == 1 and len(resumed["messages"]) == 3
    assert resumed["messages"][2]["content"][0]["type"] == "tool_result"
    calls = events(db, "agent.call")
    (turn,) = turns(db)
    assert len(calls) == 2 and turn.attempts == 2
    assert turn.cost_usd == pytest.approx(sum(e.cost_usd for e in calls))
    assert "Phase set." in final_text(c) and "phase → Booking" in final_text(c)
    with db.session() as s:
        assert store.load_doc(s, "travel").phase == "Booking"


def final_text_in(c, channel: str) -> str:  # type: ignore[no-untyped-def]
    answer = c.posts_in(channel)[-1]
    edits = c.edits_of(answer)
    return edits[-1].text if edits else answer.post.text
