"""An operator elsewhere signs in with a one-time link; nobody else gets in (CONTRACT §6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy import func, select

from orchestrator.signin import WebSessionRow
from tests.dialogue import CoreDialogue
from tests.signin_support import (
    STRANGER,
    ask_for_link,
    browser,
    csrf,
    sign_in,
    signin_services,
)

DECISION = {"text": "Decision: fly TAP", "channel": "local-travel"}


def sessions(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(WebSessionRow)) or 0


def test_a_signed_in_operator_gets_the_dashboard_from_elsewhere(db):
    """Before: 403. Opening the link sets the cookie and goes to `/`; then the page, the
    dashboard and a change (with the CSRF token) all answer as that operator."""
    svc, sender = signin_services(db)
    path = ask_for_link(db, sender)
    with browser(svc) as client:
        refused = client.get("/api/dashboard")
        assert refused.status_code == 403 and "login" in refused.json()["detail"]
        signed = sign_in(client, path)
        assert (signed.status_code, signed.headers["location"]) == (303, "/")
        assert signed.headers["referrer-policy"] == "no-referrer"
        assert client.get("/").status_code == 200
        assert client.get("/api/csrf").json()["operator"] == "slack:U1"
        assert client.post("/api/chat", json=DECISION, headers=csrf(client)).status_code == 200
        status = client.get("/api/dashboard").json()["status"]
        assert status["travel"]["decision"] == "fly TAP"


def test_the_session_cookie_is_httponly_strict_and_secure_under_https(db):
    """`Set-Cookie` carries HttpOnly, SameSite=Strict, and Secure when PUBLIC_URL is https."""
    svc, sender = signin_services(db)
    with browser(svc) as client:
        cookie = sign_in(client, ask_for_link(db, sender)).headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "secure" in cookie
    assert "path=/" in cookie and "max-age=" in cookie


def test_the_cookie_is_secure_when_the_request_is_https(db):
    """PUBLIC_URL http (a local Bot API set-up), but this request came over https: Secure."""
    http = "http://pos.example.com"
    svc, sender = signin_services(db, PUBLIC_URL=http)
    with browser(svc, base_url=http) as client:
        plain = sign_in(client, ask_for_link(db, sender)).headers["set-cookie"].lower()
    with browser(svc, base_url="https://pos.example.com") as client:
        https = sign_in(client, ask_for_link(db, sender)).headers["set-cookie"].lower()
    assert "secure" not in plain and "httponly" in plain
    assert "secure" in https


def test_a_replayed_link_is_refused(db):
    """A link works once: opening it again, in any browser, is a clear refusal."""
    svc, sender = signin_services(db)
    path = ask_for_link(db, sender)
    with browser(svc) as client:
        assert sign_in(client, path).status_code == 303
    with browser(svc) as other:
        again = other.get(path, follow_redirects=False)
        assert again.status_code == 410 and "already been used" in again.text
        assert "set-cookie" not in again.headers
        assert other.get("/api/dashboard").status_code == 403
    assert sessions(db) == 1


def test_an_expired_link_is_refused(db):
    """Ten minutes: at 9:59 the link still signs in; at 10:00 it has expired."""
    svc, sender = signin_services(db)
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        path, late = ask_for_link(db, sender), ask_for_link(db, sender)
    with browser(svc) as client:
        with time_machine.travel(start + timedelta(minutes=9, seconds=59), tick=False):
            assert sign_in(client, path).status_code == 303
        with time_machine.travel(start + timedelta(minutes=10), tick=False):
            expired = client.get(late, follow_redirects=False)
            assert expired.status_code == 410 and "expired" in expired.text
            assert "set-cookie" not in expired.headers
    assert sessions(db) == 1


def test_a_session_ends_when_it_expires_or_the_operator_signs_out(db):
    """A week later the server refuses the cookie (sent as-is, whatever a browser would do);
    `POST /logout` (with the CSRF token) ends the session at once."""
    svc, sender = signin_services(db)
    with browser(svc) as client:
        sign_in(client, ask_for_link(db, sender))
        as_sent = {"Cookie": f"pos_session={client.cookies['pos_session']}"}
        with browser(svc) as replay:
            week = datetime.now(UTC) + timedelta(days=7, minutes=1)
            with time_machine.travel(week):
                assert replay.get("/api/dashboard", headers=as_sent).status_code == 403
            assert replay.get("/api/dashboard", headers=as_sent).status_code == 200
        assert client.post("/logout").status_code == 403  # no CSRF token: not even this
        assert client.post("/logout", headers=csrf(client)).json() == {"signed_out": True}
        with browser(svc) as replay:
            assert replay.get("/api/dashboard", headers=as_sent).status_code == 403


def test_a_stranger_cannot_ask_for_a_link(db):
    """`login` from someone who is not an operator: a polite no, no link, no DM."""
    svc, sender = signin_services(db, PARALLELOS_USERS=f"slack:U1,slack:{STRANGER}")
    answer = CoreDialogue(db=db, sender=sender, user=STRANGER).command("login", channel="C9")
    assert "Only an operator" in answer.text and "Nothing was sent" in answer.text
    assert sender.in_channel(STRANGER) == [] and "/login/" not in answer.text


def test_no_operators_no_remote_sign_in(db):
    """With PARALLELOS_OPERATORS empty, a link made earlier opens nothing, and an earlier
    session stops working; the machine itself still opens the dashboard."""
    svc, sender = signin_services(db)
    early, kept = ask_for_link(db, sender), ask_for_link(db, sender)
    with browser(svc) as client:
        sign_in(client, kept)
        cookies = dict(client.cookies)
    nobody, recorder = signin_services(db, PARALLELOS_OPERATORS="")
    answer = CoreDialogue(db=db, sender=recorder, user="U1").command("login", channel="C9")
    assert "Only an operator" in answer.text and recorder.in_channel("U1") == []
    with browser(nobody) as client:
        for answer in (client.get(early, follow_redirects=False),):
            assert answer.status_code == 403 and "no operators are configured" in answer.text
        client.cookies.update(cookies)
        assert client.get("/api/dashboard").status_code == 403
    assert sessions(db) == 1
