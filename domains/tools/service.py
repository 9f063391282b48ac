"""Running a domain's MCP tools: reads at once, effects only after an operator's Approve.

- `offered` lists what a domain's agent may call: its own charter's servers, and of each only
  the tools the charter names (a server that does not answer offers nothing, and says why).
- `run_read` calls a `read` tool inside a turn. The row is unique per (turn, tool_use id): a
  retried turn gets the stored result and the server is not asked again.
- `hold_effect` (in the turn's final transaction) makes the approval, kind `tool`, and the
  `held` row. Approve queues the `tool_effect` job (domains.approvals.service); `run_effect`
  moves the row `held → running` in one UPDATE, so only one run — of any number of clicks,
  redeliveries and racing workers — calls the tool. A run that died mid-call leaves `running`,
  which is never called again (reported `unknown` once the call's time is past).
Results are capped, redacted, logged (`tool.call`, `tool.result`: charter version, duration,
size) and stay in their domain: an effect's result is posted in the thread it was asked in.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from domains.approvals import cards as approval_cards
from domains.approvals import service as approvals
from domains.approvals.models import ApprovalRow
from domains.cards import edit_cards
from domains.tools import texts
from domains.tools.client import START_SECONDS, CallOutcome, ServerPool, ToolServerError, shared
from domains.tools.models import ToolCallRow
from orchestrator import statuses
from orchestrator.canonical import Field_, Post, Target
from orchestrator.charters import Charter, McpServerSpec
from orchestrator.db import Database, utcnow
from orchestrator.eventlog import record
from orchestrator.handoff import schedule_delivery
from orchestrator.posting import PostBatch
from orchestrator.redact import redact
from orchestrator.statuses import ApprovalStatus, ToolCallStatus

if TYPE_CHECKING:
    from orchestrator.context import Context
    from orchestrator.services import Services

log = logging.getLogger(__name__)
READ, EFFECT = "read", "effect"
STALE_MARGIN = timedelta(minutes=2)
START_LIMIT = timedelta(
    seconds=START_SECONDS + 600
)  # the longest a call may take (a charter's most)


@dataclass(frozen=True)
class Offered:
    """One tool as the model sees it (`name`) and where it runs."""

    name: str
    server: McpServerSpec
    tool: str
    kind: str
    description: str
    input_schema: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.server.name}.{self.tool}"


def model_name(server: str, tool: str) -> str:
    """`<server>__<tool>`, in the characters a Messages API tool name may use."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", f"{server}__{tool}")[:128]


def offered(pool: ServerPool, domain: str, charter: Charter) -> tuple[list[Offered], list[str]]:
    """The tools the domain's agent may call, and a line per server that did not answer."""
    found: list[Offered] = []
    problems: list[str] = []
    for spec in charter.mcp_servers:
        try:
            listing = {t.name: t for t in pool.list_tools(domain, spec)}
        except ToolServerError as exc:
            problems.append(str(exc))
            continue
        for tool, kind in spec.tools.items():
            info = listing.get(tool)
            if info is None:
                problems.append(f"tool server {spec.name} does not serve {tool}")
                continue
            schema = info.input_schema or {"type": "object", "properties": {}}
            found.append(Offered(model_name(spec.name, tool), spec, tool, kind,
                                 info.description, schema))  # fmt: skip
    return found, problems


def clean(text: str, spec: McpServerSpec) -> str:
    """A result as it may be kept and shown: redacted, then capped."""
    return texts.capped(redact(text), spec.max_result_chars)


# -- reads, inside a turn -----------------------------------------------------------------
def run_read(
    db: Database,
    pool: ServerPool,
    domain: str,
    tool: Offered,
    arguments: dict[str, Any],
    *,
    turn_id: int | None,
    use_id: str | None,
    charter_version: str | None,
    source_event_id: int | None,
) -> tuple[str, bool]:
    """(result text, is_error); the stored result when this call already ran in the turn."""
    row_id = _start_read(db, domain, tool, arguments, turn_id, use_id, charter_version,
                         source_event_id)  # fmt: skip
    if isinstance(row_id, tuple):
        return row_id
    outcome = _call(pool, domain, tool, arguments)
    return _store(db, row_id, tool, outcome)


def _start_read(
    db: Database,
    domain: str,
    tool: Offered,
    arguments: dict[str, Any],
    turn_id: int | None,
    use_id: str | None,
    charter_version: str | None,
    source_event_id: int | None,
) -> int | tuple[str, bool]:
    with db.session() as s:
        if turn_id is not None and use_id is not None:
            done = s.scalars(
                select(ToolCallRow).where(
                    ToolCallRow.turn_id == turn_id, ToolCallRow.use_id == use_id
                )  # fmt: skip
            ).first()
            if done is not None and done.status in (ToolCallStatus.OK, ToolCallStatus.ERROR):
                return done.result or "", done.is_error
            if done is not None:  # a run that died mid-read: a read may be asked again
                done.started_at = utcnow()
                return done.id
        row = ToolCallRow(
            domain=domain, server=tool.server.name, tool=tool.tool, kind=READ,
            arguments=arguments, status=ToolCallStatus.RUNNING.value, turn_id=turn_id,
            use_id=use_id, charter_version=charter_version, source_event_id=source_event_id,
            started_at=utcnow(), is_error=False,
        )  # fmt: skip
        try:
            with s.begin_nested():
                s.add(row)
        except IntegrityError:  # a racing run of the same turn started it: ask it again
            return _start_read(db, domain, tool, arguments, turn_id, use_id, charter_version,
                               source_event_id)  # fmt: skip
        _event(s, "tool.call", row, tool_kind=READ)
        return row.id


