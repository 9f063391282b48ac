"""In a real browser (Debian's chromium, driven by Playwright with the system executable;
never a browser download): the dashboard renders every domain, Approve on a pending
approval decides it, and the local chat answers `board`.

The real web app runs under uvicorn on a free loopback port, over a temporary SQLite
database. Skips, saying why, where chromium or Playwright is missing (`.ci/run` installs
chromium with apt where it can). Each test leaves a screenshot of its last screen in its tmp_path
(pytest prints the path when it fails).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from bot.web import create_app
from orchestrator.db import Database
from tests.helpers import make_services
from tests.slack_support import wait_until

CHROMIUM = Path("/usr/bin/chromium")
PROPOSE = "Propose: book the 9:40 flight to Lisbon"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the dev dependency `playwright` is not installed"
)
if not CHROMIUM.exists():
    pytest.skip(
        f"no {CHROMIUM}: install Debian's chromium (apt-get install -y chromium), "
        "as .ci/run does where apt is available",
        allow_module_level=True,
    )


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """The real web app under uvicorn on a free loopback port; its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, timeout=30, what="uvicorn started")
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    db = Database(f"sqlite:///{path}")
    try:
        with serving(create_app(make_services(db, senders=None))) as url:
            yield url
    finally:
        db.dispose()


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        tab = browser.new_page(viewport={"width": 390, "height": 844})  # a phone's width
        tab.set_default_timeout(15_000)
        try:
            yield tab
        finally:
            tab.screenshot(path=str(tmp_path / "last.png"), full_page=True)  # for a failure
            browser.close()


def propose(url: str) -> None:
    """A pending approval, proposed through the local chat API in travel's channel."""
    with httpx.Client(base_url=url) as web:
        token = web.get("/api/csrf").json()["csrf"]
        body = {"text": PROPOSE, "channel": "local-travel"}
        answer = web.post("/api/chat", json=body, headers={"X-CSRF-Token": token})
        assert answer.status_code == 200, answer.text
        domains = [row["domain"] for row in web.get("/api/dashboard").json()["board"]]
    assert "travel" in domains


def test_the_dashboard_shows_every_domain_and_approve_decides(site, page):
    propose(site)
    with httpx.Client(base_url=site) as web:
        board = web.get("/api/dashboard").json()["board"]
    page.goto(f"{site}/dashboard")
    for row in board:
        sync_api.expect(page.locator(f'[data-domain="{row["domain"]}"]')).to_contain_text(
            row["title"]
        )
    card = page.locator("article.approval", has_text="book the 9:40 flight to Lisbon")
    sync_api.expect(card).to_have_count(1)
    card.get_by_role("button", name="Approve").click()
    sync_api.expect(card).to_have_count(0)  # decided: no longer waiting
    with httpx.Client(base_url=site) as web:
        events = [e["kind"] for e in web.get("/api/dashboard").json()["events"]]
    assert events.count("approval.approved") == 1


def test_the_chat_page_answers_board(site, page):
    """`/board` and a plain `board` typed in the chat page's composer (ids documented at the
    top of bot/static/index.html): the headline board comes back for each."""
    page.goto(site + "/")
    composer = page.locator("#composer")
    for typed in ("/board", "board"):
        composer.fill(typed)
        composer.press("Enter")
    answers = page.locator("#messages .msg:not(.me)")
    sync_api.expect(answers.filter(has_text="Travel")).to_have_count(2)
