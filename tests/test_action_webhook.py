"""Approved actions POSTed to ACTION_WEBHOOK_URL: signed, once, retried, reported, retryable."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, update

from domains.approvals import delivery as webhook_tasks
from domains.approvals import service as approvals
from domains.approvals import webhook as action_webhook
from domains.approvals.effect import BODY_FIELDS, host_of
from domains.approvals.models import ApprovalDecisionRow, ApprovalRow
from jobs import tasks
from jobs.queue import SyncJobQueue
from jobs.reconcile import reconcile
from orchestrator.db import utcnow
from orchestrator.statuses import DeliveryStatus
from tests.inbox_support import MEMBER, OPERATOR, OTHER_OPERATOR, TRAVEL, Chat, buttons, chat
from tests.slack_support import wait_until
from tests.webhook_receiver import SECRET, ActionReceiver, verified


@pytest.fixture
def receiver() -> Iterator[ActionReceiver]:
    with ActionReceiver() as fake:
        yield fake


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(webhook_tasks, "BACKOFF_BASE", 0.01)
    monkeypatch.setattr(webhook_tasks, "BACKOFF_CAP", 0.05)


def hooked(db, receiver: ActionReceiver, **env: Any) -> Chat:  # type: ignore[no-untyped-def]
    env.setdefault("ACTION_WEBHOOK_URL", receiver.url)
    env.setdefault("ACTION_WEBHOOK_SECRET", SECRET)
    return chat(db, **env)


def approve(c: Chat, user: str = OPERATOR) -> str:
    c.say("Propose: book the 9:40 flight to Lisbon")
    public_id = c.approval().public_id
    c.click("approve", public_id, user=user, channel=TRAVEL)
    return public_id


def card_edits(c: Chat) -> list:  # type: ignore[type-arg]
    card = c.posts_in(TRAVEL)[0]
    return c.edits_of(card)


def delivery(c: Chat) -> str:
    return c.approval().webhook_status


def test_an_approved_action_is_posted_once_signed_with_its_idempotency_key(db, receiver):
    """One POST: JSON body, Idempotency-Key = approval id, a signature the receiver verifies."""
    c = hooked(db, receiver)
    public_id = approve(c)
    (post,) = receiver.posts()
    body = verified(post)
    assert post.headers["idempotency-key"] == public_id
    assert post.headers["content-type"] == "application/json"
    assert {k: body[k] for k in ("approval_id", "domain", "action", "decided_by")} == {
        "approval_id": public_id, "domain": "travel",
        "action": "book the 9:40 flight to Lisbon", "decided_by": f"slack:{OPERATOR}",
    }  # fmt: skip
    assert body["decided_at"].endswith("Z")
    assert delivery(c) == DeliveryStatus.DELIVERED
    approved, sent = card_edits(c)
    assert "sending" in approved.fields[-1].value and sent.fields[-1].value.startswith("sent")
    c.click("approve", public_id, channel=TRAVEL)
    reconcile(c.svc)
    assert len(receiver.posts()) == 1
    assert [e.kind for e in c.events("approval.")][-1] == "approval.delivered"


def test_the_card_shows_the_exact_effect_and_then_every_result(db, receiver, fast_retries):
    """Pending: the latest decision, the webhook's host and the body's fields with their known
    values. Approved: each result edits the card in place — retrying after a 503, then sent
    with the receiver's status and the number of attempts."""
    receiver.fail_next(503, retry_after=0)
    c = hooked(db, receiver)
    c.say("Propose: book the 9:40 flight to Lisbon")
    public_id = c.approval().public_id
    pending = c.posts_in(TRAVEL)[0].post
    (effect,) = [f.value for f in pending.fields if f.label == "If approved"]
    assert "*travel*'s latest decision" in effect and f"`{host_of(receiver.url)}`" in effect
    for name in BODY_FIELDS:
        assert f'"{name}"' in effect
    assert f'"approval_id": "{public_id}"' in effect and f"{receiver.url}" not in effect
    c.click("approve", public_id, channel=TRAVEL)
    wait_until(lambda: delivery(c) == DeliveryStatus.DELIVERED, what="delivered")
    wait_until(lambda: len(card_edits(c)) == 3, what="three card edits")
    lines = [e.fields[-1].value for e in card_edits(c)]
    assert lines[0].startswith("sending to the action webhook at ")
    assert lines[1].startswith("attempt 1 got HTTP 503; sending again")
    assert (
        lines[2] == f"sent to the action webhook at {host_of(receiver.url)}: HTTP 200 (2 attempts)"
    )
    assert set(verified(receiver.posts()[-1])) == set(BODY_FIELDS)
    assert c.approval().webhook_result == "HTTP 200"


