"""Property-based fuzzing of the edge (hypothesis): random shapes, validly signed.

Each suite sends payloads of random shape through the real routes, each one twice (as a
platform retrying would), and asserts three things: no 5xx and no traceback in any response;
nothing stored twice; every stored event finished by the worker (done, ignored, or failed
with its reason), none left to be retried forever. Example counts stay modest so the suite
fits CI's time on two cores; the whole file is marked `slow` (CI runs it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.web import create_app
from orchestrator.models import InboundEventRow
from orchestrator.statuses import EventStatus
from tests import slack_support, telegram_support
from tests.fakes import slack_payloads as payloads
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import LocalClient, make_services
from tests.slack_support import OPERATOR, FakeSlackHooks, signed, slack_services

pytestmark = pytest.mark.slow
FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same inputs on every run: a failure in CI reproduces locally
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FINISHED = {EventStatus.DONE.value, EventStatus.IGNORED.value, EventStatus.FAILED.value}

# -- shapes --------------------------------------------------------------------------------
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)  # fmt: skip
anything = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)  # fmt: skip
ids = st.one_of(st.text(min_size=1, max_size=20), st.integers(), st.none())
words = st.one_of(st.sampled_from(["Phase: beta", "Propose: fly", "Ask finance: pay", "hi"]),
                  st.text(max_size=60))  # fmt: skip


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field that is there with a good value, there with any value, or missing."""
    return st.one_of(strategy, anything)


def with_extra(base: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    extra = st.dictionaries(st.text(max_size=12), anything, max_size=3)
    return st.builds(lambda b, e: {**e, **b}, base, extra)


slack_event = with_extra(st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["message", "app_mention", "reaction_added", "app_home_opened"])),
     "user": maybe(st.sampled_from([OPERATOR, "U0STRANGE"])), "text": maybe(words),
     "channel": maybe(st.sampled_from(["C0TRAVEL", "D0DM", "G1"])), "ts": maybe(st.just("1.2"))},
    optional={"subtype": anything, "bot_id": anything, "channel_type": maybe(st.just("im")),
              "thread_ts": anything},
))  # fmt: skip
slack_envelope = with_extra(st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["event_callback", "url_verification", "app_rate_limited"])),
     "event_id": maybe(st.text(min_size=1, max_size=20)), "event": maybe(slack_event)},
    optional={"team_id": ids, "challenge": anything, "authorizations": anything},
))  # fmt: skip
slack_action = with_extra(st.fixed_dictionaries(
    {"action_id": maybe(st.sampled_from(["approve:a1", "inbox_accept:1", "route:1:travel", "x"])),
     "action_ts": maybe(st.text(min_size=1, max_size=12))},
    optional={"value": anything, "block_id": anything, "type": anything},
))  # fmt: skip
slack_interaction = with_extra(st.fixed_dictionaries(
    {"type": maybe(st.sampled_from(["block_actions", "view_submission", "shortcut",
                                    "workflow_step_edit", "interactive_message", "view_closed"])),
     "user": maybe(st.fixed_dictionaries({"id": maybe(st.just(OPERATOR))}))},
    optional={"actions": maybe(st.lists(maybe(slack_action), max_size=3)), "view": anything,
              "container": anything, "channel": anything, "message": anything,
              "trigger_id": ids, "team": anything},
))  # fmt: skip
slash_fields = st.dictionaries(
    st.sampled_from(["command", "text", "user_id", "channel_id", "team_id", "trigger_id",
                     "response_url", "user_name", "token", "api_app_id"]),
    st.text(max_size=40), max_size=10,
)  # fmt: skip


# -- the stored events ---------------------------------------------------------------------
def check_stored(db) -> None:  # type: ignore[no-untyped-def]
    with db.session() as s:
        rows = s.execute(
            select(InboundEventRow.platform, InboundEventRow.external_id,
                   InboundEventRow.status, InboundEventRow.error)
        ).all()  # fmt: skip
    keys = [(p, x) for p, x, _, _ in rows]
    assert len(keys) == len(set(keys)), "an event was stored twice"
    unfinished = [(p, x, st_) for p, x, st_, _ in rows if st_ not in FINISHED]
    assert not unfinished, f"left unfinished: {unfinished}"
    assert all(err for _, _, st_, err in rows if st_ == EventStatus.FAILED), "failed, no reason"


def sound(response: Any) -> None:
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text


def twice(send: Callable[[], Any]) -> None:
    """A delivery and its redelivery, as the platform would retry it."""
    for _ in range(2):
        sound(send())


