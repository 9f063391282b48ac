"""MCP effect tools end to end through the Slack and Telegram edges: the agent's call becomes a
card, the operator's real button click runs the tool once, the result is posted in the thread."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.web import create_app
from domains.tools import client
from tests.agent_support import KEY
from tests.dialogue import LocalDialogue, SlackDialogue, TelegramDialogue, actions
from tests.helpers import LocalClient, make_services
from tests.slack_support import FakeSlackHooks, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import FORUM, fake_telegram, telegram_services
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import running as telegram_running
from tests.tool_support import tool_charters


@pytest.fixture
def notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "notes"
    folder.mkdir()
    monkeypatch.setenv("NOTES_DIR", str(folder))
    yield folder
    client.shared().close()


def script(api) -> None:  # type: ignore[no-untyped-def]
    api.tools(("notes__add_note", {"name": "trip", "text": "book the 9:40"}))
    api.tools(("reply", {"text": "Adding it once you approve."}))


def test_slack_approve_runs_the_effect_once_and_posts_its_result(db, api, notes, tmp_path):
    env = {"ANTHROPIC_API_KEY": KEY, "PARALLELOS_DOMAINS_DIR": str(tool_charters(tmp_path))}
    with FakeSlackHooks() as slack, slack_running(slack_services(db, slack, **env)) as web:
        script(api)
        dialogue = SlackDialogue(web, slack)
        said = dialogue.say("travel: add 'book the 9:40' to my trip note")  # a DM
        posts = dialogue.posts(slack.channel_id("pos-travel"))
        (card,) = [p for p in posts if "notes.add_note" in str(p.get("blocks")) and actions(p)]
        assert not (notes / "trip.md").exists()
        dialogue.click(card, "Approve")
        dialogue.click(card, "Approve")  # a second click changes nothing
        texts = dialogue.replies(said)
    assert (notes / "trip.md").read_text() == "book the 9:40\n"
    assert any(t.startswith("Tool done: notes.add_note") for t in texts)


def test_telegram_approve_runs_the_effect_once_and_posts_its_result(db, api, notes, tmp_path):
    env = {"ANTHROPIC_API_KEY": KEY, "PARALLELOS_DOMAINS_DIR": str(tool_charters(tmp_path))}
    with fake_telegram() as tg, telegram_running(telegram_services(db, tg, **env)) as web:
        script(api)
        dialogue = TelegramDialogue(web, tg)
        dialogue.say("add 'book the 9:40' to my trip note")
        (topic,) = tg.topics(FORUM)
        cards = [m for m in tg.messages(FORUM, topic)
                 if "notes.add_note" in str(m) and m.get("reply_markup")]  # fmt: skip
        assert not (notes / "trip.md").exists()
        dialogue.click(cards[-1], "Approve")
        dialogue.click(cards[-1], "Approve")
        private = [m["text"] for m in tg.messages(TG_OPERATOR)]  # asked in the private chat
    assert (notes / "trip.md").read_text() == "book the 9:40\n"
    assert any(t.startswith("Tool done: notes.add_note") for t in private)


def test_local_chat_approve_runs_the_effect_once_and_posts_its_result(db, api, notes, tmp_path):
    svc = make_services(db, senders=None, ANTHROPIC_API_KEY=KEY,
                        PARALLELOS_DOMAINS_DIR=str(tool_charters(tmp_path)))  # fmt: skip
    with LocalClient(create_app(svc)) as web:
        script(api)
        chat = LocalDialogue(web)
        said = chat.say("add 'book the 9:40' to my trip note", channel="local-travel")
        (card,) = [m for m in chat.posts("local-travel")
                   if m["post"].get("buttons") and not m["update_of"] and "notes.add_note" in m["post"]["text"]]  # fmt: skip
        assert not (notes / "trip.md").exists()
        chat.click(card, "Approve")
        replies = chat.replies(said)
    assert (notes / "trip.md").read_text() == "book the 9:40\n"
    assert any(r.startswith("Tool done: notes.add_note") for r in replies)
