"""The Slack agent surface: the App Home tab shows the board, approvals and inbox; the DM
offers suggested prompts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from domains.approvals.models import ApprovalRow
from domains.inbox.models import InboxEntryRow
from orchestrator.canonical import Platform, Target
from orchestrator.models import LogEvent
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


# -- buttons on the Home tab ------------------------------------------------------------------
OTHER_OPERATOR = "U0OPER002"


def home_with(slack: FakeSlackHooks, user: str, text: str) -> dict:
    """The view last published to `user` that shows `text`, as Slack returned it (with id)."""
    wait_until(lambda: any(c.params["user_id"] == user and text in json.dumps(c.params["view"])
                           for c in published(slack)), what=f"{text!r} on {user}'s Home tab")  # fmt: skip
    call = [c for c in published(slack) if c.params["user_id"] == user][-1]
    return call.response["view"]


def home_click(d: SlackDialogue, view: dict, label: str, *, user: str = OPERATOR,
               view_id: str | None = None) -> dict:  # fmt: skip
    """Press the button labelled `label` on a published Home view; returns the payload."""
    action_id = next(e["action_id"] for b in view["blocks"] if b["type"] == "actions"
                     for e in b["elements"] if e["text"]["text"] == label)  # fmt: skip
    shown = {**view, "id": view_id or view["id"]}
    payload = payloads.view_block_actions(action_id, action_id.split(":", 1)[1], user=user,
                                          view=shown)  # fmt: skip
    assert d.deliver(payload).status_code == 200
    return payload


def approval_state(db) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    """The one approval's status and how many decisions the event log holds for it."""
    with db.session() as s:
        (approval,) = s.scalars(select(ApprovalRow)).all()
        decided = s.scalar(select(func.count()).select_from(LogEvent).where(
            LogEvent.kind.in_(["approval.approved", "approval.rejected"])))  # fmt: skip
        return approval.status, decided or 0


def dm_texts(slack: FakeSlackHooks, user: str) -> list[str]:
    return [m.get("text", "") for m in slack.messages(slack.add_im(user))
            if m.get("user") == payloads.BOT_USER_ID]  # fmt: skip


def two_operators(db, slack):  # type: ignore[no-untyped-def]
    return slack_services(
        db, slack, PARALLELOS_OPERATORS=f"slack:{OPERATOR},slack:{OTHER_OPERATOR}"
    )


def test_approve_from_the_home_tab_decides_once(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Approve on the operator's own Home tab decides the approval; delivered again, it still
    decides once; the Home tab is republished without it; the card shows the decision."""
    svc = two_operators(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Propose: book the ferry", channel=travel)
        view = home_with(slack, OPERATOR, "book the ferry")
        assert approval_state(db) == ("pending", 0)
        payload = home_click(d, view, "Approve")
        wait_until(lambda: approval_state(db) == ("approved", 1), what="approved from Home")
        assert d.deliver(payload).status_code == 200  # Slack delivers the same click again
        wait_until(lambda: "book the ferry" not in json.dumps(published(slack)[-1].params["view"]),
                   what="the Home tab republished without it")  # fmt: skip
        card = next(m for m in d.posts(travel) if "book the ferry" in json.dumps(m))
    assert approval_state(db) == ("approved", 1)
    assert "Approved" in json.dumps(card) or "approved" in json.dumps(card)


def test_reject_from_the_home_tab(db, slack) -> None:  # type: ignore[no-untyped-def]
    svc = slack_services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Propose: book the night train", channel=travel)
        home_click(d, home_with(slack, OPERATOR, "night train"), "Reject")
        wait_until(lambda: approval_state(db) == ("rejected", 1), what="rejected from Home")


@pytest.mark.parametrize("forgery", ["forged view id", "another operator's view"])
def test_a_click_from_a_view_not_published_to_the_clicker_changes_nothing(
    db, slack, forgery
) -> None:  # type: ignore[no-untyped-def]
    """A view id that is not the one last published to the clicker (made up, or another
    operator's own Home tab) gets "That button is no longer active." and decides nothing."""
    svc = two_operators(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Propose: book the glacier tour", channel=travel)
        mine = home_with(slack, OPERATOR, "glacier tour")
        theirs = home_with(slack, OTHER_OPERATOR, "glacier tour")
        view_id = "V0FORGED99" if forgery == "forged view id" else theirs["id"]
        assert view_id != mine["id"]
        home_click(d, mine, "Approve", view_id=view_id)
        wait_until(lambda: "That button is no longer active." in dm_texts(slack, OPERATOR),
                   what="the stale answer in the operator's DM")  # fmt: skip
    assert approval_state(db) == ("pending", 0)


def test_a_member_cannot_decide_from_their_home_tab(db, slack) -> None:  # type: ignore[no-untyped-def]
    """Only operators decide: a member's click from a view, even a real one, changes nothing."""
    svc = slack_services(db, slack, PARALLELOS_USERS=f"slack:{OPERATOR},slack:{STRANGER}")
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Propose: book the boat", channel=travel)
        view = home_with(slack, OPERATOR, "book the boat")
        home_click(d, view, "Approve", user=STRANGER)
        wait_until(lambda: bool(dm_texts(slack, STRANGER)), what="an answer to the member")
    assert approval_state(db) == ("pending", 0)


def test_inbox_buttons_work_from_the_home_tab(db, slack) -> None:  # type: ignore[no-untyped-def]
    """The open inbox's Accept on the Home tab moves the entry, as on its card."""
    svc = slack_services(db, slack)
    with running(svc) as client:
        d = SlackDialogue(client, slack)
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        d.say("Ask finance: refund the taxi", channel=travel)
        home_click(d, home_with(slack, OPERATOR, "refund the taxi"), "Accept")

        def status() -> str:
            with db.session() as s:
                return s.scalars(select(InboxEntryRow)).one().status

        wait_until(lambda: status() == "accepted", what="accepted from Home")
