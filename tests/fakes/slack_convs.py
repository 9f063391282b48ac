"""The conversations.* methods of FakeSlack (a mixin over its state)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from tests.fakes.slack_state import USER_ID, Channel, SlackError, as_bool, page, ts_value

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack

CHANNEL_NAME = re.compile(r"^[a-z0-9_-]+$")  # FACTS §1.7
MAX_NAME = 80
TOPIC_MAX = 250


class ConversationMethods:
    """conversations.list/create/invite/join/info/history/replies/open."""

    def _conversation_methods(self: FakeSlack) -> dict[str, Any]:
        return {
            "conversations.list": self._list,
            "conversations.create": self._create,
            "conversations.invite": self._invite,
            "conversations.join": self._join,
            "conversations.info": self._info,
            "conversations.history": self._history,
            "conversations.replies": self._replies,
            "conversations.open": self._open,
            "conversations.setTopic": lambda p: self._set_text(p, "topic"),
            "conversations.setPurpose": lambda p: self._set_text(p, "purpose"),
            "pins.add": self._pin,
            "pins.list": self._pins,
        }

    def _set_text(self: FakeSlack, params: dict[str, Any], field: str) -> dict[str, Any]:
        """conversations.setTopic / setPurpose: a member sets it, at most 250 characters."""
        channel = self._find(params.get("channel"))
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.is_member:
            raise SlackError("not_in_channel")
        text = str(params.get(field) or "")
        if len(text) > TOPIC_MAX:
            raise SlackError("too_long")
        setattr(channel, field, text)
        return {"channel": channel.as_json()}

    def _pin(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(params)
        if channel.is_archived:
            raise SlackError("is_archived")
        ts = str(params.get("timestamp") or "")
        if not ts:
            raise SlackError("no_item_specified")
        self._message(channel, ts)
        if ts in channel.pins:
            raise SlackError("already_pinned")
        channel.pins.append(ts)
        return {}

    def _pins(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._find(params.get("channel"))
        items = [
            {"type": "message", "channel": channel.id,
             "message": self._public(self._message(channel, ts))}
            for ts in reversed(channel.pins)
        ]  # fmt: skip
        return {"items": items}

    def _list(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        types = set(str(params.get("types") or "public_channel").split(","))
        skip_archived = as_bool(params.get("exclude_archived"))
        found = [
            c.as_json()
            for c in self._channels.values()
            if c.kind in types and not (skip_archived and c.is_archived)
        ]
        channels, cursor = page(found, params, default=100, cap=1000)
        return {"channels": channels, "response_metadata": {"next_cursor": cursor}}

    def _create(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("name") or "")
        if not name:
            raise SlackError("invalid_name_required")
        if len(name) > MAX_NAME:
            raise SlackError("invalid_name_maxlength")
        if not CHANNEL_NAME.match(name):
            raise SlackError("invalid_name_specials")
        if name in self.channel_names():
            raise SlackError("name_taken")
        channel_id = self.add_channel(name, is_private=as_bool(params.get("is_private")))
        return {"channel": self._channels[channel_id].as_json()}

    def _invite(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._find(params.get("channel"))
        if not channel.is_member:
            raise SlackError("not_in_channel")
        users = [u.strip() for u in str(params.get("users") or "").split(",") if u.strip()]
        if not users:
            raise SlackError("no_user")
        for user in users:
            if user == self.bot_user_id:
                raise SlackError("cant_invite_self")
            if user not in self._users and not USER_ID.match(user):
                raise SlackError("user_not_found")
            if user in channel.members:
                raise SlackError("already_in_channel")
        channel.members.update(users)
        return {"channel": channel.as_json()}

    def _join(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._find(params.get("channel"))
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type")
        if channel.is_archived:
            raise SlackError("is_archived")
        answer: dict[str, Any] = {}
        if channel.is_member:
            answer = {
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        channel.is_member = True
        channel.members.add(self.bot_user_id)
        return {"channel": channel.as_json(), **answer}

    def _info(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        return {"channel": self._find(params.get("channel")).as_json()}

    def _readable(self: FakeSlack, params: dict[str, Any]) -> Channel:
        channel = self._find(params.get("channel"))
        if not channel.is_member:
            raise SlackError("not_in_channel")
        return channel

    def _history(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(params)
        inclusive = as_bool(params.get("inclusive"))
        oldest = ts_value(params.get("oldest"), Decimal(0))
        latest = ts_value(params.get("latest"), Decimal("Infinity"))
        metadata = as_bool(params.get("include_all_metadata"))

        def inside(ts: Decimal) -> bool:
            if inclusive:
                return oldest <= ts <= latest
            return oldest < ts < latest

        top = [
            self._public(m, with_metadata=metadata)
            for m in reversed(self._messages[channel.id])
            if m.get("thread_ts", m["ts"]) == m["ts"] and inside(Decimal(m["ts"]))
        ]
        messages, cursor = page(top, params, default=100, cap=999)
        return {
            "messages": messages,
            "has_more": bool(cursor),
            "pin_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }

    def _replies(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._readable(params)
        parent = self._message(channel, params.get("ts", ""), missing="thread_not_found")
        metadata = as_bool(params.get("include_all_metadata"))
        thread = [
            self._public(m, with_metadata=metadata)
            for m in self._messages[channel.id]
            if m["ts"] == parent["ts"] or m.get("thread_ts") == parent["ts"]
        ]
        messages, cursor = page(thread, params, default=100, cap=1000)
        return {
            "messages": messages,
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }

    def _open(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("channel"):
            return {"channel": self._find(params["channel"]).as_json()}
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if len(users) != 1:
            raise SlackError("users_list_not_supplied" if not users else "not_implemented")
        return {"channel": self._channels[self.add_im(users[0])].as_json()}
