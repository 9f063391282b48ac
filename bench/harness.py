"""What the issue-2 benchmarks share: a scratch stack on loopback, signed Slack traffic, stats,
and the Markdown section writer for docs/benchmarks.md.

`Stack` brings up, and always tears down:
  - a scratch PostgreSQL database beside BENCH_DATABASE_URL's (created, migrated, dropped);
  - Redis: a private `redis-server` on a free loopback port (the test suite flushes databases
    1-15 of the shared server at any time), or `--redis-url` (that database is flushed);
  - `BenchSlack`, the test suite's FakeSlack recording when each chat.postMessage arrived;
  - `uvicorn bot.app:app` and `parallelos worker` subprocesses, as the Procfile runs them.

Every address is 127.0.0.1; every process started here is stopped by its own id.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _source() -> tuple[Path, str]:
    """The code under test: a snapshot of a commit (`--source REV`, default HEAD), so other
    people's uncommitted edits in the shared work tree cannot break a run; `--source worktree`
    runs the work tree as it is."""
    import atexit

    rev = "HEAD"
    if "--source" in sys.argv[:-1]:
        rev = sys.argv[sys.argv.index("--source") + 1]
    if rev != "worktree" and Path(rev).is_dir():  # a prepared tree (e.g. a proposal to try)
        return Path(rev).resolve(), f"tree {rev}"
    if rev == "worktree":
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--",
                "bot",
                "jobs",
                "orchestrator",
                "domains",
                "migrations",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        head = _git("rev-parse", "--short", "HEAD")
        return ROOT, f"work tree at {head}" + (" with uncommitted changes" if dirty else "")
    commit = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    if not commit:
        raise SystemExit(f"--source {rev}: not a commit")
    where = Path(tempfile.mkdtemp(prefix="pos-src-"))
    atexit.register(shutil.rmtree, where, ignore_errors=True)
    archive = subprocess.run(
        ["git", "archive", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(where)], input=archive, check=True)
    return where, f"commit {commit[:7]}"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
        return out.stdout.strip()
    except OSError:
        return "?"


SRC, SOURCE = _source()
sys.path.insert(0, str(SRC))


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # run the clean-ups (stop processes, drop the database)


signal.signal(signal.SIGTERM, _terminate)

from tests.fakes import slack_payloads as payloads  # noqa: E402
from tests.fakes.http import Reply  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.fakes.slack_state import SlackError  # noqa: E402

VENV_BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "benchmarks.md"
ADMIN_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TOKEN = "xoxb-bench-token-0123456789"
SECRET = "bench-signing-secret-0123456789"
CONTRACT_PREFIXES = ("SLACK_", "TELEGRAM_", "PARALLELOS_", "ANTHROPIC_", "ACTION_WEBHOOK_")
CONTRACT_NAMES = ("DATABASE_URL", "REDIS_URL", "PUBLIC_URL")
POSTS_PER_MESSAGE = 3  # routed answer in the DM thread, mirror in pos-<domain>, domain answer
MESSAGES = [  # (text, domain the offline router picks)
    ("flights to lisbon in march?", "travel"),
    ("pay the electricity bill and check the budget", "finance"),
    ("update my CV for the senior engineer role", "career"),
    ("draft a blog post about rust", "content"),
    ("book a hotel in porto for the conference", "travel"),
    ("schedule a run and a gym session tomorrow", "wellness"),
]
DOMAINS = sorted({d for _, d in MESSAGES})
REF = re.compile(r"\(ref (\d+)\)")


# -- the machine -------------------------------------------------------------------------
def add_run_options(p: argparse.ArgumentParser, *, section: str, quiet_wait: bool = True) -> None:
    """The options every stack benchmark takes: what code, which servers, where results go."""
    p.add_argument(
        "--source",
        default="HEAD",
        help="commit to run (a snapshot of it), 'worktree' for the work tree as it is, or a "
        "directory holding a tree",
    )
    p.add_argument(
        "--postgres",
        choices=["private", "shared", "sqlite"],
        default="private",
        help="a private throwaway cluster, a scratch database on the shared server "
        "(BENCH_DATABASE_URL), or a fresh SQLite file (WAL) instead of PostgreSQL",
    )
    p.add_argument(
        "--redis-url", help="use this Redis database (flushed) instead of a private redis-server"
    )
    if quiet_wait:
        p.add_argument(
            "--quiet-wait",
            type=float,
            default=20.0,
            help="wait up to this many s for the shared machine to be idle before each run "
            "(0: never)",
        )
    p.add_argument(
        "--markdown", action="store_true", help="rewrite the section in docs/benchmarks.md"
    )
    p.add_argument(
        "--section", default=section, help="which marked section of docs/benchmarks.md to write"
    )
    p.add_argument("--label", default="", help="a note for the Markdown section")
    p.add_argument("--json", type=Path, help="write the raw results here")


def machine() -> dict[str, str]:
    mem_kib = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    cpu = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "cpu": cpu,
        "python": platform.python_version(),
        "source": SOURCE,
    }


def versions(*names: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (absent)")
    return ", ".join(found)


# -- stats -------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile, q in [0, 100]; NaN for no values."""
    if not values:
        return float("nan")
    s = sorted(values)
    k = (len(s) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    return percentile(values, 50)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A Markdown table (also readable in a terminal)."""
    cells = [[str(c) for c in headers]] + [[_cell(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:,.1f}"
    return str(value)


def verdict(value: float, target: float, *, higher_is_better: bool, unit: str) -> str:
    met = value >= target if higher_is_better else value <= target
    if met:
        return f"met ({value:,.1f} {unit} vs {'≥' if higher_is_better else '≤'} {target:g})"
    gap = (target - value) / target if higher_is_better else (value - target) / target
    return f"**missed** by {gap:.0%} ({value:,.1f} {unit} vs {'≥' if higher_is_better else '≤'} {target:g})"


# -- docs/benchmarks.md ------------------------------------------------------------------
def write_section(name: str, markdown: str, path: Path = DOC) -> None:
    """Replace the text between `<!-- bench:NAME:start -->` and its end marker (appended at
    the end of the file when the markers are missing)."""
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    block = f"{start}\n{markdown.strip()}\n{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def machine_line(m: dict[str, str]) -> str:
    return (
        f"{m['date']} · `nproc` {m['nproc']} · {m['memory']} · {m['cpu']} · Python {m['python']}"
        f" · {m['source']}" + (f" · {m['stack']}" if m.get("stack") else "")
    )


# -- processes ---------------------------------------------------------------------------
def probe_env(tmp: Path, redis_url: str) -> dict[str, str]:
    """The environment of a web process built in a fresh interpreter (web_rss.py,
    module_cost.py): this checkout's settings cleared, a migrated SQLite file in `tmp`, Redis
    at `redis_url`, a Slack that is never called."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(CONTRACT_PREFIXES)}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp / 'web.db'}",
        "REDIS_URL": redis_url,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "PARALLELOS_OPERATORS": "slack:U0BENCH01",
        "PYTHONPATH": str(SRC),
    }
    subprocess.run(
        [str(VENV_BIN / "parallelos"), "migrate"], env=env, cwd=SRC, check=True,
        capture_output=True,
    )  # fmt: skip
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    """A subprocess in its own session, logging to a file; `stop` ends it by its own id."""

    def __init__(
        self, name: str, argv: Sequence[str], env: dict[str, str], logdir: Path, cwd: Path
    ) -> None:
        self.name = name
        self.log_path = logdir / f"{name}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.popen = subprocess.Popen(
            list(argv),
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    self.popen.kill()
                self.popen.wait(5)
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU seconds of these processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            pass
    return total


