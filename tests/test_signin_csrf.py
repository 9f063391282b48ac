"""Every change carries a CSRF token, on this machine and signed in; a rebound name stays out
even with a session (CONTRACT §6)."""

from __future__ import annotations

import pytest

from bot.web import create_app
from orchestrator.models import InboundEventRow
from tests.helpers import LocalClient, make_services
from tests.signin_support import ask_for_link, browser, csrf, sign_in, signin_services

HI = {"text": "Decision: fly TAP", "channel": "local-travel"}
ATTACKER = "http://attacker.example"


def events(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.query(InboundEventRow).count()


@pytest.mark.parametrize("token", [None, "", "forged-" + "x" * 40])
def test_a_local_change_without_the_right_token_is_refused(db, token: str | None):
    """On this machine too: no header, an empty one or a forged one is 403, nothing stored."""
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        client.headers.pop("X-CSRF-Token")
        headers = {} if token is None else {"X-CSRF-Token": token}
        for path, body in (("/api/chat", HI), ("/api/chat/click", {"action": "approve",
                           "value": "1", "message": "k", "channel": "local-dm"})):  # fmt: skip
            refused = client.post(path, json=body, headers=headers)
            assert refused.status_code == 403 and "CSRF" in refused.json()["detail"], path
        assert client.post("/api/chat", json=HI, headers=csrf(client)).status_code == 200
    assert events(db) == 1


def test_the_local_token_lives_in_an_httponly_strict_cookie(db):
    """`GET /api/csrf` hands the page its token, kept in a cookie only this site sends back;
    the token is the same on every call; without the cookie, the header alone is refused."""
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        first = client.get("/api/csrf")
        cookie = first.headers.get("set-cookie", "").lower()
        token = client.headers["X-CSRF-Token"]
        assert first.json() == {"csrf": token, "operator": None} and cookie == ""  # already set
        client.cookies.clear()
        assert client.post("/api/chat", json=HI).status_code == 403
        fresh = client.get("/api/csrf")
        cookie = fresh.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        assert fresh.json()["csrf"] != token


def test_a_signed_in_change_needs_its_own_sessions_token(db):
    """Signed in: no token, a forged one, or another session's token is 403; its own is 200."""
    svc, sender = signin_services(db)
    with browser(svc) as first, browser(svc) as second:
        sign_in(first, ask_for_link(db, sender))
        sign_in(second, ask_for_link(db, sender))
        own, other, before = csrf(first), csrf(second), events(db)
        assert own != other
        for headers in ({}, {"X-CSRF-Token": "forged"}, other):
            assert first.post("/api/chat", json=HI, headers=headers).status_code == 403, headers
        assert first.post("/api/chat", json=HI, headers=own).status_code == 200
    assert events(db) == before + 1


def test_a_rebound_name_stays_out_even_with_a_session(db):
    """A session cookie with `Host: attacker.example`, or a change with a foreign Origin: 403."""
    svc, sender = signin_services(db)
    with browser(svc) as client:
        sign_in(client, ask_for_link(db, sender))
        token, before = csrf(client), events(db)
        rebound = client.get("/api/dashboard", headers={"Host": "attacker.example"})
        assert rebound.status_code == 403 and "Host" in rebound.json()["detail"]
        for origin in (ATTACKER, "null", "https://pos.example.com.attacker.example"):
            posted = client.post("/api/chat", json=HI, headers={**token, "Origin": origin})
            assert posted.status_code == 403, origin
        ok = client.post(
            "/api/chat", json=HI, headers={**token, "Origin": "https://pos.example.com"}
        )
        assert ok.status_code == 200
    assert events(db) == before + 1


def test_a_link_opened_under_a_rebound_name_is_refused(db):
    """The sign-in page itself answers only this machine's names and PUBLIC_URL's host."""
    svc, sender = signin_services(db)
    path = ask_for_link(db, sender)
    with browser(svc) as client:
        assert client.get(path, headers={"Host": "attacker.example"}).status_code == 403
        assert sign_in(client, path).status_code == 303  # still unused: it works


def test_the_public_host_alone_does_not_open_the_dashboard(db):
    """PUBLIC_URL's host from this machine (a tunnel) without a session: still refused."""
    svc, _ = signin_services(db)
    with LocalClient(create_app(svc), base_url="https://pos.example.com") as client:
        assert client.get("/api/dashboard").status_code == 403
