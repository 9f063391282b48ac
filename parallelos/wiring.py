"""Builds the system: every part, explicitly, once per process.

A new feature is one folder under `domains/` and one line in `features` below; a new platform
is one sender in `build_senders`. Nothing registers itself anywhere else.
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError, ProgrammingError

from bot.local import LocalSender
from domains.agent import stats as agent_stats
from domains.agent.feedback import feature as feedback_feature
from domains.agent.memory_command import feature as memory_feature
from domains.agent.staff import AgentStaff
from domains.approvals.feature import feature as approvals_feature
from domains.briefs.command import feature as briefs_feature
from domains.charter import load_charters
from domains.hub import feature as hub_feature
from domains.inbox.feature import feature as inbox_feature
from domains.reminders.feature import feature as reminders_feature
from domains.signin.feature import feature as signin_feature
from domains.status_commands import feature as status_feature
from domains.step import OfflineStaff
from domains.versions import cases
from domains.versions.active import DatabaseVersions
from domains.versions.apart import run_cases_apart
from domains.versions.feature import feature as versions_feature
from domains.versions.sync import sync_files
from jobs.queue import InlineJobQueue, RQJobQueue, connect_redis
from jobs.runtime import install
from orchestrator import logs, metrics
from orchestrator.attachments import FileFetcher
from orchestrator.canonical import Platform
from orchestrator.channels import ChannelDirectory
from orchestrator.charters import CharterSet
from orchestrator.db import Database
from orchestrator.delivery import Deliverer
from orchestrator.eventlog import CHARTERS_KEY
from orchestrator.features import Features
from orchestrator.jobqueue import JobQueue
from orchestrator.live import LiveCharters
from orchestrator.outbound import Sender
from orchestrator.people import Names
from orchestrator.pipeline import Orchestrator
from orchestrator.progress import ProgressSource
from orchestrator.provisioning import Provisioner
from orchestrator.services import Services
from orchestrator.settings import Settings, load_settings
from orchestrator.staff import Staff

__all__ = [
    "build_provisioners", "build_queue", "build_senders", "build_services", "features", "staff",
]  # fmt: skip

log = logging.getLogger(__name__)


def features(settings: Settings, charters: CharterSet) -> Features:
    """Every feature, in the order the dashboard shows them."""
    items = [
        status_feature(charters),
        inbox_feature(),
        approvals_feature(),
        briefs_feature(settings, charters),
        reminders_feature(settings.zone),
        hub_feature(),
        signin_feature(),
        memory_feature(),
        feedback_feature(),  # 👍/👎 under agent answers (Slack), recorded as events
        versions_feature(),
        agent_stats.feature(charters),  # cost and budget: shown offline too (no calls, budget)
    ]
    return Features(items)


def staff(settings: Settings) -> Staff:
    """Offline, the status-line grammar answers; with a model key, an agent turn follows."""
    return OfflineStaff() if settings.offline else AgentStaff()


def build_senders(settings: Settings) -> dict[Platform, Sender]:
    senders: dict[Platform, Sender] = {Platform.LOCAL: LocalSender()}
    if settings.slack_enabled:
        from bot.slack_sender import SlackSender  # slack_sdk is imported only when it is used

        senders[Platform.SLACK] = SlackSender(settings)
    if settings.telegram_enabled:
        from bot.telegram_sender import TelegramSender

        senders[Platform.TELEGRAM] = TelegramSender(settings)
    return senders


def name_sources(senders: dict[Platform, Sender]) -> dict[Platform, Names]:
    """The senders that look people's display names up (Slack's users.info) name the events
    the workers handle: the edge never waits for a lookup (`orchestrator.people`)."""
    return {p: s for p, s in senders.items() if isinstance(s, Names)}


def build_fetchers(settings: Settings) -> dict[Platform, FileFetcher]:
    """Each platform's file fetcher (files reach the agent at turn time, through them)."""
    fetchers: dict[Platform, FileFetcher] = {}
    if settings.slack_enabled:
        from bot.file_fetch import SlackFiles

        fetchers[Platform.SLACK] = SlackFiles(settings)
    if settings.telegram_enabled:
        from bot.file_fetch import TelegramFiles

        fetchers[Platform.TELEGRAM] = TelegramFiles(settings)
    return fetchers


