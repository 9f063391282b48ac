"""The control room's views (GET /dashboard, /dashboard/<domain>): the inbox with Accept, Done
and Decline, reminders with Done and Snooze, briefs, charter versions, cost and budget, each
showing real data and deciding only through POST /api/chat/click, once."""

from __future__ import annotations

from tests.dashboard_support import buttons, click, web


def test_the_inbox_accepts_and_finishes_an_ask_once(db):
    with web(db) as client:
        client.post("/api/chat", json={"text": "Ask finance: pay the deposit", "channel": "local-travel"})
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