def pids_named(name: str) -> list[int]:
    """Processes whose command name is `name` (read-only: for CPU accounting)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() == name:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def of_pids(pids: Callable[[], list[int]]) -> Callable[[], float]:
    return lambda: cpu_seconds(pids())


def reaped_children() -> float:
    """CPU seconds of this process's finished (waited-for) children, e.g. wrk."""
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


class CpuMeter:
    """CPU seconds used by named groups (each a cumulative-seconds callable) between `start`
    and `stop`, the machine's total, and "other": the machine less the groups (other people's
    work on this shared machine, and processes not listed)."""

    def __init__(self, groups: dict[str, Callable[[], float]]) -> None:
        self.groups = groups
        self.before: dict[str, float] = {}
        self.t0 = 0.0
        self.used: dict[str, float] = {}
        self.wall = 0.0

    def start(self) -> None:
        self.t0 = time.monotonic()
        self.before = {g: f() for g, f in self.groups.items()}
        self.before["machine"] = _machine_busy()

    def stop(self) -> None:
        self.wall = time.monotonic() - self.t0
        self.used = {g: f() - self.before[g] for g, f in self.groups.items()}
        machine = _machine_busy() - self.before["machine"]
        self.used["other"] = max(0.0, machine - sum(self.used.values()))
        self.used["machine"] = machine

    def shares(self) -> dict[str, float]:
        """Each group's CPU use as % of one core."""
        return {g: 100 * s / self.wall for g, s in self.used.items()} if self.wall else {}


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all cores) since boot."""
    return _machine_busy()


def wait_quiet(max_wait: float, *, below: float = 0.25, sample: float = 1.0) -> float:
    """Wait (at most `max_wait` s) for a second in which the machine is busy less than `below`
    of one core — other people's test runs share this machine. Returns the last busy share."""
    deadline = time.monotonic() + max_wait
    while True:
        before = _machine_busy()
        time.sleep(sample)
        busy = (_machine_busy() - before) / sample
        if busy < below or time.monotonic() >= deadline:
            return busy