def _call(pool: ServerPool, domain: str, tool: Offered, arguments: dict[str, Any]) -> CallOutcome:
    try:
        return pool.call(domain, tool.server, tool.tool, arguments)
    except ToolServerError as exc:
        log.warning("tool %s in %s: %s", tool.label, domain, exc)
        return CallOutcome(f"{exc}. The tool did not run; try again later.", True, 0.0)


def _store(db: Database, row_id: int, tool: Offered, outcome: CallOutcome) -> tuple[str, bool]:
    text = clean(outcome.text, tool.server)
    with db.session() as s:
        row = s.get(ToolCallRow, row_id)
        assert row is not None
        status = ToolCallStatus.ERROR if outcome.is_error else ToolCallStatus.OK
        statuses.move(
            s, ToolCallRow.status, status, ToolCallRow.id == row_id, old=ToolCallStatus.RUNNING,
            result=text, is_error=outcome.is_error, finished_at=utcnow(),
            duration_ms=int(outcome.seconds * 1000),
        )  # fmt: skip
        s.refresh(row)
        _event(s, "tool.result", row, ok=not outcome.is_error, chars=len(text),
               duration_ms=row.duration_ms or 0)  # fmt: skip
    return text, outcome.is_error


# -- effects: held for an operator, then run once -------------------------------------------
def hold_effect(
    ctx: Context,
    domain: str,
    tool: Offered,
    arguments: dict[str, Any],
    *,
    turn_id: int | None,
    use_id: str | None,
) -> str:
    """The approval card and the held call, in the caller's transaction; the reply's line."""
    line = texts.call_line(tool.server.name, tool.tool, arguments)
    found = ctx.session.scalars(
        select(ToolCallRow).where(ToolCallRow.turn_id == turn_id, ToolCallRow.use_id == use_id)
    ).first()
    if found is not None and turn_id is not None and use_id is not None:
        return ""  # held already by an earlier run of this turn
    approval = approvals.create(ctx, domain, line, kind=approvals.TOOL_KIND)
    row = ToolCallRow(
        domain=domain, server=tool.server.name, tool=tool.tool, kind=EFFECT,
        arguments=arguments, status=ToolCallStatus.HELD.value, turn_id=turn_id, use_id=use_id,
        approval_id=approval.id, charter_version=ctx.orch.charters.revision(domain),
        source_event_id=ctx.event_id, is_error=False,
    )  # fmt: skip
    ctx.session.add(row)
    ctx.session.flush()
    edit_cards(ctx.session, ctx.posts, approval.card_posts, card(approval, row))
    _event(ctx.session, "tool.held", row, tool_kind=EFFECT, approval=approval.public_id)
    return f"Waiting for approval ({approval.public_id}): {line}"


def card(approval: ApprovalRow, row: ToolCallRow) -> Post:
    """The approval's card with the tool's server, name and outcome."""
    base = approval_cards.approval_card(approval)
    fields = [Field_(label="Server", value=row.server), Field_(label="Tool", value=row.tool),
              *base.fields]  # fmt: skip
    if row.status in (ToolCallStatus.OK, ToolCallStatus.ERROR, ToolCallStatus.UNKNOWN):
        fields.append(Field_(label="Result", value=texts.result_field(row.status,
                                                                      len(row.result or ""))))  # fmt: skip
    return base.model_copy(update={"fields": fields})


def run_effect(svc: Services, approval_id: int) -> set[str]:
    """The `tool_effect` job: call the approved tool once; the channels it posted to."""
    claimed = _claim_effect(svc, approval_id)
    if claimed is None:
        return set()
    row_id, tool = claimed
    with svc.db.session() as s:
        row = s.get(ToolCallRow, row_id)
        assert row is not None
        domain, arguments = row.domain, dict(row.arguments)
    outcome = _call(shared(), domain, tool, arguments)
    text = clean(outcome.text, tool.server)
    with svc.db.session() as s:
        status = ToolCallStatus.ERROR if outcome.is_error else ToolCallStatus.OK
        statuses.move(
            s, ToolCallRow.status, status, ToolCallRow.id == row_id, old=ToolCallStatus.RUNNING,
            result=text, is_error=outcome.is_error, finished_at=utcnow(),
            duration_ms=int(outcome.seconds * 1000),
        )  # fmt: skip
        row = s.get(ToolCallRow, row_id)
        approval = s.get(ApprovalRow, approval_id)
        assert row is not None and approval is not None
        s.refresh(row)
        _event(s, "tool.result", row, ok=not outcome.is_error, chars=len(text),
               duration_ms=row.duration_ms or 0, approval=approval.public_id)  # fmt: skip
        line = texts.call_line(row.server, row.tool, row.arguments)
        return _announce(s, approval, row, texts.effect_result(line, text, outcome.is_error))


