"""The Slack and Telegram stand-ins as fixtures (`slack`, `tg`), for every test file that
talks to both platforms; a file may still define its own under the same name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.telegram_api import FakeTelegram
from tests.slack_support import FakeSlackHooks
from tests.telegram_support import fake_telegram

__all__ = ["slack", "tg"]


@pytest.fixture
def slack() -> Iterator[FakeSlackHooks]:
    """A started Slack stand-in that also answers response_url posts."""
    with FakeSlackHooks() as fake:
        yield fake


@pytest.fixture
def tg() -> Iterator[FakeTelegram]:
    """A started Telegram stand-in that knows the operator's private chat."""
    with fake_telegram() as fake:
        yield fake
