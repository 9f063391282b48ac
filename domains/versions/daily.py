"""The daily shadow report in the hub, once a day per running shadow (any number of
schedulers): each card's outbox key names the domain, the version and the day."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from domains.versions import report
from domains.versions.models import CharterHeadRow
from domains.versions.sync import hub_platforms
from orchestrator.charters import HUB
from orchestrator.eventlog import record
from orchestrator.models import OutboxRow
from orchestrator.posting import PostBatch
from orchestrator.settings import Settings


def post_reports(s: Session, settings: Settings, *, now: datetime) -> set[str]:
    """Queue today's report card for every running shadow not yet reported today."""
    channels: set[str] = set()
    heads = s.scalars(select(CharterHeadRow).where(CharterHeadRow.shadow.is_not(None)))
    for head in list(heads):
        scope = f"charter-report:{head.domain}:{head.shadow}:{now.date().isoformat()}"
        if s.scalar(select(OutboxRow.id).where(OutboxRow.key.startswith(scope + ":"))):
            continue
        rep = report.build(s, head.domain, head.shadow)
        batch = PostBatch(s, scope)
        for platform in hub_platforms(settings):
            batch.to_domain(settings, platform, HUB, report.card(rep))
        record(s, kind="charter.reported", actor="scheduler", domain=head.domain,
               subject=f"charter:{head.domain}", charter_version=str(head.active),
               data={"shadow": head.shadow, "messages": rep.total, "agreed": rep.agreed})  # fmt: skip
        channels |= batch.channel_keys
    return channels
