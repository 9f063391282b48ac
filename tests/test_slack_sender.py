"""SlackSender against the fake Web API: posts, edits, answers, recovery and channels."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select, update

from bot import slack_channels
from bot.slack_sender import EVENT_TYPE, SlackSender
from orchestrator import outbox
from orchestrator.canonical import Button, Platform, Post, SentRef, Target
from orchestrator.db import Database, utcnow
from orchestrator.models import OutboxRow, OutboxStatus
from orchestrator.outbound import UNKNOWN, Destination, PermanentFailure, RetryLater
from tests.helpers import make_services, make_settings
from tests.slack_support import HOOK, OPERATOR, TOKEN, FakeSlackHooks


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def sender_for(slack: FakeSlackHooks, *, token: str = TOKEN, **env: str) -> SlackSender:
    env.setdefault("PARALLELOS_OPERATORS", f"slack:{OPERATOR}")
    settings = make_settings(SLACK_BOT_TOKEN=token, SLACK_API_URL=slack.url, **env)
    return SlackSender(settings)


def an_hour_ago() -> datetime:
    return datetime.now(UTC) - timedelta(hours=1)


def test_send_posts_blocks_with_the_key_in_metadata(slack: FakeSlackHooks) -> None:
    """chat.postMessage carries the rendered blocks, a fallback text and the outbox key."""
    channel = slack.add_channel("pos-travel")
    post = Post(text="Noted.", buttons=[Button(label="Approve", action="approve", value="7")])
    ref = sender_for(slack).send(post, Destination(channel), key="ev1:0")
    (message,) = slack.messages(channel)
    assert ref == SentRef(channel=channel, message_id=message["ts"], thread=None)
    assert message["text"] == "Noted."
    assert message["metadata"] == {"event_type": EVENT_TYPE, "event_payload": {"key": "ev1:0"}}
    assert message["blocks"][-1]["elements"][0]["action_id"] == "approve:7"


def test_send_in_a_thread_returns_the_thread(slack: FakeSlackHooks) -> None:
    """A threaded post goes under its parent and reports the thread."""
    channel = slack.add_channel("pos-travel")
    parent = slack.add_message(channel, "question", user=OPERATOR)
    ref = sender_for(slack).send(Post(text="answer"), Destination(channel, thread=parent), key="k")
    assert ref.thread == parent and slack.messages(channel)[-1]["thread_ts"] == parent


def test_rate_limit_becomes_retry_later_with_retry_after(slack: FakeSlackHooks) -> None:
    """429 with Retry-After: 7 becomes RetryLater(7), nothing posted."""
    channel = slack.add_channel("pos-travel")
    slack.fail_next("chat.postMessage", 429, headers={"Retry-After": "7"})
    with pytest.raises(RetryLater) as caught:
        sender_for(slack).send(Post(text="hi"), Destination(channel), key="k")
    assert caught.value.seconds == 7.0
    assert slack.messages(channel) == []


def test_not_in_channel_joins_and_posts_once(slack: FakeSlackHooks) -> None:
    """not_in_channel: the bot joins and posts once."""
    channel = slack.add_channel("pos-travel", is_member=False)
    sender_for(slack).send(Post(text="hi"), Destination(channel), key="k")
    assert [c.method for c in slack.calls() if c.method != "auth.test"] == [
        "chat.postMessage",
        "conversations.join",
        "chat.postMessage",
    ]
    assert len(slack.messages(channel)) == 1


@pytest.mark.parametrize("error", ["channel_not_found", "is_archived", "invalid_blocks"])
def test_refusals_are_permanent_failures(slack: FakeSlackHooks, error: str) -> None:
    """channel_not_found, is_archived, invalid_blocks are not retried."""
    slack.fail_next("chat.postMessage", error=error)
    with pytest.raises(PermanentFailure, match=error):
        sender_for(slack).send(Post(text="hi"), Destination("C1"), key="k")


def test_a_bad_token_is_permanent_and_never_shown(slack: FakeSlackHooks) -> None:
    """invalid_auth is not retried, and the token appears in no message."""
    slack.token = TOKEN
    wrong = "xoxb-wrong-secret-token"
    with pytest.raises(PermanentFailure) as caught:
        sender_for(slack, token=wrong).send(Post(text="hi"), Destination("C1"), key="k")
    assert "invalid_auth" in str(caught.value) and wrong not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_slack_unreachable_is_retried_later() -> None:
    """A refused connection: RetryLater, nothing to confirm."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = make_settings(SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=f"http://127.0.0.1:{port}/api/")
    with pytest.raises(RetryLater):
        SlackSender(settings).send(Post(text="hi"), Destination("C1"), key="k")


def test_a_lost_answer_is_confirmed_from_history(slack: FakeSlackHooks) -> None:
    """The post landed but the answer timed out: found by its key, not posted again."""
    channel = slack.add_channel("pos-travel")
    sender = sender_for(slack)
    sender.client = WebClient(token=TOKEN, base_url=slack.url, timeout=0.3, retry_handlers=[])
    slack.set_delay("chat.postMessage", 1.0)
    ref = sender.send(Post(text="once"), Destination(channel), key="ev5:0")
    (message,) = slack.messages(channel)
    assert ref.message_id == message["ts"]


