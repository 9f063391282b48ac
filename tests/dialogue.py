"""Talking to the bot in a test, the same way on every surface: say, click, read the replies.

    d = SlackDialogue(client, slack)
    verify_dialog(d, [
        ("Phase: beta", "Updated travel: phase → beta"),
        ("Ask finance: pay the deposit", "inbox #1"),
    ], channel=travel)

Each dialogue goes in the way a person's words do:

- `CoreDialogue`: canonical events stored and processed (no HTTP); a RecordingSender keeps
  the posts (`Sent`).
- `LocalDialogue`: the local chat's routes (`POST /api/chat`, `POST /api/chat/click`).
- `SlackDialogue`: the message is written into the Slack stand-in, then its signed event goes
  through `POST /slack/events`; a click is a signed `block_actions`.
- `TelegramDialogue`: an update with the webhook secret through `POST /telegram/webhook`; a
  click is a callback query.

`say` returns a `Said`; `thread(said)` is the bot's posts answering it, as the platform keeps
them; `replies(said)` is their text as the user reads it now (edits applied); `click` presses
a button by its label and returns what was delivered, which `deliver` delivers again.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from jobs import tasks
from orchestrator.canonical import EventKind, InboundEvent, Platform, Post
from orchestrator.db import Database
from orchestrator.ingest import store_events
from tests import slack_support, telegram_support
from tests.fakes import slack_payloads as payloads
from tests.fakes import telegram_payloads as tp
from tests.fakes.telegram_api import FakeTelegram
from tests.recording_sender import RecordingSender, Sent

__all__ = [
    "CoreDialogue",
    "Dialogue",
    "LocalDialogue",
    "Said",
    "SlackDialogue",
    "TelegramDialogue",
    "actions",
    "telegram_message",
    "verify_dialog",
]
_ids = itertools.count(1)


@dataclass(frozen=True)
class Said:
    """One thing said: where (a channel; `(chat, topic)` on Telegram), the platform's id for
    the message (Slack ts, Telegram message_id), what was delivered, the edge's response."""

    channel: Any
    ref: Any
    payload: Any = None
    response: Any = None


class Dialogue(Protocol):
    def say(self, text: str, **where: Any) -> Said: ...
    def replies(self, said: Said) -> list[str]: ...


def verify_dialog(dialogue: Dialogue, turns: Sequence[tuple[str, str | list[str]]],
                  **where: Any) -> list[Said]:  # fmt: skip
    """Say each line in turn; the bot answers it with exactly the replies given (one string
    for one reply), each containing its string. Returns what was said, in order."""
    said = []
    for text, expected in turns:
        said.append(dialogue.say(text, **where))
        wanted = [expected] if isinstance(expected, str) else expected
        got = dialogue.replies(said[-1])
        matches = len(got) == len(wanted) and all(w in g for w, g in zip(wanted, got, strict=True))
        assert matches, f"said {text!r}: wanted replies containing {wanted}, got {got}"
    return said


