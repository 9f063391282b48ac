"""The Home tab is republished after changes, coalesced: with RQ and a backlog, one refresh
shows every change queued before it ran, a change after it queues the next one, and the posts
the events made are delivered once each."""

from __future__ import annotations

import json

from rq import SimpleWorker
from rq.serializers import JSONSerializer

from jobs.queue import RQJobQueue
from orchestrator import handoff
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.ingest import store_events
from orchestrator.services import Services
from orchestrator.statuses import OutboxStatus
from tests.fakes.slack_api import FakeSlack
from tests.slack_support import OPERATOR, outbox_rows, slack_services


def say(svc: Services, slack: FakeSlack, channel: str, n: int, text: str) -> None:
    ts = slack.add_message(channel, text, user=OPERATOR)
    event = InboundEvent(platform=Platform.SLACK, external_id=f"Ev{n}", kind=EventKind.MESSAGE,
                         user=OPERATOR, channel=channel, text=text, message_ref=ts)  # fmt: skip
    (event_id,) = store_events(svc.db, [event])
    handoff.enqueue_event(svc, event_id)


def views(slack: FakeSlack) -> list[str]:
    return [json.dumps(c.params["view"]) for c in slack.calls("views.publish") if c.ok]


def test_a_backlog_of_changes_republishes_the_home_tab_once(db, redis_conn) -> None:  # type: ignore[no-untyped-def]
    queue = RQJobQueue(redis_conn)
    with FakeSlack() as slack:
        svc = slack_services(db, slack, queue=queue)
        channel = slack.add_channel("pos-travel")
        svc.directory.remember(Platform.SLACK, "travel", channel, None, "pos-travel")
        for n in range(1, 6):
            say(svc, slack, channel, n, f"Headline: green step {n} done")
        worker = SimpleWorker([queue.queue], connection=redis_conn, serializer=JSONSerializer)
        worker.work(burst=True)
        first = views(slack)
        say(svc, slack, channel, 6, "Headline: red step 6 blocked")
        worker.work(burst=True)
        second = views(slack)
        posts = slack.calls("chat.postMessage")
        rows = outbox_rows(db)
    assert len(first) == 1  # five changes, one refresh (queued after the first, run last)
    assert "step 5 done" in first[0]
    assert len(second) == 2 and "step 6 blocked" in second[1]  # a later change: refreshed
    assert rows and all(r.status == OutboxStatus.SENT for r in rows)
    keys = [r.key for r in rows]
    assert len(keys) == len(set(keys)) == len([p for p in posts if p.ok])  # each post once


def test_an_unchanged_home_tab_is_not_published_again(db, redis_conn) -> None:  # type: ignore[no-untyped-def]
    """A refresh that finds the same view (a change the Home tab does not show) skips it."""
    queue = RQJobQueue(redis_conn)
    with FakeSlack() as slack:
        svc = slack_services(db, slack, queue=queue)
        channel = slack.add_channel("pos-travel")
        svc.directory.remember(Platform.SLACK, "travel", channel, None, "pos-travel")
        worker = SimpleWorker([queue.queue], connection=redis_conn, serializer=JSONSerializer)
        say(svc, slack, channel, 1, "Headline: green booked")
        worker.work(burst=True)
        say(svc, slack, channel, 2, "Headline: green booked")
        worker.work(burst=True)
    assert len(views(slack)) == 1
