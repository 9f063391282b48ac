"""The web process wires only what it uses (issue 15, web RSS): building it loads neither the
model SDK (agent turns run in workers), nor Alembic (the schema version is `doctor`'s), nor the
job functions; offline, not httpx either (the action webhook is sent by a job). With a model key
and Redis, not the file fetchers and live progress of agent turns either (httpx,
python-telegram-bot: turns run in the workers); without Redis they are built, for the turns that
then run in-process. Nor does it build the router and load its learned model (≈ 20 MiB): that
happens on the first message routed in this process, which is only when jobs run in-process. A
new charter file's own test cases, which route, run in a child process at start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from domains.charter import SHIPPED_DIR, load_charters
from domains.versions.apart import run_cases_apart
from domains.versions.cases import failures, run_cases
from domains.versions.models import CharterVersionRow
from orchestrator.charters import CharterTest
from orchestrator.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
NOT_IN_WEB = ("anthropic", "alembic", "mcp", "jobs.tasks", "jobs.agent_tasks")

PROBE = """
import json, sys
import bot.app
from parallelos.wiring import web_services
from bot.slack_adapter import SlackAdapter
from orchestrator import route_model
svc = web_services()
SlackAdapter(svc)
def state():
    return {
        "in_process": svc.queue.in_process,
        "routing": svc.live.routing,
        "model": route_model.shipped.cache_info().currsize,
    }
print(json.dumps(state()))
print(json.dumps(sorted(sys.modules)))
svc.router.route("flights to lisbon in march?")  # in-process jobs (no Redis) still route
print(json.dumps(state()))
"""


CASES = {  # (a model key is set, Redis is up): modules the web process must not load
    "offline": (False, False, (*NOT_IN_WEB, "httpx")),  # the action webhook is sent by a job
    # agent turns run in the workers: the file fetchers and live progress are theirs alone
    "with-a-model-key-and-redis": (True, True, (*NOT_IN_WEB, "httpx", "telegram")),
    # no Redis: turns run in this process; the SDK still does not come in with the wiring
    "with-a-model-key-no-redis": (True, False, NOT_IN_WEB),
}


@pytest.mark.parametrize("case", list(CASES))
def test_building_the_web_process_loads_no_worker_only_modules(
    tmp_path: Path, case: str, request: pytest.FixtureRequest
) -> None:
    model_key, with_redis, absent = CASES[case]
    redis_url = "redis://127.0.0.1:1/0"  # nothing there: jobs would run in-process
    if with_redis:
        kw = request.getfixturevalue("redis_conn").connection_pool.connection_kwargs
        redis_url = f"redis://{kw['host']}:{kw['port']}/{kw['db']}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TELEGRAM_", "PARALLELOS_", "ANTHROPIC_"))
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "REDIS_URL": redis_url,
        "SLACK_BOT_TOKEN": "xoxb-footprint",
        "SLACK_SIGNING_SECRET": "footprint-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "PARALLELOS_OPERATORS": "slack:U0FOOT",
        "PYTHONPATH": str(ROOT),
    }
    if model_key:  # the agent is configured: its SDK is still the workers' alone
        env["ANTHROPIC_API_KEY"] = "sk-ant-footprint"
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    *_, before, modules, after = out.stdout.strip().splitlines()
    assert json.loads(before) == {"in_process": not with_redis, "routing": False, "model": 0}
    assert json.loads(after)["routing"] and json.loads(after)["model"] == 1  # built when asked
    loaded = json.loads(modules)
    assert "slack_bolt" in loaded and "domains.agent.staff" in loaded  # the probe is real
    if model_key and not with_redis:  # in-process turns fetch files: their fetchers are built
        assert "httpx" in loaded and "bot.file_fetch" in loaded
    found = [m for m in loaded if any(m == n or m.startswith(n + ".") for n in absent)]
    assert found == []


def test_no_start_loads_the_model_into_the_web_process(tmp_path: Path) -> None:
    """On a migrated database the web process syncs the charter files at start. The first start
    records them once their own test cases pass: those route, in a child process, so the web
    process loads no model (a child that failed would have them run here: model 1); yet the
    versions are recorded. A restart with the same files has no case to run."""
    url = f"sqlite:///{tmp_path / 'web.db'}"
    upgrade(url)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TELEGRAM_", "PARALLELOS_", "ANTHROPIC_"))
    }
    env |= {
        "DATABASE_URL": url,
        "REDIS_URL": "redis://127.0.0.1:1/0",
        "SLACK_BOT_TOKEN": "xoxb-footprint",
        "SLACK_SIGNING_SECRET": "footprint-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "PARALLELOS_OPERATORS": "slack:U0FOOT",
        "PYTHONPATH": str(ROOT),
    }
    states = []
    for start in ("first start", "restart"):
        out = subprocess.run(
            [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr[-2000:]
        *_, before, _modules, _after = out.stdout.strip().splitlines()
        states.append(json.loads(before))
        if start == "first start":
            engine = create_engine(url)
            with engine.connect() as c:
                recorded = c.execute(select(func.count()).select_from(CharterVersionRow)).scalar()
            engine.dispose()
            assert recorded == 8  # every shipped charter recorded, its cases passed
    assert [s["model"] for s in states] == [0, 0]  # the cases ran, but not in this process
    assert [s["routing"] for s in states] == [False, False]


def test_the_child_process_answers_what_the_cases_would_here() -> None:
    """The web process's cases, run in a child process, give the very results (and failures)
    they give in-process, so a version whose case fails is kept out just the same; no case, no
    child."""
    charters = load_charters(SHIPPED_DIR)
    finance = charters.get("finance")
    wrong = CharterTest(message=finance.tests[0].message, expect="travel")
    broken = charters.replaced(finance.model_copy(update={"tests": [*finance.tests, wrong]}), 0)
    apart = run_cases_apart(broken, ["finance", "travel"])
    assert apart == run_cases(broken, ["finance", "travel"])
    assert [(f.domain, f.message, f.expect) for f in failures(apart)] == [
        ("finance", wrong.message, "travel")
    ]
    assert run_cases_apart(broken, []) == []
