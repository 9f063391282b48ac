"""Bolt listeners: each payload becomes an `InboundEvent`, stored durably, then acknowledged.

Bolt runs with `process_before_response=True`, so Slack's 200 is sent only after the listener
returned: the event is in the database (and queued) before Slack hears back. Nothing else
happens in the request: people's display names are looked up by the worker that handles the
event (`orchestrator.people`, `bot.slack_names`). Errors map to statuses here too: a payload
of the wrong shape, or one the database cannot keep (an id too long for its column), is 400
(with `x-slack-no-retry`), a storage failure 503 so Slack delivers it again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from slack_bolt.error import BoltUnhandledRequestError

from bot import slack_events
from bot.intake import Intake
from bot.slack_home import HomeSurface
from orchestrator.canonical import InboundEvent
from orchestrator.ingest import Unstorable
from orchestrator.skipped import SkipCounter

log = logging.getLogger(__name__)

ANY = re.compile(".*")
ACCEPTED = BoltResponse(status=200, body="")  # `accept_message`'s answer when all went well
SHAPE_ERRORS = (ValueError, TypeError, KeyError, AttributeError)  # incl. pydantic's


def translate(fn: Callable[..., InboundEvent | None], *args: Any, **kw: Any) -> InboundEvent | None:
    """Run a payload translation; any error of shape there means the payload is malformed."""
    try:
        return fn(*args, **kw)
    except SHAPE_ERRORS as exc:
        raise slack_events.Malformed(type(exc).__name__) from exc


def register(app: AsyncApp, intake: Intake, skipped: SkipCounter) -> None:
    """Attach ParallelOS's listeners (and its error handler) to a bolt app."""

    home = HomeSurface(intake.svc)

    async def accept(event: InboundEvent | None) -> None:
        if event is not None:
            await intake.accept_async(event)

    async def on_message(body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = translate(slack_events.message_event, body, bot_user_id=context.bot_user_id)
        await accept(event)

    async def on_mention(body: dict[str, Any], context: AsyncBoltContext) -> None:
        event = translate(slack_events.mention_event, body, bot_user_id=context.bot_user_id)
        await accept(event)

    async def on_command(body: dict[str, Any], ack: AsyncAck) -> None:
        await accept(translate(slack_events.command_event, body))
        await ack()

    async def on_action(body: dict[str, Any], ack: AsyncAck) -> None:
        await accept(translate(slack_events.action_event, body))
        await ack()

    async def on_home_opened(body: dict[str, Any], context: AsyncBoltContext) -> None:
        home.opened(slack_events.inner_event(body), context.client)

    async def on_other_event(body: dict[str, Any]) -> None:
        """Events we subscribe to but do not use: acknowledged (never 404), counted."""
        _skip(skipped, body, "unused kind", logging.INFO)

    app.event("message")(on_message)
    app.event("app_mention")(on_mention)
    app.command(ANY)(on_command)
    app.block_action(ANY)(on_action)
    app.event("app_home_opened")(on_home_opened)
    app.event(ANY)(on_other_event)

    async def on_error(error: Exception, body: dict[str, Any]) -> BoltResponse:
        return refusal(skipped, error, body)

    app.error(on_error)


async def accept_message(
    intake: Intake, skipped: SkipCounter, body: dict[str, Any], *, bot_user_id: str | None
) -> BoltResponse:
    """A plain Events API `message` (`slack_events.plain_message`), handled as `on_message`
    and `on_error` handle it under bolt, without bolt's dispatch: stored (and queued) before
    the 200, a wrong shape 400, a storage failure 503. The caller has checked the signature."""
    try:
        event = translate(slack_events.message_event, body, bot_user_id=bot_user_id)
        if event is not None:
            await intake.accept_async(event)
    except Exception as exc:
        return refusal(skipped, exc, body)
    return ACCEPTED


def refusal(skipped: SkipCounter, error: Exception, body: Any) -> BoltResponse:
    """The answer to a request that failed: unhandled kinds 200; wrong shapes and rows the
    database cannot keep 400 (no retry); anything else (storage) 503, so Slack retries."""
    if isinstance(error, BoltUnhandledRequestError):
        _skip(skipped, body, "unhandled kind", logging.INFO)
        return BoltResponse(status=200, body="")
    if isinstance(error, slack_events.Malformed):
        _skip(skipped, body, f"malformed ({error})")
        return malformed()
    if isinstance(error, Unstorable):  # e.g. an id longer than its column: never stored
        _skip(skipped, body, f"unstorable ({error})")
        return malformed(str(error))
    log.error("slack request not accepted (%s); Slack will deliver it again",
              type(error).__name__)  # fmt: skip
    return BoltResponse(status=503, body={"error": "temporarily unavailable"})


def _skip(skipped: SkipCounter, body: Any, reason: str, level: int = logging.WARNING) -> None:
    kind, ident = slack_events.slack_kind(body)
    skipped.skip("slack", reason, delivery=ident, kind=kind, level=level)


def malformed(reason: str = "malformed request") -> BoltResponse:
    return BoltResponse(status=400, body={"error": reason}, headers={"x-slack-no-retry": "1"})
