"""A shadow candidate's agent turn (CONTRACT §7.7, issue 14): the same message, the same
snapshot, the candidate charter's prompt and tools — with a RECORDING executor.

After the live turn of a message finished, the `agent_shadow` job asks the model what the
candidate version's agent would have done. Every tool call is recorded, never applied: the
built-in tools only ever collect effects (and a shadow turn never reaches `finish`), MCP tools
are recorded and not called at all — reads included, effects above all. Nothing is posted,
no approval is made, nothing is sent to the webhook. The reply and the tool calls are stored on
the message's `shadow_results` row beside the live turn's, and compared. The shadow's model
calls are `agent.call` events with purpose `shadow`: charged to the domain's budget, shown
apart from the live cost.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from domains.agent import budget, llm, mcp_tools, memory, snapshot
from domains.agent import loop as loop_
from domains.agent.loop import Loop, LoopResult, Request
from domains.agent.models import AgentTurnRow, TurnKind
from domains.agent.prompt import first_message, system_blocks
from domains.agent.toolbox import Toolbox
from domains.agent.tools import ToolSet
from domains.tools.client import shared
from domains.versions import service as versions
from domains.versions.models import ShadowResultRow
from orchestrator.charters import Charter
from orchestrator.ingest import stored_event
from orchestrator.models import LogEvent
from orchestrator.statuses import TurnStatus

if TYPE_CHECKING:
    from orchestrator.services import Services

log = logging.getLogger(__name__)
PURPOSE = "shadow"
RECORDED = "(shadow run: recorded, not executed)"


class RecordingToolbox(Toolbox):
    """The built-in tools as ever (they only collect), every call kept for the record."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[dict[str, Any]] = []

    def run(self, name: str, raw: Any, use_id: str | None = None) -> tuple[str, bool]:
        self.calls.append({"tool": name, "input": raw})
        if self.mcp is not None and self.mcp.has(name):  # never sent to the server
            self.effects.log.append({"tool": name, "ok": True, "recorded": True})
            return RECORDED, False
        return super().run(name, raw, use_id)


def queue_if_shadowed(svc: Services, event_id: int, domain: str) -> None:
    """After a live turn: queue the shadow's turn when a candidate of the domain runs."""
    with svc.db.session() as s:
        row = _result(s, domain, event_id)
        if row is None or "agent" in (row.shadow or {}) or row.shadow.get("outcome") == "decline":
            return
    svc.queue.enqueue("agent_shadow", job_id=f"agent_shadow-{event_id}-{domain}",
                      event_id=event_id, domain=domain)  # fmt: skip


def _result(s: Any, domain: str, event_id: int) -> ShadowResultRow | None:
    head = versions.head(s, domain)
    if head is None or head.shadow is None:
        return None
    return s.scalars(select(ShadowResultRow).where(
        ShadowResultRow.domain == domain, ShadowResultRow.version == head.shadow,
        ShadowResultRow.event_id == event_id,
    )).first()  # fmt: skip


def run(svc: Services, *, event_id: int, domain: str) -> dict[str, Any] | None:
    """The shadow's turn for one message, once; what it recorded (None: nothing to do)."""
    with svc.db.session() as s:
        row = _result(s, domain, event_id)
        turn = s.scalars(select(AgentTurnRow).where(
            AgentTurnRow.kind == TurnKind.REPLY.value, AgentTurnRow.event_id == event_id,
            AgentTurnRow.domain == domain,
        )).first()  # fmt: skip
        if row is None or turn is None or "agent" in (row.shadow or {}):
            return None
        if turn.status not in (TurnStatus.DONE, TurnStatus.FAILED):
            return None  # the live turn first: the comparison needs its answer
        candidate = versions.charter_of(versions.version(s, domain, row.version))
        event = stored_event(s, event_id)
        live = _live_side(s, turn, event_id, domain)
        snap = snapshot.load(s, svc.charters, domain, event, event_id, turn.text,
                             zone=svc.settings.zone)  # fmt: skip
        number, row_id = row.version, row.id
    box = _toolbox(svc, domain, candidate, snap, event_id, number)
    try:
        result = _think(svc, domain, candidate, box, event_id, number)
    except llm.ModelUnavailable as exc:
        log.warning("shadow %s v%d: model unavailable (%s)", domain, number, exc)
        result = LoopResult(stop="unavailable")
    recorded = {
        "stop": result.stop,
        "reply": (box.effects.reply or result.text)[:4000],
        "tools": [c["tool"] for c in box.calls if c["tool"] != "reply"],
        "calls": box.calls[:20],
        "cost_usd": round(result.cost_usd, 8),
    }
    _store(svc, row_id, live, recorded)
    return recorded


def _live_side(s: Any, turn: AgentTurnRow, event_id: int, domain: str) -> dict[str, Any]:
    logged = s.scalars(select(LogEvent).where(
        LogEvent.kind == "agent.turn", LogEvent.domain == domain,
        LogEvent.source_event_id == event_id,
    ).order_by(LogEvent.id.desc())).first()  # fmt: skip
    tools = [t["tool"] for t in (logged.data.get("tools", []) if logged else [])]
    return {"stop": turn.stop, "reply": str((turn.data or {}).get("reply", ""))[:4000],
            "tools": [t for t in tools if t != "reply"],
            "cost_usd": float(turn.cost_usd or 0.0)}  # fmt: skip


def _toolbox(
    svc: Services, domain: str, candidate: Charter, snap: Any, event_id: int, number: int
) -> RecordingToolbox:
    others = tuple(n for n in svc.charters.names() if n != domain)

    def recall(query: str) -> list[memory.Memory]:
        with svc.db.session() as s:
            return memory.search(s, domain, query, skip_event=event_id)

    box = RecordingToolbox(ToolSet(domain, others, svc.settings.timezone), snap, recall)
    box.mcp = mcp_tools.load(svc.db, shared(), candidate, turn_id=None, event_id=event_id,
                             charter_version=str(number))  # fmt: skip
    return box


def _think(
    svc: Services, domain: str, candidate: Charter, box: RecordingToolbox, event_id: int,
    number: int,
) -> LoopResult:  # fmt: skip
    info = llm.CallInfo(domain, PURPOSE, str(number), event_id, None)

    def allows() -> bool:
        with svc.db.session() as s:
            return budget.state(s, svc.charters, domain).allows()

    tools = box.toolset.params() + (box.mcp.params() if box.mcp is not None else [])
    with llm.make_client(svc.settings) as client:
        return Loop(
            client=client, db=svc.db, info=info,
            request=Request(model=svc.settings.model,
                            system=system_blocks(candidate, svc.settings.model, tools),
                            tools=tools, first=first_message(box.snap)),
            toolbox=box, max_calls=candidate.budget.max_tool_iterations,
            deadline=loop_.clock() + candidate.budget.job_timeout_seconds, allows=allows,
        ).run()  # fmt: skip


def _store(svc: Services, row_id: int, live: dict[str, Any], recorded: dict[str, Any]) -> None:
    with svc.db.session() as s:
        row = s.get(ShadowResultRow, row_id, with_for_update=True)
        if row is None or "agent" in (row.shadow or {}):
            return
        row.active = {**row.active, "agent": live}
        row.shadow = {**row.shadow, "agent": recorded}
        if live["tools"] != recorded["tools"] and "tools" not in row.differences:
            row.differences = [*row.differences, "tools"]
        row.agrees = not row.differences
