"""`GET /metrics` (CONTRACT §4): what flowed through the system, counted in every process and
read over HTTP from the web process, on this machine only."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from bot.web import create_app
from jobs.queue import RQJobQueue
from orchestrator import metrics
from orchestrator.services import Services
from tests.agent_support import KEY
from tests.dialogue import SlackDialogue
from tests.helpers import LOCAL_URL, LocalClient
from tests.slack_support import FakeSlackHooks, slack_services
from tests.test_agent_e2e import ASK, script
from tests.test_resilience import start_worker, worker_env

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    with FakeSlackHooks() as fake:
        yield fake


@contextmanager
def local_client(svc: Services) -> Iterator[TestClient]:
    """The web app as a client on this machine sees it (the Slack route takes it too)."""
    with LocalClient(create_app(svc)) as client:
        yield client


def scrape(client: TestClient) -> Samples:
    response = client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def grew(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_events_in_posts_out_jobs_and_latency_after_slack_messages(db, slack):
    """Two DMs through the signed Slack route: two events in, their answers and mirrors out
    as sent posts with a delivery latency each, two event jobs timed, nothing left behind."""
    with local_client(slack_services(db, slack)) as client:
        before = scrape(client)
        d = SlackDialogue(client, slack)
        for text in ("Phase: booking flights", "Next: pay the deposit"):
            assert d.say(text).response.status_code == 200
        after = scrape(client)
    assert grew(before, after, "parallelos_events_in_total", platform="slack", kind="message") == 2
    sent = grew(before, after, "parallelos_posts_out_total", platform="slack", status="sent")
    assert sent == len(slack.calls("chat.postMessage")) >= 2
    latency = grew(before, after, "parallelos_delivery_latency_seconds_count", platform="slack")
    assert latency == sent
    job = {"job": "process_event", "outcome": "ok"}
    assert grew(before, after, "parallelos_job_seconds_count", **job) == 2
    assert value(after, "parallelos_events_unfinished") == 0
    assert value(after, "parallelos_posts_unsent") == 0
    assert value(after, "parallelos_queue_depth", state="queued") == 0


def test_a_redelivered_event_counts_as_a_duplicate_not_as_an_event(db, slack):
    with local_client(slack_services(db, slack)) as client:
        d = SlackDialogue(client, slack)
        said = d.say("Phase: visas")
        before = scrape(client)
        assert d.deliver(said.payload).status_code == 200  # Slack's retry of the same event
        after = scrape(client)
    assert grew(before, after, "parallelos_events_in_total", platform="slack", kind="message") == 0
    assert grew(before, after, "parallelos_events_duplicate_total", platform="slack") == 1


def test_the_workers_counts_and_the_queue_depth_appear_in_the_web_process(db, slack, redis_conn):
    """With RQ: the web process's /metrics shows the queued job (read from Redis when scraped),
    then what a separate `parallelos worker` process did with it."""
    svc = slack_services(db, slack, queue=RQJobQueue(redis_conn))
    env = worker_env(db, slack) | {metrics.ENV: os.environ[metrics.ENV]}
    with local_client(svc) as client:
        before = scrape(client)
        assert (
            SlackDialogue(client, slack)
            .say("Phase: packing for the Lisbon flight")
            .response.status_code
            == 200
        )
        queued = scrape(client)
        worker = start_worker(env, "--burst")
        _, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err.decode()[-2000:]
        after = scrape(client)
    assert value(queued, "parallelos_queue_depth", state="queued") == 1
    assert value(queued, "parallelos_events_unfinished") == 1
    assert value(after, "parallelos_queue_depth", state="queued") == 0
    job = {"job": "process_event", "outcome": "ok"}
    assert grew(before, after, "parallelos_job_seconds_count", **job) == 1
    assert grew(before, after, "parallelos_posts_out_total", platform="slack", status="sent") >= 2


def test_model_tokens_and_cost_are_counted_per_domain(db, slack, api):
    """An agent turn's calls are counted under its domain, as the budget's log records them."""
    with local_client(slack_services(db, slack, ANTHROPIC_API_KEY=KEY)) as client:
        before = scrape(client)
        script(api)
        assert SlackDialogue(client, slack).say(ASK).response.status_code == 200
        after = scrape(client)
    assert grew(before, after, "parallelos_model_tokens_total", domain="travel", kind="input") > 0
    assert grew(before, after, "parallelos_model_tokens_total", domain="travel", kind="output") > 0
    assert grew(before, after, "parallelos_model_cost_usd_total", domain="travel") > 0


@pytest.mark.parametrize(
    ("client_host", "headers"),
    [
        ("203.0.113.7", {}),  # a client elsewhere
        ("127.0.0.1", {"host": "metrics.example.com"}),  # DNS rebinding
        ("127.0.0.1", {"x-forwarded-for": "198.51.100.4"}),  # through a proxy nobody named
    ],
)
def test_metrics_answer_only_on_this_machine(db, slack, client_host, headers):
    svc = slack_services(db, slack)
    with TestClient(create_app(svc), client=(client_host, 50000), base_url=LOCAL_URL) as client:
        response = client.get("/metrics", headers=headers)
    assert response.status_code == 403
    assert "parallelos_" not in response.text