# -- the core, without a platform ----------------------------------------------------------
@dataclass(kw_only=True)
class CoreDialogue:
    """Slack-shaped canonical events straight into the pipeline; posts on a RecordingSender."""

    db: Database
    sender: RecordingSender = field(default_factory=RecordingSender)
    user: str = "U1"
    channel: str = "CTRAVEL"  # where `say` speaks by default
    cards: str = "CTRAVEL"  # where `click` clicks by default

    def say(self, text: str, *, user: str | None = None, channel: str | None = None,
            thread: str | None = None, direct: bool | None = None) -> Said:  # fmt: skip
        """A message (a DM when the channel is a `D…` one); its ts is the thread answered in."""
        n, channel = next(_ids), channel or self.channel
        ts = f"{1000 + n}.0001"
        direct = channel.startswith("D") if direct is None else direct
        event = InboundEvent(platform=Platform.SLACK, external_id=f"Ev{n}",
                             kind=EventKind.MESSAGE, user=user or self.user, channel=channel,
                             text=text, thread=thread, message_ref=ts, is_direct=direct)  # fmt: skip
        return Said(channel, ts, event, self.deliver(event))

    def click(self, action: str, value: str, *, user: str | None = None,
              channel: str | None = None, external_id: str | None = None,
              message: str | None = None) -> None:  # fmt: skip
        """A button click (a new Slack action_ts unless `external_id` repeats one) on the
        latest post in the channel carrying that button, or on the `message` given."""
        n, user, channel = next(_ids), user or self.user, channel or self.cards
        self.deliver(
            InboundEvent(platform=Platform.SLACK, external_id=external_id or f"act:{user}:{n}",
                         kind=EventKind.ACTION, user=user, channel=channel,
                         action_id=action, action_value=value,
                         action_message_ref=message or self.card_with(channel, action, value),
                         action_callback_ref=f"https://hooks.test/{n}")
        )  # fmt: skip

    def card_with(self, channel: str, action: str, value: str) -> str | None:
        """The message id of the latest post in `channel` with the button `action:value`."""
        for sent in reversed(self.posts_in(channel)):
            versions = [sent.post, *self.edits_of(sent)]
            if any((b.action, b.value) == (action, value) for p in versions for b in p.buttons):
                return sent.ref.message_id
        return None

    def command(self, name: str, text: str = "", *, channel: str = "CELSEWHERE") -> Post:
        """`/pos name text`; returns the answer."""
        n = next(_ids)
        self.deliver(
            InboundEvent(platform=Platform.SLACK, external_id=f"cmd{n}", kind=EventKind.COMMAND,
                         user=self.user, channel=channel, command=name, text=text,
                         is_direct=channel.startswith("D"))
        )  # fmt: skip
        return self.sender.sent[-1].post

    def deliver(self, event: InboundEvent) -> int | None:
        """Store the event and process it (at once, like the synchronous queue); its id."""
        (event_id,) = store_events(self.db, [event])
        if event_id is not None:
            tasks.process_event(event_id)
        return event_id

    def posts_in(self, channel: str) -> list[Sent]:
        return self.sender.in_channel(channel)

    def edits_of(self, sent: Sent) -> list[Post]:
        return [post for ref, post in self.sender.edits if ref.message_id == sent.ref.message_id]

    def answers_to(self, user: str) -> list[str]:
        return [post.text for _, who, post in self.sender.answers if who == user]

    def thread(self, said: Said) -> list[Sent]:
        return [s for s in self.posts_in(said.channel) if s.dest.thread == said.ref]

    def replies(self, said: Said) -> list[str]:
        return [(self.edits_of(s) or [s.post])[-1].text for s in self.thread(said)]


# -- the local chat ------------------------------------------------------------------------
@dataclass
class LocalDialogue:
    """The local chat over HTTP (a TestClient on this machine's address)."""

    client: Any

    def say(self, text: str, *, channel: str = "local-dm") -> Said:
        """A line typed in a chat; `ref` is the last message shown before it."""
        shown = self.client.get("/api/chat/messages").json()["last"]
        body = {"text": text, "channel": channel}
        return Said(channel, shown, body, self.client.post("/api/chat", json=body))

    def click(self, message: dict[str, Any], label: str) -> dict[str, Any]:
        button = next(b for b in message["post"]["buttons"] if b["label"] == label)
        body = {"action": button["action"], "value": button["value"], "message": message["key"],
                "channel": message["channel"]}  # fmt: skip
        assert self.client.post("/api/chat/click", json=body).status_code == 200
        return body

    def posts(self, channel: str) -> list[dict[str, Any]]:
        """What the chat shows in a channel: posts, their updates and answers, oldest first."""
        found = self.client.get("/api/chat/messages").json()["messages"]
        return [m for m in found if m["channel"] == channel]

    def thread(self, said: Said) -> list[dict[str, Any]]:
        """The posts (not their updates) that came out in the channel after it was said."""
        return [m for m in self.posts(said.channel) if m["id"] > said.ref and not m["update_of"]]

    def replies(self, said: Said) -> list[str]:
        updates = {m["update_of"]: m for m in self.posts(said.channel) if m["update_of"]}
        return [updates.get(m["id"], m)["post"]["text"] for m in self.thread(said)]


