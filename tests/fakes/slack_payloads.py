"""Builders for what Slack sends the app: Events API envelopes, interactivity, slash commands.

Bodies are `bytes` exactly as Slack would POST them, and `sign` adds the v0 signature headers
(FACTS §1.2), so tests drive `POST /slack/events` end to end:

    body = json_body(message_im("status travel", user="U123"))
    client.post("/slack/events", content=body, headers=json_headers(body, SECRET))
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

TEAM_ID = "T0FAKE001"
APP_ID = "A0FAKEAPP"
BOT_USER_ID = "U0FAKEBOT"
_ids = itertools.count(1)


def _next(prefix: str) -> str:
    return f"{prefix}{next(_ids):010d}"


def now_ts() -> str:
    return f"{time.time():.6f}"


# -- events API --------------------------------------------------------------------------
def envelope(
    event: dict[str, Any], *, event_id: str | None = None, team_id: str = TEAM_ID
) -> dict[str, Any]:
    """An `event_callback` envelope around an inner event (unique `event_id` by default)."""
    return {
        "token": "verification-token-unused",
        "team_id": team_id,
        "api_app_id": APP_ID,
        "event": {"event_ts": event.get("ts", now_ts()), **event},
        "type": "event_callback",
        "event_id": event_id or _next("Ev"),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": team_id, "user_id": BOT_USER_ID, "is_bot": True}],
        "is_ext_shared_channel": False,
    }


def message_event(
    text: str,
    *,
    user: str,
    channel: str,
    channel_type: str = "channel",
    ts: str | None = None,
    thread_ts: str | None = None,
    team_id: str = TEAM_ID,
    event_type: str = "message",
) -> dict[str, Any]:
    """The inner event of a message (or of an app_mention with event_type="app_mention")."""
    event: dict[str, Any] = {
        "type": event_type,
        "user": user,
        "text": text,
        "ts": ts or now_ts(),
        "channel": channel,
        "team": team_id,
    }
    if event_type == "message":
        event["channel_type"] = channel_type
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message_im(text: str, *, user: str, channel: str = "D0FAKEDM1", **kw: Any) -> dict:
    """A direct message to the bot (`message.im`), in its envelope."""
    event_id = kw.pop("event_id", None)
    event = message_event(text, user=user, channel=channel, channel_type="im", **kw)
    return envelope(event, event_id=event_id)


def message_channels(text: str, *, user: str, channel: str, **kw: Any) -> dict:
    """A message in a public channel (`message.channels`), in its envelope."""
    event_id = kw.pop("event_id", None)
    event = message_event(text, user=user, channel=channel, channel_type="channel", **kw)
    return envelope(event, event_id=event_id)


def app_mention(text: str, *, user: str, channel: str, **kw: Any) -> dict:
    """An `app_mention`; `text` should contain `<@U0FAKEBOT>` like Slack's does."""
    event_id = kw.pop("event_id", None)
    event = message_event(text, user=user, channel=channel, event_type="app_mention", **kw)
    return envelope(event, event_id=event_id)


def url_verification(challenge: str = "challenge-fake") -> dict[str, Any]:
    return {
        "token": "verification-token-unused",
        "challenge": challenge,
        "type": "url_verification",
    }


# -- interactivity and commands ----------------------------------------------------------
def block_actions(
    action_id: str,
    value: str,
    *,
    user: str,
    channel: str,
    message_ts: str,
    team_id: str = TEAM_ID,
    block_id: str = "actions",
    message: dict[str, Any] | None = None,
    response_url: str = "https://hooks.slack.com/actions/T0FAKE001/1/fake",
) -> dict[str, Any]:
    """A `block_actions` payload for one button click (send it with `form_body`)."""
    return {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": _next("trigger."),
        "channel": {"id": channel, "name": channel.lower()},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel,
                      "is_ephemeral": False},
        "message": message or {"type": "message", "ts": message_ts, "user": BOT_USER_ID},
        "response_url": response_url,
        "actions": [{
            "type": "button",
            "action_id": action_id,
            "block_id": block_id,
            "value": value,
            "text": {"type": "plain_text", "text": value},
            "action_ts": now_ts(),
        }],
    }  # fmt: skip


def view_block_actions(
    action_id: str, value: str, *, user: str, view: dict[str, Any], team_id: str = TEAM_ID
) -> dict[str, Any]:
    """A click on a button of a published view (the Home tab), as Slack sends it: the
    container is the view (`view_id`), with the whole view; no channel, message or
    response_url."""
    return {
        "type": "block_actions",
        "team": {"id": team_id, "domain": "fake"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": team_id},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "trigger_id": _next("trigger."),
        "container": {"type": "view", "view_id": view["id"]},
        "view": {"id": view["id"], "team_id": team_id, "type": view.get("type", "home"),
                 "blocks": view.get("blocks", []), "private_metadata": "", "callback_id": "",
                 "state": {"values": {}}, "hash": _next("hash."), "app_id": APP_ID,
                 "root_view_id": view["id"], "previous_view_id": None},
        "is_enterprise_install": False,
        "actions": [{
            "type": "button",
            "action_id": action_id,
            "block_id": "home",
            "value": value,
            "text": {"type": "plain_text", "text": value},
            "action_ts": now_ts(),
        }],
    }  # fmt: skip


def form_body(payload: dict[str, Any]) -> bytes:
    """`payload=<json>` form body, as Slack posts interactivity payloads."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def slash_command(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    command: str = "/pos",
    team_id: str = TEAM_ID,
    response_url: str = "https://hooks.slack.com/commands/T0FAKE001/1/fake",
) -> bytes:
    """A slash command's form body."""
    return urlencode({
        "token": "verification-token-unused",
        "team_id": team_id,
        "team_domain": "fake",
        "channel_id": channel_id,
        "channel_name": channel_id.lower(),
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "response_url": response_url,
        "trigger_id": _next("trigger."),
    }).encode()  # fmt: skip


# -- bodies and signatures ---------------------------------------------------------------
def json_body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature headers for `body` (now, unless `timestamp` is given)."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def json_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Signed headers for a JSON body (events, url_verification)."""
    return {"Content-Type": "application/json", **sign(body, secret, timestamp)}


def form_headers(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Signed headers for a form body (interactivity, slash commands)."""
    return {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret, timestamp)}
