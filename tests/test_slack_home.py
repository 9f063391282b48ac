"""The Slack agent surface: the App Home tab shows the board, approvals and inbox; the DM
offers suggested prompts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from orchestrator.canonical import Platform, Target
from tests.dialogue import SlackDialogue
from tests.fakes import slack_payloads as payloads
from tests.slack_support import (
    OPERATOR,
    STRANGER,
    FakeSlackHooks,
    post_json,
    running,
    slack_services,
    wait_until,
)


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def opened(tab: str, user: str = OPERATOR, channel: str = "D0FAKEDM1") -> dict:
    return payloads.envelope({"type": "app_home_opened", "user": user, "channel": channel,
                              "tab": tab, "event_ts": payloads.now_ts()})  # fmt: skip


def published(slack: FakeSlackHooks) -> list[dict]:
    return [c for c in slack.calls("views.publish") if c.ok]


def test_home_tab_shows_board_approvals_and_inbox(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Opening the Home tab publishes the headline board, a pending approval and an open inbox
    entry, with how to use the bot; opened again after a change, it shows the change."""
    svc = slack_services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Headline: green Lisbon trip booked", channel=travel)
        d.say("Propose: book the hotel", channel=travel)
        d.say("Ask finance: pay the deposit", channel=travel)
        before = len(published(slack))  # changes republish it too (the next test)
        assert post_json(client, opened("home")).status_code == 200
        wait_until(lambda: len(published(slack)) > before, what="the home tab published")
        first = published(slack)[-1]
        d.say("Headline: yellow hotel full", channel=travel)
        post_json(client, opened("home"))
        wait_until(lambda: "hotel full" in json.dumps(published(slack)[-1].params["view"]),
                   what="the home tab refreshed")  # fmt: skip
    assert first.params["user_id"] == OPERATOR
    view = json.dumps(first.params["view"])
    for expected in ("Headline board", "Lisbon trip booked", "Pending approvals",
                     "book the hotel", "Open inbox", "pay the deposit", "How to use"):  # fmt: skip
        assert expected in view, expected


def test_dm_opened_sets_suggested_prompts(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Opening the bot's DM (tab "messages") sets three suggested prompts, no thread_ts."""
    with running(slack_services(db, slack)) as client:
        assert post_json(client, opened("messages")).status_code == 200
        wait_until(lambda: bool(slack.calls("assistant.threads.setSuggestedPrompts")))
    (call,) = slack.calls("assistant.threads.setSuggestedPrompts")
    assert call.ok and call.params["channel_id"] == "D0FAKEDM1" and "thread_ts" not in call.params
    prompts = call.params["prompts"]
    prompts = json.loads(prompts) if isinstance(prompts, str) else prompts
    assert [p["title"] for p in prompts] == ["Today's focus", "The board", "My reminders"]


def test_a_stranger_opening_home_sees_nothing_published(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Someone outside PARALLELOS_USERS gets no board: nothing is published for them."""
    with running(slack_services(db, slack)) as client:
        assert post_json(client, opened("home", user=STRANGER)).status_code == 200
        post_json(client, opened("messages"))  # a later event: the stranger's would be done
        wait_until(lambda: bool(slack.calls("assistant.threads.setSuggestedPrompts")))
    assert slack.calls("views.publish") == []


def test_home_tab_is_republished_when_an_approval_waits(db, slack) -> None:  # type: ignore[no-untyped-def]
    """A new proposal refreshes the operator's Home tab without them opening it again."""
    svc = slack_services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Propose: book the museum tickets", channel=travel)
        wait_until(
            lambda: any("museum tickets" in json.dumps(c.params["view"]) for c in published(slack)),
            what="the home tab republished with the approval",
        )
    assert all(c.params["user_id"] == OPERATOR for c in published(slack))
