"""Questions about the whole system go to the hub and are answered offline (issue 18, point 5):
from the board's headlines and next steps, open reminders, open inbox asks and waiting
approvals — never "which domain?". `route --json` keeps its contract (domain null)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from bot.web import create_app
from domains.charter import SHIPPED_DIR, load_charters
from orchestrator.canonical import Platform, Target
from orchestrator.router import Router
from tests.dialogue import LocalDialogue, SlackDialogue
from tests.helpers import LocalClient, make_services
from tests.slack_support import OPERATOR, FakeSlackHooks, running, slack_services

WHOLE = ["What should I focus on today?", "what's overdue?", "anything urgent?",
         "whats on my plate today", "hey, what needs my attention today?", "top priorities this week"]  # fmt: skip
DOMAIN = ["What's overdue on the Lisbon trip?", "anything urgent from the lawyer?",
          "what should I focus on in my reading plan?"]  # fmt: skip


@pytest.fixture(scope="module")
def router() -> Router:
    return Router(load_charters(SHIPPED_DIR))


@pytest.mark.parametrize("text", WHOLE)
def test_a_whole_system_question_is_the_hubs(router: Router, text: str) -> None:
    d = router.route(text)
    assert d.hub and d.domain is None and d.in_scope
    assert set(d.as_json()) == {"domain", "confidence", "in_scope", "reason"}


@pytest.mark.parametrize("text", DOMAIN)
def test_a_question_about_one_domains_work_is_not(router: Router, text: str) -> None:
    assert not router.route(text).hub


def client_for(db, **env: Any) -> TestClient:  # type: ignore[no-untyped-def]
    return LocalClient(create_app(make_services(db, senders=None, **env)))


def test_the_hub_answers_from_the_board_reminders_inbox_and_approvals(db):
    with client_for(db) as client:
        d = LocalDialogue(client)
        d.say("Headline: red visa appointment not booked\nNext: call the consulate",
              channel="local-travel")  # fmt: skip
        d.say("Remind tomorrow: send the invoice", channel="local-finance")
        d.say("Ask legal high: review the lease", channel="local-finance")
        d.say("Propose: renew the passport", channel="local-travel")
        said = d.say("What should I focus on today?")
        (answer,) = d.replies(said)
        assert "which domain" not in answer.lower()
        for part in ("visa appointment not booked", "call the consulate", "send the invoice",
                     "review the lease", "renew the passport"):  # fmt: skip
            assert part in answer, part
        assert answer.index("travel (red)") < answer.index("send the invoice")


def test_the_hub_says_so_when_nothing_is_open(db):
    with client_for(db) as client:
        d = LocalDialogue(client)
        (answer,) = d.replies(d.say("anything urgent?"))
        assert "Nothing is urgent" in answer


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def test_the_hub_answers_in_a_slack_dm(db, slack):  # type: ignore[no-untyped-def]
    svc = slack_services(db, slack, PARALLELOS_OPERATORS=f"slack:{OPERATOR}")
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        finance = svc.directory.resolve(Target(platform=Platform.SLACK, domain="finance")).channel
        d.say("Headline: yellow Q3 estimate not paid\nNext: pay the estimate", channel=finance)
        (answer,) = d.replies(d.say("what's overdue?"))
        assert "Q3 estimate not paid" in answer and "pay the estimate" in answer


def test_route_json_keeps_its_contract_for_a_hub_question(router: Router) -> None:
    out = json.loads(json.dumps(router.route("anything urgent?").as_json()))
    assert out["domain"] is None and out["in_scope"] is True and out["confidence"] == 1.0
