"""The Telegram edge: update translation, the webhook's checks, the sender against the fake."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys

import pytest
from telegram import Update

from bot.telegram_adapter import SECRET_HEADER, TelegramAdapter
from bot.telegram_events import BotIdentity, to_event
from bot.telegram_sender import TelegramSender, answer_text
from orchestrator.canonical import Button, EventKind, Post
from orchestrator.outbound import UNKNOWN, Destination, PermanentFailure, RetryLater
from orchestrator.settings import SettingsError
from parallelos.cli import main
from tests.fakes import telegram_payloads as tp
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import make_settings
from tests.telegram_support import (
    FORUM,
    OPERATOR,
    SECRET,
    STRANGER,
    TOKEN,
    close_sender,
    fake_telegram,
    post_update,
    running,
    stored_events,
    telegram_services,
)

ME = BotIdentity(id=7000000001, username="parallelos_bot")
OFFICIAL = "https://api.telegram.org/bot"  # TELEGRAM_API_URL's default


@pytest.fixture
def tg():  # type: ignore[no-untyped-def]
    with fake_telegram() as fake:
        yield fake


def event(update: dict):  # type: ignore[no-untyped-def]
    return to_event(Update.de_json(update, None), ME)


# -- translation ---------------------------------------------------------------------------
def test_private_message_is_direct():
    """A private chat message is a direct message keyed by its update_id."""
    found = event(tp.message_update(41, OPERATOR, OPERATOR, "flights to lisbon?", message_id=7))
    assert found.kind is EventKind.MESSAGE and found.is_direct and not found.mentions_bot
    assert (found.external_id, found.channel, found.message_ref) == ("41", "4567", "7")
    assert found.thread is None and found.user_name == "Alice"


def test_topic_message_carries_the_topic_as_thread():
    """A message in a forum topic names the chat and the topic; General has no thread."""
    found = event(tp.message_update(1, FORUM, OPERATOR, "Next: book", 12, "supergroup"))
    assert (found.channel, found.thread, found.is_direct) == (str(FORUM), "12", False)
    general = event(tp.message_update(2, FORUM, OPERATOR, "hello", None, "supergroup"))
    assert general.thread is None


def test_group_mentions_and_replies_address_the_bot():
    """@botname (stripped from the text) or a reply to the bot is a mention; chatter is not."""
    mention = event(tp.message_update(1, -5, OPERATOR, "@ParallelOS_bot flights?", None, "group"))
    assert mention.mentions_bot and mention.text == "flights?"
    chatter = event(tp.message_update(2, -5, OPERATOR, "lunch?", None, "group"))
    assert not chatter.mentions_bot
    reply = tp.message_update(3, -5, OPERATOR, "and hotels?", None, "group")
    reply["message"]["reply_to_message"] = {
        "message_id": 9, "date": 0, "chat": tp.chat(-5, "group"), "from": tp.user(ME.id),
    }  # fmt: skip
    assert event(reply).mentions_bot


def test_reply_to_topic_creation_is_not_a_mention():
    """Messages in a bot-created topic "reply" to its creation notice; that is no mention."""
    update = tp.message_update(1, FORUM, OPERATOR, "hello", 12, "supergroup")
    update["message"]["reply_to_message"] = {
        "message_id": 12, "date": 0, "chat": tp.chat(FORUM, "supergroup", is_forum=True),
        "from": tp.user(ME.id), "forum_topic_created": {"name": "travel", "icon_color": 1},
    }  # fmt: skip
    assert not event(update).mentions_bot


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [("/board", "board", ""), ("/status travel", "status", "travel"),
     ("/board@parallelos_bot", "board", ""), ("/Inbox@ParallelOS_bot travel", "inbox", "travel"),
     ("/start", "help", "")],
)  # fmt: skip
def test_commands(text: str, command: str, args: str):
    """`/board`, `/status travel`, `/board@botname` are commands with their arguments."""
    found = event(tp.message_update(1, OPERATOR, OPERATOR, text))
    assert (found.kind, found.command, found.text) == (EventKind.COMMAND, command, args)


def test_ignored_updates():
    """Another bot's command, bots' and the bot's own messages, and service messages: None."""
    assert event(tp.message_update(1, -5, OPERATOR, "/board@other_bot", None, "group")) is None
    own = tp.message_update(2, -5, ME.id, "→ travel", None, "group")
    assert event(own) is None
    other_bot = tp.message_update(3, -5, 42, "hi", None, "group")
    other_bot["message"]["from"]["is_bot"] = True
    assert event(other_bot) is None
    service = tp.message_update(4, FORUM, OPERATOR, "x", 12, "supergroup")
    del service["message"]["text"]
    assert event(service) is None


