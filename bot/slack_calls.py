"""Slack Web API calls with outcomes the outbox understands (FACTS §1.4, §2).

Every failure becomes `RetryLater` (429 with its Retry-After, `ratelimited`, 5xx, Slack's own
transient errors, a connection that failed), `Uncertain` (a `RetryLater` for a request that
went out but got no answer: it may have landed) or `Refused` (a `PermanentFailure` carrying
Slack's error code). The clients run without slack_sdk's own retries, which would resend a
post whose answer was lost. Messages name the method and Slack's error code, never a token or
a request.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.error import URLError

import aiohttp
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.web import SlackResponse

from orchestrator.outbound import PermanentFailure, RetryLater

log = logging.getLogger(__name__)

RETRY_HINT = 5.0  # seconds before retrying a 5xx or a network error (the outbox backs off more)
DEFAULT_RETRY_AFTER = 1.0
TRANSIENT = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


# How a call that got no answer failed, for both transports: urllib's (`WebClient`) and
# aiohttp's (`bot.slack_pool.PooledWebClient`, kept-alive connections). Checked in this order.
NEVER_SENT: tuple[type[BaseException], ...] = (
    URLError,  # urllib: refused, DNS, connect timeout (raised before the request went out)
    SlackClientError,  # slack_sdk refused to build the request
    aiohttp.ClientConnectorError,  # refused, DNS, TLS: no connection
    aiohttp.ConnectionTimeoutError,  # no connection (or no free one) in time
)
NO_ANSWER: tuple[type[BaseException], ...] = (
    OSError,  # urllib: read timeout, reset; aiohttp: ClientOSError, asyncio's TimeoutError
    aiohttp.ClientError,  # ServerDisconnectedError, a read timeout, a cut body
)
FAILED: tuple[type[BaseException], ...] = (SlackApiError, *NEVER_SENT, *NO_ANSWER)  # any


class Uncertain(RetryLater):
    """The request went out but no answer came back (timeout, reset): it may have landed."""


class Refused(PermanentFailure):
    """Slack answered `ok: false` with an error that retrying will not fix."""

    def __init__(self, method: str, error: str) -> None:
        super().__init__(f"slack {method}: {error}")
        self.method = method
        self.error = error


def classify(method: str, status: int, error: str, retry_after: str | None) -> Exception:
    """The outbox's view of one failed call."""
    if status == 429 or error == "ratelimited":
        return RetryLater(_seconds(retry_after), f"slack {method}: rate limited")
    if status >= 500 or error in TRANSIENT:
        return RetryLater(RETRY_HINT, f"slack {method}: {error or f'HTTP {status}'}")
    return Refused(method, error or f"HTTP {status}")


def call(client: WebClient, method: str, **params: Any) -> SlackResponse:
    """Call a Web API method (None parameters left out); raise RetryLater or Refused."""
    fn = getattr(client, method.replace(".", "_"))
    try:
        return fn(**{k: v for k, v in params.items() if v is not None})
    except SlackApiError as exc:
        response = exc.response
        data = response.data if isinstance(response.data, dict) else {}
        raise classify(
            method,
            response.status_code,
            str(data.get("error") or ""),
            header(response.headers, "retry-after"),
        ) from None
    except NEVER_SENT as exc:  # refused or failed before Slack had it
        log.warning("slack %s: %s", method, type(exc).__name__)
        raise RetryLater(RETRY_HINT, f"slack {method}: {type(exc).__name__}") from None
    except NO_ANSWER as exc:  # timeout or reset while waiting for the answer
        log.warning("slack %s: no answer (%s)", method, type(exc).__name__)
        raise Uncertain(RETRY_HINT, f"slack {method}: no answer ({type(exc).__name__})") from None


def header(headers: Any, name: str) -> str | None:
    """A response header by case-insensitive name (slack_sdk keeps the server's case)."""
    for key, value in dict(headers or {}).items():
        if key.lower() == name:
            return value[0] if isinstance(value, list) and value else str(value)
    return None


def _seconds(retry_after: str | None) -> float:
    try:
        return max(0.0, float(retry_after)) if retry_after else DEFAULT_RETRY_AFTER
    except ValueError:
        return DEFAULT_RETRY_AFTER
