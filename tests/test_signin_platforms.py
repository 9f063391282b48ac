"""`login` on each surface: the link lands in the operator's direct message, even when asked
for in a channel or a topic; strangers, the local chat and a missing PUBLIC_URL get a plain
no (CONTRACT §6)."""

from __future__ import annotations

from typing import Any

from bot.web import create_app
from orchestrator.canonical import Platform, Target
from orchestrator.services import Services
from tests.dialogue import LocalDialogue, TelegramDialogue
from tests.fakes import slack_payloads as payloads
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import LocalClient, make_services
from tests.signin_support import LINK, browser, sign_in
from tests.slack_support import OPERATOR, STRANGER, FakeSlackHooks, post_form, running
from tests.slack_support import slack_services as slack_with
from tests.telegram_support import OPERATOR as TG_OPERATOR
from tests.telegram_support import PUBLIC_URL as TG_PUBLIC
from tests.telegram_support import STRANGER as TG_STRANGER
from tests.telegram_support import running as telegram_running
from tests.telegram_support import telegram_services

PUBLIC = "https://pos.example.com"


def slash_login(client: Any, slack: FakeSlackHooks, user: str, channel: str) -> None:
    body = payloads.slash_command("login", user_id=user, channel_id=channel,
                                  response_url=slack.hook_url(user))  # fmt: skip
    assert post_form(client, body).status_code == 200


def bot_texts(slack: FakeSlackHooks, channel: str) -> list[str]:
    return [m["text"] for m in slack.messages(channel) if m.get("user") == payloads.BOT_USER_ID]


def test_slack_login_in_a_channel_sends_the_link_to_the_operators_dm(db, slack):
    """`/pos login` in #travel: the link arrives in the DM, the channel hears nothing, the
    ephemeral answer says where it went; the link signs the operator in."""
    svc = slack_with(db, slack, PUBLIC_URL=PUBLIC)
    with running(svc) as client:
        travel = svc.directory.resolve(Target(platform=Platform.SLACK, domain="travel")).channel
        slash_login(client, slack, OPERATOR, travel)
        (answer,) = [c.params["text"] for c in slack.calls("response_url")]
        assert "direct message" in answer and "/login/" not in answer
        assert bot_texts(slack, travel) == []
    (link,) = bot_texts(slack, slack.add_im(OPERATOR))
    found = LINK.search(link)
    assert found and found.group(1) == PUBLIC and "once, within 10 minutes" in link
    with browser(svc) as web:
        assert sign_in(web, found.group(2)).status_code == 303
        assert web.get("/api/dashboard").status_code == 200


def test_slack_login_from_a_stranger_or_without_public_url(db, slack):
    """A member who is not an operator is told so; without PUBLIC_URL the operator is told
    the setting is needed; no DM in either case."""
    svc = slack_with(db, slack, PARALLELOS_USERS=f"slack:{OPERATOR},slack:{STRANGER}")
    with running(svc) as client:
        slash_login(client, slack, STRANGER, "C0GENERAL")
        slash_login(client, slack, OPERATOR, "C0GENERAL")
    stranger, operator = [c.params["text"] for c in slack.calls("response_url")]
    assert "Only an operator" in stranger and "PUBLIC_URL" in operator
    assert bot_texts(slack, slack.add_im(STRANGER)) == []
    assert bot_texts(slack, slack.add_im(OPERATOR)) == []


def telegram(db, tg: FakeTelegram) -> Services:  # type: ignore[no-untyped-def]
    return telegram_services(
        db, tg, PARALLELOS_USERS=f"telegram:{TG_OPERATOR},telegram:{TG_STRANGER}"
    )


def test_telegram_login_in_a_topic_sends_the_link_to_the_private_chat(db, tg):
    """`/login` in the travel topic: the link in the operator's private chat, a note in the
    topic; `/login` in the private chat: the link and a note there."""
    svc = telegram(db, tg)
    topic = int(svc.directory.resolve(Target(platform=Platform.TELEGRAM, domain="travel")).thread)
    with telegram_running(svc) as client:
        d = TelegramDialogue(client, tg)
        (note,) = d.replies(d.say("/login", topic=topic))
        assert "direct message" in note and "/login/" not in note
        (link,) = [m["text"] for m in tg.messages(TG_OPERATOR)]
        found = LINK.search(link)
        assert found and found.group(1) == TG_PUBLIC
        (here,) = d.replies(d.say("/login"))
        assert "in this chat" in here
        assert len([m for m in tg.messages(TG_OPERATOR) if LINK.search(m["text"])]) == 2
    with browser(svc, base_url=TG_PUBLIC) as web:
        assert sign_in(web, found.group(2)).status_code == 303


def test_telegram_login_from_a_stranger(db, tg):
    """A member who is not an operator: a polite no in their chat, and no link anywhere."""
    tg.add_chat(TG_STRANGER)
    svc = telegram(db, tg)
    with telegram_running(svc) as client:
        d = TelegramDialogue(client, tg, user=TG_STRANGER)
        (no,) = d.replies(d.say("/login"))
    assert "Only an operator" in no
    assert not any(LINK.search(m["text"]) for m in tg.messages(TG_STRANGER))


def test_login_in_the_local_chat_is_pointless_and_says_so(db):
    """On this machine the dashboard is open already: `/login` sends nothing."""
    svc = make_services(db, senders=None, PARALLELOS_OPERATORS="local:operator", PUBLIC_URL=PUBLIC)
    with LocalClient(create_app(svc)) as client:
        d = LocalDialogue(client)
        (answer,) = d.replies(d.say("/login"))
    assert "this machine already" in answer and "/login/" not in answer
