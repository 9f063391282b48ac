"""A worker SIGKILLed while it streams an answer into Slack: the stream it left open is closed by
the turn's next run, which edits that same message into the final answer — one answer in the
thread, never two, no placeholder left, no stream left open. Real worker processes (RQ), real
Redis and database, the real SDKs against the stand-ins."""

from __future__ import annotations

import os
import signal
from datetime import timedelta

import pytest
from sqlalchemy import select

from domains.agent.models import AgentTurnRow
from jobs.agent_tasks import requeue_stale_turns
from jobs.queue import RQJobQueue
from orchestrator import handoff
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.ingest import store_events
from tests.agent_support import KEY
from tests.fakes.slack_payloads import BOT_USER_ID, TEAM_ID
from tests.slack_support import OPERATOR, FakeSlackHooks, slack_services, wait_until
from tests.test_resilience import start_worker, worker_env

pytestmark = pytest.mark.timeout(300)

ASK = "flights to lisbon in march: what should I book first?"
ANSWER = (
    "Book the 9:40 flight first: it is the cheapest seat left this week, and the fare rises "
    "on Friday. Then the hotel near Alfama, and the transfer once the landing time is fixed."
)


def stream_recorded(db) -> bool:  # type: ignore[no-untyped-def]
    with db.session() as s:
        turn = s.scalars(select(AgentTurnRow)).first()
        return turn is not None and "stream" in (turn.data or {})


def test_a_worker_killed_mid_stream_leaves_one_answer_and_no_open_stream(db, redis_conn, api):
    with FakeSlackHooks() as slack:
        queue = RQJobQueue(redis_conn)
        env = {**worker_env(db, slack), "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": api.origin,
               "PARALLELOS_MODEL": "claude-sonnet-5-5"}  # fmt: skip
        svc = slack_services(db, slack, queue=queue, ANTHROPIC_API_KEY=KEY)
        api.tools(("reply", {"text": ANSWER}))
        api.pause(after=10, seconds=600)  # a few words of the answer, then the model hangs
        api.tools(("reply", {"text": ANSWER}))  # the next run's answer, whole
        im = slack.add_im(OPERATOR)
        ts = slack.add_message(im, ASK, user=OPERATOR)
        event = InboundEvent(platform=Platform.SLACK, external_id="EvStreamKill",
                             kind=EventKind.MESSAGE, user=OPERATOR, channel=im, text=ASK,
                             message_ref=ts, is_direct=True, workspace=TEAM_ID)  # fmt: skip
        (event_id,) = store_events(db, [event])
        handoff.enqueue_event(svc, event_id)

        first = start_worker(env)
        try:
            wait_until(lambda: stream_recorded(db), what="the stream written down", timeout=60)
            slack.wait_for("chat.delete", timeout=30)  # the placeholder gone: mid-stream now
        finally:
            os.killpg(first.pid, signal.SIGKILL)
            first.wait(timeout=30)
        (start,) = slack.calls("chat.startStream")
        orphan = [m for m in slack.messages(im) if m["ts"] == start.response["ts"]]
        assert orphan and orphan[0]["streaming"]  # the killed run left its stream open

        assert requeue_stale_turns(svc, stale_after=timedelta(0)) == 1  # what the reconciler does
        second = start_worker(env, "--burst")
        _, err = second.communicate(timeout=120)
        assert second.returncode == 0, err.decode()[-2000:]

        replies = [m for m in slack.messages(im)
                   if m.get("thread_ts") == ts and m["ts"] != ts and m.get("user") == BOT_USER_ID]  # fmt: skip
        stops = slack.calls("chat.stopStream")
    (turn,) = _turns(db)
    assert (turn.status, turn.attempts) == ("done", 2)
    assert len(slack.calls("chat.startStream")) == 1  # the second run streamed into no new one
    assert any(c.ok and c.params["ts"] == start.response["ts"] for c in stops)  # closed
    (answer,) = replies  # one message in the thread: the stream's, edited into the answer
    assert answer["ts"] == start.response["ts"] and not answer["streaming"]
    assert answer["text"].endswith(ANSWER)
    assert not any("Thinking" in m.get("text", "") for m in slack.messages(im))


def _turns(db) -> list[AgentTurnRow]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.scalars(select(AgentTurnRow)))
