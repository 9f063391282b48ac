"""The spine without a platform: durable ingest, routing, outbox delivery, exactly once."""

from __future__ import annotations

from sqlalchemy import func, select

from jobs import tasks
from jobs.reconcile import reconcile
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.ingest import store_events
from orchestrator.models import InboundEventRow, LogEvent, OutboxRow
from orchestrator.statuses import EventStatus
from tests.helpers import make_services
from tests.recording_sender import RecordingSender


def dm(text: str, ident: str = "Ev1", user: str = "U1") -> InboundEvent:
    return InboundEvent(
        platform=Platform.SLACK,
        external_id=ident,
        kind=EventKind.MESSAGE,
        user=user,
        channel="D1",
        text=text,
        message_ref="100.1",
        is_direct=True,
    )


def services(db, sender=None, **env):
    sender = sender or RecordingSender()
    env.setdefault("PARALLELOS_OPERATORS", "slack:U1")
    return make_services(db, senders={Platform.SLACK: sender}, **env), sender


def test_dm_is_routed_answered_in_thread_and_mirrored_in_domain_channel(db):
    """A DM about flights gets a threaded answer naming travel and appears in pos-travel."""
    svc, sender = services(db)
    (event_id,) = store_events(db, [dm("flights to lisbon in march?")])
    tasks.process_event(event_id)
    reply = sender.in_channel("D1")
    assert len(reply) == 1 and reply[0].dest.thread == "100.1"
    assert reply[0].post.title == "→ travel · copy in #pos-travel"  # the domain, the copy
    assert "Noted for *travel*" in reply[0].post.text  # the answer itself, where it was asked
    mirrored = sender.in_channel("CPOS-TRAVEL")
    assert [m.post.text.endswith("flights to lisbon in march?") for m in mirrored] == [True, False]
    assert mirrored[1].post.text == reply[0].post.text  # the copy of the answer
    assert mirrored[1].dest.thread == mirrored[0].ref.message_id  # the answer under the message


def test_duplicate_deliveries_are_stored_once(db):
    """The same platform event id three times: one row, processed once, posted once."""
    svc, sender = services(db)
    ids = store_events(db, [dm("flights?"), dm("flights?")]) + store_events(db, [dm("flights?")])
    assert [i is not None for i in ids] == [True, False, False]
    for _ in range(3):
        tasks.process_event(ids[0])
    assert len(sender.in_channel("D1")) == 1


def test_processing_twice_adds_nothing(db):
    """A job re-run after it finished (redelivery, reconciler) changes nothing."""
    svc, sender = services(db)
    (event_id,) = store_events(db, [dm("book a hotel in porto")])
    tasks.process_event(event_id)
    with db.session() as s:
        s.execute(InboundEventRow.__table__.update().values(status=EventStatus.RECEIVED))
    tasks.process_event(event_id)  # rolls back on the duplicate outbox keys or the status guard
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(OutboxRow)) == 3


def test_out_of_scope_is_declined_and_nothing_dispatched(db):
    svc, sender = services(db)
    (event_id,) = store_events(db, [dm("should I buy tesla stock or put it all in bitcoin?")])
    tasks.process_event(event_id)
    assert len(sender.sent) == 1
    assert "investment" in sender.sent[0].post.text.lower()


def test_channel_message_not_addressed_to_bot_is_ignored(db):
    svc, sender = services(db)
    event = dm("random chatter").model_copy(update={"is_direct": False, "channel": "C9"})
    (event_id,) = store_events(db, [event])
    tasks.process_event(event_id)
    assert sender.sent == []


def test_reconciler_requeues_stored_but_unprocessed_events(db):
    """An event stored while the queue was down is processed by the reconciler."""
    svc, sender = services(db)
    (event_id,) = store_events(db, [dm("renew my passport")])
    result = reconcile(svc, grace=__import__("datetime").timedelta(0))
    assert result.events == 1
    assert len(sender.in_channel("D1")) == 1
    with db.session() as s:
        assert s.get(InboundEventRow, event_id).status == EventStatus.DONE
        assert s.scalar(select(func.count()).select_from(LogEvent)) >= 1


def test_a_message_in_the_hub_channel_is_routed(db):
    """pos-hub (or Telegram's General topic) is the bot's own room: its messages are routed."""
    svc, sender = services(db)
    svc.directory.remember(Platform.SLACK, "hub", "CHUB", None, "pos-hub")
    event = dm("flights to lisbon in march?").model_copy(
        update={"is_direct": False, "channel": "CHUB"}
    )
    (event_id,) = store_events(db, [event])
    tasks.process_event(event_id)
    assert "travel" in sender.in_channel("CHUB")[0].post.text
    assert len(sender.in_channel("CPOS-TRAVEL")) == 2