def test_an_edit_is_answered_not_applied():
    """An edited message becomes an event marked unsupported (answered with one line)."""
    edited = event({"update_id": 5, "edited_message": tp.message_update(5, 1, 1, "x")["message"]})
    assert edited is not None and edited.unsupported == "an edit"


def test_callback_query_is_an_action():
    """A button click decodes `action:value` and keeps the callback and message ids."""
    message = {
        "message_id": 30,
        "date": 0,
        "chat": tp.chat(FORUM, "supergroup", is_forum=True),
        "message_thread_id": 12,
        "is_topic_message": True,
        "text": "card",
    }
    update = tp.callback_update(50, OPERATOR, "route:17:travel", message, callback_id="cb1")
    found = event(update)
    assert (found.kind, found.action_id, found.action_value) == (
        EventKind.ACTION,
        "route",
        "17:travel",
    )
    assert (found.action_callback_ref, found.action_message_ref) == ("cb1", "30")
    assert (found.channel, found.thread, found.external_id) == (str(FORUM), "12", "50")
    assert event(tp.callback_update(51, OPERATOR, "garbage", message)) is None


# -- webhook -------------------------------------------------------------------------------
def test_webhook_setup_registers_commands_and_secret(db, tg):
    """Start-up registers the bot commands and the webhook with its secret and update kinds."""
    with running(telegram_services(db, tg)):
        names = [c["command"] for c in tg.commands()]
        assert names == [
            "help",
            "board",
            "status",
            "inbox",
            "brief",
            "approvals",
            "domains",
            "reminders",
            "charter",
            "memory",
            "login",
        ]  # CONTRACT §6, fmt: skip
        assert tg.webhook["url"] == "https://parallelos.example/telegram/webhook"
        assert tg.webhook["secret_token"] == "hook-secret_42"
        assert set(tg.webhook["allowed_updates"]) >= {"message", "callback_query"}


def test_webhook_with_secret_is_stored_and_answered(db, tg):
    """The right secret: 200, the update stored, the user answered."""
    with running(telegram_services(db, tg)) as client:
        response = post_update(client, tp.message_update(1, OPERATOR, OPERATOR, "/help"))
        assert response.status_code == 200
        assert stored_events(db) == 1
        assert "ParallelOS" in tg.messages(OPERATOR)[0]["text"]


@pytest.mark.parametrize("secret", [None, "wrong", ""])
def test_webhook_without_the_secret_is_refused(db, tg, secret):
    """A missing or wrong secret header: 401 and nothing stored or sent."""
    with running(telegram_services(db, tg)) as client:
        response = post_update(client, tp.message_update(1, OPERATOR, OPERATOR, "hi"), secret)
        assert response.status_code == 401
        assert stored_events(db) == 0 and tg.calls("sendMessage") == []


def test_webhook_is_closed_while_long_polling_without_a_secret(db, tg):
    """Without PUBLIC_URL the bot polls; with no secret, posts to the webhook are refused."""
    with running(telegram_services(db, tg, webhook=False)) as client:
        response = post_update(client, tp.message_update(1, OPERATOR, OPERATOR, "hi"), None)
        assert response.status_code == 403 and stored_events(db) == 0


