"""The `parallelos` command (CONTRACT §2).

Each command imports and builds what it needs when it runs, so `parallelos route` starts
without loading the platforms, the model SDK, MCP or the database (measured: the tools and
charter commands' imports alone were 2 s of its start).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from orchestrator.logs import configure as configure_logging
from orchestrator.settings import Settings, SettingsError, load_settings
from parallelos import cli_backup, cli_charter, cli_setup

if TYPE_CHECKING:
    from orchestrator.jobqueue import JobQueue
    from orchestrator.services import Services


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        fmt = load_settings().log_format  # JSON lines are for a log shipper: INFO and up
        loud = args.verbose or fmt == "json"
        configure_logging(fmt, logging.INFO if loud else logging.WARNING)
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(f"parallelos: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="parallelos", description="ParallelOS: domain agents as staff."
    )
    p.add_argument("-v", "--verbose", action="store_true")
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    r = sub.add_parser("route", help="show where a message would be routed (offline)")
    r.add_argument("text", help="the message, or - to read one message a line from stdin")
    r.add_argument("--json", action="store_true", help="print one JSON object a message")
    r.set_defaults(func=_route)
    w = sub.add_parser("worker", help="run a job worker")
    w.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    w.set_defaults(func=_worker)
    s = sub.add_parser("scheduler", help="run the scheduler (reconciler, briefs)")
    s.add_argument("--once", action="store_true")
    s.set_defaults(func=_scheduler)
    c = sub.add_parser("chat", help="chat with ParallelOS in the terminal")
    c.set_defaults(func=_chat)
    m = sub.add_parser("migrate", help="apply database migrations")
    m.set_defaults(func=_migrate)
    rc = sub.add_parser("reconcile", help="re-queue stored but unfinished work once")
    rc.add_argument("--failed", action="store_true", help="re-run events that failed for good")
    rc.set_defaults(func=_reconcile)
    e = sub.add_parser("export", help="write status docs, board, inbox (Markdown), events (JSONL)")
    e.add_argument("directory")
    e.set_defaults(func=_export)
    d = sub.add_parser("doctor", help="say what is configured and reachable")
    d.set_defaults(func=_doctor)
    tl = sub.add_parser(
        "tools", help="each domain's MCP servers and tools, and whether they answer"
    )
    tl.add_argument("domain", nargs="?")
    tl.set_defaults(func=_tools)
    bl = sub.add_parser("briefs", help="list brief kinds with next due time and last run")
    bl.set_defaults(func=_briefs)
    b = sub.add_parser("brief", help="post a brief now (on demand), or print it with --dry-run")
    b.add_argument("name", help="the brief's name, e.g. weekly")
    b.add_argument("--dry-run", action="store_true", help="print it; store and post nothing")
    b.set_defaults(func=_brief)
    cli_setup.add_commands(sub)
    cli_backup.add_commands(sub)
    cli_charter.add_commands(sub)
    return p


def _route(args: argparse.Namespace) -> int:
    from domains.charter import load_charters
    from orchestrator.router import Router  # only the charters and the router: fast to start

    router = Router(load_charters(load_settings().domains_dir))
    lines = (line.rstrip("\n") for line in sys.stdin) if args.text == "-" else [args.text]
    for line in lines:
        decision = router.route(line)
        if args.json:
            print(json.dumps(decision.as_json(), ensure_ascii=False), flush=args.text == "-")
        else:
            print(
                f"{decision.domain or '-'}\t{decision.confidence:.2f}\t"
                f"{'in scope' if decision.in_scope else 'declined'}\t{decision.reason}"
            )
    return 0


def _tools(args: argparse.Namespace) -> int:
    from parallelos import cli_tools

    return cli_tools.tools_command(args)


def _worker(args: argparse.Namespace) -> int:
    from jobs.worker import run_worker

    return run_worker(load_settings(), build=_build, burst=args.burst)


def _scheduler(args: argparse.Namespace) -> int:
    from jobs.scheduler import run_scheduler

    run_scheduler(load_settings(), build=_build, once=args.once)
    return 0


def _build(settings: Settings, queue: JobQueue) -> Services:
    from parallelos.wiring import build_services

    return build_services(settings, queue=queue)


def _chat(args: argparse.Namespace) -> int:
    from bot.terminal import run_chat
    from jobs.queue import SyncJobQueue
    from jobs.runtime import install
    from orchestrator.migrate import upgrade
    from parallelos.wiring import build_services

    settings = load_settings()
    upgrade(settings.database_url)
    svc = build_services(settings, queue=SyncJobQueue())
    install(svc)
    return run_chat(svc)


def _migrate(args: argparse.Namespace) -> int:
    from orchestrator.migrate import upgrade

    upgrade(load_settings().database_url)
    return 0


def _reconcile(args: argparse.Namespace) -> int:
    from jobs.reconcile import reconcile, rerun_failed
    from parallelos.wiring import build_services

    svc = build_services()
    if args.failed:
        print(f"re-running {rerun_failed(svc)} events that had failed for good")
        return 0
    result = reconcile(svc)
    print(f"re-queued {result.events} events; {result.channels} channels to deliver")
    return 0


def _export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from orchestrator.export import export_all
    from parallelos.wiring import build_services

    svc = build_services(queue=_NoQueue())
    counts = export_all(svc.db, svc.features, Path(args.directory))
    print(f"exported {counts['files']} files and {counts['events']} events to {args.directory}")
    return 0


def _briefs(args: argparse.Namespace) -> int:
    from domains.briefs.cli import list_briefs

    return _brief_cli(lambda svc: list_briefs(svc))


def _brief(args: argparse.Namespace) -> int:
    from domains.briefs.cli import dry_run, post_now

    if args.dry_run:
        return _brief_cli(lambda svc: dry_run(svc, args.name), queue=False)
    return _brief_cli(lambda svc: post_now(svc, args.name))


def _brief_cli(fn: Callable[[Services], str], *, queue: bool = True) -> int:
    from domains.briefs.cli import BriefCliError
    from jobs.queue import SyncJobQueue, connect_redis
    from jobs.runtime import install
    from parallelos.wiring import build_queue, build_services

    settings = load_settings()
    live = queue and connect_redis(settings.redis_url) is not None
    svc = build_services(
        settings,
        queue=build_queue(settings) if live else SyncJobQueue(),
    )
    install(svc)
    try:
        sys.stdout.write(fn(svc))
    except BriefCliError as exc:
        print(f"parallelos: {exc}", file=sys.stderr)
        return 1
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from jobs.queue import connect_redis
    from orchestrator.settings import redacted

    settings = load_settings()
    if connect_redis(settings.redis_url) is None:
        print(
            f"Redis is not reachable at {redacted(settings.redis_url)}: "
            "jobs will run in-process (no RQ)."
        )
    else:
        print(f"Redis at {redacted(settings.redis_url)}: jobs run on RQ.")
    print("Slack: " + ("configured" if settings.slack_enabled else "not configured"))
    if settings.telegram_enabled:  # what the web process refuses at start-up, doctor refuses
        from bot.telegram_client import check_webhook_settings, token_of

        token_of(settings)
        check_webhook_settings(settings)
    print("Telegram: " + ("configured" if settings.telegram_enabled else "not configured"))
    print("Language model: " + ("configured" if not settings.offline else "offline mode"))
    print(_failed_events_line(settings.database_url))
    from parallelos import cli_tools  # MCP's client: only for doctor and tools
    from parallelos.cli_doctor import doctor_lines

    lines = [*doctor_lines(settings), *cli_tools.doctor_lines(settings)]
    for line in [*lines, *cli_setup.doctor_lines(settings)]:
        print(line)
    return 0


def _failed_events_line(database_url: str) -> str:
    from jobs.reconcile import failed_events
    from orchestrator.db import Database

    db = Database(database_url)
    try:
        with db.session() as s:
            failed = failed_events(s)
    except Exception as exc:  # not migrated yet, or not reachable: say so, do not stop
        return f"Database: not readable ({type(exc).__name__})"
    finally:
        db.dispose()
    if not failed:
        return "Failed events: 0"
    return f"Failed events: {failed} (re-run them with `parallelos reconcile --failed`)"


class _NoQueue:
    """For commands that only read (`export`): any attempt to queue work is a bug."""

    in_process = True

    def enqueue(self, name: str, *, job_id: str, delay: float = 0, **kwargs: Any) -> None:
        raise RuntimeError(f"{name} queued by a read-only command")

    def enqueue_many(self, name: str, jobs: Sequence[tuple[str, dict[str, Any]]]) -> None:
        raise RuntimeError(f"{name} queued by a read-only command")

    def enqueue_once(self, name: str, *, flag: str, **kwargs: Any) -> None:
        raise RuntimeError(f"{name} queued by a read-only command")

    def clear_flag(self, flag: str) -> None:
        return None

    def ping(self) -> bool:
        return False


if __name__ == "__main__":
    raise SystemExit(main())
