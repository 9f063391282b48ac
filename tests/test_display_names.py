"""Mirrored posts show people's names: Slack's users.info, cached (Telegram's come with the
update: tests/test_telegram_edge.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from domains.status_commands import board_rows
from orchestrator.canonical import Platform, Target
from tests.dialogue import SlackDialogue
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