def test_webhook_with_its_secret_is_accepted_while_long_polling(db, tg):
    """A secret set: the webhook route takes posts that carry it, even while polling."""
    svc = telegram_services(db, tg, webhook=False, TELEGRAM_WEBHOOK_SECRET=SECRET)
    with running(svc) as client:
        wrong = post_update(client, tp.message_update(1, OPERATOR, OPERATOR, "hi"), "nope")
        right = post_update(client, tp.message_update(2, OPERATOR, OPERATOR, "hi"), SECRET)
        assert (wrong.status_code, right.status_code) == (401, 200)
        assert stored_events(db) == 1


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b"\xff\xfe", b'"text"'])
def test_a_body_that_is_not_a_json_object_is_400(db, tg, body):
    """Bodies that are not a JSON object: 400, no stack trace, nothing stored."""
    with running(telegram_services(db, tg)) as client:
        response = client.post("/telegram/webhook", content=body, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 400 and "Traceback" not in response.text
        assert stored_events(db) == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"message": {}}',
        b'{"update_id": "x"}',
        b'{"update_id": 1, "message": 5}',
        b'{"update_id": 2, "message": {"message_id": 1}}',
    ],
)
def test_a_genuine_object_nobody_can_read_is_acknowledged_and_counted(db, tg, body, caplog):
    """With the secret, Telegram sent it: 200 (a 400 is redelivered for a day and holds the
    chat back), nothing stored, counted, logged once without its content."""
    svc = telegram_services(db, tg)
    with running(svc) as client:
        response = client.post("/telegram/webhook", content=body, headers={SECRET_HEADER: SECRET})
        assert response.status_code == 200 and stored_events(db) == 0
    assert svc.skipped.total("telegram") == 1
    skipped = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skipped) == 1 and "message_id" not in skipped[0].getMessage()


# -- sender --------------------------------------------------------------------------------
@pytest.fixture
def sender(tg):
    tg.add_forum(FORUM)
    found = TelegramSender(
        make_settings(
            TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.base_url, TELEGRAM_CHAT_ID=str(FORUM)
        )
    )
    yield found
    found.close()


def test_send_renders_html_replies_and_threads(sender, tg):
    """sendMessage in HTML, into the topic, as a reply that survives a missing original."""
    chat, topic = sender.ensure_channel(domain="travel", name="pos-travel")
    ref = sender.send(Post(text="*hi*"), Destination(chat, thread=topic, reply_to="99"), key="k")
    params = tg.last("sendMessage").params
    assert params["parse_mode"] == "HTML" and params["message_thread_id"] == topic
    assert json.loads(params["reply_parameters"]) == {
        "message_id": 99, "allow_sending_without_reply": True,
    }  # fmt: skip
    assert (ref.channel, ref.thread) == (str(FORUM), topic)
    assert tg.message(FORUM, int(ref.message_id))["raw_text"] == "<b>hi</b>"


def test_long_post_is_split_and_the_last_part_is_the_ref(sender, tg):
    """A post over 4096 characters goes out as several messages; buttons ride on the last."""
    post = Post(text="word " * 1500, buttons=[Button(label="OK", action="route", value="1")])
    ref = sender.send(post, Destination(str(OPERATOR), reply_to="5"), key="k")
    sent = tg.messages(OPERATOR)
    assert len(sent) == 2 and ref.message_id == str(sent[-1]["message_id"])
    assert "reply_markup" in sent[-1] and "reply_markup" not in sent[0]
    calls = tg.calls("sendMessage")
    assert "reply_parameters" in calls[0].params and "reply_parameters" not in calls[1].params


def test_edit_and_not_modified(sender, tg):
    """An edit replaces text and keyboard; the same content again is success."""
    post = Post(text="approve?", buttons=[Button(label="Approve", action="approve", value="1")])
    ref = sender.send(post, Destination(str(OPERATOR)), key="k")
    assert sender.edit(Post(text="approved by Alice"), ref) == ref
    assert sender.edit(Post(text="approved by Alice"), ref) == ref
    message = tg.message(OPERATOR, int(ref.message_id))
    assert message["text"] == "approved by Alice" and "reply_markup" not in message