def _machine_busy() -> float:
    with open("/proc/stat") as f:
        parts = f.readline().split()[1:]
    values = [int(p) for p in parts]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


# -- services ----------------------------------------------------------------------------
class SqliteFile:
    """A fresh SQLite database file in the run's log directory, migrated (no server)."""

    def __init__(self, logdir: Path) -> None:
        self.url = f"sqlite:///{logdir / 'bench.sqlite3'}"

    def __enter__(self) -> SqliteFile:
        from orchestrator.migrate import upgrade

        upgrade(self.url)
        return self

    def server_pids(self) -> list[int]:
        return []

    def __exit__(self, *exc: object) -> None:
        return None


class ScratchPostgres:
    """A database created beside the admin URL's, migrated, and dropped at the end."""

    def __init__(self, admin_url: str = ADMIN_DATABASE_URL) -> None:
        self.admin_url = admin_url
        self.url = ""
        self._admin = None
        self._name = f"parallelos_bench_{os.getpid()}"

    def __enter__(self) -> ScratchPostgres:
        from sqlalchemy import text

        from orchestrator.db import Database
        from orchestrator.migrate import upgrade

        self._admin = Database(self.admin_url)
        self._admin.ping()
        self._autocommit = self._admin.engine.execution_options(isolation_level="AUTOCOMMIT")
        with self._autocommit.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self._name}"'))
            conn.execute(text(f'CREATE DATABASE "{self._name}"'))
        self.url = self._admin.engine.url.set(database=self._name).render_as_string(
            hide_password=False
        )
        upgrade(self.url)
        return self

    def server_pids(self) -> list[int]:
        return pids_named("postgres")

    def __exit__(self, *exc: object) -> None:
        from sqlalchemy import text

        if self._admin is not None:
            with self._autocommit.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self._name}" WITH (FORCE)'))
            self._admin.dispose()


class PrivatePostgres:
    """A throwaway PostgreSQL cluster (initdb, default settings: fsync and synchronous_commit
    on) on a free loopback port, run as the `postgres` user when this runs as root. Other
    people's test runs on the shared server create and drop databases (checkpoints) and
    truncate tables all the time; a private cluster shares the disk and CPUs, not that."""

    def __init__(self, logdir: Path) -> None:
        self.logdir = logdir
        self.url = ""
        self.pids: list[int] = []

    @staticmethod
    def available() -> bool:
        return _pg_bin("initdb") is not None

    def __enter__(self) -> PrivatePostgres:
        from orchestrator.migrate import upgrade

        self.dir = Path(tempfile.mkdtemp(prefix="pos-bench-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            import pwd

            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale",
            "C",
        )
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=100"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "server.log"),
            "-o",
            opts,
            "-w",
            "-t",
            "60",
            "start",
        )
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/parallelos_bench"
        self._run(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "parallelos_bench",
        )
        upgrade(self.url)
        return self

    def _run(self, tool: str, *args: str) -> None:
        binary = _pg_bin(tool)
        assert binary is not None
        subprocess.run(
            [*self.as_user, binary, *args],
            check=True,
            capture_output=True,
            timeout=120,
            cwd=self.dir,
        )

    def server_pids(self) -> list[int]:
        """The postmaster and its children (backends, WAL writer, checkpointer...)."""
        try:
            postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        return [postmaster, *_children(postmaster)]

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


