"""Real payload shapes (tests/data/payloads/, each file naming its source) replayed through the
edge, each checked for its sensible reaction: the status the platform should get, and whether
it became a stored event."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.statuses import EventStatus
from tests import slack_support, telegram_support
from tests.fakes import slack_payloads as payloads
from tests.fakes.telegram_api import FakeTelegram
from tests.slack_support import FakeSlackHooks, slack_services

CORPUS = sorted((Path(__file__).parent / "data" / "payloads").glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def by(platform: str) -> list[Path]:
    return [p for p in CORPUS if load(p)["platform"] == platform]


def test_every_corpus_file_names_its_source_and_expectation() -> None:
    assert len(CORPUS) >= 33
    for path in CORPUS:
        case = load(path)
        assert case["source"] and case["expect"]["status"] in (200, 400), path.name


@pytest.fixture
def slack_client(db) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    with FakeSlackHooks() as slack, slack_support.running(slack_services(db, slack)) as client:
        yield client


@pytest.mark.parametrize("path", by("slack"), ids=lambda p: p.stem)
def test_slack_corpus(db, slack_client, path: Path) -> None:  # type: ignore[no-untyped-def]
    case = load(path)
    body = case["body"]
    if case["transport"] == "json":
        response = slack_support.post_json(slack_client, body)
    elif case["transport"] == "payload":
        response = slack_support.post_form(slack_client, payloads.form_body(body))
    else:
        response = slack_support.post_form(slack_client, urlencode(body).encode())
    assert response.status_code == case["expect"]["status"], response.text
    if response.status_code == 400:
        assert response.headers.get("x-slack-no-retry") == "1"
    assert slack_support.stored_events(db) == case["expect"]["stored"]
    answered(db, case)


@pytest.mark.parametrize("path", by("telegram"), ids=lambda p: p.stem)
def test_telegram_corpus(db, path: Path) -> None:  # type: ignore[no-untyped-def]
    case = load(path)
    with FakeTelegram() as tg:
        tg.add_chat(telegram_support.OPERATOR)
        svc = telegram_support.telegram_services(db, tg)
        with telegram_support.running(svc) as client:
            response = telegram_support.post_update(client, case["body"])
    assert response.status_code == case["expect"]["status"], response.text
    assert telegram_support.stored_events(db) == case["expect"]["stored"]
    answered(db, case)


def answered(db, case: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """Where the case names a reply, the bot said it (nothing silently dropped); every stored
    event was finished, none left waiting or failed."""
    with db.session() as s:
        statuses = list(s.scalars(select(InboundEventRow.status)))
        posts = [row.post.get("text", "") for row in s.scalars(select(OutboxRow))]
    assert all(status == EventStatus.DONE for status in statuses), statuses
    if "reply" in case["expect"]:
        assert any(case["expect"]["reply"] in text for text in posts), posts
