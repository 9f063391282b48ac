"""The web process's entry point (Procfile: `uvicorn bot.app:app`).

The one module of the edge that imports the composition root: the app is built over the
services `parallelos.wiring` makes when the process starts (CONTRACT §2).
"""

from __future__ import annotations

from bot.web import create_app
from parallelos.wiring import web_services

__all__ = ["app"]

app = create_app(build=web_services)