# -- Slack ---------------------------------------------------------------------------------
@pytest.fixture
def slack_client(db) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    with FakeSlackHooks() as slack, slack_support.running(slack_services(db, slack)) as client:
        yield client


def test_signed_slack_events_of_random_shape(db, slack_client) -> None:  # type: ignore[no-untyped-def]
    """Events API bodies, JSON, signed."""

    @FUZZ
    @given(slack_envelope)
    def deliver(body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        twice(lambda: slack_client.post("/slack/events", content=raw, headers=signed(raw)))

    deliver()
    check_stored(db)


def test_signed_slack_interactivity_of_random_shape(db, slack_client) -> None:  # type: ignore[no-untyped-def]
    """Interactivity bodies (`payload=` form), signed."""

    @FUZZ
    @given(slack_interaction)
    def deliver(body: dict[str, Any]) -> None:
        raw = payloads.form_body(body)
        twice(lambda: slack_support.post_form(slack_client, raw))

    deliver()
    check_stored(db)


def test_signed_slash_commands_of_random_shape(db, slack_client) -> None:  # type: ignore[no-untyped-def]
    """Slash-command forms with any subset of Slack's fields, trigger_id or not."""

    @FUZZ
    @given(slash_fields)
    def deliver(fields: dict[str, str]) -> None:
        raw = urlencode(fields).encode()
        twice(lambda: slack_support.post_form(slack_client, raw))

    deliver()
    check_stored(db)


# -- Telegram --------------------------------------------------------------------------------
tg_user = with_extra(st.fixed_dictionaries(
    {"id": maybe(st.sampled_from([telegram_support.OPERATOR, telegram_support.STRANGER]))},
    optional={"is_bot": maybe(st.booleans()), "first_name": maybe(st.text(max_size=10))},
))  # fmt: skip
tg_message = with_extra(st.fixed_dictionaries(
    {"message_id": maybe(st.integers(1, 10**6)), "date": maybe(st.integers(0, 2**31)),
     "chat": maybe(st.fixed_dictionaries({"id": maybe(st.just(telegram_support.OPERATOR)),
                                           "type": maybe(st.sampled_from(["private", "supergroup"]))}))},
    optional={"from": maybe(tg_user), "text": maybe(words), "message_thread_id": anything,
              "is_topic_message": anything, "poll": anything, "gift": anything},
))  # fmt: skip
tg_update = with_extra(st.fixed_dictionaries(
    {"update_id": maybe(st.integers(0, 2**40))},
    optional={"message": maybe(tg_message), "business_message": maybe(tg_message),
              "callback_query": maybe(st.fixed_dictionaries(
                  {"id": maybe(st.text(min_size=1, max_size=8)), "from": maybe(tg_user),
                   "data": maybe(st.sampled_from(["approve:a1", "inbox_done:1", "x"])),
                   "chat_instance": maybe(st.just("c")), "message": maybe(tg_message)}))},
))  # fmt: skip


def test_telegram_updates_of_random_shape_with_the_secret(db) -> None:  # type: ignore[no-untyped-def]
    """Any JSON object with the secret: acknowledged (200), never 400 nor 5xx."""
    with FakeTelegram() as tg:
        tg.add_chat(telegram_support.OPERATOR)
        svc = telegram_support.telegram_services(db, tg)
        with telegram_support.running(svc) as client:

            @FUZZ
            @given(tg_update)
            def deliver(update: dict[str, Any]) -> None:
                for _ in range(2):
                    response = telegram_support.post_update(client, update)
                    sound(response)
                    assert response.status_code == 200, response.text

            deliver()
    check_stored(db)


# -- the local chat ------------------------------------------------------------------------
def test_the_local_chats_endpoints_with_random_bodies(db) -> None:  # type: ignore[no-untyped-def]
    """POST /api/chat and /api/chat/click with any JSON; GET messages with any parameters."""
    svc = make_services(db)
    with LocalClient(create_app(svc), raise_server_exceptions=False) as client:

        @FUZZ
        @given(st.sampled_from(["/api/chat", "/api/chat/click"]), anything,
               st.dictionaries(st.sampled_from(["after", "limit"]), st.text(max_size=25)))  # fmt: skip
        def deliver(path: str, body: Any, query: dict[str, str]) -> None:
            sound(client.post(path, content=json.dumps(body)))
            sound(client.get("/api/chat/messages", params=query))

        deliver()
        sound(client.get("/api/dashboard"))
    check_stored(db)
