"""The chat.*, auth, users, apps and views methods of FakeSlack (a mixin over its state)."""

from __future__ import annotations

import copy
import json
from typing import TYPE_CHECKING, Any

from tests.fakes.slack_blocks import MAX_TEXT, block_errors
from tests.fakes.slack_state import USER_ID, Channel, SlackError, user_json

if TYPE_CHECKING:
    from tests.fakes.slack_api import FakeSlack

MAX_STREAM_TEXT = 12_000  # markdown_text in one stream call
STREAM_CHUNKS = frozenset({"markdown_text", "task_update", "plan_update", "blocks"})


class ChatMethods:
    """auth.test, chat.*, users.info, apps.connections.open, views.open, views.publish,
    assistant.threads.setSuggestedPrompts, assistant.threads.setStatus, and the streams:
    chat.startStream / appendStream / stopStream (a reply in a thread; in a channel that is
    not a DM only for a named recipient; append and stop only to a stream still open)."""

    def _chat_methods(self: FakeSlack) -> dict[str, Any]:
        return {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.delete": self._delete,
            "chat.getPermalink": self._permalink,
            "users.info": self._users_info,
            "apps.connections.open": self._connections_open,
            "views.open": self._views_open,
            "views.publish": self._views_publish,
            "assistant.threads.setSuggestedPrompts": self._suggested_prompts,
            "assistant.threads.setStatus": self._set_status,
            "chat.startStream": self._start_stream,
            "chat.appendStream": self._append_stream,
            "chat.stopStream": self._stop_stream,
        }

    def _stream_text(self: FakeSlack, params: dict[str, Any]) -> str:
        """`markdown_text`, or the text of `markdown_text` chunks; at most 12,000 characters."""
        text = str(params.get("markdown_text") or "")
        for chunk in _json_param(params.get("chunks"), "invalid_chunks") or []:
            if not isinstance(chunk, dict) or chunk.get("type") not in STREAM_CHUNKS:
                raise SlackError("invalid_chunks")
            text += str(chunk.get("text") or "") if chunk["type"] == "markdown_text" else ""
        if len(text) > MAX_STREAM_TEXT:
            raise SlackError("msg_too_long")
        return text

    def _start_stream(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(params.get("channel"))
        thread_ts = str(params.get("thread_ts") or "")
        if not thread_ts:
            raise SlackError("invalid_arguments")
        if not channel.id.startswith("D") and not (
            params.get("recipient_user_id") and params.get("recipient_team_id")
        ):
            raise SlackError("missing_recipient_user_id")
        message = self._bot_message({"text": self._stream_text(params)})
        message["streaming"] = True
        stored = self._append(channel, message, thread_ts)
        return {"channel": channel.id, "ts": stored["ts"]}

    def _open_stream(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._find(params.get("channel"))
        message = self._message(channel, params.get("ts", ""))
        if not message.get("streaming"):
            raise SlackError("message_not_in_streaming_state")
        return message

    def _append_stream(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        message = self._open_stream(params)
        text = self._stream_text(params)
        if not text:
            raise SlackError("invalid_arguments")
        message["text"] += text
        return {"channel": message["channel"], "ts": message["ts"]}

    def _stop_stream(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        message = self._open_stream(params)
        message["text"] += self._stream_text(params)
        blocks = _json_param(params.get("blocks"), "invalid_blocks")
        if blocks is not None:
            errors = block_errors(blocks)
            if errors:
                raise SlackError("invalid_blocks", response_metadata={"messages": errors})
            message["blocks"] = blocks
        message["streaming"] = False
        return {"channel": message["channel"], "ts": message["ts"],
                "message": self._public(message)}  # fmt: skip

    def _auth_test(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"{self.origin}/",
            "team": self.team_name,
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _content(
        self: FakeSlack, params: dict[str, Any], *, required: bool = True
    ) -> dict[str, Any]:
        content: dict[str, Any] = {}
        text, blocks = params.get("text"), _json_param(params.get("blocks"), "invalid_blocks")
        if required and not text and not blocks:
            raise SlackError("no_text")
        if text is not None:
            if len(str(text)) > MAX_TEXT:
                raise SlackError("msg_too_long")
            content["text"] = str(text)
        if blocks is not None:
            errors = block_errors(blocks)
            if errors:
                raise SlackError("invalid_blocks", response_metadata={"messages": errors})
            content["blocks"] = blocks
        metadata = _json_param(params.get("metadata"), "invalid_metadata_format")
        if metadata is not None:
            if not isinstance(metadata, dict) or "event_type" not in metadata:
                raise SlackError("invalid_metadata_format")
            content["metadata"] = {
                "event_type": metadata["event_type"],
                "event_payload": metadata.get("event_payload", {}),
            }
        return content

    def _bot_message(self: FakeSlack, content: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": "",
            **content,
        }

    def _writable(self: FakeSlack, ref: Any) -> Channel:
        ref = str(ref or "")
        if USER_ID.match(ref):
            return self._channels[self.add_im(ref)]
        channel = self._find(ref)
        if channel.is_archived:
            raise SlackError("is_archived")
        if not channel.is_member:
            raise SlackError("not_in_channel")
        return channel

    def _post_message(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(params.get("channel"))
        message = self._bot_message(self._content(params))
        stored = self._append(channel, message, params.get("thread_ts") or None)
        return {"channel": channel.id, "ts": stored["ts"], "message": self._public(stored)}

    def _update(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._find(params.get("channel"))
        message = self._message(channel, params.get("ts", ""))
        if message.get("user") != self.bot_user_id or message.get("streaming"):
            raise SlackError("cant_update_message")  # an open stream is edited by appending
        message.update(self._content(params, required=False))
        message["edited"] = {"user": self.bot_user_id, "ts": self._clock.next()}
        return {
            "channel": channel.id,
            "ts": message["ts"],
            "text": message.get("text", ""),
            "message": self._public(message),
        }

    def _post_ephemeral(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._writable(params.get("channel"))
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        ts = self._clock.next()
        message = self._bot_message(self._content(params))
        self._ephemeral.append(
            {
                **message,
                "ts": ts,
                "channel": channel.id,
                "user": params["user"],
                "thread_ts": params.get("thread_ts"),
            }
        )
        return {"message_ts": ts}

    def _delete(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._find(params.get("channel"))
        message = self._message(channel, params.get("ts", ""))
        if message.get("user") != self.bot_user_id:
            raise SlackError("cant_delete_message")
        self._messages[channel.id].remove(message)
        return {"channel": channel.id, "ts": message["ts"]}

    def _permalink(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._find(params.get("channel"))
        ts = self._message(channel, params.get("message_ts", ""))["ts"]
        link = f"{self.origin}/archives/{channel.id}/p{ts.replace('.', '')}"
        return {"channel": channel.id, "permalink": link}

    def _users_info(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        user_id = str(params.get("user") or "")
        if user_id in self._users:
            return {"user": copy.deepcopy(self._users[user_id])}
        if USER_ID.match(user_id):  # any well-formed id is a plain member
            return {"user": user_json(user_id, user_id.lower())}
        raise SlackError("user_not_found")

    def _connections_open(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        ticket = self._ids.new("ticket-")
        return {"url": f"ws://127.0.0.1:{self.origin.rsplit(':', 1)[1]}/link/?ticket={ticket}"}

    def _views_publish(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        """A Home tab: a `home` view of at most 100 valid blocks for a known-shaped user."""
        view = _json_param(params.get("view"), "invalid_arguments")
        user = str(params.get("user_id") or "")
        if not USER_ID.match(user) or not isinstance(view, dict) or view.get("type") != "home":
            raise SlackError("invalid_arguments")
        blocks = view.get("blocks") or []
        if len(blocks) > 100 or block_errors(blocks):
            raise SlackError("invalid_blocks")
        return {"view": {**view, "id": self._ids.new("V")}}

    def _suggested_prompts(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        """At most four prompts, each with a title and a message, in a DM."""
        prompts = _json_param(params.get("prompts"), "invalid_arguments")
        channel = str(params.get("channel_id") or "")
        if (
            not channel.startswith("D")
            or not isinstance(prompts, list)
            or not 0 < len(prompts) <= 4
        ):
            raise SlackError("invalid_arguments")
        if not all(isinstance(p, dict) and p.get("title") and p.get("message") for p in prompts):
            raise SlackError("invalid_arguments")
        return {}

    def _set_status(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        """A thread's status ("is thinking…"; empty clears it), in a DM thread that exists."""
        channel = self._find(str(params.get("channel_id") or ""))
        thread_ts, status = str(params.get("thread_ts") or ""), params.get("status")
        if not thread_ts or status is None:
            raise SlackError("invalid_arguments")
        if not channel.id.startswith("D"):
            raise SlackError("channel_type_not_supported")
        self._message(channel, thread_ts, "thread_not_found")
        self.statuses[(channel.id, thread_ts)] = str(status)
        return {}

    def _views_open(self: FakeSlack, params: dict[str, Any]) -> dict[str, Any]:
        view = _json_param(params.get("view"), "invalid_arguments")
        if not params.get("trigger_id") or not isinstance(view, dict):
            raise SlackError("invalid_arguments")
        opened = {**view, "id": self._ids.new("V"), "team_id": self.team_id}
        self.views.append(opened)
        return {"view": opened}


def _json_param(value: Any, error: str) -> Any:
    """A parameter that is JSON in a form body and already decoded in a JSON body."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value else None
        except ValueError as exc:
            raise SlackError(error) from exc
    return value
