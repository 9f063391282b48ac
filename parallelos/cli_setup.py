"""`parallelos setup` (provision the workspace and exit) and doctor's channel report (§2, §5)."""

from __future__ import annotations

import argparse
import sys

from orchestrator.provisioning import PlaceState, Report
from orchestrator.settings import Settings, load_settings

UNUSABLE = (PlaceState.FAILED, PlaceState.ARCHIVED, PlaceState.MISSING)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("setup", help="find or create every domain's channel and topic, then exit")
    p.set_defaults(func=_setup)


def _setup(args: argparse.Namespace) -> int:
    from jobs.queue import SyncJobQueue, connect_redis
    from jobs.runtime import install
    from orchestrator.migrate import upgrade
    from orchestrator.workspace import provision
    from parallelos.wiring import build_queue, build_services

    settings = load_settings()
    upgrade(settings.database_url)
    live = connect_redis(settings.redis_url) is not None
    svc = build_services(settings, queue=build_queue(settings) if live else SyncJobQueue())
    install(svc)
    if not svc.provisioners:
        print("No Slack or Telegram configured: nothing to provision (the local chat needs none).")
        return 0
    reports = provision(svc)
    for report in reports:
        print(line(report))
    if settings.telegram_enabled and settings.telegram_chat_id is None:
        print("telegram: no TELEGRAM_CHAT_ID: domain posts go to the operators' private chats")
    bad = [r for r in reports if r.state in UNUSABLE]
    if bad:
        print(f"{len(bad)} of {len(reports)} places are not usable (see above).", file=sys.stderr)
    return 1 if bad else 0


def line(report: Report) -> str:
    """`slack  finance  #pos-finance  created` (and a note when there is one)."""
    where = report.name or report.place.name
    note = f" — {report.note}" if report.note else ""
    return f"{report.platform.value:<9}{report.place.domain:<11}{where:<24}{report.state}{note}"


def doctor_lines(settings: Settings) -> list[str]:
    """Which domain channels and topics are missing, archived or renamed (creates nothing)."""
    from jobs.queue import SyncJobQueue
    from orchestrator.workspace import inspect
    from parallelos.wiring import build_services

    if not (settings.slack_enabled or settings.telegram_enabled):
        return []
    svc = build_services(settings, queue=SyncJobQueue())
    try:
        reports = inspect(svc)
    except Exception as exc:  # not migrated yet, or a platform not answering: say so
        return [f"Channels: cannot check ({type(exc).__name__}: {str(exc)[:120]})"]
    finally:
        svc.db.dispose()
    off = [r for r in reports if r.state is not PlaceState.READY]
    head = f"Channels: {len(reports) - len(off)} of {len(reports)} domain places ready"
    return [head] + ["  " + line(r) for r in off]
