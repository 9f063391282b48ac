"""FakeSlack: a local Slack Web API that the real slack_sdk / slack-bolt clients talk to.

with FakeSlack() as slack:
    slack.add_channel("pos-travel")
    client = WebClient(token="xoxb-test", base_url=slack.url)
    client.chat_postMessage(channel="pos-travel", text="hi")
    assert slack.messages("pos-travel")[0]["text"] == "hi"
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from tests.fakes.files import FileStore, slack_file
from tests.fakes.http import FakeHTTPServer, Reply
from tests.fakes.slack_chat import ChatMethods
from tests.fakes.slack_convs import ConversationMethods
from tests.fakes.slack_state import Channel, Ids, SlackError, TsClock, user_json

Handler = Callable[[dict[str, Any]], dict[str, Any]]
BOT_TOKEN, APP_TOKEN = "xoxb-", "xapp-"


FILE_DOWNLOAD = "files.download"  # not an API method: a file's url_private_download


class FakeSlack(ChatMethods, ConversationMethods, FakeHTTPServer):
    """Slack Web API stand-in with one team, one bot user, channels, users and messages."""

    def __init__(
        self,
        *,
        token: str | None = None,
        app_token: str | None = None,
        team_id: str = "T0FAKE001",
        team_name: str = "Fake Team",
        bot_user_id: str = "U0FAKEBOT",
        bot_id: str = "B0FAKEBOT",
        bot_name: str = "parallelos",
    ) -> None:
        super().__init__()
        self.token, self.app_token = token, app_token  # None: any xoxb- / xapp- token passes
        self.team_id, self.team_name = team_id, team_name
        self.bot_user_id, self.bot_id, self.bot_name = bot_user_id, bot_id, bot_name
        self.app_id = "A0FAKEAPP"
        self._ids, self._clock = Ids(), TsClock()
        self._channels: dict[str, Channel] = {}
        self._messages: dict[str, list[dict[str, Any]]] = {}
        self._ephemeral: list[dict[str, Any]] = []
        self._users: dict[str, dict[str, Any]] = {
            bot_user_id: user_json(bot_user_id, bot_name, is_bot=True)
        }
        self.views: list[dict[str, Any]] = []
        self.statuses: dict[tuple[str, str], str] = {}  # (channel, thread_ts) -> its status
        self.files = FileStore()  # files.info and the downloads behind url_private_download
        self._methods: dict[str, Handler] = {
            **self._chat_methods(),
            **self._conversation_methods(),
            "files.info": self._files_info,
        }

    @property
    def url(self) -> str:
        """Base URL for `WebClient(base_url=...)`, like https://slack.com/api/."""
        return f"{self.origin}/api/"

    # set-up and inspection -------------------------------------------------------------
    def add_channel(
        self,
        name: str,
        *,
        is_member: bool = True,
        is_private: bool = False,
        is_archived: bool = False,
        members: tuple[str, ...] = (),
    ) -> str:
        """Create a channel the way an admin would; returns its id."""
        with self._lock:
            channel = Channel(self._ids.new("C"), name, is_private, is_member, is_archived)
            channel.members.update(members)
            if is_member:
                channel.members.add(self.bot_user_id)
            return self._store_channel(channel)

    def rename(self, ref: str, name: str) -> None:
        """A person renames a channel (its id stays)."""
        with self._lock:
            self._find(ref).name = name

    def archive(self, ref: str) -> None:
        """A person archives a channel: the bot leaves it, its name stays taken."""
        with self._lock:
            channel = self._find(ref)
            channel.is_archived, channel.is_member = True, False
            channel.members.discard(self.bot_user_id)

    def pinned(self, ref: str) -> list[dict[str, Any]]:
        """The channel's pinned messages, oldest first."""
        with self._lock:
            channel = self._find(ref)
            return [copy.deepcopy(self._message(channel, ts)) for ts in channel.pins]

    def add_im(self, user_id: str) -> str:
        """The direct-message channel between the bot and `user_id` (created once); its id."""
        with self._lock:
            for channel in self._channels.values():
                if channel.im_user == user_id:
                    return channel.id
            channel = Channel(self._ids.new("D"), user_id, is_private=True, im_user=user_id)
            channel.members.update({user_id, self.bot_user_id})
            return self._store_channel(channel)

    def add_user(self, name: str, *, user_id: str | None = None, real_name: str = "") -> str:
        """A workspace member; returns the id."""
        with self._lock:
            user_id = user_id or self._ids.new("U")
            self._users[user_id] = user_json(user_id, name, real_name=real_name)
            return user_id

    def channel(self, ref: str) -> dict[str, Any]:
        """conversations.info's view of a channel, by id, name or #name."""
        with self._lock:
            channel = self._find(ref)
            return {**channel.as_json(), "members": sorted(channel.members)}

    def channel_id(self, ref: str) -> str:
        with self._lock:
            return self._find(ref).id

    def channel_names(self) -> list[str]:
        with self._lock:
            return [c.name for c in self._channels.values() if not c.im_user]

    def messages(self, ref: str) -> list[dict[str, Any]]:
        """Every message in a channel (replies included), oldest first, with `metadata`."""
        with self._lock:
            return copy.deepcopy(self._messages[self._find(ref).id])

    def ephemerals(self) -> list[dict[str, Any]]:
        """chat.postEphemeral messages (each with `channel` and `user`), oldest first."""
        with self._lock:
            return copy.deepcopy(self._ephemeral)

    def add_message(self, ref: str, text: str, *, user: str, thread_ts: str | None = None) -> str:
        """A message written by a person (for history tests); returns its ts."""
        with self._lock:
            message = {"type": "message", "user": user, "text": text, "team": self.team_id}
            return self._append(self._find(ref), message, thread_ts)["ts"]

    def fail_next(
        self,
        method: str,
        status: int | None = None,
        *,
        error: str | None = None,
        headers: dict[str, str] | None = None,
        body: dict[str, Any] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls of `method` with a failure, leaving state unchanged.

        Default: HTTP 429 `ratelimited` with `Retry-After: 1`. With `error=` alone: HTTP 200
        `{"ok": false, "error": error}`, as Slack answers API errors.
        """
        status = status if status is not None else (200 if error else 429)
        if headers is None:
            headers = {"Retry-After": "1"} if status == 429 else {}
        default = "ratelimited" if status == 429 else "internal_error"
        self._script(
            method, Reply(body or {"ok": False, "error": error or default}, status, headers), times
        )

    # serving ---------------------------------------------------------------------------
    def _route(self, path: str) -> str | None:
        if path.startswith("/files-pri/"):
            return FILE_DOWNLOAD
        return path.removeprefix("/api/") if path.startswith("/api/") else None

    def _handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        if method == FILE_DOWNLOAD:
            return self._download(path, headers)
        handler = self._methods.get(method)
        if handler is None:
            return Reply({"ok": False, "error": "unknown_method", "req_method": method}, 404)
        try:
            self._authenticate(method, params, headers)
            return Reply({"ok": True, **handler(params)})
        except SlackError as exc:
            return Reply({"ok": False, "error": exc.error, **exc.extra})

    def _authenticate(self, method: str, params: dict[str, Any], headers: dict[str, str]) -> None:
        auth = headers.get("authorization", "")
        token = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        token = token or str(params.pop("token", "") or "")
        if not token:
            raise SlackError("not_authed")
        wanted, prefix = (
            (self.app_token, APP_TOKEN)
            if method == "apps.connections.open"
            else (self.token, BOT_TOKEN)
        )
        if not token.startswith(prefix):
            is_other = token.startswith((APP_TOKEN, BOT_TOKEN, "xoxp-"))
            raise SlackError("not_allowed_token_type" if is_other else "invalid_auth")
        if wanted is not None and token != wanted:
            raise SlackError("invalid_auth")

    def add_file(self, data: bytes, *, name: str, mime: str) -> dict[str, Any]:
        """A file someone shared: its files.info object (the event's `files` entry)."""
        return slack_file(self.files.add(data, prefix="F0", name=name, mime=mime), self.origin)

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        stored = self.files.get(str(params.get("file") or ""))
        if stored is None:
            raise SlackError("file_not_found")
        return {"file": slack_file(stored, self.origin)}

    def _download(self, path: str, headers: dict[str, str]) -> Reply:
        """url_private_download: only with the bot token (else Slack answers its login page)."""
        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer " + BOT_TOKEN) or (
            self.token is not None and auth != f"Bearer {self.token}"
        ):
            return Reply({"ok": False, "error": "not_authed"}, 403)
        file_id = path.split("/")[2].split("-", 1)[-1]
        return self.files.download(self.files.get(file_id))

    # helpers shared with the conversation methods --------------------------------------
    def _store_channel(self, channel: Channel) -> str:
        self._channels[channel.id] = channel
        self._messages[channel.id] = []
        return channel.id

    def _find(self, ref: str) -> Channel:
        ref = str(ref or "")
        if ref in self._channels:
            return self._channels[ref]
        for channel in self._channels.values():
            if channel.name == ref.removeprefix("#") and not channel.im_user:
                return channel
        raise SlackError("channel_not_found")

    def _append(self, channel: Channel, message: dict, thread_ts: str | None) -> dict:
        message = {**message, "ts": self._clock.next(), "channel": channel.id}
        if thread_ts:
            parent = self._message(channel, thread_ts, missing="thread_not_found")
            parent["thread_ts"] = parent["ts"]
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            message["thread_ts"] = parent["ts"]
        self._messages[channel.id].append(message)
        return message

    def _message(self, channel: Channel, ts: str, missing: str = "message_not_found") -> dict:
        for message in self._messages[channel.id]:
            if message["ts"] == str(ts):
                return message
        raise SlackError(missing)

    @staticmethod
    def _public(message: dict[str, Any], with_metadata: bool = True) -> dict[str, Any]:
        hidden = {"channel"} if with_metadata else {"channel", "metadata"}
        return {k: copy.deepcopy(v) for k, v in message.items() if k not in hidden}