def build_progress(
    settings: Settings, senders: dict[Platform, Sender]
) -> dict[Platform, ProgressSource]:
    """Live progress of agent turns per platform (Slack statuses, Telegram typing and drafts)."""
    sources: dict[Platform, ProgressSource] = {}
    if settings.slack_enabled and Platform.SLACK in senders:
        from bot.live_progress import SlackProgress

        sources[Platform.SLACK] = SlackProgress(settings)
    telegram = senders.get(Platform.TELEGRAM)
    if telegram is not None and settings.telegram_enabled:
        from bot.live_progress import TelegramProgress
        from bot.telegram_sender import TelegramSender

        if isinstance(telegram, TelegramSender):
            sources[Platform.TELEGRAM] = TelegramProgress(telegram.thread.run)
    return sources


def build_provisioners(
    settings: Settings, senders: dict[Platform, Sender]
) -> dict[Platform, Provisioner]:
    """One provisioner per platform with a real sender (each reuses that sender's client)."""
    provisioners: dict[Platform, Provisioner] = {}
    slack, telegram = senders.get(Platform.SLACK), senders.get(Platform.TELEGRAM)
    if slack is not None and settings.slack_enabled:
        from bot.slack_sender import SlackSender
        from bot.slack_setup import SlackProvisioner

        if isinstance(slack, SlackSender):
            provisioners[Platform.SLACK] = SlackProvisioner(slack.client, slack.operators)
    if telegram is not None and settings.telegram_enabled:
        from bot.telegram_sender import TelegramSender
        from bot.telegram_setup import TelegramProvisioner

        if isinstance(telegram, TelegramSender):
            provisioners[Platform.TELEGRAM] = TelegramProvisioner(telegram)
    return provisioners


def build_queue(settings: Settings, *, inline_ok: bool = True) -> JobQueue:
    conn = connect_redis(settings.redis_url)
    if conn is not None:
        return RQJobQueue(conn)
    if not inline_ok:
        raise RuntimeError("Redis is not reachable")
    return InlineJobQueue()


def build_services(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    queue: JobQueue | None = None,
    senders: dict[Platform, Sender] | None = None,
    turns: bool = True,
    cases_apart: bool = False,
) -> Services:
    """`turns`: this process runs agent turns (a worker, the CLI, a web process whose jobs run
    in-process), so it gets the file fetchers and live progress they use (httpx and
    python-telegram-bot, ≈ 18 MiB); a web process that queues its jobs to Redis does not.
    `cases_apart`: a new charter file's test cases run in a child process (the web process:
    the router and its learned model they load do not stay with it)."""
    settings = settings or load_settings()
    metrics.enable(metrics.directory(settings.database_url, settings.metrics_dir))
    db = db or Database(settings.database_url)
    live = live_charters(settings, db, run=run_cases_apart if cases_apart else cases.run_cases)
    db.info[CHARTERS_KEY] = live  # every logged event names the version it ran under
    charters = live.charters
    senders = senders if senders is not None else build_senders(settings)
    directory = ChannelDirectory(db, settings, senders)
    feature_list = features(settings, charters)
    orchestrator = Orchestrator(
        settings=settings,
        db=db,
        live=live,
        directory=directory,
        staff=staff(settings),
        features=feature_list,
        names=name_sources(senders),
    )
    return Services(
        settings=settings,
        db=db,
        queue=queue if queue is not None else build_queue(settings),
        senders=senders,
        live=live,
        directory=directory,
        features=feature_list,
        orchestrator=orchestrator,
        deliverer=Deliverer(db, senders, directory),
        provisioners=build_provisioners(settings, senders),
        files=build_fetchers(settings) if turns and settings.anthropic_api_key is not None else {},
        progress=build_progress(settings, senders) if turns and settings.anthropic_api_key else {},
    )


def live_charters(
    settings: Settings, db: Database, *, run: cases.CaseRunner = cases.run_cases
) -> LiveCharters:
    """The charters the database says are active (the files synced into it first, the new
    files' test cases run by `run`); before the database is migrated, the files as they are."""
    try:
        synced = sync_files(db, settings, run=run)
    except (OperationalError, ProgrammingError) as exc:
        # Not migrated yet (doctor, or before `make run` migrates): the files are the truth.
        log.info("charter versions unavailable (%s); running the files", type(exc).__name__)
        return LiveCharters(load_charters(settings.domains_dir))
    source = DatabaseVersions(db, synced.charters.hub, synced.domains)
    return LiveCharters(synced.charters, source=source, stamp=synced.stamp)


def web_services() -> Services:
    """The web process's services; its in-process jobs (no Redis) run with them. With Redis,
    agent turns run in the workers: the web process builds nothing for them."""
    settings = load_settings()
    queue = build_queue(settings)
    svc = build_services(settings, queue=queue, turns=queue.in_process, cases_apart=True)
    logs.configure(svc.settings.log_format)
    install(svc)
    return svc
