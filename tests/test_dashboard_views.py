"""The control room's views (GET /dashboard, /dashboard/<domain>): the inbox with Accept, Done
and Decline, reminders with Done and Snooze, briefs, charter versions, cost and budget, each
showing real data and deciding only through POST /api/chat/click, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import select

from bot.web import create_app
from domains.agent.budget import CALL_EVENT
from domains.approvals.models import ApprovalRow
from jobs.brief_tick import tick
from orchestrator.eventlog import record
from parallelos.cli import main
from tests.brief_support import brief_services, utc
from tests.charter_support import RECEIPT, charter, charter_dir, receipts_candidate, use
from tests.dashboard_support import buttons, click, web
from tests.helpers import LocalClient
from tests.reminder_support import tick_at

PROPOSE = "Propose: book the 9:40 flight to Lisbon"


def test_the_inbox_accepts_and_finishes_an_ask_once(db):
    with web(db) as client:
        client.post(
            "/api/chat", json={"text": "Ask finance: pay the deposit", "channel": "local-travel"}
        )
        page = client.get("/dashboard/finance").text
        assert "pay the deposit" in page and 'id="inbox"' in page
        ids = [b for b in buttons(page) if b.startswith("act-inbox_")]
        assert ids == ["act-inbox_accept-1", "act-inbox_done-1", "act-inbox_decline-1"]
        assert click(client, page, "act-inbox_accept-1") == "Done."
        page_after = client.get("/dashboard/finance").text
        assert 'data-status="accepted"' in page_after
        assert "act-inbox_accept-1" not in buttons(page_after)
        second = click(client, page, "act-inbox_accept-1")  # the stale page's button again
        assert second != "Done." and "accepted" in second.lower()
        assert click(client, page_after, "act-inbox_done-1") == "Done."
        final = client.get("/dashboard/finance").text
        assert 'id="inbox-1"' not in final
        board = client.get("/dashboard").text
        assert "pay the deposit" not in board


def test_reminders_are_done_or_snoozed_once(db):
    """A posted reminder shows Done and Snooze; Snooze moves it a day, a second Snooze is refused
    with what happened, and Done then finishes it."""
    with web(db) as client:
        client.post("/api/chat", json={"text": "Remind in 1 hour: call the consulate",
                                        "channel": "local-travel"})  # fmt: skip
        page = client.get("/dashboard/travel").text
        assert "call the consulate" in page and "not due yet" in page
        assert not [b for b in buttons(page) if b.startswith("act-reminder_")]
        tick_at(client.app.state.services, datetime.now(UTC) + timedelta(hours=2))
        page = client.get("/dashboard/travel").text
        assert [b for b in buttons(page) if b.startswith("act-reminder_")] == [
            "act-reminder_done-1", "act-reminder_snooze-1",
        ]  # fmt: skip
        assert click(client, page, "act-reminder_snooze-1") == "Done."
        snoozed = client.get("/dashboard/travel").text
        assert 'data-status="snoozed"' in snoozed
        assert "act-reminder_snooze-1" not in buttons(snoozed)
        refused = click(client, page, "act-reminder_snooze-1")
        assert refused != "Done." and "snoozed" in refused.lower()
        assert click(client, snoozed, "act-reminder_done-1") == "Done."
        assert 'id="reminder-1"' not in client.get("/dashboard").text


def test_approvals_are_decided_once_from_the_board(db):
    with web(db) as client:
        client.post("/api/chat", json={"text": PROPOSE, "channel": "local-travel"})
        page = client.get("/dashboard").text
        approve = next(b for b in buttons(page) if b.startswith("act-approve"))
        assert click(client, page, approve) == "Done."
        assert approve not in buttons(client.get("/dashboard").text)
        again = click(client, page, approve)
        assert again != "Done." and "approved" in again.lower()
        with db.session() as s:
            assert s.scalars(select(ApprovalRow.status)).one() == "approved"


def test_briefs_show_next_due_receipts_and_skipped_runs_in_words(db, tmp_path):
    svc, _ = brief_services(db, tmp_path, SLACK_SIGNING_SECRET="test-signing-secret")
    with LocalClient(create_app(svc)) as client:
        with time_machine.travel(utc(2026, 4, 23, 12), tick=False):  # Thursday: first seen
            tick(svc)
            page = client.get("/dashboard").text
        assert "next due Mon 27 Apr 08:00 (Europe/London)" in page
        assert "not posted: the schedule was new after Mon 20 Apr 08:00" in page
        assert "on-demand:" not in page and "starts next period" not in page
        with time_machine.travel(utc(2026, 4, 27, 7, 0, 5), tick=False):
            tick(svc)
            tick(svc)  # receipts
        with time_machine.travel(utc(2026, 5, 18, 9), tick=False):  # down for two Mondays
            tick(svc)
            tick(svc)
            page = client.get("/dashboard").text
        assert "posted Mon 27 Apr 08:00 to " in page and "slack CPOS-HUB" in page
        assert "skipped: the scheduler was not running at Mon 04 May 08:00" in page
        assert "skipped: the scheduler was not running at Mon 11 May 08:00" in page
        assert "posted late Mon 18 May 10:00" in page and "it was due Mon 18 May 08:00" in page
        travel = client.get("/dashboard/travel").text
        assert 'id="brief-weekly"' not in travel  # the hub's brief is not travel's


def test_briefs_on_a_fresh_install_are_not_due_yet(db, tmp_path, monkeypatch, capsys):
    """`parallelos briefs` after the first tick: no brief reads as skipped or failed."""
    svc, _ = brief_services(db, tmp_path)
    monkeypatch.setenv("DATABASE_URL", db.url)
    monkeypatch.setenv("PARALLELOS_DOMAINS_DIR", str(tmp_path / "charters"))
    with time_machine.travel(utc(2026, 4, 23, 12), tick=False):
        assert main(["briefs"]) == 0
        before = capsys.readouterr().out.splitlines()[1].split("\t")[-1]
        tick(svc)
        assert main(["briefs"]) == 0
    after = capsys.readouterr().out.splitlines()[1].split("\t")[-1]
    assert before == after == "not due yet — first run Mon 27 Apr 2026 08:00"


def test_charter_versions_are_listed_with_the_active_one(db):
    with web(db) as client:
        page = client.get("/dashboard/travel").text
        assert 'id="charter-travel"' in page and 'aria-current="true"' in page
        assert "(active)" in page
        assert not [b for b in buttons(page) if b.startswith("act-charter")]  # read only


def test_cost_and_budget_per_domain_this_month_with_a_chart(db):
    with web(db) as client:
        with db.session() as s:
            record(s, kind=CALL_EVENT, actor="agent", domain="travel", subject="turn",
                   data={"input_tokens": 1000, "output_tokens": 200}, cost_usd=9.6)  # fmt: skip
        page = client.get("/dashboard").text
        assert 'aria-label="travel: $9.60 of $12.00 (80%)"' in page
        assert 'class="fill warn" x="0" y="0" width="80.0"' in page
        domain = client.get("/dashboard/travel").text
        assert 'class="daily"' in domain and "$9.60" in domain
        assert "<script" not in page.split("<main", 1)[1]  # the chart is the server's SVG


def test_every_new_route_refuses_a_foreign_host(db):
    with web(db) as client:
        for path in ("/dashboard/events", "/dashboard/stream", "/dashboard/answer/1?part=live",
                     "/dashboard/assets/dashboard.js", "/dashboard/finance?part=live"):  # fmt: skip
            answer = client.get(path, headers={"Host": "attacker.example"})
            assert answer.status_code == 403, path


def test_a_click_without_the_csrf_token_changes_nothing(db):
    with web(db) as client:
        client.post(
            "/api/chat", json={"text": "Ask finance: pay the deposit", "channel": "local-travel"}
        )
        page = client.get("/dashboard/finance").text
        body = buttons(page)["act-inbox_accept-1"]
        forged = client.post("/api/chat/click", json=body, headers={"X-CSRF-Token": "x" * 43})
        assert forged.status_code == 403
        assert 'data-status="open"' in client.get("/dashboard/finance").text


def test_a_shadow_candidate_and_its_report_are_shown_read_only(db, tmp_path, monkeypatch, capsys):
    domains = charter_dir(tmp_path)
    use(monkeypatch, db, domains)
    with web(db, PARALLELOS_DOMAINS_DIR=str(domains)) as client:
        code, _, _ = charter(capsys, "shadow", "finance", str(receipts_candidate(tmp_path)))
        assert code == 0
        client.post("/api/chat", json={"text": RECEIPT, "channel": "local-dm"})
        page = client.get("/dashboard/finance").text
        card = page.split('id="charter-finance"', 1)[1].split("</article>", 1)[0]
        assert 'active <span class="active-version">v1</span>' in card
        assert "shadow candidate v2" in card and "Shadow report for v2" in card
        assert "Receipts are declined." in card and "(shadow)" in card
        assert "differed" in card  # the report's lines
        assert not [b for b in buttons(page) if b.startswith(("act-charter", "act-version"))]
