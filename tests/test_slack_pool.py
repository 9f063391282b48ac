"""Slack posting over kept-alive connections (`bot.slack_pool`), against the local stand-ins:
connections reused, failures told apart as before (never sent: retry; sent, no answer: never
re-post blindly), rate limits and 5xx, and a clean shutdown."""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import threading
import warnings
from collections.abc import Iterator

import pytest

from bot import slack_calls
from bot.slack_calls import Refused, Uncertain
from bot.slack_pool import PooledWebClient, SlackLoop
from bot.slack_sender import SlackSender
from orchestrator.canonical import Post
from orchestrator.outbound import Destination, RetryLater, Unconfirmed, Unsettled
from tests.helpers import make_settings
from tests.slack_support import OPERATOR, TOKEN, FakeSlackHooks


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


def sender_for(url: str) -> SlackSender:
    settings = make_settings(
        SLACK_BOT_TOKEN=TOKEN, SLACK_API_URL=url, PARALLELOS_OPERATORS=f"slack:{OPERATOR}"
    )
    return SlackSender(settings)


def pooled(url: str, *, timeout: int = 15) -> PooledWebClient:
    return PooledWebClient(token=TOKEN, base_url=url, timeout=timeout)


@contextlib.contextmanager
def pooled_sender(url: str, *, timeout: int) -> Iterator[SlackSender]:
    """A sender posting through a pooled client with this timeout; both closed after."""
    sender = sender_for(url)
    client = sender.client = pooled(url, timeout=timeout)
    try:
        yield sender
    finally:
        client.transport.close()
        sender.close()


class Silent:
    """A server that accepts connections and reads, then never answers (or, with `hang_up`,
    closes the connection once the request is in: an answer lost after sending)."""

    def __init__(self, *, hang_up: bool = False) -> None:
        self.hang_up = hang_up
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.accepted: list[socket.socket] = []
        self.received = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/api/"

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.accepted.append(conn)
            if conn.recv(65536):
                self.received.set()
            if self.hang_up:
                conn.close()

    def close(self) -> None:
        self.listener.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- connections are reused ---------------------------------------------------------------------
def test_posts_reuse_one_connection(slack: FakeSlackHooks) -> None:
    """Ten posts of the worker's sender travel over fewer than ten connections (the sync
    urllib client opened one each)."""
    channel = slack.add_channel("pos-travel")
    sender = sender_for(slack.url)
    try:
        before = slack.connections
        for n in range(10):
            sender.send(Post(text=f"post {n}"), Destination(channel), key=f"ev{n}:0")
        used = slack.connections - before
    finally:
        sender.close()
    assert len(slack.messages(channel)) == 10
    assert used < 10, f"{used} connections for 10 posts"
    assert used == 1


def test_the_name_lookup_shares_the_loop_thread(slack: FakeSlackHooks) -> None:
    """users.info goes through the same loop (its own session: its own short timeout)."""
    sender = sender_for(slack.url)
    try:
        assert isinstance(sender.names.client, PooledWebClient)
        assert isinstance(sender.client, PooledWebClient)
        assert sender.names.client.transport is sender.client.transport
        answer = sender.names.client.users_info(user=slack.bot_user_id)
        assert answer["user"]["id"] == slack.bot_user_id
    finally:
        sender.close()


# -- failures: never sent, or sent with no answer --------------------------------------------
def test_a_refused_connection_is_never_sent_so_retried(free_port: int) -> None:
    """Nothing listens: RetryLater, and not Uncertain (nothing can have landed)."""
    client = pooled(f"http://127.0.0.1:{free_port}/api/")
    try:
        with pytest.raises(RetryLater) as caught:
            slack_calls.call(client, "chat.postMessage", channel="C1", text="hi")
    finally:
        client.transport.close()
    assert not isinstance(caught.value, Uncertain)


def test_an_unknown_host_is_never_sent_so_retried() -> None:
    """DNS fails (`.invalid` never resolves): RetryLater, not Uncertain."""
    client = pooled("http://no-such-host.invalid/api/")
    try:
        with pytest.raises(RetryLater) as caught:
            slack_calls.call(client, "chat.postMessage", channel="C1", text="hi")
    finally:
        client.transport.close()
    assert not isinstance(caught.value, Uncertain)


@pytest.mark.parametrize("hang_up", [False, True], ids=["never-answers", "hangs-up"])
def test_a_request_sent_without_an_answer_is_uncertain(hang_up: bool) -> None:
    """The server took the request and then said nothing (a read timeout) or hung up: the
    post may have landed, so the outcome is Uncertain."""
    server = Silent(hang_up=hang_up)
    client = pooled(server.url, timeout=1)
    try:
        with pytest.raises(Uncertain):
            slack_calls.call(client, "chat.postMessage", channel="C1", text="hi")
        assert server.received.is_set()
    finally:
        client.transport.close()
        server.close()


def test_the_sender_never_reposts_after_a_lost_answer() -> None:
    """Through the sender: the post went out, no answer, and history cannot tell either (the
    same silent server): Unconfirmed, which the outbox never resends."""
    server = Silent()
    try:
        with pooled_sender(server.url, timeout=1) as sender, pytest.raises(Unconfirmed):
            sender.send(Post(text="once"), Destination("C1"), key="ev1:0")
    finally:
        server.close()


