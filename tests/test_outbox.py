"""Outbox delivery: order per channel, retries with backoff, never twice."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import update

from orchestrator import outbox
from orchestrator.canonical import Platform, Post, Target
from orchestrator.db import utcnow
from orchestrator.models import OutboxRow
from orchestrator.statuses import OutboxStatus
from tests.helpers import make_services
from tests.recording_sender import RecordingSender, rate_limited, refused

TARGET = Target(platform=Platform.SLACK, channel="C1")


def setup(db, sender=None):
    sender = sender or RecordingSender()
    svc = make_services(db, senders={Platform.SLACK: sender})
    return svc, sender


def queue_posts(db, n: int, target: Target = TARGET) -> list[int]:
    with db.session() as s:
        return [
            outbox.add_post(s, key=f"k{i}", target=target, post=Post(text=f"p{i}")).id
            for i in range(n)
        ]


def statuses(db) -> list[str]:
    with db.session() as s:
        return [r.status for r in s.query(OutboxRow).order_by(OutboxRow.id)]


def test_posts_are_delivered_in_order(db):
    svc, sender = setup(db)
    queue_posts(db, 5)
    assert svc.deliverer.drain(TARGET.channel_key()) is None
    assert [s.post.text for s in sender.sent] == ["p0", "p1", "p2", "p3", "p4"]
    assert statuses(db) == ["sent"] * 5


def test_rate_limit_holds_the_channel_and_keeps_order(db):
    """429 with Retry-After: the head waits, nothing behind it overtakes, then all go once."""
    svc, sender = setup(db, RecordingSender(failures=[rate_limited(30)]))
    queue_posts(db, 3)
    wait = svc.deliverer.drain(TARGET.channel_key())
    assert wait is not None and 25 < wait <= 31
    assert sender.sent == [] and statuses(db) == ["pending"] * 3
    with db.session() as s:  # time passes
        s.execute(update(OutboxRow).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert svc.deliverer.drain(TARGET.channel_key()) is None
    assert [s.post.text for s in sender.sent] == ["p0", "p1", "p2"]


def test_permanent_failure_is_recorded_and_does_not_block(db):
    svc, sender = setup(db, RecordingSender(failures=[refused()]))
    queue_posts(db, 2)
    svc.deliverer.drain(TARGET.channel_key())
    assert statuses(db) == ["failed", "sent"]


def test_gives_up_after_max_attempts(db):
    svc, sender = setup(db, RecordingSender(failures=[rate_limited(0)] * 20))
    queue_posts(db, 1)
    for _ in range(10):
        with db.session() as s:
            s.execute(update(OutboxRow).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
        svc.deliverer.drain(TARGET.channel_key())
    assert statuses(db) == ["failed"]


def test_a_second_worker_does_not_overtake_a_post_being_sent(db):
    """While one worker holds the head (leased), another finds the channel busy."""
    svc, sender = setup(db)
    queue_posts(db, 2)
    claim = outbox.claim_head(db, TARGET.channel_key())
    assert isinstance(claim, outbox.Claim)
    assert isinstance(outbox.claim_head(db, TARGET.channel_key()), outbox.Busy)


def test_crash_after_the_platform_answered_is_not_posted_twice(db):
    """A worker died between the platform's answer and the commit: recovery finds the post."""
    svc, sender = setup(db)
    queue_posts(db, 1)
    claim = outbox.claim_head(db, TARGET.channel_key())
    sender.send(Post(text="p0"), svc.directory.resolve(TARGET), key=claim.row.key)  # then dies
    with db.session() as s:
        s.execute(update(OutboxRow).values(lease_until=utcnow() - timedelta(seconds=1)))
    svc.deliverer.drain(TARGET.channel_key())
    assert len(sender.sent) == 1 and statuses(db) == ["sent"]


def test_crash_before_the_platform_answered_is_sent_on_recovery(db):
    svc, sender = setup(db)
    queue_posts(db, 1)
    outbox.claim_head(db, TARGET.channel_key())  # claimed, then the worker died
    with db.session() as s:
        s.execute(update(OutboxRow).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert outbox.due_channels(db) == [TARGET.channel_key()]
    svc.deliverer.drain(TARGET.channel_key())
    assert len(sender.sent) == 1 and statuses(db) == [OutboxStatus.SENT]


def test_reply_waits_for_its_parent_without_using_attempts(db):
    svc, sender = setup(db, RecordingSender(failures=[rate_limited(5)]))
    other = Target(platform=Platform.SLACK, channel="C2")
    (parent,) = queue_posts(db, 1)
    with db.session() as s:
        child = outbox.add_post(
            s,
            key="child",
            target=other.model_copy(update={"reply_to_post": parent}),
            post=Post(text="child"),
        )
    svc.deliverer.drain(other.channel_key())
    with db.session() as s:
        row = s.get(OutboxRow, child.id)
        assert row.status == "pending" and row.attempts == 0


def test_a_failing_recovery_check_never_sends_blindly(db):
    """find_sent itself fails (network): the post stays in doubt and is not sent again."""
    svc, sender = setup(db)
    queue_posts(db, 1)
    outbox.claim_head(db, TARGET.channel_key())  # the worker died mid-send
    with db.session() as s:
        s.execute(update(OutboxRow).values(lease_until=utcnow() - timedelta(seconds=1)))

    def broken(*args, **kwargs):
        raise ConnectionError("history unreachable")

    sender.find_sent = broken  # type: ignore[method-assign]
    svc.deliverer.drain(TARGET.channel_key())
    assert sender.sent == [] and statuses(db) == ["sending"]


def test_a_click_answer_does_not_wait_behind_the_chats_posts(db):
    """A rate-limited post holds its channel; the private answer to a click still goes."""
    from orchestrator.canonical import EventKind, InboundEvent
    from orchestrator.posting import PostBatch

    svc, sender = setup(db, RecordingSender(failures=[rate_limited(30)]))
    queue_posts(db, 1)
    svc.deliverer.drain(TARGET.channel_key())  # the head is now waiting 30 s
    click = InboundEvent(
        platform=Platform.SLACK,
        external_id="A1",
        kind=EventKind.ACTION,
        user="U1",
        channel="C1",
        action_callback_ref="https://hooks/x",
    )
    with db.session() as s:
        row = PostBatch(s, "ev1").answer(click, Post(text="done"))
        key = row.channel_key
    assert key != TARGET.channel_key()
    svc.deliverer.drain(key)
    assert [a[2].text for a in sender.answers] == ["done"] and sender.sent == []


def test_an_answer_in_doubt_after_a_crash_is_not_shown_twice(db):
    """A worker died while answering a click: the answer is not sent again."""
    from orchestrator.canonical import EventKind, InboundEvent
    from orchestrator.posting import PostBatch

    svc, sender = setup(db)
    click = InboundEvent(
        platform=Platform.SLACK,
        external_id="A1",
        kind=EventKind.ACTION,
        user="U1",
        channel="C1",
        action_callback_ref="https://hooks/x",
    )
    with db.session() as s:
        key = PostBatch(s, "ev1").answer(click, Post(text="done")).channel_key
    outbox.claim_head(db, key)  # claimed, then the worker died mid-answer
    with db.session() as s:
        s.execute(update(OutboxRow).values(lease_until=utcnow() - timedelta(seconds=1)))
    svc.deliverer.drain(key)
    assert sender.answers == [] and statuses(db) == ["sent"]


def _dead_pid() -> int:
    """The pid of a process on this machine that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_post_held_by_a_dead_worker_on_this_machine_is_taken_over_before_its_lease(db):
    """The worker that claimed the head died: its lease still runs, yet the channel resumes now
    (the reconciler lists it, the next drain recovers and sends it once)."""
    svc, sender = setup(db)
    queue_posts(db, 2)
    outbox.claim_head(db, TARGET.channel_key())
    dead = f"{outbox.HOST}:{_dead_pid()}:{'0' * 32}"
    with db.session() as s:
        s.execute(update(OutboxRow).where(OutboxRow.status == "sending").values(claim=dead))
    assert outbox.due_channels(db) == [TARGET.channel_key()]
    assert svc.deliverer.drain(TARGET.channel_key()) is None
    assert [s.post.text for s in sender.sent] == ["p0", "p1"] and statuses(db) == ["sent"] * 2


def test_a_live_or_remote_workers_claim_still_holds_the_channel(db):
    """A claim from this live process, or from another machine, waits for its lease."""
    queue_posts(db, 1)
    outbox.claim_head(db, TARGET.channel_key())
    assert isinstance(outbox.claim_head(db, TARGET.channel_key()), outbox.Busy)
    remote = f"elsewhere:{_dead_pid()}:{'0' * 32}"
    with db.session() as s:
        s.execute(update(OutboxRow).values(claim=remote))
    assert isinstance(outbox.claim_head(db, TARGET.channel_key()), outbox.Busy)
    assert outbox.due_channels(db) == []


def attempts(db) -> list[int]:
    with db.session() as s:
        return [r.attempts for r in s.query(OutboxRow).order_by(OutboxRow.id)]


def test_a_batch_stops_at_a_post_that_must_wait_and_gives_back_the_rest_unsent(db):
    """Claimed together, p1 is rate-limited: p2..p4 go back pending, no attempt used, and
    nothing overtakes p1; later all go once, in order."""
    svc, sender = setup(db, RecordingSender())
    queue_posts(db, 5)
    real_send = sender.send

    def second_is_limited(post, dest, *, key):
        if key == "k1" and not any(s.key == "k1" for s in sender.sent):
            sender.send = real_send  # type: ignore[method-assign]
            raise rate_limited(30)
        return real_send(post, dest, key=key)

    sender.send = second_is_limited  # type: ignore[method-assign]
    wait = svc.deliverer.drain(TARGET.channel_key())
    assert wait is not None and 25 < wait <= 31
    assert [s.post.text for s in sender.sent] == ["p0"]
    assert statuses(db) == ["sent", "pending", "pending", "pending", "pending"]
    assert attempts(db) == [1, 1, 0, 0, 0]
    with db.session() as s:  # time passes
        s.execute(update(OutboxRow).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    assert svc.deliverer.drain(TARGET.channel_key()) is None
    assert [s.post.text for s in sender.sent] == ["p0", "p1", "p2", "p3", "p4"]
    assert statuses(db) == ["sent"] * 5


def test_a_reply_to_a_post_of_the_same_batch_is_threaded_under_it(db):
    """The mirror and the answer under it are claimed together: the answer threads on the
    mirror's message, known before the batch's outcomes are committed."""
    svc, sender = setup(db)
    with db.session() as s:
        parent = outbox.add_post(s, key="mirror", target=TARGET, post=Post(text="mirror"))
        outbox.add_post(
            s,
            key="answer",
            target=TARGET.model_copy(update={"reply_to_post": parent.id}),
            post=Post(text="answer"),
        )
    assert svc.deliverer.drain(TARGET.channel_key()) is None
    mirror, answer = sender.sent
    assert answer.dest.thread == mirror.ref.message_id
    assert statuses(db) == ["sent", "sent"]


def test_a_worker_that_died_mid_batch_leaves_each_claimed_post_to_recovery(db):
    """Three posts claimed together, the first sent, then the worker died: recovery finds the
    first (not sent again) and sends the other two once."""
    svc, sender = setup(db)
    queue_posts(db, 3)
    claims = outbox.claim_heads(db, TARGET.channel_key(), limit=10)
    assert isinstance(claims, list) and len(claims) == 3
    assert statuses(db) == ["sending"] * 3
    first = claims[0]
    sender.send(Post(text="p0"), svc.directory.resolve(TARGET), key=first.row.key)  # then dies
    with db.session() as s:
        s.execute(update(OutboxRow).values(lease_until=utcnow() - timedelta(seconds=1)))
    assert svc.deliverer.drain(TARGET.channel_key()) is None
    assert [s.post.text for s in sender.sent] == ["p0", "p1", "p2"]
    assert statuses(db) == ["sent"] * 3