def test_without_a_webhook_the_card_says_nothing_is_sent(db):
    c = chat(db)
    c.say("Propose: book the 9:40 flight to Lisbon")
    (effect,) = [f.value for f in c.posts_in(TRAVEL)[0].post.fields if f.label == "If approved"]
    assert "Nothing is sent outside" in effect and "ACTION_WEBHOOK_URL" in effect


def test_a_wrong_secret_fails_verification(db, receiver):
    c = hooked(db, receiver, ACTION_WEBHOOK_SECRET="another-secret")
    approve(c)
    with pytest.raises(AssertionError, match="bad signature"):
        verified(receiver.posts()[0])


def test_a_passing_failure_is_retried_with_backoff(db, receiver, fast_retries):
    """503 then 200: a second POST under the same key; delivered; no failure reported."""
    receiver.fail_next(503, retry_after=0)
    c = hooked(db, receiver)
    public_id = approve(c)
    receiver.wait_for("action", count=2)
    wait_until(lambda: delivery(c) == DeliveryStatus.DELIVERED, what="delivered")
    first, second = receiver.posts()
    assert first.status == 503 and second.status == 200
    assert {p.headers["idempotency-key"] for p in (first, second)} == {public_id}
    verified(second)
    kinds = [e.kind for e in c.events("approval.deliver")]
    assert kinds == ["approval.delivery_retry", "approval.delivered"]


def test_a_final_failure_is_reported_and_an_operator_can_retry(db, receiver):
    """400 fails at once: the card says so with Retry; travel is told; Retry delivers."""
    receiver.fail_next(400)
    c = hooked(db, receiver)
    public_id = approve(c)
    assert delivery(c) == DeliveryStatus.FAILED and len(receiver.posts()) == 1
    failed = card_edits(c)[-1]
    assert failed.title.startswith("Approved, delivery failed")
    assert buttons(failed) == [f"approval_retry:{public_id}"]
    notice = c.posts_in(TRAVEL)[-1]
    assert notice.dest.thread is None and "could not be delivered" in notice.post.text
    c.click("approval_retry", public_id, user=MEMBER, channel=TRAVEL)
    assert delivery(c) == DeliveryStatus.FAILED and "operator" in c.answers_to(MEMBER)[0]
    c.click("approval_retry", public_id, channel=TRAVEL)
    assert delivery(c) == DeliveryStatus.DELIVERED and len(receiver.posts()) == 2
    assert card_edits(c)[-1].buttons == [] and card_edits(c)[-1].title.startswith("Approved")
    c.click("approval_retry", public_id, channel=TRAVEL)
    assert "not waiting for a retry" in c.answers_to(OPERATOR)[-1]


def test_retries_run_out(db, receiver, fast_retries, monkeypatch):
    """Every attempt 500: after MAX_ATTEMPTS the delivery fails and is reported once."""
    monkeypatch.setattr(webhook_tasks, "MAX_ATTEMPTS", 3)
    receiver.fail_next(500, times=3)
    c = hooked(db, receiver)
    approve(c)
    receiver.wait_for("action", count=3)
    wait_until(lambda: delivery(c) == DeliveryStatus.FAILED, what="failed")
    wait_until(lambda: any("not be delivered" in s.post.text for s in c.posts_in(TRAVEL)),
               what="the failure reported")  # fmt: skip
    assert [p.status for p in receiver.posts()] == [500, 500, 500]


def test_without_a_secret_nothing_is_sent_unsigned(db, receiver):
    c = hooked(db, receiver, ACTION_WEBHOOK_SECRET="")
    approve(c)
    assert receiver.posts() == [] and delivery(c) == DeliveryStatus.FAILED
    assert "ACTION_WEBHOOK_SECRET" in c.approval().webhook_error


class DroppingQueue(SyncJobQueue):
    """Redis is down for jobs: every enqueue fails (the events are already stored)."""

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        if name == "deliver_webhook":
            raise ConnectionError("redis is down")
        super().enqueue(name, job_id=job_id, delay=delay, **kwargs)


def test_the_reconciler_delivers_what_was_never_queued(db, receiver):
    """The job was lost: the approval waits in the database; the reconciler sends it once."""
    c = hooked(db, receiver, queue=DroppingQueue())
    approve(c)
    assert receiver.posts() == [] and delivery(c) == DeliveryStatus.PENDING
    c.svc.queue = SyncJobQueue()
    assert reconcile(c.svc).webhooks == 1
    assert len(receiver.posts()) == 1 and delivery(c) == DeliveryStatus.DELIVERED
    assert reconcile(c.svc).webhooks == 0 and len(receiver.posts()) == 1


