"""One agent turn as a job: claim it, think (model calls, no transaction held), finish.

Idempotent: the `agent_turns` row is claimed with its attempt number, and only the run that
still holds the latest attempt may finish it, so a re-run after the turn finished does nothing
and two racing runs apply their effects once. A model that stays unavailable after the call's
retries is retried by this job with `RETRY_DELAYS` (or later, when the API asked for a longer
wait); the user is told at once that it is delayed, and after the last try, plainly.
The answer is shown live while the model writes it (`domains.agent.live`, the platform's
`Progress.answer`); the live preview is closed before the one durable final post is written.
A retry (or a re-run after a worker died) resumes from the turn's checkpoint: the tool steps
already completed are replayed locally, not asked of the model again. A configuration error
(a rejected key, an unknown model) is not retried: the reply names the setting.
A refusal discards the turn's collected effects: nothing the agent did in it is applied.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.agent import budget, finish, live, llm, mcp_tools, memory, snapshot, summary, texts
from domains.agent import loop as loop_
from domains.agent.files import content_blocks
from domains.agent.loop import Checkpoint, Loop, LoopResult, Request
from domains.agent.models import AgentTurnRow, Claimed, TurnKind
from domains.agent.prompt import Snapshot, first_message, system_blocks
from domains.agent.slow import SlowWatch
from domains.agent.toolbox import Effects, Toolbox
from domains.agent.tools import ToolSet
from domains.tools.client import shared
from orchestrator import statuses
from orchestrator.canonical import Post, Target
from orchestrator.db import utcnow
from orchestrator.handoff import deliver_channel
from orchestrator.ingest import stored_event
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch
from orchestrator.progress import Progress, open_progress
from orchestrator.statuses import TurnStatus

if TYPE_CHECKING:
    from orchestrator.services import Services

log = logging.getLogger(__name__)

RETRY_DELAYS: tuple[float, ...] = (10.0, 60.0)  # the job's own backoff after the quick retries
MAX_RETRY_AFTER = 300.0  # seconds: the longest `retry-after` the job waits for before a try


def run(svc: Services, *, event_id: int, domain: str) -> finish.Finished | None:
    """Run the turn of (message, domain) unless it is finished; None when nothing was done."""
    claimed = _claim(svc, event_id, domain)
    if claimed is None:
        return None
    if claimed.attempt > len(RETRY_DELAYS) + 1:
        return finish.finish(svc, claimed, LoopResult(stop="unavailable"), Effects())
    progress = open_progress(
        svc.progress, claimed.event, turn_id=claimed.turn_id, live=live.live_turn(svc, claimed)
    )
    try:
        finished = _run(svc, claimed, progress)
    except BaseException:  # a crash (even a worker's exit) leaves no status behind
        progress.done()
        raise
    if finished is None:  # waiting for a retry, or finished by another run
        progress.done()
    else:
        finished.progress = progress  # the job clears it once the answer is delivered
    return finished


def _run(svc: Services, claimed: Claimed, progress: Progress) -> finish.Finished | None:
    domain, unavailable = claimed.domain, LoopResult(stop="unavailable")
    progress.status(texts.WORKING)
    try:
        box = _toolbox(svc, claimed, _snapshot(svc, claimed))
        try:
            result = _think(svc, claimed, box, progress)
        finally:
            progress.close()  # the live answer ends before any final or busy post
    except llm.ModelUnavailable as exc:
        log.warning("agent %s: model unavailable (%s), attempt %d", domain, exc, claimed.attempt)
        if exc.setting is not None:
            wrong = LoopResult(stop="misconfigured", setting=exc.setting)
            return finish.finish(svc, claimed, wrong, Effects())
        if exc.retryable and claimed.attempt <= len(RETRY_DELAYS):
            progress.status(texts.DELAYED)  # also where a draft replaced the placeholder
            _retry_later(svc, claimed, str(exc), exc.retry_after)
            return None
        return finish.finish(svc, claimed, unavailable, Effects())
    except Exception:  # a bug must not leave the user with a placeholder forever
        log.exception("agent %s: turn %d failed", domain, claimed.turn_id)
        return finish.finish(svc, claimed, unavailable, Effects())
    effects = Effects() if result.stop == "refusal" else box.effects
    try:
        return finish.finish(svc, claimed, result, effects)
    except Exception:  # the effects could not be applied (rolled back): say so, plainly
        log.exception("agent %s: turn %d could not be applied", domain, claimed.turn_id)
        return finish.finish(svc, claimed, unavailable, Effects())


def _claim(svc: Services, event_id: int, domain: str) -> Claimed | None:
    with svc.db.session() as s:
        turn = s.scalars(
            select(AgentTurnRow)
            .where(
                AgentTurnRow.kind == TurnKind.REPLY.value,
                AgentTurnRow.event_id == event_id,
                AgentTurnRow.domain == domain,
            )
            .with_for_update()
        ).first()
        if turn is None or not statuses.move(
            s, AgentTurnRow.status, TurnStatus.RUNNING, AgentTurnRow.id == turn.id,
            started_at=utcnow(), attempts=turn.attempts + 1,
        ):  # fmt: skip
            return None
        event = stored_event(s, event_id)
        saved = (turn.data or {}).get("checkpoint")
        return Claimed(turn.id, turn.attempts, event_id, domain, event, turn.text, saved)


def _snapshot(svc: Services, claimed: Claimed) -> Snapshot:
    with svc.db.session() as s:
        snap = snapshot.load(
            s, svc.charters, claimed.domain, claimed.event, claimed.event_id, claimed.text,
            zone=svc.settings.zone,
        )  # fmt: skip
        thread = summary.view(s, claimed.event_id, claimed.event, claimed.domain)
    return summary.use(svc, claimed, snap, thread)  # a long thread's older turns, summarised


def _toolbox(svc: Services, claimed: Claimed, snap: Snapshot) -> Toolbox:
    others = tuple(n for n in svc.charters.names() if n != claimed.domain)

    def recall(query: str) -> list[memory.Memory]:
        with svc.db.session() as s:
            return memory.search(s, claimed.domain, query, skip_event=claimed.event_id)

    box = Toolbox(ToolSet(claimed.domain, others, svc.settings.timezone), snap, recall)
    box.mcp = mcp_tools.load(
        svc.db, shared(), svc.charters.get(claimed.domain), turn_id=claimed.turn_id,
        event_id=claimed.event_id, charter_version=svc.charters.revision(claimed.domain),
    )  # fmt: skip
    if claimed.checkpoint is not None:
        loop_.replay(box, claimed.checkpoint["messages"])
    return box


def _think(svc: Services, claimed: Claimed, box: Toolbox, progress: Progress) -> LoopResult:
    """The tool loop; `box.snap` is what the turn may read."""
    charter = svc.charters.get(claimed.domain)
    info = llm.CallInfo(
        claimed.domain,
        "turn",
        svc.charters.revision(claimed.domain),
        claimed.event_id,
        claimed.turn_id,
    )

    def allows() -> bool:
        with svc.db.session() as s:
            return budget.state(s, svc.charters, claimed.domain).allows()

    tools = box.toolset.params() + (box.mcp.params() if box.mcp is not None else [])
    watch = SlowWatch(lambda: _tell(svc, claimed, "slow", texts.slow(claimed.domain)))
    with llm.make_client(svc.settings) as client:
        loop = Loop(
            client=client,
            db=svc.db,
            info=info,
            request=Request(
                model=svc.settings.model,
                system=system_blocks(charter, svc.settings.model, tools),
                tools=tools,
                first=_with_files(
                    first_message(box.snap), content_blocks(svc.files, claimed.event)
                ),
            ),
            toolbox=box,
            max_calls=charter.budget.max_tool_iterations,
            deadline=loop_.clock() + charter.budget.job_timeout_seconds,
            allows=allows,
            save=lambda checkpoint: _save(svc, claimed, checkpoint),
            resume=Checkpoint(**claimed.checkpoint) if claimed.checkpoint else None,
            progress=progress.status,
            answer=progress.answer,
            arm=watch.arm,
            started=watch.started,
        )
        try:
            return loop.run()
        finally:
            watch.stop()


def _with_files(first: dict[str, Any], blocks: list[dict[str, Any]]) -> dict[str, Any]:
    """The user turn with the message's files between the context and the instruction."""
    if not blocks:
        return first
    context, *ask = first["content"]
    return {**first, "content": [context, *blocks, *ask]}


