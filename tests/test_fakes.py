"""The fake Slack Web API behaves like Slack for the real slack_sdk and slack-bolt clients."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.actions import decode_action
from tests.fakes import FakeSlack
from tests.fakes import slack_payloads as sp

TOKEN = "xoxb-test-token"
SECRET = "signing-secret"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_channel("general")
        yield fake


def client(slack: FakeSlack, **kw: Any) -> WebClient:
    return WebClient(token=TOKEN, base_url=slack.url, **kw)


def slack_error(call: Callable[[], Any]) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value.response["error"]


def test_post_message_is_stored_and_returned(slack: FakeSlack) -> None:
    """chat.postMessage answers channel/ts/message and the fake keeps the thread."""
    web = client(slack)
    first = web.chat_postMessage(channel="general", text="hello")
    reply = web.chat_postMessage(channel=first["channel"], text="in thread", thread_ts=first["ts"])
    stored = slack.messages("general")
    assert [m["text"] for m in stored] == ["hello", "in thread"]
    assert first["channel"] == slack.channel_id("general") and first["message"]["text"] == "hello"
    assert reply["message"]["thread_ts"] == first["ts"] and float(reply["ts"]) > float(first["ts"])
    assert slack.last("chat.postMessage").params["thread_ts"] == first["ts"]


def test_unknown_channel_and_missing_token(slack: FakeSlack) -> None:
    """Unknown channels, missing and wrong tokens fail as Slack fails them."""
    assert slack_error(lambda: client(slack).chat_postMessage(channel="nope", text="x")) == (
        "channel_not_found"
    )
    assert slack_error(lambda: WebClient(base_url=slack.url).auth_test()) == "not_authed"
    with FakeSlack(token="xoxb-right") as strict:
        assert slack_error(lambda: client(strict).auth_test()) == "invalid_auth"
        assert WebClient(token="xoxb-right", base_url=strict.url).auth_test()["user_id"]


def test_conversations_list_paginates(slack: FakeSlack) -> None:
    """slack_sdk's page iterator follows next_cursor through every page."""
    for name in ("a", "b", "c", "d"):
        slack.add_channel(f"pos-{name}")
    slack.add_channel("old", is_archived=True)
    slack.add_channel("secret", is_private=True)
    names, cursors = [], []
    for page in client(slack).conversations_list(limit=2, exclude_archived=True):
        names += [c["name"] for c in page["channels"]]
        cursors.append(page["response_metadata"]["next_cursor"])
    assert names == ["general", "pos-a", "pos-b", "pos-c", "pos-d"]
    assert len(cursors) == 3 and cursors[-1] == ""
    private = client(slack).conversations_list(types="private_channel")["channels"]
    assert [c["name"] for c in private] == ["secret"]


