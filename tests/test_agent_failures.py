"""When the Messages API fails: the SDK's retries, the job's own backoff, then a plain reply."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import time_machine

from domains import store
from domains.agent import llm, loop, turn
from domains.agent.finish import finish
from domains.agent.loop import LoopResult
from domains.agent.toolbox import Effects
from domains.approvals import service as approvals
from domains.status_lines import SetPhase
from jobs.queue import SyncJobQueue
from jobs.reconcile import reconcile
from orchestrator import handoff
from tests.agent_support import TRAVEL, agent_chat, events, turns


def final_text(c) -> str:
    answer = c.posts_in(TRAVEL)[-1]
    edits = c.edits_of(answer)
    return edits[-1].text if edits else answer.post.text


def test_a_429_then_success_is_retried_by_the_sdk(db, api):
    """One rate limit, then an answer: one turn, one call logged, nobody told of the hiccup."""
    c = agent_chat(db)
    api.rate_limited(1)
    api.text("On it.")
    c.say("what's next?")
    assert [call.status for call in api.calls("messages")] == [429, 200]
    assert final_text(c) == "On it."
    assert len(events(db, "agent.call")) == 1


def test_a_529_storm_ends_in_a_plain_reply_and_keeps_the_offline_work(db, api):
    """SDK retries (3 tries) × the job's attempts (3): then 'unavailable'; the lines stay applied."""
    c = agent_chat(db)
    api.overloaded(20)
    c.say("Phase: Booking\nand please plan the insurance")
    statuses = [call.status for call in api.calls("messages")]
    assert statuses == [529] * 9
    text = final_text(c)
    assert text.startswith("Updated travel: phase → Booking")
    assert "agent is unavailable right now" in text
    with db.session() as s:
        assert store.load_doc(s, "travel").phase == "Booking"
    (turn,) = turns(db)
    assert (turn.status, turn.attempts, turn.stop) == ("failed", 3, "unavailable")
    assert [e.data["text"] for e in events(db, "domain.note")][-1].endswith("insurance")
    assert events(db, "agent.call") == []


def test_the_stand_in_down_falls_back_to_offline(db, api, monkeypatch):
    """No server at ANTHROPIC_BASE_URL: connection errors, then the unavailable reply."""
    monkeypatch.setattr(llm, "MAX_RETRIES", 0)
    c = agent_chat(db)
    api.stop()
    c.say("Blocker: visa\nwhat should I do first?")
    assert "agent is unavailable right now" in final_text(c)
    with db.session() as s:
        assert store.load_doc(s, "travel").blockers == ["visa"]
    assert turns(db)[0].status == "failed"


def test_a_bad_request_is_not_retried(db, api):
    """A 400 will not get better: no job retry, the plain reply at once."""
    c = agent_chat(db)
    api.fail(400, 5)
    c.say("what's next?")
    assert [call.status for call in api.calls("messages")] == [400]
    assert "unavailable" in final_text(c)


def test_the_charter_deadline_stops_the_loop(db, api, monkeypatch):
    """Each reading of a fake clock is 100 s later; travel allows 180 s: one call, then stop."""
    ticks = itertools.count(0, 100)
    monkeypatch.setattr(loop, "clock", lambda: float(next(ticks)))
    c = agent_chat(db)
    for _ in range(5):
        api.tools(("update_status", {"sprint": "again"}))
    c.say("keep going")
    assert len(api.requests()) == 1
    assert "ran out of time (180s" in final_text(c)
    assert turns(db)[0].stop == "timeout"


class LosesAgentJobs(SyncJobQueue):
    """A queue that loses every agent turn (Redis flushed, a worker killed before it started)."""

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs) -> None:  # type: ignore[no-untyped-def]
        if name != "agent_turn":
            super().enqueue(name, job_id=job_id, delay=delay, **kwargs)


def test_a_lost_turn_is_picked_up_by_the_reconciler(db, api):
    c = agent_chat(db, queue=LosesAgentJobs())
    c.say("what's next?")
    assert turns(db)[0].status == "queued" and api.requests() == []
    c.svc.queue = SyncJobQueue()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=16), tick=False):
        assert reconcile(c.svc).agent_turns == 1
    assert turns(db)[0].status == "done" and final_text(c) == "Noted."


def test_two_runs_of_one_turn_apply_it_once(db, api):
    """A second worker claims the same turn: only the latest claim may finish it."""
    c = agent_chat(db, queue=LosesAgentJobs())
    c.say("what's next?")
    event_id = turns(db)[0].event_id
    first = turn._claim(c.svc, event_id, "travel")  # noqa: SLF001
    second = turn._claim(c.svc, event_id, "travel")  # noqa: SLF001
    effects = Effects(ops=[SetPhase(text="Booking")])
    assert finish(c.svc, first, LoopResult(stop="end_turn", text="first"), effects) is None
    done = finish(c.svc, second, LoopResult(stop="end_turn", text="second"), effects)
    assert finish(c.svc, second, LoopResult(stop="end_turn", text="again"), effects) is None
    for key in done.channel_keys:
        handoff.deliver_channel(c.svc, key)
    assert final_text(c) == "second\nUpdated travel: phase → Booking"
    assert len(events(db, "status.changed")) == 1


def test_effects_that_cannot_be_applied_roll_back_and_the_user_is_told(db, api, monkeypatch):
    """All or nothing: a failure while applying leaves no half-applied turn, and a reply."""
    c = agent_chat(db)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("approvals are down")

    monkeypatch.setattr(approvals, "propose", broken)
    api.tools(("update_status", {"phase": "Booking"}),
              ("propose_action", {"action": "Book the 9:40"}))  # fmt: skip
    api.text("Proposed.")
    c.say("set the phase and book the 9:40")
    with db.session() as s:
        assert store.load_doc(s, "travel").phase == ""
    assert events(db, "status.changed") == []
    assert "unavailable right now" in final_text(c)
    assert turns(db)[0].status == "failed"
