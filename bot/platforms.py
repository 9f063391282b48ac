"""Starts and stops the platform connections the settings ask for."""

from __future__ import annotations

import logging
from typing import Protocol

from fastapi import FastAPI, Request, Response

from orchestrator.services import Services

log = logging.getLogger(__name__)


class Adapter(Protocol):
    async def start(self, app: FastAPI) -> None: ...

    async def stop(self) -> None: ...

    def problems(self) -> list[str]: ...

    async def handle(self, request: Request) -> Response: ...


class Platforms:
    def __init__(self, services: Services) -> None:
        self.svc = services
        self.slack: Adapter | None = None
        self.telegram: Adapter | None = None

    @property
    def parts(self) -> list[Adapter]:
        return [p for p in (self.slack, self.telegram) if p is not None]

    async def start(self, app: FastAPI) -> None:
        settings = self.svc.settings
        if settings.slack_enabled:
            from bot.slack_adapter import SlackAdapter

            self.slack = SlackAdapter(self.svc)
        if settings.telegram_enabled:
            from bot.telegram_adapter import TelegramAdapter

            self.telegram = TelegramAdapter(self.svc)
        for part in self.parts:
            await part.start(app)

    async def stop(self) -> None:
        for part in reversed(self.parts):
            try:
                await part.stop()
            except Exception:
                log.exception("stopping %s", type(part).__name__)

    def problems(self) -> list[str]:
        return [p for part in self.parts for p in part.problems()]
