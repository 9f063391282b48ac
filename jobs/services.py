"""The composition root: settings, database, charters, router, senders, queue — built once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from jobs.queue import InlineJobQueue, JobQueue, RQJobQueue, connect_redis
from orchestrator.canonical import Platform
from orchestrator.channels import ChannelDirectory
from orchestrator.db import Database
from orchestrator.delivery import Deliverer
from orchestrator.outbound import Sender
from orchestrator.pipeline import Orchestrator
from orchestrator.settings import Settings, load_settings

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    db: Database
    queue: JobQueue
    senders: dict[Platform, Sender]
    charters: object
    router: object
    directory: ChannelDirectory = field(init=False)
    orchestrator: Orchestrator = field(init=False)
    deliverer: Deliverer = field(init=False)

    def __post_init__(self) -> None:
        self.directory = ChannelDirectory(self.db, self.settings, self.senders)
        self.orchestrator = Orchestrator(
            settings=self.settings,
            db=self.db,
            charters=self.charters,
            router=self.router,
            directory=self.directory,
        )
        self.deliverer = Deliverer(self.db, self.senders, self.directory)

    @property
    def redis(self):  # type: ignore[no-untyped-def]
        return self.queue.redis if isinstance(self.queue, RQJobQueue) else None


def build_senders(settings: Settings) -> dict[Platform, Sender]:
    from bot.local import LocalSender

    senders: dict[Platform, Sender] = {Platform.LOCAL: LocalSender()}
    if settings.slack_enabled:
        from bot.slack_sender import SlackSender

        senders[Platform.SLACK] = SlackSender(settings)
    if settings.telegram_enabled:
        from bot.telegram_sender import TelegramSender

        senders[Platform.TELEGRAM] = TelegramSender(settings)
    return senders


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
) -> Services:
    from domains.charter import load_charters
    from orchestrator.router import Router

    settings = settings or load_settings()
    charters = load_charters(settings.domains_dir)
    return Services(
        settings=settings,
        db=db or Database(settings.database_url),
        queue=queue if queue is not None else build_queue(settings),
        senders=senders if senders is not None else build_senders(settings),
        charters=charters,
        router=Router(charters),
    )


_current: Services | None = None


def current() -> Services:
    """The process's services, built from the environment on first use (RQ job functions)."""
    global _current
    if _current is None:
        _current = build_services()
    return _current


def install(services: Services | None) -> None:
    global _current
    _current = services
