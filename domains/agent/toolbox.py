"""Running the model's tool calls: validate, then record the effect for the final transaction.

Nothing is applied to the database here. Doc ops are previewed on a copy of the doc (so the
model hears what would change), handoffs, proposals and notes are collected, and the turn
applies them all at the end, with its reply, in one transaction. Invalid input is an
`is_error` result and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from domains.agent.mcp_tools import Held, McpTools
from domains.agent.memory import Memory
from domains.agent.profile import MAX_FACTS, FactChange
from domains.agent.prompt import Snapshot, data_block
from domains.agent.tools import (
    CreateHandoff,
    FollowUp,
    ForgetFact,
    ProposeAction,
    Recall,
    RememberFact,
    RememberNote,
    Reply,
    ToolInput,
    ToolSet,
    UpdateFact,
    error_text,
    validate,
)
from domains.status_doc import StatusDoc, apply_ops, confirmation_text
from domains.status_lines import Op
from orchestrator.db import utcnow

MAX_ASKS = 3  # handoffs and proposals per turn, each
MAX_NOTES = 5


@dataclass
class Effects:
    """What the turn will apply when it ends."""

    ops: list[Op] = field(default_factory=list)
    handoffs: list[CreateHandoff] = field(default_factory=list)
    proposals: list[ProposeAction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    facts: list[FactChange] = field(default_factory=list)
    tool_effects: list[Held] = field(default_factory=list)  # MCP effects, held for approval
    reply: str | None = None
    log: list[dict[str, Any]] = field(default_factory=list)  # every tool call, for the event log

    @property
    def empty(self) -> bool:
        return not (
            self.ops or self.handoffs or self.proposals or self.notes or self.facts
            or self.tool_effects
        )  # fmt: skip


class Toolbox:
    def __init__(
        self, toolset: ToolSet, snap: Snapshot, recall: Callable[[str], list[Memory]]
    ) -> None:
        self.toolset = toolset
        self.snap = snap
        self.preview: StatusDoc = snap.doc
        self.recall = recall
        self.effects = Effects()
        self.facts: list[int | None] = [f.id for f in snap.facts]  # by number; None: forgotten
        self.mcp: McpTools | None = None  # the charter's MCP tools (domains.agent.mcp_tools)

    def run(self, name: str, raw: Any, use_id: str | None = None) -> tuple[str, bool]:
        """(result text, is_error) for one tool call (`use_id`: the model's tool_use id)."""
        if self.mcp is not None and self.mcp.has(name):
            content, is_error = self.mcp.run(name, raw, use_id, self.effects.tool_effects)
            self.effects.log.append({"tool": name, "ok": not is_error})
            return content, is_error
        try:
            parsed = validate(name, raw, self.toolset)
            result = self._apply(parsed)
        except (ValidationError, ValueError) as exc:
            self.effects.log.append({"tool": name, "ok": False})
            return error_text(exc), True
        self.effects.log.append({"tool": name, "ok": True})
        return result, False

    def _apply(self, parsed: ToolInput) -> str:
        ops = getattr(parsed, "ops", None)
        if ops is not None:
            return self._doc(ops())
        if isinstance(parsed, CreateHandoff):
            self._limit(self.effects.handoffs, MAX_ASKS, "handoffs")
            self.effects.handoffs.append(parsed)
            return f"Handoff to {parsed.to_domain} will be posted to its inbox."
        if isinstance(parsed, FollowUp):
            return self._follow_up(parsed)
        if isinstance(parsed, ProposeAction):
            self._limit(self.effects.proposals, MAX_ASKS, "proposals")
            self.effects.proposals.append(parsed)
            return "Proposal will wait for an operator's approval; you cannot approve it."
        if isinstance(parsed, RememberNote):
            self._limit(self.effects.notes, MAX_NOTES, "notes")
            self.effects.notes.append(parsed.text)
            return "Noted in this domain's memory."
        if isinstance(parsed, RememberFact | UpdateFact | ForgetFact):
            return self._fact(parsed)
        if isinstance(parsed, Recall):
            found = self.recall(parsed.query)
            body = "\n".join(f"- [{m.kind}, {m.at:%Y-%m-%d}] {m.text}" for m in found)
            return data_block("memory", body or "nothing found")
        assert isinstance(parsed, Reply)
        self.effects.reply = parsed.text
        return "ok"

    def _follow_up(self, parsed: FollowUp) -> str:
        """A `Remind` op for the end of the turn; a time that cannot be used is an error."""
        reminders = [op for op in self.effects.ops if op.kind == "remind"]
        self._limit(reminders, MAX_ASKS, "follow-ups")
        zone = ZoneInfo(self.toolset.zone)
        op = parsed.op(now=utcnow(), zone=zone)
        self.effects.ops.append(op)
        due = op.due_at.astimezone(zone)
        return f"Follow-up will be set for {due:%a %d %b %Y %H:%M} ({zone}): {op.text}"

    def _doc(self, ops: list[Op]) -> str:
        new, changes = apply_ops(self.preview, ops, actor="agent", at=utcnow())
        self.preview = new
        self.effects.ops += ops
        return confirmation_text(changes, self.toolset.domain) if changes else "No change."

    def _fact(self, parsed: RememberFact | UpdateFact | ForgetFact) -> str:
        """Profile changes, checked against the profile as this turn sees it."""
        self._limit(self.effects.facts, MAX_NOTES, "profile changes")
        if isinstance(parsed, RememberFact):
            if len(self.facts) >= MAX_FACTS:
                raise ValueError(f"the profile holds at most {MAX_FACTS} facts; update one")
            self.facts.append(None)
            self.effects.facts.append(FactChange("add", None, parsed.text))
            return f"Kept as profile fact {len(self.facts)}."
        known = self.facts[parsed.n - 1] if parsed.n <= len(self.facts) else None
        if known is None:
            raise ValueError(f"there is no profile fact {parsed.n} you can change")
        if isinstance(parsed, UpdateFact):
            self.effects.facts.append(FactChange("update", known, parsed.text))
            return f"Profile fact {parsed.n} will read: {parsed.text}"
        self.facts[parsed.n - 1] = None
        self.effects.facts.append(FactChange("forget", known))
        return f"Profile fact {parsed.n} will be forgotten."

    @staticmethod
    def _limit(items: list[Any], most: int, what: str) -> None:
        if len(items) >= most:
            raise ValueError(f"at most {most} {what} per turn")
