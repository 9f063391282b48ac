"""`parallelos tools [domain]` and doctor's tool lines: each domain's MCP servers, the tools
its charter lists (read or effect) and whether the server answers (it is started to ask)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domains.tools.client import ServerPool, ToolServerError
from orchestrator.charters import Charter, CharterSet, McpServerSpec


@dataclass
class ServerReport:
    domain: str
    spec: McpServerSpec
    answers: bool
    problem: str = ""
    served: set[str] = field(default_factory=set)

    @property
    def transport(self) -> str:
        if self.spec.url is not None:
            return f"http: {self.spec.url.split('?')[0]}"
        return "stdio: " + " ".join([self.spec.command or "", *self.spec.args]).strip()

    @property
    def missing(self) -> list[str]:
        return [t for t in self.spec.tools if self.answers and t not in self.served]


def check(pool: ServerPool, charter: Charter) -> list[ServerReport]:
    reports = []
    for spec in charter.mcp_servers:
        try:
            served = {t.name for t in pool.list_tools(charter.name, spec)}
        except ToolServerError as exc:
            reports.append(ServerReport(charter.name, spec, False, str(exc)))
            continue
        reports.append(ServerReport(charter.name, spec, True, served=served))
    return reports


def tools_lines(
    pool: ServerPool, charters: CharterSet, domain: str | None
) -> tuple[list[str], bool]:
    """The listing, and whether every declared server answers with every listed tool."""
    names = [domain] if domain is not None else charters.names()
    lines: list[str] = []
    ok = True
    for name in names:
        charter = charters.get(name)
        if not charter.mcp_servers:
            lines.append(f"{name}: no tool servers")
            continue
        lines.append(f"{name}:")
        for r in check(pool, charter):
            state = "answers" if r.answers else f"not answering — {r.problem}"
            ok = ok and r.answers and not r.missing
            lines.append(f"  {r.spec.name} ({r.transport}): {state}")
            for tool, kind in r.spec.tools.items():
                note = " (not served)" if tool in r.missing else ""
                lines.append(f"    {tool}: {kind}{note}")
    return lines, ok


def doctor_lines(pool: ServerPool, charters: CharterSet) -> list[str]:
    """One line per declared server (none: one line saying so)."""
    lines = []
    for name in charters.names():
        for r in check(pool, charters.get(name)):
            kinds = list(r.spec.tools.values())
            tools = f"{kinds.count('read')} read, {kinds.count('effect')} effect"
            if not r.answers:
                lines.append(f"Tools {name}/{r.spec.name}: not answering ({r.problem})")
            elif r.missing:
                lines.append(f"Tools {name}/{r.spec.name}: answers, but does not serve "
                             f"{', '.join(r.missing)}")  # fmt: skip
            else:
                lines.append(f"Tools {name}/{r.spec.name}: answers ({tools})")
    return lines or ["Tool servers: none declared"]