def test_a_lost_answer_is_confirmed_from_history_over_the_pool(slack: FakeSlackHooks) -> None:
    """The post landed, its answer came after the timeout: found by its key, not re-posted."""
    channel = slack.add_channel("pos-travel")
    slack.set_delay("chat.postMessage", 2.0)
    with pooled_sender(slack.url, timeout=1) as sender:
        ref = sender.send(Post(text="once"), Destination(channel), key="ev5:0")
    (message,) = slack.messages(channel)
    assert ref.message_id == message["ts"]
    assert len(slack.calls("chat.postMessage")) == 1


def test_a_slow_post_not_in_history_yet_is_looked_for_later(slack: FakeSlackHooks) -> None:
    """No answer and not in history yet: Unsettled (look again later), never a resend."""
    channel = slack.add_channel("pos-travel")
    slack.hold_next("chat.postMessage", 2.5)
    with pooled_sender(slack.url, timeout=1) as sender, pytest.raises(Unsettled):
        sender.send(Post(text="once"), Destination(channel), key="ev6:0")
    slack.wait_for("chat.postMessage")
    assert len(slack.messages(channel)) == 1


# -- Slack's answers -----------------------------------------------------------------------------
def test_a_rate_limit_keeps_its_retry_after(slack: FakeSlackHooks) -> None:
    channel = slack.add_channel("pos-travel")
    slack.fail_next("chat.postMessage", 429, headers={"Retry-After": "7"})
    client = pooled(slack.url)
    try:
        with pytest.raises(RetryLater) as caught:
            slack_calls.call(client, "chat.postMessage", channel=channel, text="hi")
        slack_calls.call(client, "chat.postMessage", channel=channel, text="again")
    finally:
        client.transport.close()
    assert caught.value.seconds == 7.0 and not isinstance(caught.value, Uncertain)
    assert [m["text"] for m in slack.messages(channel)] == ["again"]


@pytest.mark.parametrize(
    ("status", "error"), [(500, None), (503, None), (None, "ratelimited")], ids=str
)
def test_5xx_and_ratelimited_are_retried(
    slack: FakeSlackHooks, status: int | None, error: str | None
) -> None:
    slack.fail_next("chat.postMessage", status, error=error)
    client = pooled(slack.url)
    try:
        with pytest.raises(RetryLater) as caught:
            slack_calls.call(client, "chat.postMessage", channel="C1", text="hi")
    finally:
        client.transport.close()
    assert not isinstance(caught.value, Uncertain)


def test_a_refusal_is_the_sync_clients(slack: FakeSlackHooks) -> None:
    """`ok: false` raises Refused with Slack's code; the response is a sync SlackResponse."""
    client = pooled(slack.url)
    try:
        with pytest.raises(Refused, match="channel_not_found"):
            slack_calls.call(client, "chat.postMessage", channel="C404", text="hi")
        answer = client.auth_test()
    finally:
        client.transport.close()
    assert answer["ok"] and answer.status_code == 200
    assert isinstance(answer.headers, dict)


# -- shutdown --------------------------------------------------------------------------------------
def test_close_stops_the_thread_and_closes_the_session(
    slack: FakeSlackHooks, caplog: pytest.LogCaptureFixture
) -> None:
    """close(): the loop thread ends, the session is closed: no "Unclosed client session"."""
    channel = slack.add_channel("pos-travel")
    sender = sender_for(slack.url)
    gc.collect()  # what earlier tests left behind is not this test's
    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.ERROR, "asyncio"):
        warnings.simplefilter("always")
        sender.send(Post(text="hi"), Destination(channel), key="k")
        assert isinstance(sender.client, PooledWebClient)
        transport = sender.client.transport
        thread = transport.thread
        assert thread is not None and thread.is_alive()
        sender.close()
        del sender
        gc.collect()
    assert not thread.is_alive() and transport.thread is None
    assert not [str(w.message) for w in seen if "nclosed" in str(w.message)]
    assert "Unclosed" not in caplog.text


def test_a_dropped_loop_closes_itself(
    slack: FakeSlackHooks, caplog: pytest.LogCaptureFixture
) -> None:
    """A client nobody closed: when it is collected, its loop closes its session and stops."""
    gc.collect()  # what earlier tests left behind is not this test's
    with warnings.catch_warnings(record=True) as seen, caplog.at_level(logging.ERROR, "asyncio"):
        warnings.simplefilter("always")
        client = PooledWebClient(token=TOKEN, base_url=slack.url, timeout=5, transport=SlackLoop())
        client.auth_test()
        thread = client.transport.thread
        assert thread is not None
        del client
        gc.collect()
        thread.join(5)
    assert not thread.is_alive()
    assert not [str(w.message) for w in seen if "nclosed" in str(w.message)]
    assert "Unclosed" not in caplog.text


def test_calls_after_close_start_a_new_loop(slack: FakeSlackHooks) -> None:
    """A sender closed and used again (a worker restarting its work loop) still posts."""
    channel = slack.add_channel("pos-travel")
    sender = sender_for(slack.url)
    sender.send(Post(text="one"), Destination(channel), key="k1")
    sender.close()
    sender.send(Post(text="two"), Destination(channel), key="k2")
    sender.close()
    assert [m["text"] for m in slack.messages(channel)] == ["one", "two"]


def test_a_stopped_stand_in_answers_nothing_on_a_kept_connection(slack: FakeSlackHooks) -> None:
    """The stand-in closes its kept-alive connections on stop (outage tests rely on it)."""
    client = pooled(slack.url)
    try:
        client.auth_test()
        slack.stop()
        with pytest.raises(RetryLater):
            slack_calls.call(client, "auth.test")
    finally:
        client.transport.close()
