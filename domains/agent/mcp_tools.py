"""The agent's side of MCP tools (domains.tools): offered beside the built-in tools of a turn.

Only the turn's own domain's charter servers are listed, and of each only the tools the charter
names. A `read` tool runs at once and its result is quoted to the model as data; an `effect`
tool is held: the call is collected like a proposal and, when the turn ends, becomes an
approval card (`finish`), so nothing with an effect runs inside a turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from domains.agent.prompt import data_block
from domains.tools import service as tools
from domains.tools import texts
from domains.tools.client import ServerPool
from domains.tools.service import Offered

if TYPE_CHECKING:
    from orchestrator.context import Context
    from orchestrator.db import Database

MAX_HELD = 3  # effects per turn


@dataclass(frozen=True)
class Held:
    tool: Offered
    arguments: dict[str, Any]
    use_id: str | None


@dataclass
class McpTools:
    db: Database
    pool: ServerPool
    domain: str
    turn_id: int | None
    event_id: int | None
    charter_version: str | None
    offered: dict[str, Offered] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def params(self) -> list[dict[str, Any]]:
        return [
            {
                "name": t.name,
                "description": f"[{t.server.name} · {t.kind}] "
                + (t.description or t.tool)
                + (
                    " (Has an effect: it waits for an operator's approval.)"
                    if t.kind == tools.EFFECT
                    else ""
                ),
                "input_schema": t.input_schema,
            }  # fmt: skip
            for t in self.offered.values()
        ]

    def has(self, name: str) -> bool:
        return name in self.offered

    def run(self, name: str, raw: Any, use_id: str | None, held: list[Held]) -> tuple[str, bool]:
        tool = self.offered[name]
        if not isinstance(raw, dict):
            return "invalid input — the arguments must be a JSON object", True
        if tool.kind == tools.EFFECT:
            if len(held) >= MAX_HELD:
                return f"invalid input — at most {MAX_HELD} effect tool calls per turn", True
            held.append(Held(tool, dict(raw), use_id))
            return texts.held(texts.call_line(tool.server.name, tool.tool, raw)), False
        text, is_error = tools.run_read(
            self.db, self.pool, self.domain, tool, dict(raw), turn_id=self.turn_id,
            use_id=use_id, charter_version=self.charter_version, source_event_id=self.event_id,
        )  # fmt: skip
        return data_block("tool_result", text, server=tool.server.name, tool=tool.tool), is_error


def load(
    db: Database,
    pool: ServerPool,
    charter: Any,
    *,
    turn_id: int | None,
    event_id: int | None,
    charter_version: str | None,
) -> McpTools | None:
    """The turn's MCP tools, None when the charter declares no server."""
    if not charter.mcp_servers:
        return None
    found, problems = tools.offered(pool, charter.name, charter)
    return McpTools(db, pool, charter.name, turn_id, event_id, charter_version,
                    {t.name: t for t in found}, problems)  # fmt: skip


def hold_all(ctx: Context, domain: str, turn_id: int | None, held: list[Held]) -> list[str]:
    """At the end of the turn: each held effect as an approval card; the reply's lines."""
    lines = [
        tools.hold_effect(ctx, domain, h.tool, h.arguments, turn_id=turn_id, use_id=h.use_id)
        for h in held
    ]
    return [line for line in lines if line]
