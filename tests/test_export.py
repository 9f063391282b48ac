"""Export round trip: what is written reads back as the same content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from domains import store
from domains.status_doc import StatusDoc, parse_status_markdown
from jobs import tasks
from orchestrator.canonical import EventKind, InboundEvent, Platform
from orchestrator.dashboard import dashboard
from orchestrator.db import utcnow
from orchestrator.export import export_all
from orchestrator.ingest import store_events
from orchestrator.models import LogEvent
from tests.helpers import make_services
from tests.inbox_support import chat
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


def test_cli_export_writes_every_part(db, tmp_path):
    """`parallelos export DIR` in a fresh process: docs, board (stale per charter), inbox,
    approvals and the event log (briefs included), each with the data in the database."""
    c = chat(db)
    c.say("Phase: Planning\nNext: book hotel; renew passport\nHeadline: yellow visa pending")
    c.say("Ask finance high: approve the hotel budget")
    c.say("Propose: book the 9:40 flight to Lisbon")
    c.command("brief", "weekly")
    eight_days_ago = utcnow() - timedelta(days=8)  # stale for wellness (7 days), not travel (14)
    with db.session() as s:
        travel = store.load_doc(s, "travel").model_copy(update={"updated_at": eight_days_ago})
        wellness = StatusDoc(domain="wellness", headline_color="red", headline_text="no sleep",
                             updated_at=eight_days_ago, updated_by="slack:U1")  # fmt: skip
        for doc in (travel, wellness):
            store.save_doc(s, doc, [], actor="slack:U1", source_event_id=None, charter_version=None)

    out = tmp_path / "export"
    parallelos = Path(sys.executable).with_name("parallelos")
    done = subprocess.run(  # a process that never built `Handlers`
        [str(parallelos), "export", str(out)],
        env={**os.environ, "DATABASE_URL": db.url}, cwd=tmp_path,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    assert "Planning" in (out / "status/travel.md").read_text()
    assert "no sleep" in (out / "status/wellness.md").read_text()
    board = {line.split(" | ")[1]: line for line in (out / "board.md").read_text().splitlines()
             if line.startswith("| ") and "(`" in line}  # fmt: skip
    assert "visa pending" in board["Travel (`travel`)"]
    assert not board["Travel (`travel`)"].rstrip(" |").endswith("stale")
    assert board["Wellness (`wellness`)"].rstrip(" |").endswith("stale")
    with db.session() as s:
        live = {r["domain"]: r["stale"] for r in dashboard(s, c.svc.features)["board"]}
    assert live["wellness"] and not live["travel"]  # the export agrees with the live board
    inbox = (out / "inbox.md").read_text()
    assert "approve the hotel budget" in inbox and "| travel | finance | high | open |" in inbox
    approvals = (out / "approvals.md").read_text()
    assert f"| {c.approval().public_id} |" in approvals
    assert "book the 9:40 flight to Lisbon | pending |" in approvals
    kinds = {json.loads(line)["kind"] for line in (out / "events.jsonl").read_text().splitlines()}
    assert {"status.changed", "inbox.created", "approval.proposed", "brief.queued"} <= kinds