def _pg_bin(tool: str) -> str | None:
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{tool}"), reverse=True):
        return str(candidate)
    return shutil.which(tool)


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(c) for c in f.read().split()]
    except OSError:
        return []


class BenchRedis:
    """A private redis-server on a free loopback port, or a given URL's database, flushed."""

    def __init__(self, url: str | None, logdir: Path) -> None:
        self.given = url
        self.logdir = logdir
        self.proc: Proc | None = None
        self.url = url or ""

    def __enter__(self) -> BenchRedis:
        import redis

        if self.given is None:
            server = shutil.which("redis-server")
            if server is None:
                raise SystemExit(
                    "redis-server not found: pass --redis-url redis://127.0.0.1:6379/N"
                )
            port = free_port()
            self.proc = Proc(
                "redis",
                [
                    server,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--protected-mode",
                    "yes",
                ],
                dict(os.environ),
                self.logdir,
                self.logdir,
            )
            self.url = f"redis://127.0.0.1:{port}/0"
        conn = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                conn.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        conn.flushdb()
        self.conn = conn
        return self

    def pids(self) -> list[int]:
        if self.proc is not None:
            return [self.proc.pid]
        return pids_named("redis-server")

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            self.conn.flushdb()
            self.conn.close()
        if self.proc is not None:
            self.proc.stop()


@dataclass
class Arrival:
    at: float  # time.monotonic() when the fake received it
    channel: str
    thread: str | None
    ts: str
    text: str


class BenchSlack(FakeSlack):
    """FakeSlack that timestamps each chat.postMessage and hands it to `on_post`."""

    def __init__(self) -> None:
        super().__init__(token=TOKEN)
        self.on_post: Callable[[Arrival], None] | None = None
        self.posts = 0
        self._by_ts: dict[str, dict[str, dict]] = {}  # channel id -> ts -> message

    def person_message(self, channel: str, ts: str, text: str, user: str) -> None:
        """The user's own message, with the ts the Events API delivery will carry."""
        with self._lock:
            message = {
                "type": "message",
                "user": user,
                "text": text,
                "team": self.team_id,
                "ts": ts,
                "channel": channel,
            }
            self._messages[channel].append(message)
            self._by_ts.setdefault(channel, {})[ts] = message

    # The fake finds a thread's parent by scanning the channel; index it, or the fake's own
    # cost grows with every message of a long run.
    def _append(self, channel: Any, message: dict, thread_ts: str | None) -> dict:
        stored = super()._append(channel, message, thread_ts)
        self._by_ts.setdefault(channel.id, {})[stored["ts"]] = stored
        return stored

    def _message(self, channel: Any, ts: str, missing: str = "message_not_found") -> dict:
        found = self._by_ts.get(channel.id, {}).get(str(ts))
        if found is None:
            raise SlackError(missing)
        return found

    def _handle(
        self, method: str, params: dict[str, Any], headers: dict[str, str], path: str
    ) -> Reply:
        reply = super()._handle(method, params, headers, path)
        if method == "chat.postMessage" and reply.status == 200 and reply.body.get("ok"):
            self.posts += 1
            arrival = Arrival(
                at=time.monotonic(),
                channel=reply.body["channel"],
                thread=params.get("thread_ts") or None,
                ts=reply.body["ts"],
                text=str(params.get("text") or ""),
            )
            if self.on_post is not None:
                self.on_post(arrival)
        return reply


