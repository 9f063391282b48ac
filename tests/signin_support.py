"""Shared set-up for the sign-in tests: an operator asks for a link (`login`, through the core
on a recording Slack sender) and opens it from a browser elsewhere (a TestClient whose client
address is on the internet and whose Host is PUBLIC_URL's)."""

from __future__ import annotations

import re
from typing import Any

from starlette.testclient import TestClient

from bot.local import LocalSender
from bot.web import create_app
from orchestrator.canonical import Platform
from orchestrator.db import Database
from orchestrator.services import Services
from tests.dialogue import CoreDialogue
from tests.helpers import make_services
from tests.recording_sender import RecordingSender

OPERATOR = "U1"
STRANGER = "U2"
PUBLIC = "https://pos.example.com"
ELSEWHERE = ("203.0.113.9", 4000)  # a browser on the internet
LINK = re.compile(r"(https?://[^\s/]+)(/login/[A-Za-z0-9_-]+)")


def signin_services(db: Database, **env: Any) -> tuple[Services, RecordingSender]:
    sender = RecordingSender()
    env.setdefault("PARALLELOS_OPERATORS", f"slack:{OPERATOR}")
    env.setdefault("PUBLIC_URL", PUBLIC)
    senders = {Platform.SLACK: sender, Platform.LOCAL: LocalSender()}
    return make_services(db, senders=senders, **env), sender


def ask_for_link(db: Database, sender: RecordingSender, user: str = OPERATOR) -> str:
    """`/pos login` typed in a channel; the path of the link that reached the user's DM."""
    CoreDialogue(db=db, sender=sender, user=user).command("login", channel="CTRAVEL")
    found = [LINK.search(s.post.text) for s in sender.in_channel(user)]
    links = [m.group(2) for m in found if m]
    assert links, f"no sign-in link in {user}'s DM: {[s.post.text for s in sender.sent]}"
    return links[-1]


def browser(svc: Services, base_url: str = PUBLIC, **kw: Any) -> TestClient:
    """A browser elsewhere, opening this server at `base_url` (PUBLIC_URL by default)."""
    return TestClient(create_app(svc), client=ELSEWHERE, base_url=base_url, **kw)


def sign_in(client: TestClient, path: str) -> Any:
    """Open the link, as a person does; the response (not following its redirect)."""
    return client.get(path, follow_redirects=False)


def csrf(client: TestClient) -> dict[str, str]:
    """The header the page sends with every change."""
    answer = client.get("/api/csrf")
    assert answer.status_code == 200, answer.text
    return {"X-CSRF-Token": answer.json()["csrf"]}