def test_errors_map_to_retry_or_permanent(sender, tg):
    """429 → RetryLater(retry_after); unknown chat or topic → PermanentFailure."""
    tg.fail_next("sendMessage", 429, retry_after=17)
    with pytest.raises(RetryLater) as retry:
        sender.send(Post(text="x"), Destination(str(OPERATOR)), key="k")
    assert retry.value.seconds == 17
    with pytest.raises(PermanentFailure, match="hat not found"):
        sender.send(Post(text="x"), Destination("31337"), key="k")
    with pytest.raises(PermanentFailure, match="thread not found"):
        sender.send(Post(text="x"), Destination(str(FORUM), thread="777"), key="k")
    tg.fail_next("sendMessage", 403)
    with pytest.raises(PermanentFailure):
        sender.send(Post(text="x"), Destination(str(OPERATOR)), key="k")
    assert sender.find_sent(Destination(str(OPERATOR)), key="k", since=None) is UNKNOWN


def test_ensure_channel_topics_and_hub(sender, tg):
    """The hub is the General topic (no thread id); a domain gets a topic named after it."""
    assert sender.ensure_channel(domain="hub", name="pos-hub") == (str(FORUM), None)
    chat, thread = sender.ensure_channel(domain="travel", name="pos-travel")
    assert chat == str(FORUM) and tg.topics(FORUM)[int(thread)] == "travel"


def test_ensure_channel_without_a_group_is_permanent(tg):
    """Without TELEGRAM_CHAT_ID there are no topics (posting.py targets private chats)."""
    found = TelegramSender(make_settings(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_URL=tg.base_url))
    with pytest.raises(PermanentFailure, match="TELEGRAM_CHAT_ID"):
        found.ensure_channel(domain="travel", name="pos-travel")
    found.close()


def test_answer_is_an_alert_of_at_most_200_chars(sender, tg):
    """Callback answers are plain-text alerts cut to 200 characters; an empty one just acks."""
    assert answer_text(Post(text="Only *operators* may approve & decide.")) == (
        "Only operators may approve & decide."
    )
    sender.answer(Post(text="x" * 300), "cb1", "1", Destination(str(OPERATOR)))
    sender.answer(Post(text=""), "cb2", "1", Destination(str(OPERATOR)))
    sender.answer(Post(text="again"), "cb1", "1", Destination(str(OPERATOR)))  # stale: no error
    first, second = tg.answered
    assert len(first["text"]) == 200 and first["show_alert"] is True
    assert "text" not in second


def test_no_token_in_logs_or_errors(sender, tg, caplog):
    """The bot token never appears in log records or failure reasons."""
    caplog.set_level(logging.DEBUG)
    sender.send(Post(text="x"), Destination(str(OPERATOR)), key="k")
    tg.fail_next("sendMessage", 400, description=f"Bad Request: echo {TOKEN}")
    with pytest.raises(PermanentFailure) as failure:
        sender.send(Post(text="x"), Destination(str(OPERATOR)), key="k")
    assert TOKEN not in str(failure.value)
    assert "sendMessage" in caplog.text and TOKEN not in caplog.text


def test_stranger_message_is_stored_nowhere(db, tg, caplog):
    """A stranger's message is acknowledged, logged, not stored, not answered."""
    caplog.set_level(logging.INFO)
    with running(telegram_services(db, tg)) as client:
        tg.add_chat(STRANGER)
        response = post_update(client, tp.message_update(1, STRANGER, STRANGER, "hi"))
        assert response.status_code == 200
    assert stored_events(db) == 0 and tg.calls("sendMessage") == []
    assert "telegram:9999" in caplog.text


# -- settings ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"PUBLIC_URL": "http://insecure.example", "TELEGRAM_API_URL": OFFICIAL}, "PUBLIC_URL"),
        ({"TELEGRAM_WEBHOOK_SECRET": "has spaces!"}, "TELEGRAM_WEBHOOK_SECRET"),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, "TELEGRAM_BOT_TOKEN"),
    ],
)
def test_malformed_telegram_settings_stop_start_up(db, tg, env, named):
    """A setting Telegram would refuse stops start-up with one line naming it, not its value."""
    with pytest.raises(SettingsError) as error:  # the worker's sender, or the web adapter
        TelegramAdapter(telegram_services(db, tg, **env))
    assert named in str(error.value) and "not-a-token" not in str(error.value)