def test_a_post_landing_after_the_timeout_is_not_posted_twice(
    db: Database, slack: FakeSlackHooks
) -> None:
    """Slack keeps chat.postMessage past the client timeout and the post lands late: the
    outbox leaves it in doubt, looks again later, finds it, and never sends a second copy."""
    channel = slack.add_channel("pos-travel")
    sender = sender_for(slack)
    sender.client = WebClient(token=TOKEN, base_url=slack.url, timeout=0.3, retry_handlers=[])
    svc = make_services(db, senders={Platform.SLACK: sender})
    target = Target(platform=Platform.SLACK, channel=channel)
    with db.session() as s:
        outbox.add_post(s, key="ev9:0", target=target, post=Post(text="once"))
    slack.hold_next("chat.postMessage", 1.0)  # lands, and answers, 1 s after it was sent

    assert svc.deliverer.drain(target.channel_key()) is not None  # timed out: look again later
    slack.wait_for("chat.postMessage")  # the slow post has landed now
    with db.session() as s:  # the time to look again has come
        soon = utcnow() - timedelta(seconds=1)
        s.execute(update(OutboxRow).values(lease_until=soon, next_attempt_at=soon))
    svc.deliverer.drain(target.channel_key())

    (message,) = slack.messages(channel)
    with db.session() as s:
        row = s.scalars(select(OutboxRow)).one()
        assert (row.status, row.sent_message_id) == (OutboxStatus.SENT, message["ts"])


def test_edit_updates_the_message(slack: FakeSlackHooks) -> None:
    """edit is chat.update of the same message."""
    channel = slack.add_channel("pos-travel")
    sender = sender_for(slack)
    ref = sender.send(Post(text="pending"), Destination(channel), key="k")
    assert sender.edit(Post(text="approved by U1"), ref) == ref
    assert slack.messages(channel)[0]["text"] == "approved by U1"


def test_answer_goes_to_the_response_url_ephemerally(slack: FakeSlackHooks) -> None:
    """A private answer goes to the response_url: ephemeral, original kept."""
    url = slack.hook_url("c1")
    sender_for(slack).answer(Post(text="only you"), url, OPERATOR, Destination("C1", thread=url))
    call = slack.last(HOOK)
    assert call.params["response_type"] == "ephemeral"
    assert call.params["replace_original"] is False
    assert call.params["text"] == "only you"


def test_an_expired_response_url_falls_back_to_post_ephemeral(slack: FakeSlackHooks) -> None:
    """An expired response_url (404): chat.postEphemeral instead."""
    channel = slack.add_channel("pos-travel")
    slack.fail_next(HOOK, 404, body={"ok": False, "error": "expired_url"})
    url = slack.hook_url("old")
    sender_for(slack).answer(Post(text="only you"), url, OPERATOR, Destination(channel, thread=url))
    (ephemeral,) = slack.ephemerals()
    assert (ephemeral["user"], ephemeral["text"], ephemeral["thread_ts"]) == (
        OPERATOR,
        "only you",
        None,
    )


def test_find_sent_finds_the_key_in_recent_history(slack: FakeSlackHooks) -> None:
    """find_sent returns the post carrying the key, None for a key not there."""
    channel = slack.add_channel("pos-travel")
    sender = sender_for(slack)
    ref = sender.send(Post(text="x"), Destination(channel), key="ev1:1")
    slack.add_message(channel, "later chatter", user=OPERATOR)
    found = sender.find_sent(Destination(channel), key="ev1:1", since=an_hour_ago())
    assert found == ref
    assert sender.find_sent(Destination(channel), key="ev1:2", since=an_hour_ago()) is None


def test_find_sent_looks_inside_the_thread(slack: FakeSlackHooks) -> None:
    """For a threaded post, find_sent reads the thread's replies."""
    channel = slack.add_channel("pos-travel")
    parent = slack.add_message(channel, "q", user=OPERATOR)
    sender = sender_for(slack)
    dest = Destination(channel, thread=parent)
    ref = sender.send(Post(text="a"), dest, key="ev2:0")
    assert sender.find_sent(dest, key="ev2:0", since=an_hour_ago()) == ref


def test_find_sent_is_unknown_when_history_is_unreadable(slack: FakeSlackHooks) -> None:
    """Without history access find_sent says UNKNOWN, never None."""
    slack.fail_next("conversations.history", error="missing_scope")
    found = sender_for(slack).find_sent(Destination("C1"), key="k", since=an_hour_ago())
    assert found is UNKNOWN


def test_ensure_channel_creates_the_channel_and_invites_operators(slack: FakeSlackHooks) -> None:
    """Missing: conversations.create, then every Slack operator invited."""
    other = slack.add_user("dana")
    sender = sender_for(slack, PARALLELOS_OPERATORS=f"slack:{OPERATOR},slack:{other},telegram:9")
    channel, thread = sender.ensure_channel(domain="travel", name="pos-travel")
    assert thread is None and slack.channel_id("pos-travel") == channel
    assert [c.method for c in slack.calls("conversations.create")] == ["conversations.create"]
    assert {OPERATOR, other} <= set(slack.channel(channel)["members"])


def test_ensure_channel_finds_an_existing_channel_on_a_later_page(
    slack: FakeSlackHooks, monkeypatch: pytest.MonkeyPatch
) -> None:
    """conversations.list is read page by page; a channel the bot is not in is joined."""
    monkeypatch.setattr(slack_channels, "LIST_PAGE", 2)
    for name in ("general", "random", "pos-career", "pos-finance"):
        slack.add_channel(name)
    existing = slack.add_channel("pos-travel", is_member=False, members=(OPERATOR,))
    channel, _ = sender_for(slack).ensure_channel(domain="travel", name="pos-travel")
    assert channel == existing
    assert len(slack.calls("conversations.list")) == 3
    assert slack.calls("conversations.create") == []
    assert len(slack.calls("conversations.join")) == 1


def test_ensure_channel_refuses_an_archived_namesake(slack: FakeSlackHooks) -> None:
    """An archived channel of the name is not reused (clear failure)."""
    slack.add_channel("pos-travel", is_archived=True)
    with pytest.raises(PermanentFailure, match="archived"):
        sender_for(slack).ensure_channel(domain="travel", name="pos-travel")