def test_a_removed_domains_slack_channel_answers_once_that_it_is_gone(db):
    """pos-garden stays in Slack after garden's charter file went: a line there gets one
    clear answer in its thread, and the event is done at its first attempt (no retry loop)."""
    svc, sender = services(db)
    svc.directory.remember(Platform.SLACK, "garden", "CGARDEN", None, "pos-garden")
    event = dm("Phase: harvest").model_copy(update={"is_direct": False, "channel": "CGARDEN"})
    (event_id,) = store_events(db, [event])
    tasks.process_event(event_id)
    (reply,) = sender.in_channel("CGARDEN")
    assert "*garden* domain no longer exists" in reply.post.text
    assert reply.dest.thread == "100.1"
    with db.session() as s:
        row = s.get(InboundEventRow, event_id)
        assert (row.status, row.attempts, row.error) == (EventStatus.DONE, 1, None)


def test_a_strangers_click_is_told_and_changes_nothing(db):
    """Someone outside PARALLELOS_USERS clicks a button: a private answer, nothing else."""
    from bot.intake import Intake

    svc, sender = services(db)
    click = InboundEvent(
        platform=Platform.SLACK,
        external_id="A1",
        kind=EventKind.ACTION,
        user="U9",
        channel="C1",
        action_id="approve",
        action_value="a123456789",
        action_callback_ref="https://hooks.example/response",
    )
    assert Intake(svc).accept(click) is not None
    assert sender.sent == [] and len(sender.answers) == 1
    assert "Only an operator" in sender.answers[0][2].text
    with db.session() as s:
        assert s.query(LogEvent).filter_by(kind="action.refused").count() == 1


def test_a_strangers_message_is_ignored(db):
    from bot.intake import Intake

    svc, sender = services(db)
    assert Intake(svc).accept(dm("flights?", user="U9")) is None
    assert sender.sent == []


def test_two_deliveries_racing_store_one_event(pg_db):
    """The same event stored by two requests at once: one row, one id, one None."""
    import threading

    barrier = threading.Barrier(2)
    results: list[list[int | None]] = []

    def deliver() -> None:
        barrier.wait()
        results.append(store_events(pg_db, [dm("flights?", ident="Race1")]))

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    ids = sorted((r[0] for r in results), key=lambda i: i is None)
    assert ids[0] is not None and ids[1] is None
    with pg_db.session() as s:
        assert s.query(InboundEventRow).count() == 1


def test_a_40000_letter_dm_is_stored_whole_routed_and_answered(db):
    """Issue 9: one 40,000-letter word ran the worker out of memory. Now the event finishes:
    the DM is answered (asked which domain) and the stored message is the whole text."""
    svc, sender = services(db)
    text = ("abcdefghijklmnopqrstuvwxyz" * 1540)[:40_000]
    (event_id,) = store_events(db, [dm(text)])
    tasks.process_event(event_id)
    (reply,) = sender.in_channel("D1")
    assert reply.dest.thread == "100.1" and reply.post.buttons  # which domain is it for?
    with db.session() as s:
        row = s.get(InboundEventRow, event_id)
        assert row.status == EventStatus.DONE and row.payload["text"] == text


def test_a_huge_dm_is_routed_on_its_start_and_mirrored_whole(db):
    """ "flights lisbon " and 450,000 `é` (903 KB) goes to travel, and the whole message is
    mirrored into pos-travel: only the routing reads a bounded prefix."""
    svc, sender = services(db)
    text = "flights lisbon " + "é" * 450_000
    (event_id,) = store_events(db, [dm(text)])
    tasks.process_event(event_id)
    (reply,) = sender.in_channel("D1")
    assert "travel" in reply.post.text
    assert sender.in_channel("CPOS-TRAVEL")[0].post.text.endswith(text)


def test_a_command_with_a_huge_argument_gets_a_short_answer(db):
    """`status` followed by a 40,000-letter word answers "not a domain" without echoing it all."""
    svc, sender = services(db)
    command = dm("x" * 40_000).model_copy(update={"kind": EventKind.COMMAND, "command": "status"})
    (event_id,) = store_events(db, [command])
    tasks.process_event(event_id)
    (reply,) = sender.in_channel("D1")
    assert "is not a domain" in reply.post.text and len(reply.post.text) < 1000
