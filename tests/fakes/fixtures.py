"""Pytest fixtures for the stand-ins. Use from a conftest:

pytest_plugins = ["tests.fakes.fixtures"]   # in tests/conftest.py
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    """A started FakeSlack; `fake_slack.url` is the Web API base URL."""
    with FakeSlack() as slack:
        yield slack


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    """A started FakeTelegram; `fake_telegram.base_url` is the Bot API base URL."""
    with FakeTelegram() as telegram:
        yield telegram
