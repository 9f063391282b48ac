"""Log lines: plain text, or JSON lines with LOG_FORMAT=json; one correlation id per event.

The correlation id follows one inbound event from its POST through every job it causes to each
post it sends: `ev-<stored event id>`. It lives in a context variable (`correlation`), set by
the web process when the event is stored, by the job runners from what the queue carried with
the job, and by delivery for each post from the event that caused it. Every line logged
meanwhile carries it, in either format.

JSON lines come from python-json-logger (a kept library: it renders `extra` fields, exception
info and stack info the way log shippers expect). Nothing here logs message text: code logs ids
and sizes, never what a person wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import IO, Any

from pythonjsonlogger.json import JsonFormatter

__all__ = ["configure", "correlation", "correlation_for", "current", "event_correlation"]

_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(correlation_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s"
_OURS = "parallelos"  # marks the handler `configure` installed, so it is replaced, not doubled
SERVER_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def event_correlation(event_id: int) -> str:
    return f"ev-{event_id}"


def current() -> str | None:
    return _current.get()


@contextmanager
def correlation(value: str | None) -> Iterator[str | None]:
    """Log under `value` inside the block (None keeps the one already set)."""
    if value is None:
        yield _current.get()
        return
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def correlation_for(kwargs: Mapping[str, Any]) -> str | None:
    """A job's correlation id: its event's where it names one, else its caller's."""
    event_id = kwargs.get("event_id")
    if isinstance(event_id, int):
        return event_correlation(event_id)
    return current()


class _Correlate(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = _current.get() or "-"
        return True


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"})
    return logging.Formatter(TEXT_FORMAT)


def configure(fmt: str = "text", level: int = logging.INFO, stream: IO[str] | None = None) -> None:
    """One handler on the root logger in `fmt` ("text" or "json"), writing to `stream`
    (stderr); the web server's own loggers (uvicorn's) are given the same format."""
    root = logging.getLogger()
    root.handlers = [h for h in root.handlers if getattr(h, "name", None) != _OURS]
    handler = logging.StreamHandler(stream)
    handler.name = _OURS
    handler.setFormatter(formatter(fmt))
    handler.addFilter(_Correlate())
    root.addHandler(handler)
    root.setLevel(level)
    for name in SERVER_LOGGERS:
        for server_handler in logging.getLogger(name).handlers:
            server_handler.setFormatter(formatter(fmt))
            server_handler.addFilter(_Correlate())
