"""Shared set-up for the Telegram tests: a FakeTelegram, services wired to it, the app."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, select
from starlette.testclient import TestClient

from bot.telegram_adapter import SECRET_HEADER
from bot.web import create_app
from orchestrator.canonical import Platform
from orchestrator.db import Database
from orchestrator.models import InboundEventRow
from orchestrator.services import Services
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import make_services

TOKEN = "123456:TEST-secret-token"
SECRET = "hook-secret_42"
OPERATOR = 4567
STRANGER = 9999
FORUM = -1001234567890
PUBLIC_URL = "https://parallelos.example"


@contextmanager
def fake_telegram() -> Iterator[FakeTelegram]:
    """A started FakeTelegram that knows the operator's private chat."""
    with FakeTelegram() as fake:
        fake.add_chat(OPERATOR)
        yield fake


def telegram_services(
    db: Database, tg: FakeTelegram, *, forum: bool = True, webhook: bool = True, **env: Any
) -> Services:
    """Services with a real TelegramSender pointed at the fake (group and webhook optional)."""
    env.setdefault("PARALLELOS_OPERATORS", f"telegram:{OPERATOR}")
    env.setdefault("TELEGRAM_BOT_TOKEN", TOKEN)
    env.setdefault("TELEGRAM_API_URL", tg.base_url)
    if forum:
        env.setdefault("TELEGRAM_CHAT_ID", str(tg.add_forum(FORUM)))
    if webhook:
        env.setdefault("PUBLIC_URL", PUBLIC_URL)
        env.setdefault("TELEGRAM_WEBHOOK_SECRET", SECRET)
    return make_services(db, **env)


@contextmanager
def running(svc: Services) -> Iterator[TestClient]:
    """The web app with its lifespan (the Telegram adapter started) and the sender's loop."""
    try:
        with TestClient(create_app(svc)) as client:
            yield client
    finally:
        close_sender(svc)


def close_sender(svc: Services) -> None:
    sender = svc.senders.get(Platform.TELEGRAM)
    if sender is not None:
        sender.close()  # type: ignore[attr-defined]


def post_update(client: TestClient, update: dict[str, Any], secret: str | None = SECRET) -> Any:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    return client.post("/telegram/webhook", json=update, headers=headers)


def stored_events(db: Database) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(InboundEventRow)) or 0
