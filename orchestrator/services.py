"""Everything one process works with, built once by the composition root.

`parallelos.wiring.build_services` makes it for the web process, the worker, the scheduler and
the CLI; the edge, the staff and the job functions receive it and never build their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.attachments import FileFetcher
from orchestrator.canonical import Platform
from orchestrator.channels import ChannelDirectory
from orchestrator.charters import CharterSet
from orchestrator.db import Database
from orchestrator.delivery import Deliverer
from orchestrator.features import Features
from orchestrator.jobqueue import JobQueue
from orchestrator.live import LiveCharters
from orchestrator.outbound import Closing, Sender
from orchestrator.pipeline import Orchestrator
from orchestrator.progress import ProgressSource
from orchestrator.provisioning import Provisioner
from orchestrator.router import Router
from orchestrator.settings import Settings
from orchestrator.skipped import SkipCounter

__all__ = ["Services"]


@dataclass
class Services:
    settings: Settings
    db: Database
    queue: JobQueue
    senders: dict[Platform, Sender]
    live: LiveCharters
    directory: ChannelDirectory
    features: Features
    orchestrator: Orchestrator
    deliverer: Deliverer
    provisioners: dict[Platform, Provisioner] = field(default_factory=dict)
    skipped: SkipCounter = field(default_factory=SkipCounter)  # deliveries acked, not used
    files: dict[Platform, FileFetcher] = field(default_factory=dict)  # files, at turn time
    progress: dict[Platform, ProgressSource] = field(default_factory=dict)  # live statuses

    @property
    def charters(self) -> CharterSet:
        """The active charters, as of this process's last `live.refresh()`."""
        return self.live.charters

    @property
    def router(self) -> Router:
        return self.live.router

    def close_senders(self) -> None:
        """Release the senders' connections and threads (Slack's kept-alive session)."""
        for sender in self.senders.values():
            if isinstance(sender, Closing):
                sender.close()
