"""Provisioning from outside: `parallelos setup`, `parallelos doctor`, the web process's start."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.web import create_app
from domains import store
from tests import slack_support
from tests.dialogue import SlackDialogue, TelegramDialogue
from tests.slack_support import OPERATOR, TOKEN, slack_services, wait_until
from tests.telegram_support import FORUM, close_sender, fake_telegram, telegram_services
from tests.test_setup import CHANNELS, DOMAINS

PARALLELOS = Path(sys.executable).with_name("parallelos")


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    with slack_support.FakeSlackHooks() as fake:
        yield fake


def run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PARALLELOS), *args], env={**os.environ, **env}, cwd=cwd,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_parallelos_setup_provisions_a_fresh_install_and_doctor_agrees(tmp_path, slack):
    """A fresh machine: `setup` migrates, creates every channel and exits 0; `doctor` reports
    what a person archived afterwards."""
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_API_URL": slack.url, "PARALLELOS_OPERATORS": f"slack:{OPERATOR}"}  # fmt: skip

    done = run("setup", env=env, cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert set(slack.channel_names()) == CHANNELS
    assert "pos-finance" in done.stdout and "created" in done.stdout
    assert run("setup", env=env, cwd=tmp_path).stdout.count("created") == 0

    slack.archive("pos-legal")
    doctor = run("doctor", env=env, cwd=tmp_path)
    assert doctor.returncode == 0, doctor.stderr
    assert "8 of 9 domain places ready" in doctor.stdout
    assert "#pos-legal" in doctor.stdout and "archived" in doctor.stdout


def test_doctor_names_the_missing_channels_before_setup(tmp_path, slack):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "SLACK_BOT_TOKEN": TOKEN,
           "SLACK_API_URL": slack.url}  # fmt: skip
    assert run("migrate", env=env, cwd=tmp_path).returncode == 0
    slack.add_channel("pos-hub")

    doctor = run("doctor", env=env, cwd=tmp_path)

    assert "1 of 9 domain places ready" in doctor.stdout
    assert "pos-finance" in doctor.stdout and "missing" in doctor.stdout
    assert slack.calls("conversations.create") == []


def test_the_web_process_provisions_on_start_and_decision_works_in_pos_finance(db, slack):
    """The first thing a user tries, in a channel nothing was ever routed to."""
    svc = slack_services(db, slack)
    with TestClient(create_app(build=lambda: svc), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200  # start-up did not wait for it
        wait_until(lambda: set(slack.channel_names()) == CHANNELS, timeout=30, what="channels")
        wait_until(lambda: bool(slack.pinned("pos-finance")), timeout=30, what="the guide")
        said = SlackDialogue(client, slack).say(
            "Decision: keep the ISA", channel=slack.channel_id("pos-finance")
        )
        assert said.response.status_code == 200
        wait_until(lambda: bool(SlackDialogue(client, slack).replies(said)), what="the answer")

    with db.session() as s:
        assert store.load_doc(s, "finance").decision == "keep the ISA"


def test_the_web_process_creates_every_forum_topic_on_start(db):
    with fake_telegram() as tg:
        svc = telegram_services(db, tg)
        try:
            with TestClient(create_app(svc, provision=True)) as client:
                wait_until(lambda: len(tg.topics(FORUM)) == len(DOMAINS), timeout=30,
                           what="topics")  # fmt: skip
                topic = {n: t for t, n in tg.topics(FORUM).items()}["finance"]
                said = TelegramDialogue(client, tg).say("Decision: keep the ISA", topic=topic)
                assert said.response.status_code == 200
        finally:
            close_sender(svc)
    assert sorted(tg.topics(FORUM).values()) == DOMAINS
    with db.session() as s:
        assert store.load_doc(s, "finance").decision == "keep the ISA"
