"""Slack end to end: signed deliveries in, the real clients out to the fake Web API.

Each test reads as a dialogue: the operator writes in Slack, the bot's posts come out.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import update

from jobs.queue import RQJobQueue, SyncJobQueue
from orchestrator import handoff, outbox
from orchestrator.canonical import Platform, Post, Target
from orchestrator.db import utcnow
from orchestrator.models import OutboxRow
from orchestrator.outbound import Destination
from orchestrator.statuses import OutboxStatus
from tests.dialogue import SlackDialogue
from tests.fakes import slack_payloads as payloads
from tests.slack_support import (
    HOOK,
    OPERATOR,
    STRANGER,
    FakeSlackHooks,
    card_click,
    outbox_rows,
    post_click,
    post_form,
    running,
    slack_services,
    stored_events,
    texts,
    wait_until,
)

BOT = payloads.BOT_USER_ID


class HeldQueue(SyncJobQueue):
    """Holds jobs until `release()`: shows what happened inside the request and what after."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        self.held.append((name, kwargs))

    def release(self) -> None:
        while self.held:
            name, kwargs = self.held.pop(0)
            self._run(name, kwargs)


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def test_a_dm_is_routed_to_travel_and_mirrored_in_its_channel(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The DM gets a threaded answer naming travel; pos-travel is created, the operator invited,
    and the message appears there with the domain's answer threaded under it."""
    with running(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        said = d.say("flights to lisbon in march?")
    assert said.response.status_code == 200
    (reply,) = d.posts(said.channel)
    assert reply["thread_ts"] == said.ref and "travel" in reply["text"]
    assert "pos-travel" in slack.channel_names()
    assert len(slack.calls("conversations.create")) == 1
    assert OPERATOR in slack.channel("pos-travel")["members"]
    mirror, answer = slack.messages("pos-travel")
    assert "flights to lisbon in march?" in mirror["text"]
    assert mirror.get("thread_ts", mirror["ts"]) == mirror["ts"]  # top level in the channel
    assert answer["thread_ts"] == mirror["ts"] != answer["ts"]
    assert all(r.status == OutboxStatus.SENT for r in outbox_rows(db))


def test_the_same_event_delivered_three_times_is_handled_once(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Slack's retries (same event_id) are acknowledged and dropped: 0 duplicate posts."""
    with running(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        said = d.say("flights to lisbon in march?")
        posted = len(slack.calls("chat.postMessage"))
        retries = [d.deliver(said.payload) for _ in range(2)]
    assert [r.status_code for r in [said.response, *retries]] == [200, 200, 200]
    assert stored_events(db) == 1
    assert len(slack.calls("chat.postMessage")) == posted
    assert len(d.posts(said.channel)) == 1 and len(slack.messages("pos-travel")) == 2


def test_a_rate_limited_post_arrives_once_later(db, slack) -> None:  # type: ignore[no-untyped-def]
    """chat.postMessage answers 429 with Retry-After: the reply is posted after it, once."""
    slack.fail_next("chat.postMessage", 429, headers={"Retry-After": "1"})
    with running(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        said = d.say("flights to lisbon in march?")
        assert said.response.status_code == 200
        wait_until(
            lambda: all(r.status == OutboxStatus.SENT for r in outbox_rows(db)),
            what="every post sent after the rate limit",
        )
    calls = slack.calls("chat.postMessage")
    assert calls[0].status == 429 and all(c.ok for c in calls[1:])
    assert len(d.posts(said.channel)) == 1 and len(slack.messages("pos-travel")) == 2
    limited = [r for r in outbox_rows(db) if r.attempts == 2]
    assert len(limited) == 1 and "rate limited" in (limited[0].last_error or "")


def test_a_stranger_is_ignored(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Someone outside PARALLELOS_USERS/OPERATORS: acknowledged, not stored, nothing posted."""
    with running(slack_services(db, slack)) as client:
        said = SlackDialogue(client, slack).say("flights to lisbon?", user=STRANGER)
    assert said.response.status_code == 200
    assert stored_events(db) == 0
    assert slack.calls("chat.postMessage") == [] and slack.channel_names() == []


def test_a_mention_is_processed_once_though_slack_sends_it_twice(db, slack) -> None:  # type: ignore[no-untyped-def]
    """A channel message mentioning the bot arrives as `message` and `app_mention`: one reply."""
    general = slack.add_channel("general")
    text = f"<@{BOT}> flights to lisbon in march?"
    with running(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        said = d.say(text, channel=general)
        assert said.response.status_code == 200
        mention = payloads.app_mention(text, user=OPERATOR, channel=general, ts=said.ref)
        assert d.deliver(mention).status_code == 200
    assert stored_events(db) == 1
    (reply,) = d.posts(general)
    assert reply["thread_ts"] == said.ref and "travel" in reply["text"]
    assert "<@" not in slack.messages("pos-travel")[0]["text"]


def test_a_slash_command_is_acknowledged_before_it_is_worked_on(db, slack) -> None:  # type: ignore[no-untyped-def]
    """`/pos help`: an empty 200 once stored; the answer reaches the response_url later."""
    queue = HeldQueue()
    with running(slack_services(db, slack, queue=queue)) as client:
        body = payloads.slash_command(
            "help", user_id=OPERATOR, channel_id="C0GENERAL", response_url=slack.hook_url("cmd")
        )
        response = post_form(client, body)
        assert (response.status_code, response.text) == (200, "")
        assert stored_events(db) == 1 and slack.calls(HOOK) == []
        queue.release()
    (answer,) = slack.calls(HOOK)
    assert answer.path == "/hooks/cmd"
    assert answer.params["response_type"] == "ephemeral"
    assert answer.params["replace_original"] is False
    assert "/pos" in answer.params["text"] or "help" in answer.params["text"].lower()


def test_a_click_on_a_stale_button_is_answered_privately_once(db, slack) -> None:  # type: ignore[no-untyped-def]
    """A button the bot no longer knows: an ephemeral note; a redelivered click adds nothing."""
    channel = slack.add_channel("pos-travel")
    card = slack.add_message(channel, "card", user=BOT)
    click = card_click(slack, {"channel": channel, "ts": card}, "nosuch:1")
    with running(slack_services(db, slack)) as client:
        responses = [post_click(client, click) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 200]
    assert stored_events(db) == 1
    (answer,) = slack.calls(HOOK)
    assert answer.params["response_type"] == "ephemeral"
    assert "no longer" in answer.params["text"]


def test_a_message_in_a_domain_channel_is_answered_in_its_thread(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Once pos-travel is known, a message there belongs to travel, answered in the thread."""
    with running(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        d.say("flights to lisbon in march?")
        travel = slack.channel_id("pos-travel")
        said = d.say("Phase: planning", channel=travel)
        assert said.response.status_code == 200
    assert len(d.thread(said)) == 1
    assert texts(slack.messages(travel)).count("Phase: planning") == 1


def test_a_post_left_sending_by_a_dead_worker_is_not_posted_again(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The worker posted, then died before recording it; its lease ran out. Recovery finds
    the post in the channel's history by its key and marks it sent: no second copy."""
    svc = slack_services(db, slack)
    channel = slack.add_channel("pos-travel")
    row = queue_post(db, channel, key="ev9:0")
    assert isinstance(outbox.claim_head(db, row.channel_key), outbox.Claim)
    posted = svc.senders[Platform.SLACK].send(Post(text="once"), Destination(channel), key="ev9:0")
    expire_lease(db, row.id)
    handoff.deliver_channel(svc, row.channel_key)
    assert len(slack.messages(channel)) == 1
    (done,) = outbox_rows(db)
    assert (done.status, done.sent_message_id) == (OutboxStatus.SENT, posted.message_id)


def test_a_post_the_dead_worker_never_sent_is_sent_once(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Same crash, but before Slack had it: history has no such key, so it is posted once."""
    svc = slack_services(db, slack)
    channel = slack.add_channel("pos-travel")
    row = queue_post(db, channel, key="ev9:1")
    assert isinstance(outbox.claim_head(db, row.channel_key), outbox.Claim)
    expire_lease(db, row.id)
    handoff.deliver_channel(svc, row.channel_key)
    handoff.deliver_channel(svc, row.channel_key)
    (message,) = slack.messages(channel)
    assert message["text"] == "once"
    assert outbox_rows(db)[0].status == OutboxStatus.SENT


def test_recovery_waits_when_history_is_rate_limited(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The check itself is rate limited: the post stays in doubt and is checked again later,
    never sent blindly (which would post it twice)."""
    svc = slack_services(db, slack)
    channel = slack.add_channel("pos-travel")
    row = queue_post(db, channel, key="ev9:2")
    assert isinstance(outbox.claim_head(db, row.channel_key), outbox.Claim)
    posted = svc.senders[Platform.SLACK].send(Post(text="once"), Destination(channel), key="ev9:2")
    expire_lease(db, row.id)
    slack.fail_next("conversations.history", 429, headers={"Retry-After": "1"})
    wait = svc.deliverer.drain(row.channel_key)
    assert wait is not None and wait > 0  # due again after the Retry-After
    assert len(slack.messages(channel)) == 1
    expire_lease(db, row.id)  # time passes: whatever it waits for is due
    assert svc.deliverer.drain(row.channel_key) is None
    assert len(slack.messages(channel)) == 1
    (done,) = outbox_rows(db)
    assert (done.status, done.sent_message_id) == (OutboxStatus.SENT, posted.message_id)


def test_end_to_end_through_rq(db, slack, redis_conn) -> None:  # type: ignore[no-untyped-def]
    """With Redis: the request only stores and queues; an RQ worker routes and posts."""
    queue = RQJobQueue(redis_conn)
    with running(slack_services(db, slack, queue=queue)) as client:
        d = SlackDialogue(client, slack)
        said = d.say("flights to lisbon in march?")
        assert said.response.status_code == 200
        assert stored_events(db) == 1 and slack.calls("chat.postMessage") == []
        worker = SimpleWorker([queue.queue], connection=redis_conn, serializer=JSONSerializer)
        worker.work(burst=True)
    (reply,) = d.posts(said.channel)
    assert reply["thread_ts"] == said.ref and "travel" in reply["text"]
    assert len(slack.messages("pos-travel")) == 2
    assert all(r.status == OutboxStatus.SENT for r in outbox_rows(db))


def queue_post(db, channel: str, *, key: str) -> OutboxRow:  # type: ignore[no-untyped-def]
    target = Target(platform=Platform.SLACK, channel=channel)
    with db.session() as s:
        return outbox.add_post(s, key=key, target=target, post=Post(text="once"))


def expire_lease(db, row_id: int) -> None:  # type: ignore[no-untyped-def]
    """The row's lease (and any wait) ran out."""
    past = utcnow() - timedelta(seconds=1)
    with db.session() as s:
        s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == row_id)
            .values(lease_until=past, next_attempt_at=past)
        )
