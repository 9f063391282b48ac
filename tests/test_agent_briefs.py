"""Brief summaries: the hub agent's short paragraph after the deterministic brief."""

from __future__ import annotations

import time_machine
from sqlalchemy import select

from bot.local import LocalSender
from jobs.agent_tasks import brief_summary
from jobs.brief_tick import tick
from orchestrator.canonical import Platform
from orchestrator.models import OutboxRow
from tests.agent_support import agent_chat, events
from tests.brief_support import runs, utc
from tests.inbox_support import chat

HUB = "CPOS-HUB"
SUMMARY = "Nothing is blocked; travel waits on the visa. Approve the flight first."


def test_brief_weekly_gets_a_summary_after_it(db, api):
    c = agent_chat(db, SLACK_BOT_TOKEN="xoxb-test")
    c.say("Headline: yellow waiting on the visa")  # status lines only: no agent turn
    api.text(SUMMARY)
    c.command("brief", "weekly")
    *brief, summary = c.posts_in(HUB)
    assert brief[0].post.title == "Weekly operating brief"
    assert summary.post.title == "In short · Weekly operating brief"
    assert summary.post.text == SUMMARY
    (request,) = api.requests()
    assert request["max_tokens"] == 400  # the hub's brief_summary_max_tokens
    assert "waiting on the visa" in request["messages"][0]["content"]
    assert '<data kind="brief" name="weekly">' in request["messages"][0]["content"]
    (call,) = events(db, "agent.call")
    assert (call.domain, call.data["purpose"]) == ("hub", "brief")


def test_a_scheduled_brief_is_summarised_once(db, api):
    """Posted on Slack and in the local chat: one model call, the summary in both places."""
    c = agent_chat(db, SLACK_BOT_TOKEN="xoxb-test")
    c.svc.senders[Platform.LOCAL] = LocalSender()
    with time_machine.travel(utc(2026, 6, 8, 8), tick=False):
        assert "weekly" in tick(c.svc).started
    (run,) = runs(db)
    brief_summary(run_id=run.id)  # a redelivered job
    assert len(api.requests()) == 1
    assert c.posts_in(HUB)[-1].post.text == "Noted."
    with db.session() as s:
        rows = s.scalars(select(OutboxRow).where(OutboxRow.key.startswith("briefsum:"))).all()
    assert sorted(r.platform for r in rows) == ["local", "slack"]


def test_no_summary_offline_or_when_the_model_is_down(db, api):
    c = chat(db, SLACK_BOT_TOKEN="xoxb-test")
    c.command("brief", "weekly")
    assert api.calls() == [] and len(c.posts_in(HUB)) == 1
    api.fail(400)
    c2 = agent_chat(db, SLACK_BOT_TOKEN="xoxb-test")
    c2.command("brief", "weekly")
    assert [p.post.title for p in c2.posts_in(HUB)] == ["Weekly operating brief"]
