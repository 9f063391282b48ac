"""Export round trip: what is written reads back as the same content."""

from __future__ import annotations

import json

from domains import store
from domains.status_doc import parse_status_markdown
from jobs import tasks
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.export import export_all
from orchestrator.ingest import store_events
from orchestrator.models import LogEvent
from tests.helpers import make_services
from tests.recording_sender import RecordingSender


def test_export_round_trip(db, tmp_path):
    """Status lines in a domain channel, exported, read back equal; events as JSONL."""
    svc = make_services(
        db, senders={Platform.SLACK: RecordingSender()}, PARALLELOS_OPERATORS="slack:U1"
    )
    svc.directory.remember(Platform.SLACK, "travel", "CTRAVEL", None, "pos-travel")
    text = (
        "Phase: Planning\nNext: book hotel; renew passport\nKPI budget: $2k\nHeadline: yellow visa"
    )
    event = InboundEvent(
        platform=Platform.SLACK,
        external_id="E1",
        kind=EventKind.MESSAGE,
        user="U1",
        channel="CTRAVEL",
        text=text,
        message_ref="1.1",
    )
    (event_id,) = store_events(db, [event])
    tasks.process_event(event_id)

    counts = export_all(db, svc.features, tmp_path / "out")

    with db.session() as s:
        doc = store.load_doc(s, "travel")
        n_events = s.query(LogEvent).count()
    back = parse_status_markdown((tmp_path / "out/status/travel.md").read_text())
    assert back.model_dump(exclude={"updated_at"}) == doc.model_dump(exclude={"updated_at"})
    assert back.phase == "Planning" and back.kpis == {"budget": "$2k"}
    lines = (tmp_path / "out/events.jsonl").read_text().splitlines()
    assert len(lines) == n_events == counts["events"]
    kinds = [json.loads(line)["kind"] for line in lines]
    assert kinds.count("status.changed") == 4
    assert "Travel" in (tmp_path / "out/board.md").read_text()
