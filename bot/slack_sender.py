"""The Slack `Sender`: outbox posts out through the sync Web API client (jobs are sync), over
kept-alive connections (`bot.slack_pool`: one event loop thread and aiohttp session a process,
closed by `close()` when the worker stops).

Each post carries its outbox key in message metadata (`parallelos_post`), so after a crash
`find_sent` can look in the channel's recent history and tell whether Slack already has it.
The sender is also the worker's source of display names (`named`, `bot.slack_names`).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.slack_calls import FAILED, Refused, Uncertain, call, classify, header
from bot.slack_channels import ensure_channel
from bot.slack_home import HOME_VIEWS, home_buttons, home_view
from bot.slack_names import SlackNames, lookup_client
from bot.slack_pool import PooledWebClient
from bot.slack_render import render_slack
from bot.slack_setup import pin
from orchestrator.canonical import InboundEvent, Platform, Post, SentRef
from orchestrator.outbound import (
    UNKNOWN,
    Destination,
    RetryLater,
    Unconfirmed,
    Unknown,
    Unsettled,
)
from orchestrator.settings import Settings, require

log = logging.getLogger(__name__)

EVENT_TYPE = "parallelos_post"
LOOKBACK = 60.0  # seconds of history before the post's creation that find_sent reads
HISTORY_PAGE = 200
HISTORY_PAGES = 10  # beyond this the answer is "unknown", never a guess
TIMEOUT = 15
SETTLE = 60.0  # after a lost answer, how long a slow post may take to show before a resend


def metadata(key: str) -> dict[str, Any]:
    return {"event_type": EVENT_TYPE, "event_payload": {"key": key}}


def has_key(message: dict[str, Any], key: str) -> bool:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    return meta.get("event_type") == EVENT_TYPE and payload.get("key") == key


class SlackSender:
    platform = Platform.SLACK
    home_views = HOME_VIEWS  # the dashboard views `refresh_home` needs

    def __init__(self, settings: Settings, *, client: WebClient | None = None) -> None:
        require(settings, "SLACK_BOT_TOKEN")
        assert settings.slack_bot_token is not None
        self.client: WebClient = client or PooledWebClient(
            token=settings.slack_bot_token.get_secret_value(),
            base_url=settings.slack_api_url,
            timeout=TIMEOUT,  # slack_sdk's own retries are off: a resend could post twice
        )
        self.operators = [
            op.split(":", 1)[1] for op in settings.operators if op.startswith("slack:")
        ]
        self._home_shown = ""  # digest of the Home tab last published (this process)
        self.names = SlackNames(lookup_client(self.client))

    # -- orchestrator.people.Names: display names, looked up where the event is handled ------
    def named(self, event: InboundEvent) -> InboundEvent:
        return self.names.named(event)

    # -- Sender -------------------------------------------------------------------------
    def send(self, post: Post, dest: Destination, *, key: str) -> SentRef:
        content = render_slack(post)
        if post.ephemeral_to:
            answer = self._member_call(
                "chat.postEphemeral", dest.channel, user=post.ephemeral_to, **content
            )
            return SentRef(channel=dest.channel, message_id=answer["message_ts"], thread=None)
        try:
            sent = self._member_call(
                "chat.postMessage",
                dest.channel,
                thread_ts=dest.thread,
                metadata=metadata(key),
                **content,
            )
        except Uncertain:
            return self._confirm(dest, key)
        if post.pin:
            self._pin(sent["channel"], sent["ts"])
        return SentRef(channel=sent["channel"], message_id=sent["ts"], thread=dest.thread)

    def edit(self, post: Post, ref: SentRef) -> SentRef:
        done = call(
            self.client, "chat.update", channel=ref.channel, ts=ref.message_id, **render_slack(post)
        )
        return SentRef(channel=done["channel"], message_id=done["ts"], thread=ref.thread)

    def answer(self, post: Post, callback_ref: str, user: str, dest: Destination) -> None:
        """Ephemeral to `user`: through the response_url when there is one, else postEphemeral."""
        content = render_slack(post)
        if callback_ref.startswith(("https://", "http://")) and self._respond(
            callback_ref, content
        ):
            return
        if dest.channel == user:  # a click on the Home tab: no channel, so the app's DM
            call(self.client, "chat.postMessage", channel=user, **content)
            return
        self._member_call("chat.postEphemeral", dest.channel, user=user, **content)

    def find_sent(
        self, dest: Destination, *, key: str, since: datetime
    ) -> SentRef | Unknown | None:
        oldest = f"{_epoch(since) - LOOKBACK:.6f}"
        try:
            for message in self._history(dest, oldest):
                if has_key(message, key):
                    return SentRef(
                        channel=dest.channel, message_id=message["ts"], thread=dest.thread
                    )
        except Refused as exc:
            if exc.error == "thread_not_found":
                return None
            if exc.error in ("channel_not_found", "is_archived"):
                raise
            log.warning("cannot read slack history to confirm a post: %s", exc.error)
            return UNKNOWN
        except _TooMuchHistory:
            return UNKNOWN
        return None

    def refresh_home(self, data: dict[str, Any]) -> dict[str, tuple[str, list[tuple[str, str]]]]:
        """Publish the operators' Home tab from the dashboard's data, when it changed: for each
        operator published to, the view id Slack returned and the view's buttons (the caller
        records them: a click from the view is checked against them)."""
        view = home_view(data)
        digest = hashlib.sha256(json.dumps(view, sort_keys=True).encode()).hexdigest()
        if digest == self._home_shown:
            return {}
        published: dict[str, tuple[str, list[tuple[str, str]]]] = {}
        buttons = home_buttons(view)
        for user in self.operators:
            try:
                done = self.client.views_publish(user_id=user, view=view)
            except FAILED as exc:
                log.warning("views.publish for %s failed (%s)", user, type(exc).__name__)
                return published
            view_id = (done.get("view") or {}).get("id")
            if isinstance(view_id, str) and view_id:
                published[user] = (view_id, buttons)
        self._home_shown = digest
        return published

    def ensure_channel(self, *, domain: str, name: str) -> tuple[str, str | None]:
        return ensure_channel(self.client, name, invite=self.operators), None

    def close(self) -> None:
        """Close the kept-alive connections and their loop thread (when the worker stops)."""
        for client in (self.client, self.names.client):
            if isinstance(client, PooledWebClient):
                client.transport.close()

    # -- helpers ------------------------------------------------------------------------
    def _pin(self, channel: str, ts: str) -> None:
        """Pin a guide once posted; it is out already, so a refusal is logged, not retried."""
        try:
            pin(self.client, channel, ts)
        except (Refused, RetryLater) as exc:
            log.warning("could not pin %s in %s: %s", ts, channel, exc)

    def _confirm(self, dest: Destination, key: str) -> SentRef:
        """After a lost answer: the post if Slack has it; else look again after SETTLE seconds
        (a post Slack is slow to answer shows late), through the outbox's in-doubt re-check."""
        since = datetime.now(UTC) - timedelta(seconds=TIMEOUT)
        try:
            found = self.find_sent(dest, key=key, since=since)
        except (RetryLater, Refused):
            found = UNKNOWN
        if isinstance(found, SentRef):
            return found
        if found is None:
            raise Unsettled(
                SETTLE, "slack chat.postMessage: no answer, and the post is not there yet"
            )
        raise Unconfirmed("slack chat.postMessage: no answer, and history cannot tell")

    def _member_call(self, method: str, channel: str, **params: Any) -> Any:
        """A call that needs the bot in the channel: join once on `not_in_channel`, retry."""
        try:
            return call(self.client, method, channel=channel, **params)
        except Refused as exc:
            if exc.error != "not_in_channel":
                raise
        call(self.client, "conversations.join", channel=channel)
        return call(self.client, method, channel=channel, **params)

    def _history(self, dest: Destination, oldest: str) -> Iterator[dict[str, Any]]:
        method, params = "conversations.history", {}
        if dest.thread:
            method, params = "conversations.replies", {"ts": dest.thread}
        cursor = None
        for _ in range(HISTORY_PAGES):
            page = self._member_call(
                method,
                dest.channel,
                oldest=oldest,
                include_all_metadata=True,
                limit=HISTORY_PAGE,
                cursor=cursor,
                **params,
            )
            yield from page.get("messages") or []
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return
        raise _TooMuchHistory()

    def _respond(self, url: str, content: dict[str, Any]) -> bool:
        """POST to a response_url; False when it expired (the caller falls back)."""
        client = WebhookClient(url, timeout=TIMEOUT, retry_handlers=[])
        try:
            response = client.send(**content, response_type="ephemeral", replace_original=False)
        except URLError as exc:
            raise RetryLater(5.0, f"slack response_url: {type(exc).__name__}") from None
        except OSError as exc:  # sent, no answer: a second ephemeral copy is worse than none
            raise Unconfirmed(f"slack response_url: no answer ({type(exc).__name__})") from None
        if response.status_code == 200:
            return True
        failure = classify(
            "response_url", response.status_code, "", header(response.headers, "retry-after")
        )
        if isinstance(failure, RetryLater):
            raise failure
        log.info("slack response_url answered %s; using chat.postEphemeral", response.status_code)
        return False


class _TooMuchHistory(Exception):
    pass


def _epoch(moment: datetime) -> float:
    """Seconds since the epoch; naive datetimes are UTC (the database's convention)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()
