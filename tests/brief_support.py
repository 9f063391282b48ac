"""Builders for brief tests: a small charter folder, services with Slack and the local chat."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.local import LocalSender
from domains import store
from domains.briefs.models import BriefRunRow
from domains.charter import SHIPPED_DIR
from domains.status_doc import StatusDoc
from orchestrator.canonical import Platform
from orchestrator.db import Database, utcnow
from tests.helpers import make_services
from tests.recording_sender import RecordingSender

HUB = """---
name: hub
kind: hub
title: Hub
version: "1.0.0"
briefs:
  - name: weekly
    title: Weekly operating brief
    cron: "0 8 * * 1"
    timezone: Europe/London
    post_to: hub
    description: The week.
---
"""


def charter_dir(root: Path, hub: str = HUB, domains: tuple[str, ...] = ("travel", "legal")) -> Path:
    """Two shipped domains without briefs of their own, and a hub with the weekly brief."""
    folder = root / "charters"
    folder.mkdir()
    for name in domains:
        shutil.copy(SHIPPED_DIR / f"{name}.md", folder / f"{name}.md")
    (folder / "hub.md").write_text(hub, encoding="utf-8")
    return folder


def brief_services(  # type: ignore[no-untyped-def]
    db: Database, root: Path, slack: RecordingSender | None = None, **env
):
    slack = slack or RecordingSender()
    env.setdefault("PARALLELOS_DOMAINS_DIR", str(charter_dir(root)))
    svc = make_services(
        db,
        senders={Platform.LOCAL: LocalSender(), Platform.SLACK: slack},
        SLACK_BOT_TOKEN="xoxb-test",
        PARALLELOS_OPERATORS="slack:U1",
        **env,
    )
    return svc, slack


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def runs(db: Database, brief: str = "weekly") -> list[BriefRunRow]:
    with db.session() as s:
        return list(
            s.scalars(
                select(BriefRunRow).where(BriefRunRow.brief == brief).order_by(BriefRunRow.id)
            ).all()
        )


def set_doc(db: Database, domain: str, **fields: object) -> None:
    doc = StatusDoc(domain=domain, updated_at=utcnow(), updated_by="slack:U1", **fields)
    with db.session() as s:
        store.save_doc(s, doc, [], actor="slack:U1", source_event_id=None, charter_version=None)
