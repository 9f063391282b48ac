"""A malformed signed Slack request must not cost the next request its connection: a real
uvicorn on loopback, one httpx client, a bad request then a good one on the same socket."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from bot.web import create_app
from tests.fakes import slack_payloads as payloads
from tests.slack_support import FakeSlackHooks, signed, slack_services, wait_until

BAD = [
    {"type": "block_actions", "user": {"id": "U1"}, "actions": []},
    {"type": "view_submission", "user": {"id": "U1"}, "view": {"id": "V1", "callback_id": "c"}},
    {"type": "event_callback", "event_id": "Ev1", "event": {"type": 5}},
]


@pytest.fixture
def server(db) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with FakeSlackHooks() as slack:
        config = uvicorn.Config(create_app(slack_services(db, slack)), host="127.0.0.1", port=0,
                                log_level="warning", lifespan="on")  # fmt: skip
        web = uvicorn.Server(config)
        thread = threading.Thread(target=web.run, daemon=True)
        thread.start()
        wait_until(lambda: web.started, timeout=15, what="uvicorn started")
        port = web.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
        web.should_exit = True
        thread.join(10)


@pytest.mark.parametrize("bad", BAD, ids=["actions-empty", "view-without-type", "type-int"])
def test_a_bad_request_then_a_good_one_on_one_connection(server, bad) -> None:  # type: ignore[no-untyped-def]
    """400 + no-retry, no trace, no `Connection: close`; the next request reuses the socket."""
    bad_body = payloads.form_body(bad)
    good_body = json.dumps(payloads.url_verification("c-1")).encode()
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    peers = []
    with httpx.Client(base_url=server) as client:

        def track(response: httpx.Response) -> None:
            peers.append(response.extensions["network_stream"].get_extra_info("client_addr"))

        client.event_hooks["response"] = [track]
        first = client.post("/slack/events", content=bad_body, headers={**signed(bad_body), **form})
        second = client.post("/slack/events", content=good_body, headers=signed(good_body))
    assert first.status_code == 400 and first.headers["x-slack-no-retry"] == "1"
    assert "Traceback" not in first.text and first.headers.get("connection") != "close"
    assert second.status_code == 200 and second.json() == {"challenge": "c-1"}
    assert peers[0] == peers[1]  # the same local port: one connection
