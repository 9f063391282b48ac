"""Files → versions: at start (and at `charter list`), every charter file is hashed.

A file whose text is new becomes the domain's next version and is activated (an edit ships),
once its own test cases pass. A file that fails to load or fails a test case is kept out: the
last good version keeps running and the hub is told what is wrong and where (file, field,
line), once per distinct fault. Only a domain with no good version at all (a fresh install
with a broken file) stops start-up, with the loader's one line. A file whose text is a version
already recorded changes nothing: which version runs is the database's choice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domains.charter import CharterError, Scan, line_of, read_text, scan_charters
from domains.versions import cases, service, texts
from domains.versions.models import STATE_ROW, CharterStateRow, CharterVersionRow
from orchestrator.canonical import Platform, Post
from orchestrator.charters import HUB, Charter, CharterSet
from orchestrator.db import Database
from orchestrator.eventlog import record
from orchestrator.models import LogEvent
from orchestrator.posting import PostBatch
from orchestrator.settings import Settings


@dataclass(frozen=True)
class Synced:
    charters: CharterSet  # the active versions
    stamp: int
    domains: list[str]
    rejected: dict[str, str]  # domain → what is wrong with its file


def sync_files(
    db: Database,
    settings: Settings,
    *,
    actor: str = texts.FILE_ACTOR,
    run: cases.CaseRunner = cases.run_cases,
) -> Synced:
    """Record new file versions, keep broken ones out, and return the active charters. `run`
    runs the new files' test cases: here, or (the web process) in a child process."""
    scan = scan_charters(settings.domains_dir)
    for _ in range(3):
        try:
            with db.session() as s:
                return _sync(s, scan, settings, actor, run)
        except IntegrityError:
            continue  # another process recorded the same file a moment ago: read theirs
    with db.session() as s:
        return _sync(s, scan, settings, actor, run)


def _sync(s: Session, scan: Scan, settings: Settings, actor: str, run: cases.CaseRunner) -> Synced:
    service.ensure_state(s)
    s.scalar(select(CharterStateRow).where(CharterStateRow.id == STATE_ROW).with_for_update())
    rejected = dict(scan.errors)
    good = dict(scan.charters)
    new = {n: c for n, c in good.items() if _is_new(s, c)}
    results = run(CharterSet(good, scan.hub), list(new))
    for failure in cases.failures(results):
        rejected.setdefault(failure.domain, _case_error(new[failure.domain], failure))
    for name, charter in new.items():
        if name not in rejected:
            row, _ = service.record_version(s, charter, read_text(charter.path), actor=actor)
            service.activate(s, name, row.number, actor=actor, why=row.summary)
    for name, error in rejected.items():
        current = service.head(s, name)
        if current is None:
            raise CharterError(error)  # nothing good to fall back on: start-up stops here
        _tell_hub(s, settings, name, error, current.active)
    domains = sorted(set(good) | set(rejected))
    charters = service.active_set(s, scan.hub, domains)
    return Synced(charters, service.stamp(s), domains, rejected)


def _is_new(s: Session, charter: Charter) -> bool:
    digest = service.content_hash(read_text(charter.path))
    found = s.scalar(
        select(CharterVersionRow.id).where(
            CharterVersionRow.domain == charter.name, CharterVersionRow.content_hash == digest
        )
    )
    return found is None


def _case_error(charter: Charter, failure: cases.CaseResult) -> str:
    index = next(i for i, t in enumerate(charter.tests) if t.message == failure.message)
    line = line_of(read_text(charter.path), ("tests", index))
    where = f" (line {line})" if line else ""
    return (
        f"{charter.path}: tests[{index}]: “{failure.message}” should be {failure.expect}, "
        f"the router says {failure.got}{where}"
    )


def _tell_hub(s: Session, settings: Settings, domain: str, error: str, active: int) -> None:
    """Once per distinct fault: an event in the log and a post in the hub."""
    subject = f"file:{service.content_hash(error)[:32]}"
    seen = s.scalar(
        select(LogEvent.id).where(
            LogEvent.kind == "charter.rejected",
            LogEvent.domain == domain,
            LogEvent.subject == subject,
        )
    )
    if seen is not None:
        return
    record(s, kind="charter.rejected", actor=texts.FILE_ACTOR, domain=domain, subject=subject,
           data={"error": error, "file": error.split(": ", 1)[0]}, charter_version=str(active))  # fmt: skip
    batch = PostBatch(s, f"charter-rejected:{domain}:{subject}")
    for platform in hub_platforms(settings):
        batch.to_domain(settings, platform, HUB, Post(text=texts.rejected(error, domain, active)))


def hub_platforms(settings: Settings) -> list[Platform]:
    """Where hub notices go: the local chat always, Slack and Telegram when configured."""
    out = [Platform.LOCAL]
    if settings.slack_enabled:
        out.append(Platform.SLACK)
    if settings.telegram_enabled:
        out.append(Platform.TELEGRAM)
    return out
