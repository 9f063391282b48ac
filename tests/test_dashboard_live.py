"""The event log page (filters, pages, bad input) and the live parts: the server-sent event
stream says when something changed, and the next fragment shows it."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import httpx

from bot.web import create_app
from bot.web_startup import QuietPolling
from orchestrator.eventlog import record
from tests.dashboard_support import serving, web
from tests.helpers import make_services

ROW = re.compile(r'<tr data-event="(\d+)">')


def event_ids(page: str) -> list[int]:
    return [int(i) for i in ROW.findall(page)]


def test_the_event_log_filters_by_domain_kind_and_time(db):
    with web(db) as client:
        client.post("/api/chat", json={"text": "Phase: planning", "channel": "local-travel"})
        client.post("/api/chat", json={"text": "Phase: saving", "channel": "local-finance"})
        page = client.get("/dashboard/events").text
        assert 'id="event-filter"' in page and '<label for="f-domain">' in page
        assert "status.changed" in page and 'id="live"' in page
        travel = client.get("/dashboard/events", params={"domain": "travel"}).text
        assert "planning" in travel and "saving" not in travel
        kind = client.get("/dashboard/events", params={"kind": "status."}).text
        assert event_ids(kind) and "planning" in kind and "saving" in kind
        exact = client.get("/dashboard/events", params={"kind": "status"}).text
        assert event_ids(exact) == []
        future = client.get("/dashboard/events", params={"since": "2999-01-01"}).text
        assert event_ids(future) == []
        past = client.get("/dashboard/events", params={"until": "2000-01-01T00:00"}).text
        assert event_ids(past) == []


def test_the_event_log_pages_through_older_events(db):
    with web(db) as client:
        with db.session() as s:
            for n in range(60):
                record(s, kind="test.tick", actor="system", domain="travel", subject=f"n{n}")
        first = client.get("/dashboard/events", params={"kind": "test.tick"}).text
        ids = event_ids(first)
        assert len(ids) == 50 and ids == sorted(ids, reverse=True)
        older = re.search(r'id="events-older" rel="next" href="([^"]+)"', first)
        assert older is not None
        second = client.get(older.group(1).replace("&amp;", "&")).text
        rest = event_ids(second)
        assert len(rest) == 10 and max(rest) < min(ids)
        assert 'id="events-older"' not in second and 'id="events-newest"' in second
        assert 'id="live"' not in second  # an older page stays put while it is read


def test_bad_filters_are_refused_in_words(db):
    with web(db) as client:
        for params, words in (
            ({"since": "yesterday"}, "since must look like"),
            ({"domain": "nowhere"}, "domain must be one of"),
            ({"before": "0"}, "before must be a positive"),
            ({"kind": "k" * 65}, "kind must be at most"),
        ):
            answer = client.get("/dashboard/events", params=params)
            assert answer.status_code == 400 and words in answer.text, params


def test_a_change_through_the_api_arrives_on_the_stream_and_in_the_next_fragment(db):
    app = create_app(make_services(db, senders=None))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        http.headers["X-CSRF-Token"] = http.get("/api/csrf").json()["csrf"]
        page = http.get("/dashboard/travel").text
        mark = re.search(r'/dashboard/stream\?after=([^"]+)"', page).group(1)
        sent = http.post("/api/chat", json={"text": "Phase: packing", "channel": "local-travel"})
        assert sent.status_code == 200
        with http.stream("GET", f"/dashboard/stream?after={mark}") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = sse_events(stream.iter_lines())
            assert next(events) == [": changes of the dashboard", "retry: 1000"]
            event = next(events)
        assert "event: change" in event and any(line.startswith("id: ") for line in event)
        assert f"id: {mark}" not in event
        fragment = http.get("/dashboard/travel?part=live").text
        assert "packing" in fragment and "<html" not in fragment


def test_a_stream_at_the_current_mark_waits_for_a_change(db):
    """Opened at the mark of a page rendered after the last change, the stream sends nothing
    until the next change; then exactly that one."""
    app = create_app(make_services(db, senders=None))
    with serving(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        http.headers["X-CSRF-Token"] = http.get("/api/csrf").json()["csrf"]
        page = http.get("/dashboard").text
        mark = re.search(r'/dashboard/stream\?after=([^"]+)"', page).group(1)
        with http.stream("GET", "/dashboard/stream", headers={"Last-Event-ID": mark}) as stream:
            events = sse_events(stream.iter_lines())
            assert next(events) == [": changes of the dashboard", "retry: 1000"]
            http.post("/api/chat", json={"text": "Phase: booked", "channel": "local-travel"})
            event = next(events)  # had the stream sent the old mark, this would be it
        assert "event: change" in event and f"id: {mark}" not in event


def sse_events(lines: Iterator[str]) -> Iterator[list[str]]:
    """The stream's events, each its lines; keep-alive comments between them skipped."""
    block: list[str] = []
    for line in lines:
        if line:
            block.append(line)
            continue
        if block and not all(b.startswith(":") for b in block):
            yield block
        block = []


def test_the_stream_and_the_click_answers_stay_out_of_the_info_log():
    quiet = QuietPolling()

    def kept(path: str) -> bool:
        record_ = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, "%s", None, None)
        record_.args = ("127.0.0.1:1", "GET", path, "1.1", 200)
        return quiet.filter(record_)

    assert not kept("/dashboard/stream?after=3-0") and not kept("/dashboard/answer/7?part=live")
    assert kept("/dashboard/events")
