"""Inbox and approvals in the local chat and dashboard: the same cards, clicks over HTTP."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from bot.web import create_app
from tests.helpers import LOCAL_URL, LOOPBACK, make_services


def client_for(db, **env: Any) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(
        create_app(make_services(db, senders=None, **env)), client=LOOPBACK, base_url=LOCAL_URL
    )


def messages(client: TestClient, channel: str) -> list[dict[str, Any]]:
    found = client.get("/api/chat/messages").json()["messages"]
    return [m for m in found if m["channel"] == channel]


def press(client: TestClient, message: dict[str, Any], label: str, channel: str) -> None:
    button = next(b for b in message["post"]["buttons"] if b["label"] == label)
    body = {"action": button["action"], "value": button["value"], "message": message["key"],
            "channel": channel}  # fmt: skip
    assert client.post("/api/chat/click", json=body).status_code == 200


def test_an_ask_and_its_card_in_the_local_chat(db):
    """An Ask in #travel posts a card in #finance; its buttons edit it (an update row)."""
    with client_for(db) as client:
        client.post("/api/chat", json={"text": "Ask finance: pay the deposit",
                                       "channel": "local-travel"})  # fmt: skip
        (card,) = messages(client, "local-finance")
        press(client, card, "Accept", "local-finance")
        (card, update) = messages(client, "local-finance")
        assert update["kind"] == "update" and update["update_of"] == card["id"]
        assert [b["label"] for b in update["post"]["buttons"]] == ["Done", "Decline"]
        inbox = client.get("/api/dashboard").json()["inbox"]
        assert [(i["to"], i["status"]) for i in inbox] == [("finance", "accepted")]


def test_the_local_user_decides_when_no_operator_is_configured(db):
    """With no PARALLELOS_OPERATORS, the local chat is the operator's: Approve decides."""
    with client_for(db) as client:
        client.post("/api/chat", json={"text": "Propose: renew the passport",
                                       "channel": "local-travel"})  # fmt: skip
        card = next(m for m in messages(client, "local-travel") if m["post"].get("buttons"))
        assert len(client.get("/api/dashboard").json()["approvals"]) == 1
        press(client, card, "Approve", "local-travel")
        update = messages(client, "local-travel")[-1]
        assert update["update_of"] == card["id"] and not update["post"].get("buttons")
        assert client.get("/api/dashboard").json()["approvals"] == []


def test_the_local_user_is_refused_when_operators_are_elsewhere(db):
    """Operators configured on Slack: a local click is answered (visibly) and decides nothing."""
    with client_for(db, PARALLELOS_OPERATORS="slack:U1") as client:
        client.post("/api/chat", json={"text": "Propose: renew the passport",
                                       "channel": "local-travel"})  # fmt: skip
        card = next(m for m in messages(client, "local-travel") if m["post"].get("buttons"))
        press(client, card, "Approve", "local-travel")
        answer = messages(client, "local-travel")[-1]
        assert answer["kind"] == "answer" and "Only an operator" in answer["post"]["text"]
        assert len(client.get("/api/dashboard").json()["approvals"]) == 1
