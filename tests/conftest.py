"""Shared fixtures: real PostgreSQL and SQLite, real Redis on a spare database, services.

Set PARALLELOS_REQUIRE_SERVICES=1 (CI does) to fail instead of skip when a server is down.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import text

from orchestrator.db import Database
from orchestrator.migrate import upgrade

# `api` (the Messages API stand-in); screenshots of failed browser tests
pytest_plugins = ["tests.agent_support", "tests.browser_support", "tests.platform_fixtures"]

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
# A Redis database number per test process, so concurrent runs do not flush each other.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{1 + os.getpid() % 15}")
REQUIRE = os.environ.get("PARALLELOS_REQUIRE_SERVICES") == "1"
CONTRACT_VARS = [
    "DATABASE_URL",
    "PORT",
    "REDIS_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET",
    "TELEGRAM_API_URL",
    "TELEGRAM_CHAT_ID",
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_BASE_URL",
    "PARALLELOS_MODEL",
    "PARALLELOS_OPERATORS",
    "PARALLELOS_USERS",
    "PARALLELOS_TIMEZONE",
    "PARALLELOS_CHANNEL_PREFIX",
    "PARALLELOS_DOMAINS_DIR",
    "ACTION_WEBHOOK_URL",
    "ACTION_WEBHOOK_SECRET",
    "PUBLIC_URL",
]


def unavailable(what: str) -> None:
    if REQUIRE:
        pytest.fail(f"{what} is not reachable and PARALLELOS_REQUIRE_SERVICES=1")
    pytest.skip(f"{what} is not reachable")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No setting leaks in from the developer's shell or a .env file."""
    for name in CONTRACT_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


# -- databases ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A scratch database for this test process, created beside TEST_DATABASE_URL's."""
    admin = Database(TEST_DATABASE_URL)
    try:
        admin.ping()
    except Exception:
        admin.dispose()
        yield ""
        return
    name = f"{admin.engine.url.database}_pos_{os.getpid()}"
    autocommit = admin.engine.execution_options(isolation_level="AUTOCOMMIT")
    with autocommit.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.engine.url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with autocommit.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(db: Database) -> None:
    import domains.all_models  # noqa: F401
    from orchestrator.db import Base

    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database: each test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
    else:
        url = request.getfixturevalue("postgres_url")
        if not url:
            unavailable(f"PostgreSQL at {TEST_DATABASE_URL}")
        database = Database(url)
        _truncate(database)
    yield database
    database.dispose()


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[Database]:
    """PostgreSQL only (races between processes need a server database)."""
    if not postgres_url:
        unavailable(f"PostgreSQL at {TEST_DATABASE_URL}")
    database = Database(postgres_url)
    _truncate(database)
    yield database
    database.dispose()


# -- redis ----------------------------------------------------------------------------------
@pytest.fixture
def redis_conn() -> Iterator[redis.Redis]:
    conn = redis.Redis.from_url(TEST_REDIS_URL)
    try:
        conn.ping()
    except redis.RedisError:
        unavailable(f"Redis at {TEST_REDIS_URL}")
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()
