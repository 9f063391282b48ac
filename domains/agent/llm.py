"""The one way to call the Messages API: a client from settings, usage and cost per call.

The retry schedule is ours, not the SDK's (its clients run with `max_retries=0`): the first try
runs alone with `FIRST_SHARE` of the time left (most answers come on the first try, and a long
answer needs the time); a failure worth retrying (408/409/429/5xx, 529 included, and refused
connections) is tried again in the call only when the API asks for a short wait (at most
`QUICK_RETRY` seconds by `retry-after`, or our own short backoff), `MAX_RETRIES` times, sharing
what is left. A long `retry-after`, a timeout or the last failure is `ModelUnavailable` at once,
carrying the wait the API asked for: the turn tells the user now and its job tries again later
(never a minute of silence inside one call). A configuration error (a rejected key, a model id
the API does not know) is never retried, and names the setting to fix. With `on_text` the
call is streamed (`domains.agent.streaming`) and the answer so far is shown as it grows. Every call is logged at once, in its own short transaction,
as an `agent.call` event with its tokens and estimated cost: the budget sees it before the
next call, and the cost is not lost if the turn fails later.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anthropic
from anthropic.types import Message

from domains.agent import streaming
from domains.agent.budget import CALL_EVENT
from domains.agent.prices import Tokens, cost_usd
from orchestrator import metrics
from orchestrator.db import Database
from orchestrator.eventlog import record
from orchestrator.settings import Settings

log = logging.getLogger(__name__)

MAX_RETRIES = 2
MAX_CALL_SECONDS = 180.0
FIRST_SHARE = 0.6  # of the time left, for the first try on its own
QUICK_RETRY = 2.0  # seconds: a longer wait asked by the API is the job's, not the call's


class ModelUnavailable(Exception):
    """The model did not answer after the SDK's retries; `retryable` when worth a later try;
    `setting` names the setting to fix when the API said the configuration is wrong."""

    def __init__(
        self, reason: str, *, retryable: bool, setting: str | None = None,
        retry_after: float | None = None,
    ) -> None:  # fmt: skip
        super().__init__(reason)
        self.retryable = retryable
        self.setting = setting
        self.retry_after = retry_after  # seconds the API asked to wait, when it said


@dataclass(frozen=True)
class CallInfo:
    """Who pays for a call and what it is for (the event log's fields)."""

    domain: str
    purpose: str  # turn | route | brief
    charter_version: str | None = None
    source_event_id: int | None = None
    turn_id: int | None = None
    model_setting: str = "PARALLELOS_MODEL"  # which setting chose the model (for errors)


def make_client(settings: Settings) -> anthropic.Anthropic:
    """A client with the key from settings; the SDK reads ANTHROPIC_BASE_URL itself."""
    if settings.anthropic_api_key is None:
        raise RuntimeError("ANTHROPIC_API_KEY is not set")
    return anthropic.Anthropic(
        api_key=settings.anthropic_api_key.get_secret_value(),
        max_retries=0,  # the schedule is ours (see the module's docstring)
        timeout=MAX_CALL_SECONDS,
    )


def light_model(settings: Settings) -> tuple[str, str]:
    """The model for routing and brief summaries, and the setting that chose it."""
    if settings.light_model:
        return settings.light_model, "PARALLELOS_LIGHT_MODEL"
    return settings.model, "PARALLELOS_MODEL"


def call_once(
    settings: Settings, db: Database, info: CallInfo, **request: Any
) -> tuple[Message, float]:
    """One call on a client of its own, closed afterwards (routing, brief summaries)."""
    with make_client(settings) as client:
        return call(client, db, info, **request)


def tokens_of(message: Message) -> Tokens:
    usage = message.usage
    write = usage.cache_creation_input_tokens or 0
    one_hour = 0
    if usage.cache_creation is not None:
        one_hour = usage.cache_creation.ephemeral_1h_input_tokens or 0
    return Tokens(
        input=usage.input_tokens or 0,
        output=usage.output_tokens or 0,
        cache_read=usage.cache_read_input_tokens or 0,
        cache_write_5m=max(0, write - one_hour),
        cache_write_1h=one_hour,
    )


def call(
    client: anthropic.Anthropic,
    db: Database,
    info: CallInfo,
    *,
    timeout: float | None = None,
    on_text: Callable[[str], None] | None = None,
    on_start: Callable[[], None] = lambda: None,
    **request: Any,
) -> tuple[Message, float]:
    """One Messages API call, logged with its cost; returns the message and the cost.

    `timeout` is what is left of the turn (see the module's docstring for how it is shared);
    `on_text` streams the call and gets the answer so far; `on_start` is told once the API
    has begun to answer a try.
    """
    budget = min(timeout or MAX_CALL_SECONDS, MAX_CALL_SECONDS)
    try:
        message = _tries(client, budget, request, on_text, on_start)
    except anthropic.APIStatusError as exc:
        raise _status_error(exc, info) from exc
    except anthropic.APIConnectionError as exc:  # refused, reset or timed out
        raise ModelUnavailable(type(exc).__name__, retryable=True) from exc
    tokens = tokens_of(message)
    cost = cost_usd(message.model or request["model"], tokens)
    _log_call(db, info, message, tokens, cost)
    return message, cost


def _tries(
    client: anthropic.Anthropic,
    budget: float,
    request: dict[str, Any],
    on_text: Callable[[str], None] | None,
    on_start: Callable[[], None],
) -> Message:
    """The first try alone with most of the time; short waits only between tries."""
    started = time.monotonic()
    for n in range(MAX_RETRIES + 1):
        left = budget - (time.monotonic() - started)
        share = left * FIRST_SHARE if n == 0 and MAX_RETRIES else left / (MAX_RETRIES + 1 - n)
        try:
            return _once(client, request, max(share, 1.0), on_text, on_start)
        except anthropic.APITimeoutError:
            raise  # a try that used its time: the next one is the job's
        except anthropic.APIStatusError as exc:
            if not _retryable(exc.status_code):
                raise
            wait = retry_after(exc.response) or _backoff(n)
            if n == MAX_RETRIES or wait > QUICK_RETRY:
                raise
        except anthropic.APIConnectionError:
            wait = _backoff(n)
            if n == MAX_RETRIES:
                raise
        if budget - (time.monotonic() - started) <= wait + 1.0:
            raise ModelUnavailable("no time left for a retry", retryable=True)
        time.sleep(wait)
    raise AssertionError("unreachable")


def _once(
    client: anthropic.Anthropic,
    request: dict[str, Any],
    seconds: float,
    on_text: Callable[[str], None] | None,
    on_start: Callable[[], None],
) -> Message:
    if on_text is not None:
        return streaming.stream_once(client, request, seconds, on_text=on_text, on_start=on_start)
    message = client.messages.create(**request, timeout=seconds)
    on_start()
    return message


def _backoff(n: int) -> float:
    return min(0.5 * 2**n, QUICK_RETRY)


def retry_after(response: Any) -> float | None:
    """The wait the API asked for (`retry-after-ms`, else `retry-after` seconds), if any."""
    headers = getattr(response, "headers", None) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            value = float(headers.get(name) or "")
        except ValueError:
            continue
        if value >= 0:
            return value * scale
    return None


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 409, 429)


