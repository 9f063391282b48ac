"""Costs and budgets: every call logged with its tokens and cost; warn at 80%, stop at 100%,
raise only by an operator's approval; prompt caching recorded."""

from __future__ import annotations

from domains.agent.budget import CALL_EVENT
from orchestrator.eventlog import record
from orchestrator.statuses import ApprovalStatus
from tests.agent_support import TRAVEL, agent_chat, events, turns
from tests.inbox_support import MEMBER

TRAVEL_BUDGET = 12.0  # travel's charter


def spend(db, usd: float, domain: str = "travel") -> None:
    """Cost already spent this month (as earlier calls would have logged it)."""
    with db.session() as s:
        record(s, kind=CALL_EVENT, actor=f"agent:{domain}", domain=domain, cost_usd=usd)


def texts_in(c) -> list[str]:
    sent = [s.post.text for s in c.posts_in(TRAVEL)]
    return sent + [post.text for _, post in c.sender.edits]


def test_every_call_is_an_event_with_tokens_cost_and_cache_fields(db, api):
    """Two turns: the second reads the charter and tools from the cache; the rate is logged."""
    c = agent_chat(db)
    c.say("what's next?")
    c.say("and after that?")
    first, second = events(db, CALL_EVENT)
    for call in (first, second):
        assert call.domain == "travel" and call.cost_usd > 0 and call.actor == "agent:travel"
        assert call.data["model"] == "claude-sonnet-5-5" and call.data["purpose"] == "turn"
        assert call.data["input_tokens"] > 0 and call.data["output_tokens"] > 0
    assert (
        first.data["cache_creation_input_tokens"] > 0 and first.data["cache_read_input_tokens"] == 0
    )
    assert second.data["cache_read_input_tokens"] == first.data["cache_creation_input_tokens"]
    assert second.cost_usd < first.cost_usd  # cache reads cost a tenth
    rates = [e.data["cache_hit_rate"] for e in events(db, "agent.turn")]
    assert rates[0] == 0 and rates[1] > 0.5
    assert [t.cost_usd for t in turns(db)] == [first.cost_usd, second.cost_usd]


def test_a_warning_at_80_percent_once(db, api):
    c = agent_chat(db)
    spend(db, 0.8 * TRAVEL_BUDGET)
    c.say("what's next?")
    c.say("and then?")
    warnings = [t for t in texts_in(c) if t.startswith("Heads-up")]
    assert len(warnings) == 1 and "of its $12.00 monthly budget" in warnings[0]
    assert len(api.requests()) == 2  # warned, not stopped


def test_at_100_percent_the_agent_stops_and_asks_for_a_raise_once(db, api):
    """No model call; status lines still work; one approval card for the raise."""
    c = agent_chat(db)
    spend(db, TRAVEL_BUDGET)
    c.say("Phase: Booking\nwhat's next?")
    c.say("anything else?")
    assert api.requests() == []
    replies = [s.post.text for s in c.posts_in(TRAVEL) if not s.post.buttons]
    assert replies[0].startswith("Updated travel: phase → Booking")
    assert all("agent is paused" in r for r in replies)
    approval = c.approval()
    assert approval.status == ApprovalStatus.PENDING
    assert approval.action.startswith("Raise the travel agent's budget for ")
    assert "by $6.00 (from $12.00 to $18.00)" in approval.action


def test_an_operators_approval_raises_the_budget_and_the_agent_resumes(db, api):
    c = agent_chat(db)
    spend(db, TRAVEL_BUDGET)
    c.say("what's next?")
    public_id = c.approval().public_id
    c.click("approve", public_id, user=MEMBER, channel=TRAVEL)  # not an operator: nothing
    c.say("still there?")
    assert api.requests() == []
    c.click("approve", public_id, channel=TRAVEL)
    c.say("and now?")
    assert len(api.requests()) == 1
    assert turns(db)[-1].stop == "end_turn"


def test_the_budget_is_checked_before_every_call_of_a_turn(db, api):
    """A turn whose first call crosses the limit makes no second call, and asks for a raise."""
    c = agent_chat(db)
    spend(db, TRAVEL_BUDGET - 0.001)
    api.tools(("update_status", {"phase": "Booking"}))
    api.text("never sent")
    c.say("set the phase to booking")
    assert len(api.requests()) == 1
    assert turns(db)[0].stop == "budget"
    final = c.edits_of(c.posts_in(TRAVEL)[0])[-1].text
    assert "agent is paused" in final and "phase → Booking" in final
    assert c.approval().action.startswith("Raise the travel agent's budget")


def test_the_dashboard_shows_each_domains_spend_against_its_budget(db, api):
    from orchestrator.dashboard import dashboard

    c = agent_chat(db)
    spend(db, 3.0)
    c.say("what's next?")
    with db.session() as s:
        rows = {r["domain"]: r for r in dashboard(s, c.svc.features)["agents"]}
    assert rows["travel"]["budget_usd"] == TRAVEL_BUDGET and rows["travel"]["calls"] == 2
    assert 3.0 < rows["travel"]["spent_usd"] < 3.1 and rows["hub"]["spent_usd"] == 0