def _save(svc: Services, claimed: Claimed, checkpoint: Checkpoint) -> None:
    """Keep the turn's last completed tool step, while this run still holds the turn."""
    with svc.db.session() as s:
        turn = s.get(AgentTurnRow, claimed.turn_id, with_for_update=True)
        if turn is not None and turn.attempts == claimed.attempt:
            turn.data = {**(turn.data or {}), "checkpoint": checkpoint.as_json()}


def _retry_later(
    svc: Services, claimed: Claimed, reason: str, retry_after: float | None = None
) -> None:
    """Queue the next attempt, and tell the user now: the placeholders say the model is busy
    and when it is tried again (never silence). The final answer edits them once more."""
    asked = min(retry_after or 0.0, MAX_RETRY_AFTER)
    delay = max(RETRY_DELAYS[claimed.attempt - 1], asked if asked >= 1.0 else 0.0)
    with svc.db.session() as s:
        moved = statuses.move(
            s, AgentTurnRow.status, TurnStatus.QUEUED, AgentTurnRow.id == claimed.turn_id,
            AgentTurnRow.attempts == claimed.attempt, old=TurnStatus.RUNNING, error=reason[:500],
        )  # fmt: skip
        notice = texts.busy(claimed.domain, delay, claimed.attempt)
        keys = _notice(s, claimed, "busy", notice) if moved else set()
    _deliver(svc, claimed, keys)
    svc.queue.enqueue(
        "agent_turn",
        job_id=f"agent_turn-{claimed.turn_id}-{claimed.attempt}",
        delay=delay,
        event_id=claimed.event_id,
        domain=claimed.domain,
    )


