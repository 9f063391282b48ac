"""Briefs from chat and the terminal: `brief <name>`, approvals decided from a brief, the CLI."""

from __future__ import annotations

import time_machine

from bot.local import LocalSender
from jobs.brief_tick import tick
from orchestrator.canonical import Platform
from parallelos.cli import main
from tests.brief_support import brief_services, runs, set_doc, utc
from tests.inbox_support import FINANCE, TRAVEL, buttons, chat

HUB = "CPOS-HUB"
MONDAY_0800 = utc(2026, 6, 8, 8)


def brief_chat(db):  # type: ignore[no-untyped-def]
    """The shipped charters on Slack (and the local chat), two operators."""
    c = chat(db, SLACK_BOT_TOKEN="xoxb-test")
    c.svc.senders[Platform.LOCAL] = LocalSender()
    return c


def test_brief_weekly_posts_to_the_hub_now_without_consuming_the_period(db):
    """On demand at 07:59 Monday, then the scheduled one at 08:00 still posts."""
    c = brief_chat(db)
    with time_machine.travel(utc(2026, 6, 8, 7, 59), tick=False):
        c.command("brief", "weekly")
    (ack,) = [s.post for s in c.posts_in("CELSEWHERE")]
    assert "Weekly operating brief" in ack.text and "#pos-hub" in ack.text
    (on_demand,) = c.posts_in(HUB)
    assert on_demand.post.title == "Weekly operating brief"
    with time_machine.travel(MONDAY_0800, tick=False):
        assert "weekly" in tick(c.svc).started
    assert len(c.posts_in(HUB)) == 2
    assert [r.trigger for r in runs(db)] == ["on_demand", "scheduled"]


def test_unknown_brief_names_the_known_ones(db):
    c = brief_chat(db)
    c.command("brief", "monthly")
    (answer,) = [s.post for s in c.posts_in("CELSEWHERE")]
    assert "`monthly` is not a brief" in answer.text and "weekly" in answer.text
    assert c.posts_in(HUB) == []


def test_pending_approvals_in_the_brief_can_be_decided_from_it(db):
    """The brief carries the approval's card; Approve there decides it and edits every copy."""
    c = brief_chat(db)
    with time_machine.travel(utc(2026, 6, 8, 7, 30), tick=False):
        c.say("Propose: book the 9:40 flight to Lisbon", channel=TRAVEL)
    approval = c.approval()
    with time_machine.travel(MONDAY_0800, tick=False):
        tick(c.svc)
        brief_card = next(s for s in c.posts_in(HUB) if s.post.buttons)
        assert buttons(brief_card.post) == [f"approve:{approval.public_id}",
                                            f"reject:{approval.public_id}"]  # fmt: skip
        brief_text = c.posts_in(HUB)[0].post.sections
        assert any("book the 9:40 flight" in s.value for s in brief_text)
        c.click("approve", approval.public_id, channel=HUB)
    assert c.approval().status == "approved"
    (edited,) = c.edits_of(brief_card)
    assert edited.buttons == []


def test_open_inbox_entries_are_listed_high_priority_first(db):
    c = brief_chat(db)
    with time_machine.travel(utc(2026, 6, 1, 9), tick=False):
        c.say("Ask finance low: file the receipts", channel=TRAVEL)
        c.say("Ask travel high: book the accountant trip", channel=FINANCE)
    with time_machine.travel(MONDAY_0800, tick=False):
        tick(c.svc)
    inbox = next(s for s in c.posts_in(HUB)[0].post.sections if s.label.startswith("Open inbox"))
    assert inbox.label == "Open inbox (2)"
    first, second = inbox.value.splitlines()
    assert "book the accountant trip" in first and "high" in first and "6d" in first
    assert "file the receipts" in second


def test_dry_run_prints_the_brief_as_plain_text(db, tmp_path, monkeypatch, capsys):
    """Nothing is stored or posted; the text has the headings and no markup."""
    svc, _ = brief_services(db, tmp_path)
    set_doc(db, "travel", headline_color="red", headline_text="stuck on visa",
            blockers=["visa appointment"], next_steps=["call the embassy"])  # fmt: skip
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("PARALLELOS_DOMAINS_DIR", str(tmp_path / "charters"))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert main(["brief", "weekly", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Weekly operating brief\n======================\n")
    assert "🔴 Travel — stuck on visa" in out and "*" not in out
    assert "  • travel: visa appointment" in out
    assert "Top next steps: call the embassy" in out
    assert runs(db) == []


def test_briefs_lists_next_due_and_last_run(db, tmp_path, monkeypatch, capsys):
    svc, _ = brief_services(db, tmp_path)
    with time_machine.travel(utc(2026, 6, 8, 7, 0, 5), tick=False):  # 08:00 BST
        tick(svc)
        tick(svc)
        monkeypatch.setenv("DATABASE_URL", db.url)
        monkeypatch.setenv("PARALLELOS_DOMAINS_DIR", str(tmp_path / "charters"))
        assert main(["briefs"]) == 0
    header, weekly = capsys.readouterr().out.splitlines()
    assert header.split("\t") == ["brief", "posts to", "schedule", "next due", "last run"]
    name, where, schedule, next_due, last = weekly.split("\t")
    assert (name, where, schedule) == ("weekly", "hub", "0 8 * * 1 (Europe/London)")
    assert next_due == "Mon 15 Jun 2026 08:00"
    assert last.startswith("posted Mon 08 Jun 07:00 UTC (2026-06-08T08:00), 2 message(s)")


def test_recent_runs_appear_on_the_dashboard(db, tmp_path):
    from orchestrator.dashboard import dashboard

    svc, _ = brief_services(db, tmp_path)
    with time_machine.travel(utc(2026, 6, 8, 7, 0, 5), tick=False):
        tick(svc)
        tick(svc)
    with db.session() as s:
        (run,) = dashboard(s, svc.features)["briefs"]
    assert (run["brief"], run["period"], run["status"], run["messages"]) == (
        "weekly", "2026-06-08T08:00", "posted", 2,
    )  # fmt: skip
