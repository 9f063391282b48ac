"""Inbox and approvals in the local chat and dashboard: the same cards, clicks over HTTP."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from bot.web import create_app
from tests.dialogue import LocalDialogue
from tests.helpers import LocalClient, make_services


def client_for(db, **env: Any) -> TestClient:  # type: ignore[no-untyped-def]
    return LocalClient(create_app(make_services(db, senders=None, **env)))


def test_an_ask_and_its_card_in_the_local_chat(db):
    """An Ask in #travel posts a card in #finance; its buttons edit it (an update row)."""
    with client_for(db) as client:
        d = LocalDialogue(client)
        d.say("Ask finance: pay the deposit", channel="local-travel")
        (card,) = d.posts("local-finance")
        d.click(card, "Accept")
        (card, update) = d.posts("local-finance")
        assert update["kind"] == "update" and update["update_of"] == card["id"]
        assert [b["label"] for b in update["post"]["buttons"]] == ["Done", "Decline"]
        inbox = client.get("/api/dashboard").json()["inbox"]
        assert [(i["to"], i["status"]) for i in inbox] == [("finance", "accepted")]


def test_the_local_user_decides_when_no_operator_is_configured(db):
    """With no PARALLELOS_OPERATORS, the local chat is the operator's: Approve decides."""
    with client_for(db) as client:
        d = LocalDialogue(client)
        d.say("Propose: renew the passport", channel="local-travel")
        card = next(m for m in d.posts("local-travel") if m["post"].get("buttons"))
        assert len(client.get("/api/dashboard").json()["approvals"]) == 1
        d.click(card, "Approve")
        update = d.posts("local-travel")[-1]
        assert update["update_of"] == card["id"] and not update["post"].get("buttons")
        assert client.get("/api/dashboard").json()["approvals"] == []


def test_the_local_user_is_refused_when_operators_are_elsewhere(db):
    """Operators configured on Slack: a local click is answered (visibly) and decides nothing."""
    with client_for(db, PARALLELOS_OPERATORS="slack:U1") as client:
        d = LocalDialogue(client)
        d.say("Propose: renew the passport", channel="local-travel")
        card = next(m for m in d.posts("local-travel") if m["post"].get("buttons"))
        d.click(card, "Approve")
        answer = d.posts("local-travel")[-1]
        assert answer["kind"] == "answer" and "Only an operator" in answer["post"]["text"]
        assert len(client.get("/api/dashboard").json()["approvals"]) == 1
