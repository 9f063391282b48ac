"""Charter versions: the CLI of CONTRACT §7.7, shadows that post nothing, activation, rollback,
broken files kept out, and the version named on every event."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from bot.web import create_app
from domains.charter import SHIPPED_DIR
from jobs.reconcile import reconcile
from tests.charter_support import (
    RECEIPT,
    charter,
    charter_dir,
    edited,
    events,
    receipts_candidate,
    shadow_rows,
    use,
)
from tests.dialogue import LocalDialogue
from tests.helpers import LocalClient, make_services


def local_chat(db, domains: Path) -> TestClient:  # type: ignore[no-untyped-def]
    svc = make_services(db, senders=None, PARALLELOS_DOMAINS_DIR=str(domains))
    return LocalClient(create_app(svc))


def test_list_history_and_first_version(db, tmp_path, monkeypatch, capsys):
    """A fresh install records every shipped charter as version 1, active, with its changelog."""
    use(monkeypatch, db, charter_dir(tmp_path))
    code, out, _ = charter(capsys, "list")
    assert code == 0
    assert "finance\tactive v1\tno shadow" in out.splitlines()
    assert len(out.splitlines()) == 8
    code, out, _ = charter(capsys, "history", "finance")
    assert code == 0 and out.startswith("v1\t") and "\tactive\tFirst charter." in out
    assert "rollback: Version 1 is the first version" in out
    code, _, err = charter(capsys, "history", "nope")
    assert code == 1 and "not a domain" in err


def test_shadow_declines_what_active_routes_posts_nothing_and_is_reported(
    db, tmp_path, monkeypatch, capsys
):
    """The first candidate is version 2, not active; on live messages it declines a receipt the
    active version routes to finance: the user sees only the active answer, the report counts
    the difference, and `activate finance 2` cuts over."""
    domains = charter_dir(tmp_path)
    use(monkeypatch, db, domains)
    with local_chat(db, domains) as client:
        code, out, _ = charter(capsys, "shadow", "finance", str(receipts_candidate(tmp_path)))
        assert (
            code == 0 and "finance: version 2 is running as a shadow beside active version 1" in out
        )
        d = LocalDialogue(client)
        routed = d.say(RECEIPT)
        in_home = d.say("What bills are due before the end of the month?", channel="local-finance")
        replies = d.replies(routed)
        assert len(replies) == 1 and "finance" in replies[0] and "bookkeeper" not in replies[0]
        assert all("bookkeeper" not in m["post"]["text"] for m in d.posts("local-finance"))
        assert len(d.replies(in_home)) == 1
        assert client.get("/api/dashboard").json()["charters"][2]["shadow"] == 2
    rows = shadow_rows(db)
    assert [(r.version, r.active_version, r.agrees) for r in rows] == [(2, 1, False), (2, 1, True)]
    assert rows[0].active["outcome"] == "finance" and rows[0].shadow["outcome"] == "decline"
    assert [e.data["domain"] for e in events(db, "route.decided")] == ["finance"]
    code, out, _ = charter(capsys, "report", "finance")
    assert code == 0
    assert "2 messages, 1 agreed (50%), 1 differed" in out
    assert f"“{RECEIPT}” — active: finance" in out and "shadow: declined" in out
    code, out, _ = charter(capsys, "list")
    assert "finance\tactive v1\tshadow v2" in out
    code, out, _ = charter(capsys, "activate", "finance", "2")
    assert code == 0 and out.strip() == "finance: version 2 is now active (was 1)."
    code, out, _ = charter(capsys, "list")
    assert "finance\tactive v2\tno shadow" in out


def test_activate_rollback_diff_note_and_switch_events(db, tmp_path, monkeypatch, capsys):
    """Each switch is an event (who, from, to, why); rollback returns to the previous version;
    diff shows the changed front matter; a note shows in history."""
    use(monkeypatch, db, charter_dir(tmp_path))
    charter(capsys, "shadow", "finance", str(receipts_candidate(tmp_path)))
    assert charter(capsys, "activate", "finance", "2", "--why", "receipts moved")[0] == 0
    code, out, _ = charter(capsys, "diff", "finance")
    assert code == 0 and out.startswith("--- finance v1\n+++ finance v2\n")
    assert (
        '-version: "1.0.0"' in out
        and '+version: "1.1.0"' in out
        and "+    - kind: no_receipts" in out
    )
    code, out, _ = charter(capsys, "rollback", "finance")
    assert code == 0 and out.strip() == "finance: version 1 is now active (was 2)."
    assert charter(capsys, "activate", "finance", "1")[0] == 1  # already active
    assert charter(capsys, "activate", "finance", "9")[0] == 1
    assert (
        charter(capsys, "note", "finance", "v2", "declined", "real", "receipts", "--version", "2")[
            0
        ]
        == 0
    )
    _, out, _ = charter(capsys, "history", "finance")
    assert "declined real receipts" in out
    switches = events(db, "charter.activated") + events(db, "charter.rolled_back")
    assert [(e.data["from"], e.data["to"], e.data["why"]) for e in switches] == [
        (1, 2, "receipts moved"),
        (2, 1, "rolled back to the previous version"),
    ]
    assert all(e.actor.startswith("cli:") and e.charter_version for e in switches)


def test_a_failing_candidate_is_refused(db, tmp_path, monkeypatch, capsys):
    """A candidate whose own test case fails is not recorded and nothing changes."""
    use(monkeypatch, db, charter_dir(tmp_path))
    bad = receipts_candidate(tmp_path)
    bad.write_text(bad.read_text().replace("expect: decline}", "expect: finance}", 1))
    code, out, _ = charter(capsys, "shadow", "finance", str(bad))
    assert code == 1 and "1 test case(s) failed" in out
    assert "FAIL finance: “should i put my savings into nvidia before earnings?”" in out
    _, out, _ = charter(capsys, "list")
    assert "finance\tactive v1\tno shadow" in out


def test_a_broken_edit_is_kept_out_and_the_hub_is_told(db, tmp_path, monkeypatch, capsys):
    """An edited file with an unknown field never replaces the active version: version 1 keeps
    running, the hub gets the file, field and line once; a good edit then ships as version 2."""
    domains = charter_dir(tmp_path)
    use(monkeypatch, db, domains)
    charter(capsys, "list")
    good = edited((SHIPPED_DIR / "finance.md").read_text(), "1.1.0", "A better mission.")
    (domains / "finance.md").write_text(good.replace("budget:", "budgett:", 1))
    with local_chat(db, domains) as client:
        reconcile(client.app.state.services)  # the scheduler's pass delivers what is due
        hub = LocalDialogue(client).posts("local-hub")
        assert len(hub) == 1 and "budgett: is not a known field (line" in hub[0]["post"]["text"]
        assert (
            "finance.md" in hub[0]["post"]["text"]
            and "Version 1 keeps running" in hub[0]["post"]["text"]
        )
    code, out, _ = charter(capsys, "list")
    assert "finance\tactive v1\tno shadow\tfile kept out:" in out
    assert len(events(db, "charter.rejected")) == 1  # told once, not at every start
    (domains / "finance.md").write_text(good)
    _, out, _ = charter(capsys, "list")
    assert "finance\tactive v2\tno shadow" in out


def test_a_failing_test_case_in_an_edit_is_kept_out(db, tmp_path, monkeypatch, capsys):
    """An edit whose own test case fails is kept out like a broken one, naming the case's line."""
    domains = charter_dir(tmp_path)
    use(monkeypatch, db, domains)
    charter(capsys, "list")
    text = edited((SHIPPED_DIR / "finance.md").read_text(), "1.1.0", "x")
    (domains / "finance.md").write_text(text.replace("expect: decline}", "expect: finance}", 1))
    _, out, _ = charter(capsys, "list")
    assert "finance\tactive v1" in out and "tests[3]:" in out and "(line " in out


