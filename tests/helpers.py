"""Builders shared by tests: settings and services wired to test servers."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from jobs.queue import SyncJobQueue
from jobs.runtime import install
from orchestrator.canonical import Platform
from orchestrator.db import Database
from orchestrator.jobqueue import JobQueue
from orchestrator.outbound import Sender
from orchestrator.services import Services
from orchestrator.settings import Settings, load_settings
from parallelos.wiring import build_services
from tests.conftest import TEST_REDIS_URL

LOOPBACK = ("127.0.0.1", 50000)  # a client address on this machine (the local chat needs one)
LOCAL_URL = "http://localhost:8000"  # ... and a Host header naming this machine


def make_settings(db: Database | None = None, **env: Any) -> Settings:
    if db is not None:
        env.setdefault("DATABASE_URL", db.url)
    env.setdefault("REDIS_URL", TEST_REDIS_URL)  # what /readyz pings
    return load_settings(_env_file=None, **env)


def make_services(
    db: Database,
    *,
    queue: JobQueue | None = None,
    senders: dict[Platform, Sender] | None = None,
    **env: Any,
) -> Services:
    settings = make_settings(db, **env)
    svc = build_services(settings, db=db, queue=queue or SyncJobQueue(), senders=senders)
    install(svc)
    return svc


class LocalClient(TestClient):
    """A browser on this machine: once started, it fetches the page's CSRF token and sends it
    with every request, as the page does (`GET /api/csrf`, header `X-CSRF-Token`)."""

    def __init__(self, app: Any, *, client: tuple[str, int] = LOOPBACK, **kw: Any) -> None:
        super().__init__(app, client=client, base_url=kw.pop("base_url", LOCAL_URL), **kw)

    def __enter__(self) -> LocalClient:
        super().__enter__()
        answer = self.get("/api/csrf")
        if answer.status_code == 200:
            self.headers["X-CSRF-Token"] = answer.json()["csrf"]
        return self
