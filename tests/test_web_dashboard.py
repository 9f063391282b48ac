"""The server-rendered dashboard (GET /dashboard, /dashboard/<domain>): the same data as
`GET /api/dashboard`, behind the same web guard, deciding only through POST /api/chat/click."""

from __future__ import annotations

import logging
import re

from bot.web import create_app
from bot.web_startup import QuietPolling
from tests.helpers import LocalClient, make_services
from tests.signin_support import ask_for_link, browser, sign_in, signin_services

PROPOSE = "Propose: book the 9:40 flight to Lisbon"


def test_the_board_lists_every_domain_and_links_its_page(db):
    with LocalClient(create_app(make_services(db, senders=None))) as web:
        data = web.get("/api/dashboard").json()
        page = web.get("/dashboard")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        for row in data["board"]:
            assert f'href="/dashboard/{row["domain"]}"' in page.text
        assert "/dashboard/assets/htmx.min.js" in page.text and "cdn" not in page.text.lower()
        assert web.get("/dashboard/assets/htmx.min.js").status_code == 200
        assert web.get("/dashboard/assets/../web.py").status_code == 404
        live = web.get("/dashboard?part=live")
        assert "<html" not in live.text and "Headlines" in live.text
        assert web.get("/dashboard/nosuchdomain").status_code == 404


def test_a_domain_page_shows_its_doc_history_and_a_pending_approval(db):
    with LocalClient(create_app(make_services(db, senders=None))) as web:
        sent = web.post("/api/chat", json={"text": "Phase: planning", "channel": "local-travel"})
        assert sent.status_code == 200
        web.post("/api/chat", json={"text": PROPOSE, "channel": "local-travel"})
        page = web.get("/dashboard/travel").text
        assert "planning" in page and "status.changed" in page
        assert "book the 9:40 flight to Lisbon" in page
        vals = re.findall(r"hx-vals='([^']*)'", page)
        assert vals and all('"message": ""' in v for v in vals)
        assert 'hx-post="/api/chat/click"' in page


def test_a_foreign_host_is_refused_on_every_dashboard_route(db):
    """DNS rebinding: a page elsewhere whose name resolves to 127.0.0.1 gets nothing."""
    with LocalClient(create_app(make_services(db, senders=None))) as web:
        for path in ("/dashboard", "/dashboard/travel", "/dashboard?part=live",
                     "/dashboard/assets/htmx.min.js"):  # fmt: skip
            answer = web.get(path, headers={"Host": "attacker.example"})
            assert answer.status_code == 403, path
            assert "travel" not in answer.text.lower() or "login" in answer.text


def test_a_signed_in_operator_opens_the_dashboard_from_elsewhere(db):
    svc, sender = signin_services(db)
    path = ask_for_link(db, sender)
    with browser(svc) as client:
        assert client.get("/dashboard").status_code == 403
        assert sign_in(client, path).status_code == 303
        page = client.get("/dashboard")
        assert page.status_code == 200 and 'href="/dashboard/travel"' in page.text
        assert client.get("/dashboard/travel").status_code == 200


def test_the_pages_polls_stay_out_of_the_info_log_but_page_loads_do_not():
    quiet = QuietPolling()

    def kept(path: str) -> bool:
        record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, "%s", None, None)
        record.args = ("127.0.0.1:1", "GET", path, "1.1", 200)
        return quiet.filter(record)

    assert not kept("/dashboard?part=live") and not kept("/dashboard/travel?part=live")
    assert kept("/dashboard") and kept("/dashboard/travel")