def test_an_http_public_url_for_the_official_bot_api_stops_the_web_process_and_doctor(tmp_path):
    """Official Bot API and an http:// PUBLIC_URL: `uvicorn bot.app:app` and `parallelos
    doctor` both exit non-zero with the same one line naming PUBLIC_URL."""
    env = {
        "PATH": "/usr/bin:/bin",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "PUBLIC_URL": "http://parallelos.example",
        "DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing there: jobs would run in-process
    }
    web = [sys.executable, "-m", "uvicorn", "bot.app:app", "--port", "0"]
    doctor = [sys.executable, "-m", "parallelos.cli", "doctor"]
    ran = [subprocess.run(c, env=env, capture_output=True, text=True, timeout=120) for c in (web, doctor)]  # fmt: skip
    lines = [[ln for ln in r.stderr.splitlines() if "PUBLIC_URL" in ln] for r in ran]
    assert [r.returncode for r in ran] == [2, 2]
    assert lines[0][0].removeprefix("parallelos web: ") == lines[1][0].removeprefix("parallelos: ")
    assert len(lines[0]) == len(lines[1]) == 1 and "https://" in lines[1][0]
    assert all(TOKEN not in r.stderr + r.stdout for r in ran)


def test_an_http_public_url_works_with_a_local_bot_api_server(db):
    """TELEGRAM_API_URL at a local Bot API server: an http:// webhook is set and takes updates."""
    with FakeTelegram(local_server=True) as local:
        local.add_chat(OPERATOR)
        svc = telegram_services(db, local, PUBLIC_URL="http://bot.lan:8081")
        with running(svc) as client:
            assert local.webhook["url"] == "http://bot.lan:8081/telegram/webhook"
            response = post_update(client, tp.message_update(1, OPERATOR, OPERATOR, "/help"))
            assert response.status_code == 200 and stored_events(db) == 1


@pytest.mark.parametrize(
    ("api", "code"), [(OFFICIAL, 2), ("http://127.0.0.1:8081/bot", 0)], ids=["official", "local"]
)
def test_doctor_agrees_with_start_up_on_an_http_public_url(monkeypatch, capsys, api, code):
    """doctor refuses (exit 2, one line) exactly what start-up refuses, and passes the rest."""
    for name, value in [("TELEGRAM_BOT_TOKEN", TOKEN), ("TELEGRAM_API_URL", api),
                        ("PUBLIC_URL", "http://bot.lan"), ("REDIS_URL", "redis://127.0.0.1:1/0")]:  # fmt: skip
        monkeypatch.setenv(name, value)
    assert main(["doctor"]) == code
    out, err = capsys.readouterr()
    assert ("Telegram: configured" in out) == (code == 0)
    assert err.count("\n") == (code != 0) and ("PUBLIC_URL" in err) == (code != 0)


def test_a_token_telegram_refuses_stops_start_up(db):
    """getMe answering 401 at start: SettingsError naming TELEGRAM_BOT_TOKEN."""
    with FakeTelegram(token="1:the-real-one") as fake:
        svc = telegram_services(db, fake)
        adapter = TelegramAdapter(svc)
        with pytest.raises(SettingsError, match="TELEGRAM_BOT_TOKEN") as error:
            asyncio.run(adapter.start(None))  # type: ignore[arg-type]
        assert TOKEN not in str(error.value)
        close_sender(svc)


def test_an_unreadable_update_is_skipped_not_retried(db, tg, monkeypatch):
    """An update the translation chokes on is acknowledged and dropped (no poison pill)."""

    def choke(update, me):  # type: ignore[no-untyped-def]
        raise KeyError("unexpected shape")

    monkeypatch.setattr("bot.telegram_adapter.to_event", choke)
    with running(telegram_services(db, tg)) as client:
        response = post_update(client, tp.message_update(1, OPERATOR, OPERATOR, "hi"))
        assert response.status_code == 200 and stored_events(db) == 0
