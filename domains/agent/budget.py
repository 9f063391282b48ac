"""Monthly budgets per domain: spend from the `agent.call` events, raises by approval only.

The month is the calendar month in UTC. The limit is the charter's `budget.monthly_usd` plus
every raise an operator approved this month (a raise is a `BudgetNoticeRow` linked to an
approval of issue 4's approvals; only an operator's click approves it). At 80% the domain's
channel is warned once per limit; at 100% the agent stops (offline handling goes on) and one
approval card "raise the budget by X" is posted per limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domains.agent import texts
from domains.agent.models import BudgetNoticeRow
from domains.approvals.models import ApprovalRow
from orchestrator.canonical import Post
from orchestrator.charters import Budget, CharterSet
from orchestrator.db import utcnow
from orchestrator.models import LogEvent
from orchestrator.statuses import ApprovalStatus

if TYPE_CHECKING:
    from orchestrator.context import Context

CALL_EVENT = "agent.call"
WARN_AT = 0.8
RAISE_FRACTION = 0.5  # a raise adds half the charter's monthly budget
WARN, RAISE = "warn", "raise"


@dataclass(frozen=True)
class BudgetState:
    domain: str
    month: str
    base_usd: float
    raised_usd: float
    spent_usd: float
    level: int  # raises approved this month

    @property
    def limit_usd(self) -> float:
        return self.base_usd + self.raised_usd

    @property
    def exhausted(self) -> bool:
        return self.spent_usd >= self.limit_usd

    @property
    def warn(self) -> bool:
        return self.spent_usd >= WARN_AT * self.limit_usd

    def allows(self, extra_usd: float = 0.0) -> bool:
        """Whether one more call may start, counting cost not yet in the log."""
        return self.spent_usd + extra_usd < self.limit_usd


def budget_of(charters: CharterSet, domain: str) -> Budget:
    """The charter's budget; the hub (routing, brief summaries) has the default one."""
    return charters.get(domain).budget if domain in charters else Budget()


def month_of(at: datetime) -> str:
    return at.strftime("%Y-%m")


def month_start(month: str) -> datetime:
    return datetime.strptime(month + "-01", "%Y-%m-%d")


def state(
    session: Session, charters: CharterSet, domain: str, now: datetime | None = None
) -> BudgetState:
    month = month_of(now or utcnow())
    spent = session.scalar(
        select(func.coalesce(func.sum(LogEvent.cost_usd), 0.0)).where(
            LogEvent.kind == CALL_EVENT,
            LogEvent.domain == domain,
            LogEvent.at >= month_start(month),
        )
    )
    raises = session.scalars(
        select(BudgetNoticeRow.amount_usd)
        .join(ApprovalRow, ApprovalRow.public_id == BudgetNoticeRow.approval_public_id)
        .where(
            BudgetNoticeRow.domain == domain,
            BudgetNoticeRow.month == month,
            BudgetNoticeRow.kind == RAISE,
            ApprovalRow.status == ApprovalStatus.APPROVED.value,
        )
    ).all()
    base = budget_of(charters, domain).monthly_usd
    raised = sum(a or 0.0 for a in raises)
    return BudgetState(domain, month, base, raised, float(spent or 0.0), len(raises))


def _claim(
    session: Session, st: BudgetState, kind: str, amount: float | None
) -> BudgetNoticeRow | None:
    """The notice row, or None when this notice was already given at this limit."""
    row = BudgetNoticeRow(domain=st.domain, month=st.month, kind=kind, level=st.level,
                          amount_usd=amount)  # fmt: skip
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row


def warn_once(ctx: Context, st: BudgetState) -> bool:
    """At 80%: one warning in the domain's channel per limit."""
    if not st.warn or st.exhausted or _claim(ctx.session, st, WARN, None) is None:
        return False
    post = Post(text=texts.budget_warning(st.domain, st.spent_usd, st.limit_usd))
    ctx.posts.to_domain(ctx.orch.settings, ctx.event.platform, st.domain, post)
    return True


def request_raise(ctx: Context, st: BudgetState) -> bool:
    """At 100%: one approval card per limit; only an operator's Approve raises the budget."""
    from domains.approvals import service as approvals

    if st.domain not in ctx.orch.charters:
        return False  # the hub: no channel of its own to ask in; routing falls back offline
    amount = max(1.0, round(st.base_usd * RAISE_FRACTION, 2))
    notice = _claim(ctx.session, st, RAISE, amount)
    if notice is None:
        return False
    action = texts.budget_raise_action(st.domain, st.month, amount, st.limit_usd)
    approvals.propose(ctx, st.domain, action)
    notice.approval_public_id = ctx.session.scalars(
        select(ApprovalRow.public_id)
        .where(ApprovalRow.domain == st.domain, ApprovalRow.action == action)
        .order_by(ApprovalRow.id.desc())
        .limit(1)
    ).first()
    return True
