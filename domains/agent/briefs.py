"""Brief summaries: a short paragraph from the hub agent in addition to the deterministic brief.

`summarise_brief` is the model call (never inside a transaction; None when offline, over
budget, refused, empty or unavailable). `summarise_run` is the job's service: once per brief
run (an `agent_turns` row of kind `brief`), it posts the paragraph right after the brief, in
the same places, within the charter's `brief_summary_max_tokens`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domains.agent import budget, llm, texts
from domains.agent.models import AgentTurnRow, TurnKind, close_turn
from domains.agent.prompt import CACHE, data_block, worth_caching
from domains.briefs.build import find_brief
from domains.briefs.models import BriefRunRow
from orchestrator import statuses
from orchestrator.canonical import Post, Target
from orchestrator.charters import HUB
from orchestrator.db import utcnow
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch
from orchestrator.statuses import TurnStatus

if TYPE_CHECKING:
    from orchestrator.services import Services

log = logging.getLogger(__name__)


def summarise_brief(services: Services, brief_name: str, posts: Sequence[Post]) -> str | None:
    """The hub agent's paragraph about these posts, or None. Call outside any transaction."""
    if services.settings.offline or not posts:
        return None
    spec = find_brief(services.charters, brief_name)
    owner = spec.owner if spec is not None else HUB
    with services.db.session() as s:
        if budget.state(s, services.charters, owner).exhausted:
            return None
    body = "\n\n".join(_plain(p) for p in posts)
    model, setting = llm.light_model(services.settings)
    system: list[dict[str, Any]] = [{"type": "text", "text": texts.BRIEF_RULES}]
    if worth_caching(model, system):
        system[0]["cache_control"] = CACHE
    try:
        message, _ = llm.call_once(
            services.settings, services.db, llm.CallInfo(owner, "brief", model_setting=setting),
            model=model,
            max_tokens=budget.budget_of(services.charters, owner).brief_summary_max_tokens,
            system=system,
            messages=[{"role": "user", "content": data_block("brief", body, name=brief_name)}],
        )  # fmt: skip
    except llm.ModelUnavailable as exc:
        log.warning("brief %s: no summary (%s)", brief_name, exc)
        return None
    if message.stop_reason == "refusal":
        return None
    text = "\n".join(b.text for b in message.content if b.type == "text").strip()
    return text or None


def _plain(post: Post) -> str:
    parts = [post.title or "", post.text]
    parts += [f"{f.label}: {f.value}" for f in [*post.sections, *post.fields]]
    return "\n".join(p for p in parts if p)


def summarise_run(services: Services, run_id: int) -> set[str]:
    """Summarise one brief run once and post it after the brief; the channels to deliver."""
    claimed = _claim(services, run_id)
    if claimed is None:
        return set()
    name, title, posts, targets = claimed
    summary = summarise_brief(services, name, posts)
    with services.db.session() as s:
        done = close_turn(
            s, AgentTurnRow.kind == TurnKind.BRIEF.value, AgentTurnRow.event_id == run_id,
            stop="posted" if summary else "none",
        )  # fmt: skip
        if not done or summary is None:
            return set()
        batch = PostBatch(s, f"briefsum:{run_id}")
        post = Post(title=texts.brief_summary_title(title), text=summary)
        for target in targets:
            batch.add(Target.model_validate(target), post)
        return batch.channel_keys


def _claim(services: Services, run_id: int) -> tuple[str, str, list[Post], list[Any]] | None:
    """(brief, title, its posts without approval cards, one target per channel), claimed."""
    with services.db.session() as s:
        run = s.get(BriefRunRow, run_id)
        if run is None or not run.outbox_ids or not _take(s, run):
            return None
        rows = s.scalars(select(OutboxRow).where(OutboxRow.id.in_(run.outbox_ids))).all()
        posts: list[Post] = []
        targets: dict[str, Any] = {}
        for row in sorted(rows, key=lambda r: r.id):
            post = Post.model_validate(row.post)
            if not post.buttons and post not in posts:
                posts.append(post)
            targets.setdefault(row.channel_key, row.target)
        spec = find_brief(services.charters, run.brief)
        return run.brief, spec.title if spec else run.brief, posts, list(targets.values())


def _take(s: Session, run: BriefRunRow) -> bool:
    """Insert (or take over a stale) `brief` turn for the run; False when it is finished."""
    try:
        with s.begin_nested():
            s.add(AgentTurnRow(kind=TurnKind.BRIEF.value, event_id=run.id, domain=run.brief,
                               status=TurnStatus.RUNNING.value, attempts=1, in_home=False,
                               reply_posts=[], prefix="", text="", data={},
                               started_at=utcnow()))  # fmt: skip
        return True
    except IntegrityError:
        turn = s.scalars(
            select(AgentTurnRow).where(
                AgentTurnRow.kind == TurnKind.BRIEF.value, AgentTurnRow.event_id == run.id
            )
        ).one()
        return statuses.move(  # take over a stale run; False when it is finished
            s, AgentTurnRow.status, TurnStatus.RUNNING, AgentTurnRow.id == turn.id,
            attempts=turn.attempts + 1, started_at=utcnow(),
        )  # fmt: skip
