"""The web process wires only what it uses (issue 15, web RSS): building it loads neither the
model SDK (agent turns run in workers), nor Alembic (the schema version is `doctor`'s), nor the
job functions; offline, not httpx either (the action webhook is sent by a job; with a model key
the file fetchers, built for in-process turns, still bring it). Nor does it build the router and
load its learned model (≈ 20 MiB): that happens on the first message routed in this process,
which is only when jobs run in-process (no Redis)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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
    return {"routing": svc.live.routing, "model": route_model.shipped.cache_info().currsize}
print(json.dumps(state()))
print(json.dumps(sorted(sys.modules)))
svc.router.route("flights to lisbon in march?")  # in-process jobs (no Redis) still route
print(json.dumps(state()))
"""


@pytest.mark.parametrize("model_key", [False, True], ids=["offline", "with-a-model-key"])
def test_building_the_web_process_loads_no_worker_only_modules(
    tmp_path: Path, model_key: bool
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "TELEGRAM_", "PARALLELOS_", "ANTHROPIC_"))
    }
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "REDIS_URL": "redis://127.0.0.1:1/0",  # nothing there: jobs would run in-process
        "SLACK_BOT_TOKEN": "xoxb-footprint",
        "SLACK_SIGNING_SECRET": "footprint-secret",
        "SLACK_API_URL": "http://127.0.0.1:9/api/",
        "PARALLELOS_OPERATORS": "slack:U0FOOT",
        "PYTHONPATH": str(ROOT),
    }
    if model_key:  # the agent is configured: its SDK is still the workers' alone
        env["ANTHROPIC_API_KEY"] = "sk-ant-footprint"
    absent = NOT_IN_WEB if model_key else (*NOT_IN_WEB, "httpx")
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-2000:]
    *_, before, modules, after = out.stdout.strip().splitlines()
    assert json.loads(before) == {"routing": False, "model": 0}  # no router, no model file read
    assert json.loads(after) == {"routing": True, "model": 1}  # built when first asked for
    loaded = json.loads(modules)
    assert "slack_bolt" in loaded and "domains.agent.staff" in loaded  # the probe is real
    found = [m for m in loaded if any(m == n or m.startswith(n + ".") for n in absent)]
    assert found == []
