"""The dashboard's live parts: a server-sent event stream that says when something changed,
and the answer to one button click.

`GET /dashboard/stream` (sse-starlette's `EventSourceResponse`: keep-alive pings, and it ends
its streams when uvicorn shuts down, which would otherwise wait for them) sends
`event: change` with the new change mark (`orchestrator.dashboard.change_mark`) whenever the
mark moves; the page then fetches its live fragment again. The page passes the mark it was
rendered at (`?after=`), and a reconnecting browser sends the last one it saw
(`Last-Event-ID`), so no change falls between page and stream. A stream ends after
STREAM_SECONDS and the browser reconnects (`retry`); while it is down the page polls.

`GET /dashboard/answer/<event>` shows what a click from this page led to: the private answer a
refused click gets ("already approved by …"), or that it was done. Both are behind the guard
and read only; neither is logged at info level (bot/web_startup.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from time import monotonic
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Header, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from bot.web_dashboard import render
from bot.web_guard import Guard, guard
from bot.web_local import ServicesDep
from orchestrator.canonical import EventKind, Platform
from orchestrator.dashboard import change_mark
from orchestrator.models import InboundEventRow, OutboxRow
from orchestrator.services import Services
from orchestrator.statuses import EventStatus

__all__ = ["router"]

router = APIRouter(dependencies=[Depends(guard)])
CHECK_SECONDS = 0.25  # how often the stream looks at the mark: well within a second
STREAM_SECONDS = 300  # then the browser reconnects, so a stream never lives for ever
RETRY_MS = 1000
PING_SECONDS = 15  # a comment line now and then keeps proxies from closing a quiet stream
MAX_ID = 2**63 - 1
MAX_MARK = 64  # a mark is two numbers; anything longer is not ours
STATES = {EventStatus.RECEIVED: "pending", EventStatus.FAILED: "failed",
          EventStatus.IGNORED: "ignored"}  # fmt: skip


@router.get("/dashboard/stream")
async def stream(
    request: Request,
    svc: ServicesDep,
    after: str = "",
    last_event_id: Annotated[str | None, Header()] = None,
) -> EventSourceResponse:
    changes = _changes(request, svc, (last_event_id or after)[:MAX_MARK])
    return EventSourceResponse(changes, ping=PING_SECONDS, sep="\n",
                               headers={"Cache-Control": "no-store"})  # fmt: skip


async def _changes(request: Request, svc: Services, seen: str) -> AsyncIterator[ServerSentEvent]:
    yield ServerSentEvent(comment="changes of the dashboard", retry=RETRY_MS)
    ends = monotonic() + STREAM_SECONDS
    while monotonic() < ends:
        mark = await run_in_threadpool(_mark, svc)
        if mark != seen:
            seen = mark
            yield ServerSentEvent(event="change", id=mark, data=mark)
        if await request.is_disconnected():
            return
        await anyio.sleep(CHECK_SECONDS)


def _mark(svc: Services) -> str:
    with svc.db.session() as s:
        return change_mark(s)


@router.get("/dashboard/answer/{event_id}", response_class=HTMLResponse)
async def answer(request: Request, event_id: int, viewer: Guard, svc: ServicesDep) -> Response:
    if event_id < 1 or event_id > MAX_ID:
        raise HTTPException(400, "event must be a positive id")
    found = await run_in_threadpool(click_outcome, svc, event_id)
    if found is None:
        raise HTTPException(404, "no click from this page with that id")
    return render(request, viewer, "live_answer.html", {"event_id": event_id, **found})


def click_outcome(svc: Services, event_id: int) -> dict[str, Any] | None:
    """A local click's state (`pending`, `done`, `failed`) and the answers it got."""
    with svc.db.session() as s:
        event = s.get(InboundEventRow, event_id)
        local = event is not None and event.platform == Platform.LOCAL.value
        if event is None or not local or event.kind != EventKind.ACTION.value:
            return None
        rows = s.scalars(
            select(OutboxRow)
            .where(OutboxRow.source_event_id == event_id, OutboxRow.kind == "answer")
            .order_by(OutboxRow.id)
        ).all()
        answers = [str(r.post.get("text") or "") for r in rows]
        state = STATES.get(EventStatus(event.status), "done")
        return {"state": state, "answers": answers, "reason": event.error}
