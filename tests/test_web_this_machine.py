"""The local chat and dashboard answer only this machine: Host, Origin, proxies (CONTRACT §6)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from bot.web import create_app
from orchestrator.models import InboundEventRow
from tests.helpers import LOOPBACK, LocalClient, make_services
from tests.web_support import serving

ATTACKER = "http://attacker.example"


def client_for(db, peer: tuple[str, int] = LOOPBACK, **env: Any) -> TestClient:  # type: ignore[no-untyped-def]
    svc = make_services(db, senders=None, **env)
    return LocalClient(create_app(svc), client=peer)


def events(db) -> int:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return s.query(InboundEventRow).count()


def propose_a_wire(client: TestClient) -> dict[str, Any]:
    """The local user proposes a payment; its card (with Approve) is in #finance's local chat."""
    text = "Propose: wire 5000 EUR to a new payee"
    assert client.post("/api/chat", json={"text": text, "channel": "local-finance"}).is_success
    found = client.get("/api/chat/messages").json()["messages"]
    return next(m for m in found if m["channel"] == "local-finance" and m["post"].get("buttons"))


def approve_body(card: dict[str, Any]) -> dict[str, str]:
    button = next(b for b in card["post"]["buttons"] if b["label"] == "Approve")
    return {"action": button["action"], "value": button["value"], "message": card["key"],
            "channel": "local-finance"}  # fmt: skip


def test_a_rebound_name_cannot_read_the_dashboard(db):
    """`Host: attacker.example` from 127.0.0.1 (DNS rebinding): 403 with a short reason."""
    with client_for(db) as client:
        for path in ("/", "/api/dashboard", "/api/chat/messages"):
            refused = client.get(path, headers={"Host": "attacker.example"})
            assert refused.status_code == 403, path
            assert list(refused.json()) == ["detail"] and "Host" in refused.json()["detail"]
        assert client.get("/healthz", headers={"Host": "attacker.example"}).status_code == 200


def test_a_page_elsewhere_cannot_approve_or_decide(db):
    """POSTs from another origin (rebound or cross-site) are refused and change nothing."""
    with client_for(db) as client:
        card = propose_a_wire(client)
        client.post("/api/chat", json={"text": "Decision: fly TAP", "channel": "local-travel"})
        before, count = client.get("/api/dashboard").json(), events(db)
        for headers in ({"Origin": ATTACKER}, {"Origin": ATTACKER, "Host": "attacker.example"},
                        {"Origin": "null"}, {"Origin": "http://localhost.attacker.example"}):  # fmt: skip
            click = client.post("/api/chat/click", json=approve_body(card), headers=headers)
            decide = client.post(
                "/api/chat", json={"text": "Decision: hacked", "channel": "local-travel"},
                headers=headers,
            )  # fmt: skip
            assert (click.status_code, decide.status_code) == (403, 403), headers
        after = client.get("/api/dashboard").json()
        assert events(db) == count
        assert len(after["approvals"]) == 1 and after["approvals"] == before["approvals"]
        assert after["status"]["travel"]["decision"] == "fly TAP"


@pytest.mark.parametrize("host", ["localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LocalHost"])
def test_a_local_page_works(db, host: str):
    """Host and Origin naming this machine, any port: the page, chat and Approve all answer."""
    origin = {"Host": host, "Origin": f"http://{host}"}
    with client_for(db) as client:
        assert client.get("/", headers={"Host": host}).status_code == 200
        card = propose_a_wire(client)
        approved = client.post("/api/chat/click", json=approve_body(card), headers=origin)
        assert approved.status_code == 200
        assert client.get("/api/dashboard", headers={"Host": host}).json()["approvals"] == []
        https = {"Host": host, "Origin": "https://localhost"}
        assert client.post("/api/chat", json={"text": "hi"}, headers=https).status_code == 200


def test_a_header_less_local_proxy_is_refused(db):
    """A tunnel on this machine (peer 127.0.0.1) passing a public Host: refused."""
    with client_for(db) as client:
        public = {"Host": "parallelos.example.com"}
        assert client.get("/api/dashboard", headers=public).status_code == 403
        assert client.post("/api/chat", json={"text": "hi"}, headers=public).status_code == 403
    assert events(db) == 0


@pytest.mark.parametrize(
    "header",
    [{"X-Forwarded-For": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"}, {"X-Real-IP": "127.0.0.1"}],
)
def test_a_forwarded_request_is_refused_when_no_proxy_is_trusted(db, header: dict[str, str]):
    """Proxy headers from 127.0.0.1 are not believed by default: the request is refused."""
    with client_for(db) as client:
        assert client.get("/api/dashboard", headers=header).status_code == 403


def test_a_named_proxy_is_believed(db):
    """PARALLELOS_TRUSTED_PROXIES names the proxy: its X-Forwarded-For decides who the client is."""
    with client_for(db, PARALLELOS_TRUSTED_PROXIES="127.0.0.1") as client:

        def status(forwarded_for: str) -> int:
            headers = {"X-Forwarded-For": forwarded_for}
            return client.get("/api/dashboard", headers=headers).status_code

        assert status("127.0.0.1") == 200  # a browser on this machine, through the proxy
        assert status("203.0.113.9") == 403  # an internet client, through the proxy
        assert status("127.0.0.1, 203.0.113.9") == 403  # ... forging a local hop before it
        assert status("") == 403
        only_real_ip = client.get("/api/dashboard", headers={"X-Real-IP": "127.0.0.1"})
        assert only_real_ip.status_code == 403
    with client_for(db, peer=("203.0.113.9", 4000), PARALLELOS_TRUSTED_PROXIES="127.0.0.1") as c:
        forged = c.get("/api/dashboard", headers={"X-Forwarded-For": "127.0.0.1"})
        assert forged.status_code == 403  # not from the proxy: its header is not believed


def test_uvicorn_forwarded_for_does_not_open_the_dashboard(db, monkeypatch):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 by default; the dashboard does not."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    local = {"Host": "localhost:8000"}
    with serving(create_app(make_services(db, senders=None))) as url:
        assert httpx.get(f"{url}/api/dashboard", headers=local).status_code == 200
        forwarded = {**local, "X-Forwarded-For": "127.0.0.1"}
        assert httpx.get(f"{url}/api/dashboard", headers=forwarded).status_code == 403
        rebound = {"Host": "attacker.example"}
        assert httpx.get(f"{url}/api/dashboard", headers=rebound).status_code == 403
    trusting = make_services(db, senders=None, PARALLELOS_TRUSTED_PROXIES="127.0.0.1")
    with serving(create_app(trusting)) as url:
        assert httpx.get(f"{url}/api/dashboard", headers=forwarded).status_code == 200
        remote = {**local, "X-Forwarded-For": "203.0.113.9"}
        assert httpx.get(f"{url}/api/dashboard", headers=remote).status_code == 403


def test_no_openapi_document(db):
    """/openapi.json, /docs and /redoc do not exist."""
    with client_for(db) as client:
        for path in ("/openapi.json", "/docs", "/redoc"):
            assert client.get(path).status_code == 404, path


@pytest.mark.parametrize(
    "query", ["after=1180591620717411303424", "after=-1", "after=" + "9" * 5000, "limit=10000000"]
)
def test_out_of_range_message_parameters_are_a_clear_400(db, query: str):
    """A huge or negative `after` (or `limit`) is 400, never a 500 from the database."""
    with client_for(db) as client:
        response = client.get(f"/api/chat/messages?{query}")
        assert response.status_code == 400 and "Traceback" not in response.text
        assert client.get(f"/api/chat/messages?after={2**63 - 1}").status_code == 200