def test_the_version_is_named_on_events(db, tmp_path, monkeypatch, capsys):
    """Routing, notes, status changes and approvals name the active version; after a switch,
    the new one."""
    domains = charter_dir(tmp_path)
    use(monkeypatch, db, domains)
    with local_chat(db, domains) as client:
        d = LocalDialogue(client)
        d.say("Draft the invoice reminder")
        d.say("Phase: month-end close\nPropose: pay the VAT", channel="local-finance")
        charter(capsys, "shadow", "finance", str(receipts_candidate(tmp_path)))
        charter(capsys, "activate", "finance", "2")
        d.say("Phase: tax season", channel="local-finance")
        d.say("Ask travel: book the accountant's train", channel="local-finance")
    kinds = ["route.decided", "domain.note", "status.changed", "approval.proposed", "inbox.created"]
    seen = {k: [(e.domain, e.charter_version) for e in events(db, k)] for k in kinds}
    assert seen["route.decided"] == [("finance", "1")]
    assert seen["domain.note"] == [("finance", "1")]
    assert seen["status.changed"] == [("finance", "1"), ("finance", "2")]
    assert seen["approval.proposed"] == [("finance", "1")]
    assert [v for _, v in seen["inbox.created"]] and all(v for _, v in seen["inbox.created"])