def _status_error(exc: anthropic.APIStatusError, info: CallInfo) -> ModelUnavailable:
    """A failed status as `ModelUnavailable`, naming the setting when it is a configuration
    error: 401/403 is the key; 404 (a `not_found_error`) is the model id."""
    status = exc.status_code
    if status in (401, 403):
        return ModelUnavailable(f"HTTP {status}", retryable=False, setting="ANTHROPIC_API_KEY")
    if status == 404:
        return ModelUnavailable("HTTP 404", retryable=False, setting=info.model_setting)
    return ModelUnavailable(
        f"HTTP {status}", retryable=_retryable(status), retry_after=retry_after(exc.response)
    )


def _log_call(db: Database, info: CallInfo, message: Message, tokens: Tokens, cost: float) -> None:
    data: dict[str, Any] = {
        "model": message.model,
        "purpose": info.purpose,
        "stop_reason": message.stop_reason,
        **tokens.as_json(),
    }
    if info.turn_id is not None:
        data["turn"] = info.turn_id
    with db.session() as s:
        record(
            s,
            kind=CALL_EVENT,
            actor=f"agent:{info.domain}",
            domain=info.domain,
            subject=f"message:{message.id}",
            data=data,
            charter_version=info.charter_version,
            cost_usd=cost,
            source_event_id=info.source_event_id,
        )
    _count(info.domain, tokens, cost)


def _count(domain: str, tokens: Tokens, cost: float) -> None:
    """The call in /metrics, once its event is committed (the budget's own record)."""
    for kind, n in tokens.as_json().items():
        if n:
            metrics.MODEL_TOKENS.labels(domain, kind.removesuffix("_tokens")).inc(n)
    metrics.MODEL_COST.labels(domain).inc(cost)
