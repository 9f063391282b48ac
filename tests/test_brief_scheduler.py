"""The brief clock: once per period, DST-correct, catch-up once after downtime, receipts."""

from __future__ import annotations

import threading

import time_machine
from sqlalchemy import select

from domains.briefs import runs as brief_runs
from jobs.brief_tick import tick
from orchestrator.models import LogEvent
from tests.brief_support import brief_services, runs, utc
from tests.recording_sender import RecordingSender, refused

HUB_CHANNEL = "CPOS-HUB"


def at(when, svc):  # type: ignore[no-untyped-def]
    """One scheduler tick at `when` (UTC); delivery runs inline."""
    with time_machine.travel(when, tick=False):
        return tick(svc)


def test_due_and_not_due(db, tmp_path):
    """Posted at Monday 08:00 London, once; nothing before it, nothing again that week."""
    svc, slack = brief_services(db, tmp_path)
    assert at(utc(2026, 4, 20, 7, 0, 5), svc).started == ["weekly"]  # 08:00:05 BST
    assert len(slack.in_channel(HUB_CHANNEL)) == 1
    for when in [utc(2026, 4, 20, 7, 30), utc(2026, 4, 21, 9), utc(2026, 4, 27, 6, 59, 59)]:
        assert at(when, svc).started == []
    assert at(utc(2026, 4, 27, 7), svc).started == ["weekly"]
    assert len(slack.in_channel(HUB_CHANNEL)) == 2
    assert [r.period for r in runs(db)] == ["2026-04-20T08:00", "2026-04-27T08:00"]


def test_first_tick_after_the_slot_waits_for_the_next_one(db, tmp_path):
    """A scheduler seeing a brief for the first time on Thursday does not post Monday's."""
    svc, slack = brief_services(db, tmp_path)
    assert at(utc(2026, 4, 23, 12), svc).started == []
    (skipped,) = runs(db)
    assert skipped.status == "skipped" and "starts next period" in (skipped.note or "")
    assert slack.sent == []


def test_spring_forward_fires_at_0800_local_both_sides(db, tmp_path):
    """Clocks go forward on 29 March 2026: 08:00 GMT, then 08:00 BST (07:00 UTC)."""
    svc, slack = brief_services(db, tmp_path)
    assert at(utc(2026, 3, 23, 8), svc).started == ["weekly"]
    assert at(utc(2026, 3, 30, 6, 59, 59), svc).started == []
    assert at(utc(2026, 3, 30, 7), svc).started == ["weekly"]
    assert [r.period for r in runs(db)] == ["2026-03-23T08:00", "2026-03-30T08:00"]
    assert all(not r.late for r in runs(db))


def test_fall_back_fires_at_0800_local_both_sides(db, tmp_path):
    """Clocks go back on 25 October 2026: 08:00 BST (07:00 UTC), then 08:00 GMT."""
    svc, slack = brief_services(db, tmp_path)
    assert at(utc(2026, 10, 19, 7), svc).started == ["weekly"]
    assert at(utc(2026, 10, 26, 7), svc).started == []  # 07:00 GMT
    assert at(utc(2026, 10, 26, 8), svc).started == ["weekly"]
    assert [r.due_at.hour for r in runs(db)] == [7, 8]


def test_downtime_across_three_periods_posts_once_late_then_normally(db, tmp_path):
    """Down from 20 Apr to 13 May: 11 May is posted once, late; 27 Apr and 4 May are skipped."""
    svc, slack = brief_services(db, tmp_path)
    at(utc(2026, 4, 20, 7), svc)
    assert at(utc(2026, 5, 13, 10), svc).started == ["weekly"]
    assert at(utc(2026, 5, 13, 10, 0, 30), svc).started == []  # the next tick adds nothing
    late = slack.in_channel(HUB_CHANNEL)[-1].post
    assert "Posted late" in (late.context or "") and "2 earlier period(s)" in late.context
    assert at(utc(2026, 5, 18, 7), svc).started == ["weekly"]
    assert "Posted late" not in (slack.in_channel(HUB_CHANNEL)[-1].post.context or "")
    got = [(r.period, r.status) for r in runs(db)]
    assert got == [
        ("2026-04-20T08:00", "posted"),
        ("2026-04-27T08:00", "skipped"),
        ("2026-05-04T08:00", "skipped"),
        ("2026-05-11T08:00", "late"),
        ("2026-05-18T08:00", "queued"),  # closed by the next tick
    ]
    assert len(slack.in_channel(HUB_CHANNEL)) == 3
    with db.session() as s:
        note = s.scalars(select(LogEvent).where(LogEvent.kind == "brief.skipped")).one()
    assert note.data["count"] == 2


def test_two_schedulers_racing_post_once(db, tmp_path, monkeypatch):
    """Both pass the "not yet run" check at once; the unique (brief, period) lets one post."""
    svc, slack = brief_services(db, tmp_path)
    at(utc(2026, 4, 13, 7), svc)
    barrier = threading.Barrier(2, timeout=20)
    exists = brief_runs._exists

    def racing(session, brief, period):  # type: ignore[no-untyped-def]
        found = exists(session, brief, period)
        barrier.wait()
        return found

    monkeypatch.setattr(brief_runs, "_exists", racing)
    results: list[list[str]] = []
    with time_machine.travel(utc(2026, 4, 20, 7, 0, 1), tick=False):
        threads = [threading.Thread(target=lambda: results.append(tick(svc).started)) for _ in "ab"]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert sorted(results) == [[], ["weekly"]]
    assert len(slack.in_channel(HUB_CHANNEL)) == 2  # last week's and this week's
    assert [r.period for r in runs(db)] == ["2026-04-13T08:00", "2026-04-20T08:00"]


def test_receipt_records_posted_time_and_platform_message_ids(db, tmp_path):
    svc, slack = brief_services(db, tmp_path)
    at(utc(2026, 4, 20, 7), svc)
    at(utc(2026, 4, 20, 7, 0, 30), svc)
    (run,) = runs(db)
    assert run.status == "posted" and run.trigger == "scheduled"
    assert run.due_at == utc(2026, 4, 20, 7).replace(tzinfo=None)
    assert run.posted_at is not None and run.started_at <= run.posted_at
    by_platform = {m["platform"]: m for m in run.message_ids}
    assert by_platform["slack"] == {"platform": "slack", "channel": HUB_CHANNEL, "message_id": "m1"}
    assert by_platform["local"]["channel"] == "local-hub"


def test_failed_post_marks_the_run_failed_and_tells_the_operator_in_the_hub(db, tmp_path):
    """Slack refuses the brief for good: the receipt says failed, the hub gets one alert."""
    svc, slack = brief_services(db, tmp_path, RecordingSender(failures=[refused()]))
    at(utc(2026, 4, 20, 7), svc)
    assert at(utc(2026, 4, 20, 7, 0, 30), svc).alerts == 2  # slack and the local chat
    assert at(utc(2026, 4, 20, 7, 1), svc).alerts == 0
    (run,) = runs(db)
    assert run.status == "failed" and "channel_not_found" in (run.note or "")
    (alert,) = slack.in_channel(HUB_CHANNEL)
    assert "Weekly operating brief" in alert.post.text and "could not be posted" in alert.post.text