# -- signed traffic ----------------------------------------------------------------------
class Traffic:
    """Signed `message.im` deliveries, each with a unique event_id and ts, padded with a
    rich_text block to about 1 KB like a real Events API body. Message i comes from
    conversation i % n: user `users[k]` in DM `dms[k]` (one conversation by default)."""

    def __init__(self, dms: Sequence[str], users: Sequence[str], *, secret: str = SECRET) -> None:
        self.dms = list(dms)
        self.users = list(users)
        self.dm, self.user = self.dms[0], self.users[0]
        self.secret = secret
        self.base = int(time.time()) - 100_000
        self.run = f"{os.getpid():x}{int(time.time()) % 100000:05d}"

    def ts(self, i: int) -> str:
        return f"{self.base + i // 1_000_000}.{i % 1_000_000:06d}"

    def dm_of(self, i: int) -> str:
        return self.dms[i % len(self.dms)]

    def user_of(self, i: int) -> str:
        return self.users[i % len(self.users)]

    def text(self, i: int) -> str:
        return f"{MESSAGES[i % len(MESSAGES)][0]} (ref {i})"

    def body(self, i: int, text: str | None = None) -> bytes:
        text = text or self.text(i)
        payload = payloads.message_im(
            text,
            user=self.user_of(i),
            channel=self.dm_of(i),
            ts=self.ts(i),
            event_id=f"Ev{self.run}x{i}",
        )
        event = payload["event"]
        event["client_msg_id"] = f"{i:08x}-0000-4000-8000-{self.run[:12]:0>12}"
        event["blocks"] = [
            {
                "type": "rich_text",
                "block_id": f"b{i % 100000:05d}",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
                ],
            }
        ]
        payload["authorizations"][0]["enterprise_id"] = None
        payload["event_context"] = (
            f"4-eyJldCI6Im1lc3NhZ2UiLCJ0aWQiOiJUMEZBS0UwMDEiLCJhaWQiOiJBMEZBS0VBUFAiLCJjaWQiOiJ{self.dm_of(i)}In0"
        )
        return payloads.json_body(payload)

    def headers(self, body: bytes) -> dict[str, str]:
        return payloads.json_headers(body, self.secret)


class Tracker:
    """Matches chat.postMessage arrivals to the messages that caused them.

    Message i's routed answer is threaded on its ts in the DM; its mirror in pos-<domain>
    carries "(ref i)"; the domain's answer is threaded on the mirror.
    """

    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic
        self.dms = set(traffic.dms)
        self.lock = threading.Lock()
        self.by_ts: dict[str, int] = {}
        self.by_mirror: dict[str, int] = {}
        self.sent: dict[int, float] = {}
        self.acked: dict[int, float] = {}
        self.status: dict[int, int] = {}
        self.routed: dict[int, float] = {}
        self.arrivals: dict[int, list[float]] = {}
        self.done: dict[int, float] = {}
        self.unmatched = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.waiters: dict[int, asyncio.Future[float]] = {}

    def expect(self, i: int) -> None:
        with self.lock:
            self.by_ts[self.traffic.ts(i)] = i

    def on_post(self, a: Arrival) -> None:
        with self.lock:
            i = self.by_ts.get(a.thread or "") if a.channel in self.dms else None
            if i is not None:
                self.routed[i] = a.at
            else:
                m = REF.search(a.text)
                if m and a.thread is None:
                    i = int(m.group(1))
                    self.by_mirror[a.ts] = i
                else:
                    i = self.by_mirror.get(a.thread or "")
            if i is None:
                self.unmatched += 1
                return
            got = self.arrivals.setdefault(i, [])
            got.append(a.at)
            if len(got) == POSTS_PER_MESSAGE:
                self.done[i] = a.at
                fut = self.waiters.pop(i, None)
                if fut is not None and self.loop is not None:
                    self.loop.call_soon_threadsafe(_resolve, fut, a.at)

    def waiter(self, i: int) -> asyncio.Future[float]:
        assert self.loop is not None
        fut = self.loop.create_future()
        with self.lock:
            if i in self.done:
                fut.set_result(self.done[i])
            else:
                self.waiters[i] = fut
        return fut


def _resolve(fut: asyncio.Future[float], at: float) -> None:
    if not fut.done():
        fut.set_result(at)


def procfile_web_flags(root: Path | None = None) -> list[str]:
    """The uvicorn options of the Procfile's `web:` line in the code under test, less the app,
    `--host` and `--port` (the harness gives its own)."""
    line = next(
        ln for ln in ((root or SRC) / "Procfile").read_text().splitlines() if ln.startswith("web:")
    )
    words = line.removeprefix("web:").split()
    words = words[words.index("uvicorn") + 2 :]  # past `uvicorn <app>`
    flags: list[str] = []
    skip = False
    for w in words:
        if skip:
            skip = False
        elif w in ("--host", "--port"):
            skip = True
        elif not w.startswith(("--host=", "--port=")):
            flags.append(w)
    return flags