def test_a_delivery_abandoned_mid_post_is_sent_again_under_the_same_key(db, receiver):
    """A worker died holding the lease: after it expires the POST is repeated, same key."""
    c = hooked(db, receiver)
    public_id = approve(c)
    with db.session() as s:
        s.execute(update(ApprovalRow).values(
            webhook_status=DeliveryStatus.SENDING.value, webhook_claim="dead-worker",
            webhook_lease_until=utcnow()))  # fmt: skip
    assert reconcile(c.svc).webhooks == 1
    assert [p.headers["idempotency-key"] for p in receiver.posts()] == [public_id] * 2


def test_two_workers_racing_on_the_same_click_decide_once(pg_db, receiver, monkeypatch):
    """Two operators' clicks processed at the same moment by two workers (PostgreSQL): both
    read "pending"; the unique decision row lets one through; one POST, one card edit."""
    c = hooked(pg_db, receiver)
    c.say("Propose: book the 9:40 flight to Lisbon")
    public_id = c.approval().public_id
    both_read = threading.Barrier(2, timeout=10)
    settle = approvals.settle

    def racing_settle(*args: Any, **kwargs: Any) -> bool:
        both_read.wait()  # neither has written yet
        return settle(*args, **kwargs)

    monkeypatch.setattr(approvals, "settle", racing_settle)
    ids = [_store_click(c, public_id, user) for user in (OPERATOR, OTHER_OPERATOR)]
    workers = [threading.Thread(target=tasks.process_event, args=(i,)) for i in ids]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert not any(w.is_alive() for w in workers)
    with pg_db.session() as s:
        assert s.scalar(select(func.count()).select_from(ApprovalDecisionRow)) == 1
    assert len(receiver.posts()) == 1 and len(card_edits(c)) == 2  # approved, then sent
    told = c.answers_to(OPERATOR) + c.answers_to(OTHER_OPERATOR)
    assert len(told) == 1 and told[0].startswith("Already approved")


def _store_click(c: Chat, public_id: str, user: str) -> int:
    from orchestrator.canonical import EventKind, InboundEvent, Platform
    from orchestrator.ingest import store_events

    event = InboundEvent(platform=Platform.SLACK, external_id=f"act:{user}:race",
                         kind=EventKind.ACTION, user=user, channel=TRAVEL, action_id="approve",
                         action_value=public_id, action_callback_ref="https://hooks.test/r",
                         action_message_ref=c.card_with(TRAVEL, "approve", public_id))  # fmt: skip
    (event_id,) = store_events(c.db, [event])
    assert event_id is not None
    return event_id


# -- the request itself -----------------------------------------------------------------------
def test_signature_and_headers():
    """sha256=HMAC(secret, raw body); the timestamp header equals the signed `sent_at`."""
    payload = action_webhook.ActionPayload("a123", "travel", "book", "slack:U1", utcnow())
    body, headers = action_webhook.request(payload, "s3cret", now=1_800_000_000)
    assert headers["X-ParallelOS-Timestamp"] == "1800000000" and b'"sent_at":1800000000' in body
    assert action_webhook.verify(body, headers["X-ParallelOS-Signature"], "s3cret")
    assert not action_webhook.verify(body + b" ", headers["X-ParallelOS-Signature"], "s3cret")
    assert headers["Idempotency-Key"] == "a123"


@pytest.mark.parametrize(
    ("status", "result"),
    [(200, "delivered"), (204, "delivered"), (429, "retry"), (408, "retry"), (500, "retry"),
     (503, "retry"), (400, "failed"), (401, "failed"), (404, "failed"), (410, "failed")],
)  # fmt: skip
def test_statuses_are_classified(status, result):
    assert action_webhook.classify(status).result == result


def test_retry_after_is_honoured():
    assert action_webhook.classify(429, "30").retry_after == 30.0
    assert action_webhook.classify(503, "Wed, 21 Oct 2015 07:28:00 GMT").retry_after is None


def test_the_delivery_job_runs_on_rq(db, receiver, redis_conn):
    """Through Redis: the approval's job (JSON-serialised ids) is run by an RQ worker."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from jobs.queue import RQJobQueue

    queue = RQJobQueue(redis_conn)
    c = hooked(db, receiver, queue=queue)
    approve(c)
    assert receiver.posts() == [] and delivery(c) == DeliveryStatus.PENDING
    worker = SimpleWorker([queue.queue], connection=redis_conn, serializer=JSONSerializer)
    worker.work(burst=True)
    assert len(receiver.posts()) == 1 and delivery(c) == DeliveryStatus.DELIVERED
