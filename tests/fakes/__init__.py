"""Local HTTP stand-ins for the Slack Web API and the Telegram Bot API, and payload builders.

The real clients (slack_sdk, slack-bolt, python-telegram-bot) talk to these servers through
their base-URL settings; tests assert on what the servers received and hold.
"""

from tests.fakes.http import Call, FakeHTTPServer
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram

__all__ = ["Call", "FakeHTTPServer", "FakeSlack", "FakeTelegram"]