def test_rate_limit_then_success_with_retry_handler(slack: FakeSlack) -> None:
    """A 429 with Retry-After is retried by RateLimitErrorRetryHandler and posts once."""
    slack.fail_next("chat.postMessage", headers={"Retry-After": "0"})
    web = client(slack, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert web.chat_postMessage(channel="general", text="after retry")["ok"]
    assert [c.status for c in slack.calls("chat.postMessage")] == [429, 200]
    assert len(slack.messages("general")) == 1


def test_rate_limit_without_handler_raises(slack: FakeSlack) -> None:
    """Without a retry handler the 429 reaches the caller with its Retry-After header."""
    slack.fail_next("chat.postMessage")
    with pytest.raises(SlackApiError) as caught:
        client(slack).chat_postMessage(channel="general", text="x")
    assert caught.value.response.status_code == 429
    assert caught.value.response.headers["retry-after"] in ("1", ["1"])
    assert slack.messages("general") == []


def test_create_invite_join_info(slack: FakeSlack) -> None:
    """conversations.create validates names; invite, join and info keep membership."""
    web = client(slack)
    assert slack_error(lambda: web.conversations_create(name="Bad Name")) == "invalid_name_specials"
    assert slack_error(lambda: web.conversations_create(name="x" * 81)) == "invalid_name_maxlength"
    assert slack_error(lambda: web.conversations_create(name="general")) == "name_taken"
    created = web.conversations_create(name="pos-travel")["channel"]
    web.conversations_invite(channel=created["id"], users=["U0OPERATOR"])
    assert "U0OPERATOR" in slack.channel("pos-travel")["members"]
    outside = slack.add_channel("lobby", is_member=False)
    assert slack_error(lambda: web.chat_postMessage(channel=outside, text="x")) == "not_in_channel"
    web.conversations_join(channel=outside)
    assert web.conversations_info(channel=outside)["channel"]["is_member"] is True


def test_history_newest_first_with_metadata_on_request(slack: FakeSlack) -> None:
    """conversations.history is newest first, honours oldest, and shows metadata when asked."""
    web = client(slack)
    meta = {"event_type": "pos_post", "event_payload": {"post_id": 7}}
    first = web.chat_postMessage(channel="general", text="one", metadata=meta)
    web.chat_postMessage(channel="general", text="two")
    channel = slack.channel_id("general")
    plain = web.conversations_history(channel=channel)["messages"]
    assert [m["text"] for m in plain] == ["two", "one"] and "metadata" not in plain[1]
    full = web.conversations_history(channel=channel, include_all_metadata=True)["messages"]
    assert full[1]["metadata"] == meta
    newer = web.conversations_history(channel=channel, oldest=first["ts"])["messages"]
    assert [m["text"] for m in newer] == ["two"]


def test_update_delete_ephemeral_and_invalid_blocks(slack: FakeSlack) -> None:
    """chat.update/delete change the stored message; too many blocks are refused."""
    web = client(slack)
    sent = web.chat_postMessage(channel="general", text="card")
    web.chat_update(channel=sent["channel"], ts=sent["ts"], text="decided")
    assert slack.messages("general")[0]["text"] == "decided"
    web.chat_postEphemeral(channel="general", user="U0SOMEONE", text="only you")
    assert slack.ephemerals()[0]["user"] == "U0SOMEONE"
    web.chat_delete(channel=sent["channel"], ts=sent["ts"])
    assert slack.messages("general") == []
    blocks = [{"type": "divider"}] * 51
    error = slack_error(lambda: web.chat_postMessage(channel="general", text="x", blocks=blocks))
    assert error == "invalid_blocks"


def test_users_socket_mode_and_views(slack: FakeSlack) -> None:
    """users.info, apps.connections.open (app token only) and views.open answer ok."""
    web = client(slack)
    uid = slack.add_user("alice")
    assert web.users_info(user=uid)["user"]["name"] == "alice"
    assert web.apps_connections_open(app_token="xapp-1-test")["url"].startswith("ws://")
    assert slack_error(lambda: web.apps_connections_open(app_token=TOKEN)) == (
        "not_allowed_token_type"
    )
    web.views_open(
        trigger_id="t.1", view={"type": "modal", "title": {"type": "plain_text", "text": "Hi"}}
    )
    assert slack.views[0]["type"] == "modal"


def test_slow_answer_still_applies_the_post(slack: FakeSlack) -> None:
    """With set_delay the post lands before the (late) answer: a sender that gives up
    still leaves the message in Slack, as in a crash after sending."""
    slack.set_delay("chat.postMessage", 30)
    with pytest.raises(Exception):  # noqa: B017 (urllib's timeout type varies)
        client(slack, timeout=0.2).chat_postMessage(channel="general", text="slow")
    slack.wait_for("chat.postMessage")
    assert [m["text"] for m in slack.messages("general")] == ["slow"]


def test_bolt_app_answers_a_signed_event_through_the_fake(slack: FakeSlack) -> None:
    """AsyncApp with AsyncWebClient(base_url) verifies the signature and says into the fake."""
    dm = slack.add_im("U0ALICE")
    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=slack.url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @app.event("message")
    async def echo(event: dict, say: Any) -> None:
        await say(f"echo: {event['text']}")

    body = sp.json_body(sp.message_im("hello", user="U0ALICE", channel=dm))
    headers = sp.json_headers(body, SECRET)
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)
    request = AsyncBoltRequest(body=body.decode(), headers=headers)
    response = asyncio.run(app.async_dispatch(request))
    assert response.status == 200
    assert slack.wait_for("chat.postMessage")[0].params["text"] == "echo: hello"
    assert slack.messages(dm)[0]["text"] == "echo: hello"


def test_bolt_parses_built_block_actions_and_slash_commands(slack: FakeSlack) -> None:
    """The payload builders produce bodies bolt accepts: a button click and /pos board."""
    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=slack.url),
        signing_secret=SECRET,
        process_before_response=True,
    )
    seen: list[Any] = []

    @app.action(re.compile(r"^approve:"))
    async def on_click(ack: Any, action: dict) -> None:
        await ack()
        seen.append(decode_action(action["action_id"]))

    @app.command("/pos")
    async def on_command(ack: Any, command: dict) -> None:
        await ack()
        seen.append(command["text"])

    click = sp.form_body(
        sp.block_actions("approve:42", "42", user="U0ALICE", channel="C1", message_ts="1.000100")
    )
    command = sp.slash_command("board", user_id="U0ALICE", channel_id="C1")

    async def dispatch() -> list[int]:
        statuses = []
        for body in (click, command):
            request = AsyncBoltRequest(body=body.decode(), headers=sp.form_headers(body, SECRET))
            statuses.append((await app.async_dispatch(request)).status)
        return statuses

    assert asyncio.run(dispatch()) == [200, 200]
    assert seen == [("approve", "42"), "board"]
    stale = sp.sign(click, SECRET, timestamp=int(time.time()) - 600)
    assert not SignatureVerifier(SECRET).is_valid_request(click, stale)


def test_wait_for_reports_what_arrived(slack: FakeSlack) -> None:
    """wait_for fails at its deadline naming the calls that did arrive."""
    client(slack).auth_test()
    with pytest.raises(AssertionError, match=r"auth.test\(200\)"):
        slack.wait_for("chat.postMessage", timeout=0.05)
