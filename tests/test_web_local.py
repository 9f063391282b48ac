"""The web process without platforms: health, readiness, local chat, dashboard, bad input."""

from __future__ import annotations

from sqlalchemy import create_engine
from starlette.testclient import TestClient

from bot.web import create_app
from orchestrator.models import InboundEventRow
from tests.dialogue import LocalDialogue, verify_dialog
from tests.helpers import LocalClient, make_services


def client_for(db) -> TestClient:
    svc = make_services(db, senders=None)
    return LocalClient(create_app(svc))


def test_health_ready_and_page(db):
    with client_for(db) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["ready"] is True
        page = client.get("/")
        assert page.status_code == 200 and "ParallelOS" in page.text


def test_local_chat_routes_and_answers(db):
    with client_for(db) as client:
        d = LocalDialogue(client)
        (said,) = verify_dialog(d, [("flights lisbon march?", "travel")])
        assert said.response.status_code == 200
        messages = client.get("/api/chat/messages").json()["messages"]
        channels = [m["channel"] for m in messages]
        assert channels[0] == "local-dm" and "travel" in messages[0]["post"]["text"]
        assert channels.count("local-travel") == 2


def test_local_status_lines_show_on_the_dashboard(db):
    with client_for(db) as client:
        LocalDialogue(client).say("Headline: green ready", channel="local-travel")
        data = client.get("/api/dashboard").json()
        travel = next(r for r in data["board"] if r["domain"] == "travel")
        assert travel["headline_color"] == "green" and travel["headline_text"] == "ready"
        assert any(e["kind"] == "status.changed" for e in data["events"])


def test_bad_input_is_a_clear_error(db):
    with client_for(db) as client:
        assert client.post("/api/chat", json={"text": ""}).status_code == 400
        assert (
            client.post(
                "/api/chat", content=b"{not json", headers={"content-type": "application/json"}
            ).status_code
            == 400
        )
        big = b"x" * (1024 * 1024 + 1)
        assert client.post("/api/chat", content=big).status_code == 413
        assert client.get("/api/chat/messages?limit=0").status_code == 400
        assert client.post("/slack/events", json={}).status_code == 401  # not configured
        assert client.post("/telegram/webhook", json={}).status_code == 401


def test_readyz_names_what_is_down(db):
    svc = make_services(db, senders=None)
    with LocalClient(create_app(svc)) as client:
        svc.db.engine.dispose()
        svc.db.engine = create_engine("sqlite:////nonexistent/dir/x.db")  # the database goes away
        response = client.get("/readyz")
        assert response.status_code == 503 and "database" in response.text


def test_the_local_chat_and_dashboard_answer_only_on_this_machine(db):
    """From another address: 403 for the page, chat and dashboard; health and platforms as usual."""
    svc = make_services(db, senders=None)
    with LocalClient(create_app(svc), client=("203.0.113.9", 4000)) as client:
        assert client.get("/").status_code == 403
        assert client.get("/api/dashboard").status_code == 403
        refused = client.post(
            "/api/chat", json={"text": "Phase: hacked", "channel": "local-travel"}
        )
        assert refused.status_code == 403 and "this machine" in refused.text
        assert client.get("/healthz").status_code == 200
    with db.session() as s:
        assert s.query(InboundEventRow).count() == 0


def test_readyz_names_redis_when_it_does_not_answer(db):
    """Jobs fall back to running in-process, but readiness says Redis is not answering."""
    svc = make_services(db, senders=None, REDIS_URL="redis://127.0.0.1:1/0")
    with LocalClient(create_app(svc)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503 and "redis" in response.text
    assert "database" not in response.text
