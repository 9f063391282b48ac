"""The shadow report: how often a candidate agreed with the active version, and where not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.versions import service
from domains.versions.models import ShadowResultRow
from orchestrator.canonical import Button, ButtonStyle, Post

ACTIVATE, STOP = "charter_activate", "charter_stop"
MAX_LISTED = 20  # differences listed on the card and by the CLI (the count covers them all)


@dataclass(frozen=True)
class Report:
    domain: str
    shadow: int
    active: int
    total: int
    agreed: int
    differences: list[ShadowResultRow]
    shadow_cost_usd: float = 0.0

    @property
    def rate(self) -> float:
        return self.agreed / self.total if self.total else 1.0

    def summary(self) -> str:
        if not self.total:
            return (
                f"{self.domain}: shadow version {self.shadow} beside active version {self.active}"
                ": no live messages yet."
            )
        return (
            f"{self.domain}: shadow version {self.shadow} beside active version {self.active}: "
            f"{self.total} messages, {self.agreed} agreed ({self.rate:.0%}), "
            f"{len(self.differences)} differed."
        )

    def lines(self) -> list[str]:
        out = [self.summary()]
        if self.shadow_cost_usd:
            out.append(f"Shadow model cost: ${self.shadow_cost_usd:.4f} (charged to the budget, "
                       "apart from the live cost).")  # fmt: skip
        for row in self.differences[:MAX_LISTED]:
            out.append(f"- “{_short(row.text)}” — active: {_said(row.active)}; "
                       f"shadow: {_said(row.shadow)}")  # fmt: skip
        if len(self.differences) > MAX_LISTED:
            out.append(f"… and {len(self.differences) - MAX_LISTED} more.")
        return out


def build(s: Session, domain: str, number: int | None = None) -> Report:
    """The report on `number` (default: the running shadow, else the latest candidate run)."""
    head = service.known_head(s, domain)
    if number is None:
        number = head.shadow or _last_shadowed(s, domain)
    if number is None:
        raise service.VersionError(f"{domain}: no shadow candidate has run yet.")
    rows = list(s.scalars(select(ShadowResultRow).where(
        ShadowResultRow.domain == domain, ShadowResultRow.version == number
    ).order_by(ShadowResultRow.id)))  # fmt: skip
    differ = [r for r in rows if not r.agrees]
    cost = sum(float(((r.shadow or {}).get("agent") or {}).get("cost_usd", 0.0)) for r in rows)
    return Report(domain, number, head.active, len(rows), len(rows) - len(differ), differ, cost)


def card(report: Report) -> Post:
    """The daily card in the hub, with **Activate** and **Stop** (operators only)."""
    value = f"{report.domain}:{report.shadow}"
    return Post(
        title=f"Shadow report: {report.domain} version {report.shadow}",
        text="\n".join(report.lines()),
        buttons=[
            Button(label="Activate", action=ACTIVATE, value=value, style=ButtonStyle.PRIMARY),
            Button(label="Stop", action=STOP, value=value, style=ButtonStyle.DANGER),
        ],
        context="only an operator's click switches a charter version",
    )


def _last_shadowed(s: Session, domain: str) -> int | None:
    query = select(ShadowResultRow.version).where(ShadowResultRow.domain == domain)
    return s.scalar(query.order_by(ShadowResultRow.id.desc()).limit(1))


def _said(side: dict[str, Any]) -> str:
    outcome = side.get("outcome")
    text = "declined" if outcome == "decline" else f"{outcome} ({side.get('confidence')})"
    ops = (side.get("parse") or {}).get("ops")
    text += f", lines: {', '.join(ops)}" if ops else ""
    agent = side.get("agent")
    if agent:
        tools = ", ".join(agent.get("tools") or []) or "none"
        text += f", tools: {tools}, reply: “{_short(str(agent.get('reply', '')), 80)}”"
    return text


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
