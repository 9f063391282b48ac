"""Shadow runs: a candidate version beside the active one, on every live message of its domain.

For each message the active version placed in the domain (or the candidate would have), the
candidate's routing (domain, confidence), boundary decision (in scope or declined) and the
status-line parse are computed next to the active version's and stored in `shadow_results`.
That is all a shadow does: it posts nothing, applies nothing, queues nothing and decides
nothing; its work runs in a savepoint, so a failing shadow cannot touch the live answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from domains.status_lines import parse_status_lines
from domains.versions import cases, service
from domains.versions.models import CharterHeadRow, ShadowResultRow
from orchestrator.router import RouteDecision, Router

if TYPE_CHECKING:
    from orchestrator.context import Context

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Running:
    domain: str
    number: int
    active: int


class ShadowRuns:
    """The pipeline's observer for shadow candidates; caches keyed on the charters' stamp."""

    def __init__(self) -> None:
        self._running: tuple[int, list[Running]] | None = None
        self._routers: dict[tuple[str, int, int], Router] = {}

    def observe(self, ctx: Context, domain: str | None, decision: RouteDecision | None) -> None:
        """Record what each running shadow would have done with this live message."""
        try:
            with ctx.session.begin_nested():
                for run in self.running(ctx):
                    self._one(ctx, run, domain, decision)
        except Exception:  # a shadow's fault is logged; the live message goes on untouched
            log.exception("shadow run failed on event %s", ctx.event_id)

    def running(self, ctx: Context) -> list[Running]:
        stamp = ctx.orch.live.stamp
        if self._running is None or self._running[0] != stamp:
            heads = ctx.session.scalars(
                select(CharterHeadRow).where(CharterHeadRow.shadow.is_not(None))
            )
            runs = [Running(h.domain, h.shadow, h.active) for h in heads if h.shadow is not None]
            self._running = (stamp, runs)
        return self._running[1]

    def router(self, ctx: Context, run: Running) -> Router:
        key = (run.domain, run.number, ctx.orch.live.stamp)
        if key not in self._routers:
            candidate = service.charter_of(service.version(ctx.session, run.domain, run.number))
            self._routers = {key: Router(ctx.orch.charters.replaced(candidate, run.number))}
        return self._routers[key]

    def _one(
        self, ctx: Context, run: Running, domain: str | None, decision: RouteDecision | None
    ) -> None:
        text = ctx.event.text
        shadow = self.router(ctx, run).route(text)
        active = decision or ctx.orch.router.route(text)
        if run.domain not in (domain, shadow.domain):
            return  # not a message of this domain, under either version
        names = ctx.orch.charters.names()
        mine = _side(active, domain if decision is None else None, text, names)
        theirs = _side(shadow, None, text, names)
        diffs = [k for k in ("outcome", "parse") if mine[k] != theirs[k]]
        ctx.session.add(ShadowResultRow(
            domain=run.domain, version=run.number, active_version=run.active,
            event_id=ctx.event_id, text=text[:4000], active=mine, shadow=theirs,
            agrees=not diffs, differences=diffs,
        ))  # fmt: skip


def _side(decision: RouteDecision, home: str | None, text: str, names: list[str]) -> dict[str, Any]:
    """One version's view of a message: routing, boundary, parse (the same keys on both)."""
    parsed = parse_status_lines(text, names)
    return {
        "outcome": cases.outcome(decision),
        "domain": decision.domain,
        "confidence": round(decision.confidence, 3),
        "in_scope": decision.in_scope,
        "reason": decision.reason,
        "home": home,
        "parse": {"ops": [op.kind for op in parsed.ops], "errors": len(parsed.errors)},
    }
