"""Mirrored posts show people's names: Slack's users.info, cached (Telegram's come with the
update: tests/test_telegram_edge.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.web import create_app
from domains.status_commands import board_rows
from jobs.queue import SyncJobQueue
from orchestrator.canonical import Platform, Target
from orchestrator.models import InboundEventRow
from tests.dialogue import SlackDialogue
from tests.helpers import LocalClient
from tests.slack_support import OPERATOR, FakeSlackHooks, running, slack_services


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def test_slack_mirror_shows_the_display_name_and_named_mentions(db, slack) -> None:  # type: ignore[no-untyped-def]
    """A DM mirrored into pos-travel names its author and the person it mentions, not their
    ids; users.info is asked once per person, however many messages they send."""
    slack.add_user("Ana Operator", user_id=OPERATOR)
    bob = slack.add_user("Bob Travel")
    with running(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        d.say(f"flights to lisbon with <@{bob}> in march?")
        d.say("hotel in lisbon for the trip?")
    mirrors = [
        m["text"] for m in slack.messages("pos-travel") if m.get("thread_ts", m["ts"]) == m["ts"]
    ]
    assert len(mirrors) == 2
    assert "Ana Operator" in mirrors[0] and "@Bob Travel" in mirrors[0]
    assert OPERATOR not in mirrors[0] and bob not in mirrors[0]
    asked = [c.params["user"] for c in slack.calls("users.info")]
    assert sorted(asked) == sorted([OPERATOR, bob])


def test_slack_users_info_failure_falls_back_to_the_id(db, slack) -> None:  # type: ignore[no-untyped-def]
    """users.info refusing (ratelimited, missing scope) still routes the message, by id."""
    slack.fail_next("users.info", error="missing_scope", times=2)
    with running(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        said = d.say("flights to lisbon in march?")
    assert said.response.status_code == 200
    (mirror, _answer) = slack.messages("pos-travel")
    assert OPERATOR in mirror["text"] and "flights to lisbon" in mirror["text"]


def test_board_owner_is_the_display_name(db, slack) -> None:  # type: ignore[no-untyped-def]
    """A status line from Ana makes the board's owner column read her name, not her id."""
    slack.add_user("Ana Operator", user_id=OPERATOR)
    svc = slack_services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Headline: green booked", channel=travel)
    with db.session() as session:
        (row,) = [r for r in board_rows(session, svc.charters) if r.domain == "travel"]
    assert row.owner == "Ana Operator"


def test_cards_show_the_askers_and_proposers_names(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The inbox card's "Asked by" and the approval card's "Proposed by" read Ana's name."""
    slack.add_user("Ana Operator", user_id=OPERATOR)
    svc = slack_services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Ask finance: pay the deposit", channel=travel)
        d.say("Propose: book the hotel", channel=travel)
        inbox_card = json.dumps([m for m in d.posts("pos-finance") if "pay the deposit" in
                                 json.dumps(m)])  # fmt: skip
        approval_card = json.dumps([m for m in d.posts(travel) if "book the hotel" in
                                    json.dumps(m) and "Proposed by" in json.dumps(m)])  # fmt: skip
    assert "Asked by" in inbox_card and "Ana Operator" in inbox_card, inbox_card
    assert OPERATOR not in inbox_card
    assert "Ana Operator" in approval_card and OPERATOR not in approval_card, approval_card


def test_the_dashboard_shows_names_not_ids(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The dashboard's data names Ana in the board's owner, the inbox entry, the approval and
    the event log's `by`, where a raw Slack id would otherwise show; the page renders them."""
    slack.add_user("Ana Operator", user_id=OPERATOR)
    svc = slack_services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Headline: green booked", channel=travel)
        d.say("Ask finance: pay the deposit", channel=travel)
        d.say("Propose: book the hotel", channel=travel)
    with LocalClient(create_app(svc)) as local:  # the dashboard: this machine's own page
        data, page = local.get("/api/dashboard").json(), local.get("/").text
    (travel_row,) = [r for r in data["board"] if r["domain"] == "travel"]
    assert travel_row["owner"] == "Ana Operator"
    (entry,) = data["inbox"]
    assert entry["asked by"] == "Ana Operator"
    (approval,) = data["approvals"]
    assert approval["proposed by"] == "Ana Operator"
    people = [e for e in data["events"] if e["actor"] == f"slack:{OPERATOR}"]
    assert people and all(e["by"] == "Ana Operator" for e in people)
    assert "<th>Owner</th>" in page and "e.by" in page


def test_names_are_looked_up_by_the_worker_not_in_slacks_request(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Slack's 3 seconds never wait on users.info: the request stores the event with the ids;
    the job that handles it asks users.info, posts the names and stores the named event (what
    the dashboard and later turns read)."""
    slack.add_user("Ana Operator", user_id=OPERATOR)
    queue = HeldQueue()
    svc = slack_services(db, slack, queue=queue)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        said = d.say("flights to lisbon in march?")
        assert said.response.status_code == 200
        assert slack.calls("users.info") == []
        with db.session() as s:
            (row,) = s.scalars(select(InboundEventRow)).all()
            assert row.payload["user_name"] is None
        queue.release()
    (mirror, _answer) = slack.messages("pos-travel")
    assert "Ana Operator" in mirror["text"] and OPERATOR not in mirror["text"]
    assert [c.params["user"] for c in slack.calls("users.info")] == [OPERATOR]
    with db.session() as s:
        (row,) = s.scalars(select(InboundEventRow)).all()
        assert row.payload["user_name"] == "Ana Operator" and row.status == "done"


class HeldQueue(SyncJobQueue):
    """Holds jobs until `release()`: what happened inside the request, and what after."""

    def __init__(self) -> None:
        super().__init__()
        self.held: list[tuple[str, dict[str, Any]]] = []

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        self.held.append((name, kwargs))

    def release(self) -> None:
        while self.held:
            name, kwargs = self.held.pop(0)
            self._run(name, kwargs)