@dataclass
class Stack:
    """The system under test on loopback; a context manager that always cleans up."""

    workers: int = 0
    redis_url: str | None = None
    postgres: str = "private"  # "private" cluster, or "shared": a scratch database beside
    # BENCH_DATABASE_URL's
    access_log: bool | None = None  # None: as the Procfile; False: off (warning level)
    keep_logs: bool = False
    web: bool = True
    conversations: int = 1  # operators, each in a DM of their own
    extra_env: dict[str, str] = field(default_factory=dict)

    def __enter__(self) -> Stack:
        self._exit = contextlib.ExitStack()
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def _start(self) -> None:
        self.logdir = Path(tempfile.mkdtemp(prefix="pos-bench-"))
        if not self.keep_logs:
            self._exit.callback(shutil.rmtree, self.logdir, ignore_errors=True)
        self.procs: list[Proc] = []
        self.pg: PrivatePostgres | ScratchPostgres | SqliteFile
        if self.postgres == "sqlite":
            self.pg = self._exit.enter_context(SqliteFile(self.logdir))
        elif self.postgres == "private" and PrivatePostgres.available():
            self.pg = self._exit.enter_context(PrivatePostgres(self.logdir))
        else:
            self.postgres = "shared"
            self.pg = self._exit.enter_context(ScratchPostgres())
        self.redis = self._exit.enter_context(BenchRedis(self.redis_url, self.logdir))
        self.slack = self._exit.enter_context(BenchSlack())
        self._exit.callback(self._stop_procs)  # first to run: processes before their servers
        self.operators = [f"U0BENCH{n + 1:02d}" for n in range(max(1, self.conversations))]
        self.operator = self.operators[0]
        self.dms = [self.slack.add_im(user) for user in self.operators]
        self.dm = self.dms[0]
        for domain in DOMAINS:
            self.slack.add_channel(f"pos-{domain}")
        self.env = self._env()
        self.port = free_port()
        if self.web:
            self.web = self.start_web("web", "bot.app:app", self.port)
        self.worker_procs = [self.start_worker(f"worker{n + 1}") for n in range(self.workers)]
        self.wait_workers(len(self.worker_procs))

    def _env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(CONTRACT_PREFIXES) and k not in CONTRACT_NAMES
        }
        env.update(
            {
                "DATABASE_URL": self.pg.url,
                "REDIS_URL": self.redis.url,
                "SLACK_BOT_TOKEN": TOKEN,
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": self.slack.url,
                "PARALLELOS_OPERATORS": ",".join(f"slack:{u}" for u in self.operators),
                "PATH": f"{VENV_BIN}:{env.get('PATH', '')}",
                "NO_PROXY": "127.0.0.1,localhost",
                "PYTHONPATH": str(SRC),
            }
        )
        env.update(self.extra_env)
        return env

    def start_web(self, name: str, app: str, port: int, *, app_dir: Path | None = None) -> Proc:
        argv = [str(VENV_BIN / "uvicorn"), app, "--host", "127.0.0.1", "--port", str(port)]
        argv += procfile_web_flags()  # what ships is what is measured
        if self.access_log is False:
            argv += ["--no-access-log", "--log-level", "warning"]
        elif self.access_log and "--no-access-log" in argv:
            argv.remove("--no-access-log")
        if app_dir is not None:
            argv += ["--app-dir", str(app_dir)]
        proc = Proc(name, argv, self.env, self.logdir, SRC)
        self.procs.append(proc)
        wait_http(f"http://127.0.0.1:{port}/healthz", proc, accept=(200, 404, 405))
        return proc

    def add_proc(self, name: str, argv: Sequence[str]) -> Proc:
        proc = Proc(name, argv, self.env, self.logdir, SRC)
        self.procs.append(proc)
        return proc

    def start_worker(self, name: str) -> Proc:
        proc = Proc(name, [str(VENV_BIN / "parallelos"), "worker"], self.env, self.logdir, SRC)
        self.procs.append(proc)
        return proc

    def wait_workers(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while count and len(self.redis.conn.smembers("rq:workers")) < count:
            for p in self.worker_procs:
                if not p.alive():
                    raise RuntimeError(f"{p.name} exited:\n{p.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not register within {timeout}s")
            time.sleep(0.05)

    def describe(self) -> str:
        pg = {
            "private": "private PostgreSQL cluster (fsync on)",
            "sqlite": "SQLite file (WAL)",
        }.get(self.postgres, "scratch database on the shared PostgreSQL (fsync on)")
        redis = "private Redis" if self.redis.proc is not None else "Redis database given"
        talk = "" if self.conversations <= 1 else f", {self.conversations} conversations"
        return f"{pg}, {redis}, {self.workers} worker(s){talk}"

    def url(self, path: str = "/slack/events") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def traffic(self) -> Traffic:
        return Traffic(self.dms, self.operators)

    def queue_depth(self) -> int:
        return int(self.redis.conn.llen("rq:queue:parallelos"))

    def queued_events(self) -> int:
        """Events waiting in the RQ queue: one a `process_event` job, and the ids a
        `process_events` job carries (several events to a job, where the tree has it)."""
        from rq.job import Job
        from rq.serializers import JSONSerializer

        ids = [i.decode() for i in self.redis.conn.lrange("rq:queue:parallelos", 0, -1)]
        batched = [i for i in ids if i.startswith("events-")]
        total = len(ids) - len(batched)
        for k in range(0, len(batched), 500):
            jobs = Job.fetch_many(
                batched[k : k + 500], connection=self.redis.conn, serializer=JSONSerializer
            )
            total += sum(len(j.kwargs.get("event_ids", [])) for j in jobs if j is not None)
        return total

    def count_rows(self, sql: str) -> int:
        from sqlalchemy import create_engine, text

        from orchestrator.db import normalise_url

        engine = create_engine(normalise_url(self.pg.url))
        try:
            with engine.connect() as conn:
                return int(conn.execute(text(sql)).scalar() or 0)
        finally:
            engine.dispose()

    def _stop_procs(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()

    def __exit__(self, *exc: object) -> None:
        self._exit.close()


def wait_http(
    url: str, proc: Proc, *, accept: Sequence[int] = (200,), timeout: float = 30.0
) -> None:
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while True:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited:\n{proc.tail()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 (loopback)
                if r.status in accept:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code in accept:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{proc.name} did not answer {url} within {timeout}s")
        time.sleep(0.05)


def dump_json(path: Path | None, data: Any) -> None:
    if path is not None:
        path.write_text(json.dumps(data, indent=2, default=str))


def publish(report: str, args: argparse.Namespace, data: Any) -> None:
    """Print the report; with --markdown, rewrite its section of docs/benchmarks.md; with
    --json, write the raw figures."""
    print(report)
    if args.markdown:
        write_section(args.section, report)
    dump_json(args.json, data)


def tracked_run(
    drive: Callable[[Stack, Tracker, argparse.Namespace], Awaitable[Any]],
    args: argparse.Namespace,
    *,
    workers: int,
    **stack: Any,
) -> tuple[Any, dict[str, str], Tracker]:
    """Start the stack (web, `workers` workers), follow every post with a Tracker, run
    `drive(st, tracker, args)`; its result, the machine (with the stack named) and the tracker."""
    machine_info = machine()
    with Stack(workers=workers, redis_url=args.redis_url, postgres=args.postgres, **stack) as st:
        machine_info["stack"] = st.describe()
        tracker = Tracker(st.traffic())
        st.slack.on_post = tracker.on_post
        results = asyncio.run(drive(st, tracker, args))
    return results, machine_info, tracker


# -- the async load generator ------------------------------------------------------------
class Sender:
    """Posts signed deliveries to the web process with aiohttp, recording send and ack times."""

    def __init__(
        self, url: str, traffic: Traffic, tracker: Tracker, *, connections: int, slack: BenchSlack
    ) -> None:
        self.slack = slack
        self.url = url
        self.traffic = traffic
        self.tracker = tracker
        self.connections = connections
        self.session = None

    async def __aenter__(self) -> Sender:
        import aiohttp

        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connections),
            timeout=aiohttp.ClientTimeout(total=10),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        await self.session.close()

    async def send(self, i: int) -> int:
        """POST message i; returns the HTTP status (0 on a transport error)."""
        assert self.session is not None
        body = self.traffic.body(i)
        headers = self.traffic.headers(body)
        self.slack.person_message(
            self.traffic.dm_of(i), self.traffic.ts(i), self.traffic.text(i), self.traffic.user_of(i)
        )
        self.tracker.expect(i)
        t0 = time.monotonic()
        self.tracker.sent[i] = t0
        try:
            async with self.session.post(self.url, data=body, headers=headers) as r:
                await r.read()
                status = r.status
        except Exception:
            status = 0
        self.tracker.acked[i] = time.monotonic()
        self.tracker.status[i] = status
        return status


@contextlib.asynccontextmanager
async def warmed_sender(
    st: Stack, tracker: Tracker, *, connections: int, warmup: int = 10
) -> AsyncIterator[Sender]:
    """A Sender to the stack's web process, after `warmup` messages (0 … warmup-1) each sent
    once the previous one's posts arrived: first-use costs (channels found, pools, imports)."""
    tracker.loop = asyncio.get_running_loop()
    async with Sender(
        st.url(), tracker.traffic, tracker, connections=connections, slack=st.slack
    ) as sender:
        for i in range(warmup):
            await sender.send(i)
            await asyncio.wait_for(tracker.waiter(i), 30)
        yield sender


def latencies_ms(tracker: Tracker, ids: Sequence[int]) -> dict[str, list[float]]:
    """Per message: ack, routed answer, and all posts (done), in ms after the POST began."""
    out: dict[str, list[float]] = {"ack": [], "routed": [], "done": []}
    for i in ids:
        t0 = tracker.sent.get(i)
        if t0 is None:
            continue
        if i in tracker.acked:
            out["ack"].append(1000 * (tracker.acked[i] - t0))
        if i in tracker.routed:
            out["routed"].append(1000 * (tracker.routed[i] - t0))
        if i in tracker.done:
            out["done"].append(1000 * (tracker.done[i] - t0))
    return out


# -- RQ baselines: the same worker class and serializer, jobs that do nothing --------------
BASELINE_QUEUE = "bench-baseline"


class RQBaseline:
    """`rq worker` SimpleWorkers on a queue of their own, running bench/noop_job.py."""

    def __init__(self, st: Stack, workers: int, worker_class: str = "rq.SimpleWorker") -> None:
        self.st = st
        self.procs = [
            st.add_proc(
                f"baseline{n + 1}",
                [
                    str(VENV_BIN / "rq"),
                    "worker",
                    "-w",
                    worker_class,
                    "-S",
                    "json",
                    "-P",
                    str(ROOT / "bench"),
                    "-u",
                    st.redis.url,
                    "--with-scheduler",
                    "--logging_level",
                    "WARNING",
                    "-n",
                    f"baseline{n + 1}-{os.getpid()}",
                    BASELINE_QUEUE,
                ],
            )
            for n in range(workers)
        ]
        from rq import Queue
        from rq.serializers import JSONSerializer

        self.queue = Queue(BASELINE_QUEUE, connection=st.redis.conn, serializer=JSONSerializer)
        deadline = time.monotonic() + 30
        while sum(1 for w in st.redis.conn.smembers("rq:workers") if b"baseline" in w) < workers:
            if time.monotonic() > deadline or not all(p.alive() for p in self.procs):
                raise RuntimeError("baseline workers did not start:\n" + self.procs[0].tail())
            time.sleep(0.05)

    def latency_ms(self, jobs: int) -> list[float]:
        """Enqueue → job ran, one job at a time on idle workers."""
        conn = self.st.redis.conn
        key = f"bench:ping:{os.getpid()}"
        out = []
        for _ in range(jobs):
            t0 = time.monotonic()
            self.queue.enqueue("noop_job.ping", kwargs={"key": key}, result_ttl=0)
            item = conn.blpop([key], timeout=10)
            if item is None:
                raise RuntimeError("a baseline job did not run within 10 s")
            out.append(1000 * (float(item[1]) - t0))
        return out

    def jobs_per_s(self, jobs: int) -> float:
        """Enqueue `jobs` no-op jobs at once (enqueue_many), time until all ran."""
        from rq import Queue

        conn = self.st.redis.conn
        key = f"bench:count:{os.getpid()}"
        conn.delete(key)
        datas = [
            Queue.prepare_data("noop_job.count", kwargs={"key": key}, result_ttl=0)
            for _ in range(jobs)
        ]
        t0 = time.monotonic()
        self.queue.enqueue_many(datas)
        deadline = t0 + 120
        while int(conn.get(key) or 0) < jobs:
            if time.monotonic() > deadline:
                raise RuntimeError("baseline jobs did not finish within 120 s")
            time.sleep(0.005)
        return jobs / (time.monotonic() - t0)

    def stop(self) -> None:
        for p in self.procs:
            p.stop()


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed P-256 certificate for 127.0.0.1 (key, cert), made with `openssl`."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert
