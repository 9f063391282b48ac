"""What the system counts, for `GET /metrics` (CONTRACT §4), in every process.

The definitions live in the kernel so that the edge, the staff and the jobs all count through
them without importing one another. They use prometheus_client's multiprocess mode: each
process (web, worker, scheduler) writes its samples to memory-mapped files in one directory,
and the web process's `/metrics` reads them all (`exposition`). `enable` picks the directory
once per process, before anything is counted: PROMETHEUS_MULTIPROC_DIR when set, else a
directory under the system's temporary folder named after DATABASE_URL, so the processes of one
installation find each other without any setting.

Every metric has labels, so no sample exists until it is first counted, i.e. after `enable`.
The metrics are registered nowhere (`registry=None`): multiprocess mode collects them from the
files. What is read at scrape time (the queue's depth, the database's backlog) is not here but
a collector the route adds (`Snapshot`).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, values
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

__all__ = ["CONTENT_TYPE", "Reading", "Snapshot", "active", "directory", "enable", "exposition"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
ENV = "PROMETHEUS_MULTIPROC_DIR"
_LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)

EVENTS_IN = Counter(
    "parallelos_events_in", "Inbound events stored (duplicates not counted)",
    ["platform", "kind"], registry=None,
)  # fmt: skip
DUPLICATES = Counter(
    "parallelos_events_duplicate", "Inbound deliveries dropped as duplicates", ["platform"],
    registry=None,
)  # fmt: skip
POSTS_OUT = Counter(
    "parallelos_posts_out", "Outbox posts by outcome: sent, unconfirmed, retry, in_doubt, failed",
    ["platform", "status"], registry=None,
)  # fmt: skip
RETRIES = Counter(
    "parallelos_retries", "Work tried again: a post, an event, an action webhook", ["what"],
    registry=None,
)  # fmt: skip
JOB_SECONDS = Histogram(
    "parallelos_job_seconds", "Time a job ran, by job name and outcome", ["job", "outcome"],
    buckets=_LATENCY, registry=None,
)  # fmt: skip
DELIVERY_SECONDS = Histogram(
    "parallelos_delivery_latency_seconds", "From a post's creation to the platform's receipt",
    ["platform"], buckets=_LATENCY, registry=None,
)  # fmt: skip
MODEL_TOKENS = Counter(
    "parallelos_model_tokens", "Language-model tokens by domain and kind", ["domain", "kind"],
    registry=None,
)  # fmt: skip
MODEL_COST = Counter(
    "parallelos_model_cost_usd", "Estimated language-model cost in US dollars, by domain",
    ["domain"], registry=None,
)  # fmt: skip


def directory(database_url: str, configured: Path | None = None) -> Path:
    """Where this installation's processes keep their samples."""
    if configured is not None:
        return configured
    digest = hashlib.blake2s(database_url.encode(), digest_size=6).hexdigest()
    return Path(tempfile.gettempdir()) / f"parallelos-metrics-{digest}"


def enable(path: Path) -> Path:
    """Turn on multiprocess mode for this process (once; the first directory stays).

    prometheus_client picks its value class when it is imported, from the environment; here
    the process decides later, from its settings, so the class is set as that import would
    have set it. Only labelled metrics are defined, so no sample was made before this."""
    current = os.environ.get(ENV)
    if current and getattr(values.ValueClass, "_multiprocess", False):
        Path(current).mkdir(parents=True, exist_ok=True)
        return Path(current)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(path)  # read by prometheus_client when it opens a sample file
    values.ValueClass = values.MultiProcessValue()
    return path


def active() -> Path | None:
    """The directory this process writes to, or None before `enable`."""
    current = os.environ.get(ENV)
    return Path(current) if current else None


Reading = tuple[str, str, list[str], list[tuple[list[str], float]]]  # name, help, labels, samples


class Snapshot(Collector):
    """Gauges read when scraped: `read()` gives (name, help, label names, samples)."""

    def __init__(self, read: Callable[[], Iterable[Reading]]) -> None:
        self._read = read

    def collect(self) -> Iterable[Metric]:
        for name, text, labels, samples in self._read():
            family = GaugeMetricFamily(name, text, labels=labels)
            for label_values, value in samples:
                family.add_metric(label_values, value)
            yield family


def exposition(*collectors: Collector) -> bytes:
    """Every process's samples, and `collectors`' gauges, in Prometheus text format."""
    registry = CollectorRegistry()
    path = active()
    if path is not None:
        MultiProcessCollector(registry, path=str(path))
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)