def _claim_effect(svc: Services, approval_id: int) -> tuple[int, Offered] | None:
    """Move the approved call `held → running` (one run wins); its tool, as the charter says."""
    with svc.db.session() as s:
        approval = s.get(ApprovalRow, approval_id)
        row = s.scalars(select(ToolCallRow).where(ToolCallRow.approval_id == approval_id)).first()
        if approval is None or row is None or approval.status != ApprovalStatus.APPROVED:
            return None
        if row.status == ToolCallStatus.RUNNING:
            _maybe_unknown(s, approval, row)
            return None
        spec = _spec(svc, row.domain, row.server)
        if spec is None or row.tool not in spec.tools:
            if statuses.move(s, ToolCallRow.status, ToolCallStatus.RUNNING,
                             ToolCallRow.id == row.id, old=ToolCallStatus.HELD):  # fmt: skip
                statuses.move(s, ToolCallRow.status, ToolCallStatus.ERROR,
                              ToolCallRow.id == row.id, is_error=True, finished_at=utcnow(),
                              result=f"the charter no longer declares {row.server}.{row.tool}")  # fmt: skip
            return None
        if not statuses.move(
            s, ToolCallRow.status, ToolCallStatus.RUNNING, ToolCallRow.id == row.id,
            old=ToolCallStatus.HELD, started_at=utcnow(),
        ):  # fmt: skip
            return None
        s.refresh(row)
        _event(s, "tool.call", row, tool_kind=EFFECT, approval=approval.public_id)
        tool = Offered(model_name(spec.name, row.tool), spec, row.tool, EFFECT, "", {})
        return row.id, tool


def _maybe_unknown(s: Any, approval: ApprovalRow, row: ToolCallRow) -> bool:
    """A call still `running` long after any time-out: its worker died; never run it again."""
    started = row.started_at or row.created_at
    if utcnow() - started < START_LIMIT + STALE_MARGIN:
        return False
    if not statuses.move(s, ToolCallRow.status, ToolCallStatus.UNKNOWN, ToolCallRow.id == row.id,
                         old=ToolCallStatus.RUNNING, finished_at=utcnow()):  # fmt: skip
        return False
    s.refresh(row)
    _event(s, "tool.unknown", row, approval=approval.public_id)
    return True


def _spec(svc: Services, domain: str, server: str) -> McpServerSpec | None:
    if domain not in svc.charters:
        return None
    return next((x for x in svc.charters.get(domain).mcp_servers if x.name == server), None)


def _announce(s: Any, approval: ApprovalRow, row: ToolCallRow, text: str) -> set[str]:
    """The result in the thread it was asked in, and the card updated; the channels."""
    posts = PostBatch(s, f"tool{row.id}", approval.source_event_id)
    posts.add(Target.model_validate(approval.origin), Post(text=text))
    edit_cards(s, posts, approval.card_posts, card(approval, row))
    return posts.channel_keys


def _event(s: Any, event_kind: str, row: ToolCallRow, **data: Any) -> None:
    record(
        s, kind=event_kind, actor=f"agent:{row.domain}", domain=row.domain,
        subject=f"tool:{row.server}.{row.tool}",
        data={"call": row.id, "server": row.server, "tool": row.tool, **data},
        charter_version=row.charter_version, source_event_id=row.source_event_id,
    )  # fmt: skip


def sweep_effects(svc: Services, *, grace: timedelta = timedelta(minutes=1)) -> int:
    """The reconciler's part: approved effects still `held` (their job was lost) are queued
    again, and calls left `running` by a dead worker past their time become `unknown`."""
    cutoff = utcnow() - grace
    with svc.db.session() as s:
        held = s.scalars(
            select(ApprovalRow.id)
            .join(ToolCallRow, ToolCallRow.approval_id == ApprovalRow.id)
            .where(
                ToolCallRow.status == ToolCallStatus.HELD,
                ApprovalRow.status == ApprovalStatus.APPROVED,
                ApprovalRow.decided_at <= cutoff,
            )  # fmt: skip
        ).all()
        stuck = s.scalars(
            select(ToolCallRow).where(
                ToolCallRow.status == ToolCallStatus.RUNNING, ToolCallRow.kind == EFFECT
            )  # fmt: skip
        ).all()
        keys: set[str] = set()
        for row in stuck:
            approval = s.get(ApprovalRow, row.approval_id) if row.approval_id else None
            if approval is not None and _maybe_unknown(s, approval, row):
                line = texts.call_line(row.server, row.tool, row.arguments)
                keys |= _announce(s, approval, row, texts.unknown_outcome(line))
    for approval_id in held:
        svc.queue.enqueue("tool_effect", job_id=f"tool_effect-{approval_id}-r",
                          approval_id=approval_id)  # fmt: skip
    for key in sorted(keys):
        schedule_delivery(svc, key)
    return len(held)