# -- Slack -----------------------------------------------------------------------------------
@dataclass
class SlackDialogue:
    """Slack through the real edge: the stand-in holds the message, the app gets it signed."""

    client: Any
    slack: slack_support.FakeSlackHooks
    user: str = slack_support.OPERATOR

    def say(self, text: str, *, channel: str | None = None, user: str | None = None,
            **kw: Any) -> Said:  # fmt: skip
        """`user` writes in `channel`, or in their DM with the bot when none is given."""
        user = user or self.user
        build = payloads.message_channels if channel else payloads.message_im
        channel = channel or self.slack.add_im(user)
        ts = self.slack.add_message(channel, text, user=user)
        payload = build(text, user=user, channel=channel, ts=ts, **kw)
        return Said(channel, ts, payload, self.deliver(payload))

    def click(self, message: dict[str, Any], label: str, *, user: str | None = None) -> dict:
        """Press the button labelled `label` on a bot post; returns the payload."""
        user = user or self.user
        action_id = next(e["action_id"] for e in actions(message) if e["text"]["text"] == label)
        payload = slack_support.card_click(
            self.slack, message, action_id, user=user, hook=f"{user}-{message['ts']}"
        )
        assert self.deliver(payload).status_code == 200
        return payload

    def deliver(self, payload: dict[str, Any]) -> Any:
        """Deliver an event or a click (again): signed, to `POST /slack/events`."""
        if payload.get("type") == "block_actions":
            return slack_support.post_click(self.client, payload)
        return slack_support.post_json(self.client, payload)

    def posts(self, channel: str) -> list[dict[str, Any]]:
        """The bot's messages in a channel as they are now, each with its `channel`."""
        found = [m for m in self.slack.messages(channel) if m.get("user") == payloads.BOT_USER_ID]
        return [{**m, "channel": channel} for m in found]

    def thread(self, said: Said) -> list[dict[str, Any]]:
        return [m for m in self.posts(said.channel) if m.get("thread_ts") == said.ref]

    def replies(self, said: Said) -> list[str]:
        return [m["text"] for m in self.thread(said)]

    def private_answers(self) -> list[str]:
        """What went back to response_urls (ephemeral answers), oldest first."""
        return [c.params["text"] for c in self.slack.calls(slack_support.HOOK)]


def actions(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The buttons of a Slack message's actions blocks."""
    return [e for b in message.get("blocks", []) if b["type"] == "actions" for e in b["elements"]]


# -- Telegram --------------------------------------------------------------------------------
_updates = itertools.count(100)


def telegram_message(text: str, *, user: int = telegram_support.OPERATOR,
                     topic: int | None = None, update_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    """An update with a message in a forum topic, or in the user's private chat; its
    message_id is its update_id."""
    n = next(_updates) if update_id is None else update_id
    if topic is None:
        return tp.message_update(n, user, user, text, message_id=n)
    forum = telegram_support.FORUM
    return tp.message_update(n, forum, user, text, topic, "supergroup", message_id=n)


@dataclass
class TelegramDialogue:
    """Telegram through the webhook (with its secret); the Bot API stand-in keeps the posts."""

    client: Any
    tg: FakeTelegram
    user: int = telegram_support.OPERATOR

    def say(self, text: str, *, topic: int | None = None, user: int | None = None,
            update_id: int | None = None) -> Said:  # fmt: skip
        """`user` writes in a forum topic, or privately to the bot when none is given."""
        user = user or self.user
        update = telegram_message(text, user=user, topic=topic, update_id=update_id)
        chat = telegram_support.FORUM if topic is not None else user
        message_id = update["message"]["message_id"]
        return Said((chat, topic), message_id, update, self.deliver(update))

    def click(self, message: dict[str, Any], label: str, *, user: int | None = None) -> dict:
        """Press a button on a bot message; returns the update."""
        n = next(_updates)
        data = next(b["callback_data"] for row in message["reply_markup"]["inline_keyboard"]
                    for b in row if b["text"] == label)  # fmt: skip
        update = tp.callback_update(n, user or self.user, data, message, callback_id=f"cb{n}")
        self.deliver(update)
        return update

    def deliver(self, update: dict[str, Any]) -> Any:
        """Deliver an update (again) to the webhook, with the secret."""
        return telegram_support.post_update(self.client, update)

    def thread(self, said: Said) -> list[dict[str, Any]]:
        """The bot's messages (as they are now) sent in reply to what was said."""
        (chat, topic) = said.channel
        replies = {c.response["result"]["message_id"] for c in self.tg.calls("sendMessage")
                   if c.ok and str(c.params.get("chat_id")) == str(chat)
                   and json.loads(c.params.get("reply_parameters") or "{}").get("message_id")
                   == said.ref}  # fmt: skip
        return [m for m in self.tg.messages(chat, topic) if m["message_id"] in replies]

    def replies(self, said: Said) -> list[str]:
        return [m["text"] for m in self.thread(said)]

    def answers(self) -> dict[str, str]:
        """callback_query_id -> the text it was answered with ("" for a silent answer)."""
        return {a["callback_query_id"]: a.get("text", "") for a in self.tg.answered}
