"""What the agents cost and how often the model is consulted, from the event log.

`usage` sums the `agent.call` events of a month per domain (calls, tokens, estimated cost,
cache hit rate = cache reads / all prompt tokens); `consultation_rate` is the share of
routing decisions the offline router left to the model (`route.consulted / route.decided`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from domains.agent.budget import CALL_EVENT, month_of, month_start, state
from orchestrator.charters import CharterSet
from orchestrator.db import utcnow
from orchestrator.features import Feature
from orchestrator.models import LogEvent


@dataclass
class Usage:
    domain: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0  # live calls only
    shadow_usd: float = 0.0  # a shadow candidate's calls: charged to the budget, shown apart
    by_day: dict[int, float] = field(default_factory=dict)  # day of the month: all calls' cost

    @property
    def cache_hit_rate(self) -> float | None:
        prompt = self.input_tokens + self.cache_read_tokens + self.cache_write_tokens
        return self.cache_read_tokens / prompt if prompt else None

    def add(self, event: LogEvent) -> None:
        data = event.data or {}
        self.by_day[event.at.day] = self.by_day.get(event.at.day, 0.0) + (event.cost_usd or 0.0)
        if data.get("purpose") == "shadow":
            self.shadow_usd += event.cost_usd or 0.0
            return
        self.calls += 1
        self.input_tokens += int(data.get("input_tokens", 0))
        self.output_tokens += int(data.get("output_tokens", 0))
        self.cache_read_tokens += int(data.get("cache_read_input_tokens", 0))
        self.cache_write_tokens += int(data.get("cache_creation_input_tokens", 0))
        self.cost_usd += event.cost_usd or 0.0


def usage(session: Session, month: str | None = None) -> dict[str, Usage]:
    """Per domain (the hub included), the month's model usage; the current month by default."""
    start = month_start(month or month_of(utcnow()))
    rows = session.scalars(
        select(LogEvent).where(LogEvent.kind == CALL_EVENT, LogEvent.at >= start)
    ).all()
    out: dict[str, Usage] = {}
    for event in rows:
        domain = event.domain or "?"
        out.setdefault(domain, Usage(domain)).add(event)
    return out


@dataclass(frozen=True)
class Consultations:
    decided: int  # messages the router had to place
    consulted: int  # of those, how many the model was asked about

    @property
    def rate(self) -> float | None:
        return self.consulted / self.decided if self.decided else None


def consultation_rate(session: Session, since: datetime | None = None) -> Consultations:
    def count(kind: str) -> int:
        query = select(func.count()).select_from(LogEvent).where(LogEvent.kind == kind)
        if since is not None:
            query = query.where(LogEvent.at >= since)
        return session.scalar(query) or 0

    return Consultations(decided=count("route.decided"), consulted=count("route.consulted"))


def feature(charters: CharterSet) -> Feature:
    """The agents' spend as a feature: the dashboard's `agents` view."""
    return Feature(name="agents", views={"agents": partial(spend, charters)})


def spend(charters: CharterSet, session: Session) -> list[dict[str, object]]:
    """This month's spend per domain (and the hub) against its budget, with cache hit rates."""
    used = usage(session)
    today = utcnow().day
    rows = []
    for domain in [*charters.names(), "hub"]:
        st, u = state(session, charters, domain), used.get(domain, Usage(domain))
        rate = u.cache_hit_rate
        rows.append({
            "domain": domain,
            "month": st.month,
            "spent_usd": round(st.spent_usd, 4),
            "budget_usd": round(st.limit_usd, 2),
            "calls": u.calls,
            "live_usd": round(u.cost_usd, 4),
            "shadow_usd": round(u.shadow_usd, 4),
            "cache_hit_rate": None if rate is None else round(rate, 3),
            "daily_usd": [round(u.by_day.get(d, 0.0), 4) for d in range(1, today + 1)],
        })  # fmt: skip
    return rows
