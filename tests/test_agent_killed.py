"""A worker SIGKILLed between the tool steps of an agent turn: the restarted worker resumes from
the checkpoint and completes the turn once — no tool effect doubled, one final answer, the cost
of each model call counted once."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from domains import store
from domains.agent.models import AgentTurnRow
from domains.inbox.models import InboxEntryRow
from jobs.agent_tasks import requeue_stale_turns
from jobs.queue import RQJobQueue
from orchestrator import handoff
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.ingest import store_events
from tests.agent_support import KEY, events
from tests.slack_support import OPERATOR, FakeSlackHooks, slack_services, wait_until
from tests.test_resilience import start_worker, worker_env

pytestmark = pytest.mark.timeout(300)

STEP_ONE = (
    ("update_status", {"add_blockers": ["visa appointment not booked"]}),
    ("create_handoff", {"to_domain": "finance", "ask": "Set aside 300 EUR for the visa."}),
)
ANSWER = "Blocker noted; finance is asked to set aside the visa money."


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def checkpointed(db) -> bool:  # type: ignore[no-untyped-def]
    with db.session() as s:
        turn = s.scalars(select(AgentTurnRow)).first()
        return turn is not None and "checkpoint" in (turn.data or {})


def test_a_worker_killed_between_tool_steps_completes_the_turn_once(db, redis_conn, slack, api):
    queue = RQJobQueue(redis_conn)
    env = {**worker_env(db, slack), "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": api.origin,
           "PARALLELOS_MODEL": "claude-sonnet-5-5"}  # fmt: skip
    svc = slack_services(db, slack, queue=queue, ANTHROPIC_API_KEY=KEY)
    channel = slack.add_channel("pos-travel")
    svc.directory.remember(Platform.SLACK, "travel", channel, None, "pos-travel")
    api.tools(*STEP_ONE)
    api.tools(("reply", {"text": ANSWER}))
    api.hold_next("messages", 0)  # the first call answers at once;
    api.hold_next("messages", 600)  # the second hangs: the worker dies waiting for it
    ts = slack.add_message(channel, "the visa appointment is not booked yet", user=OPERATOR)
    event = InboundEvent(platform=Platform.SLACK, external_id="EvKill", kind=EventKind.MESSAGE,
                         user=OPERATOR, channel=channel, text="the visa appointment is not "
                         "booked yet", message_ref=ts)  # fmt: skip
    (event_id,) = store_events(db, [event])
    handoff.enqueue_event(svc, event_id)

    first = start_worker(env)
    try:
        wait_until(lambda: checkpointed(db), what="the first tool step checkpointed", timeout=60)
        # and the second call is in flight (held), so the kill lands while it waits
        wait_until(lambda: api.holds_left("messages") == 0, what="the held call", timeout=60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=30)
    assert len(api.requests()) == 1  # the second call never got its answer

    assert requeue_stale_turns(svc, stale_after=timedelta(0)) == 1  # what the reconciler does
    second = start_worker(env, "--burst")
    _, err = second.communicate(timeout=120)
    assert second.returncode == 0, err.decode()[-2000:]

    (turn,) = _turns(db)
    assert (turn.status, turn.attempts, turn.stop) == ("done", 2, "reply"), err.decode()[-3000:]
    resumed = api.requests()[1]
    assert len(resumed["messages"]) == 3 and resumed["messages"][2]["content"][0]["type"] == (
        "tool_result"
    )  # the resumed try asked only for step two
    with db.session() as s:
        doc = store.load_doc(s, "travel")
        asks = list(s.scalars(select(InboxEntryRow)))
    assert doc.blockers == ["visa appointment not booked"]  # once, not twice
    assert [(a.to_domain, a.from_domain) for a in asks] == [("finance", "travel")]
    answers = [m for m in slack.messages(channel) if ANSWER in m.get("text", "")]
    assert len(answers) == 1  # one final answer (the placeholder, edited once)
    calls = events(db, "agent.call")
    assert len(calls) == 2 and len(events(db, "agent.turn")) == 1
    assert turn.cost_usd == pytest.approx(sum(e.cost_usd for e in calls))


def _turns(db) -> list[AgentTurnRow]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.scalars(select(AgentTurnRow)))