def _tell(svc: Services, claimed: Claimed, kind: str, notice: str) -> None:
    """Edit the turn's placeholders with a notice now, while this run still holds the turn."""
    with svc.db.session() as s:
        turn = s.get(AgentTurnRow, claimed.turn_id)
        held = turn is not None and turn.attempts == claimed.attempt
        keys = _notice(s, claimed, kind, notice) if held else set()
    _deliver(svc, claimed, keys)


def _deliver(svc: Services, claimed: Claimed, keys: set[str]) -> None:
    for key in sorted(keys):
        try:
            deliver_channel(svc, key)
        except Exception as exc:  # the notice is queued in the outbox: the reconciler sends it
            log.warning("agent %s: notice not delivered yet (%s)", claimed.domain,
                        type(exc).__name__)  # fmt: skip


def _notice(s: Session, claimed: Claimed, kind: str, notice: str) -> set[str]:
    """Edit each placeholder of the turn with a notice (one batch per kind and attempt)."""
    turn = s.get(AgentTurnRow, claimed.turn_id)
    if turn is None:
        return set()
    text = "\n".join(x for x in (turn.prefix, notice) if x)
    posts = PostBatch(s, f"agent{claimed.turn_id}-{kind}{claimed.attempt}", claimed.event_id)
    keys: set[str] = set()
    stream = live.stream_of(turn.data)
    for outbox_id in turn.reply_posts or []:
        row = s.get(OutboxRow, outbox_id)
        if row is None:
            continue
        if kind == "slow" and stream is not None and row.sent_message_id == stream.message_id:
            continue  # a stream still being written is not edited; it shows the answer
        post = Post(text=text, title=row.post.get("title"))
        added = posts.add(Target.model_validate(row.target), post, update_of=row.id)
        keys.add(added.channel_key)
    return keys
