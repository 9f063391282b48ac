"""Status lines in a domain's channel, and the board/status commands, through the pipeline."""

from __future__ import annotations

from domains import store
from jobs import tasks
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.ingest import store_events
from orchestrator.models import LogEvent
from tests.helpers import make_services
from tests.recording_sender import RecordingSender


def setup(db):
    sender = RecordingSender()
    svc = make_services(db, senders={Platform.SLACK: sender}, PARALLELOS_OPERATORS="slack:U1")
    svc.directory.remember(Platform.SLACK, "travel", "CTRAVEL", None, "pos-travel")
    return svc, sender


def send(
    db,
    text: str,
    ident: str,
    *,
    channel: str = "CTRAVEL",
    kind=EventKind.MESSAGE,
    command: str | None = None,
) -> None:
    event = InboundEvent(
        platform=Platform.SLACK,
        external_id=ident,
        kind=kind,
        user="U1",
        channel=channel,
        text=text,
        message_ref=f"{ident}.1",
        command=command,
        is_direct=channel.startswith("D"),
    )
    (event_id,) = store_events(db, [event])
    tasks.process_event(event_id)


def test_status_lines_update_the_doc_and_confirm_in_thread(db):
    svc, sender = setup(db)
    send(db, "phase: Booking\nBLOCKER: visa pending\nheadline: red stuck on visa", "E1")
    reply = sender.sent[-1]
    assert reply.dest.thread == "E1.1"
    assert "travel" in reply.post.text and "Booking" in reply.post.text
    with db.session() as s:
        doc = store.load_doc(s, "travel")
        changes = s.query(LogEvent).filter_by(kind="status.changed", domain="travel").all()
    assert (doc.phase, doc.blockers, doc.headline_color) == ("Booking", ["visa pending"], "red")
    assert {c.subject for c in changes} == {"phase", "blockers", "headline"}
    assert all(c.source_event_id for c in changes)


def test_a_malformed_line_changes_nothing(db):
    svc, sender = setup(db)
    send(db, "Phase: Booking\nHeadline: purple all good", "E1")
    assert "green, yellow or red" in sender.sent[-1].post.text
    with db.session() as s:
        assert store.load_doc(s, "travel").phase == ""


def test_blocker_none_clears(db):
    svc, sender = setup(db)
    send(db, "Blocker: a\nBlocker: b", "E1")
    send(db, "Blocker: none", "E2")
    with db.session() as s:
        assert store.load_doc(s, "travel").blockers == []


def test_status_and_board_commands(db):
    svc, sender = setup(db)
    send(db, "Phase: Booking\nNext: hotel; insurance\nHeadline: green on track", "E1")
    send(db, "travel", "C1", channel="D1", kind=EventKind.COMMAND, command="status")
    status = sender.sent[-1].post
    labels = [s.label for s in status.sections]
    assert labels == [
        "Current phase",
        "Active sprint",
        "Latest decision",
        "Top 3 next steps",
        "Blockers",
        "KPIs",
        "Headline",
        "Update protocol",
    ]
    assert "Booking" in status.sections[0].value
    send(db, "", "C2", channel="D1", kind=EventKind.COMMAND, command="board")
    board = sender.sent[-1].post
    assert "on track" in str(board.model_dump()) and "hotel" in str(board.model_dump())


def test_unknown_domain_in_status_command(db):
    svc, sender = setup(db)
    send(db, "narnia", "C1", channel="D1", kind=EventKind.COMMAND, command="status")
    assert "not a domain" in sender.sent[-1].post.text


def test_status_lines_in_a_direct_message_that_names_the_domain(db):
    """Without a domain channel (Telegram with no group), `#travel` then status lines works."""
    svc, sender = setup(db)
    send(db, "#travel\nPhase: Booking", "E1", channel="D1")
    send(db, "Phase: Ignored", "E2", channel="D1")  # not addressed: routed, kept as a note
    with db.session() as s:
        assert store.load_doc(s, "travel").phase == "Booking"


def test_status_history_shows_who_changed_what(db):
    svc, sender = setup(db)
    send(db, "Phase: Planning", "E1")
    send(db, "Phase: Booking", "E2")
    send(db, "travel history", "C1", channel="D1", kind=EventKind.COMMAND, command="status")
    text = sender.sent[-1].post.text
    assert text.index("Planning → Booking") < text.index("— → Planning")
    assert "slack:U1" in text
