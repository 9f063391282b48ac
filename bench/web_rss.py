"""The web process's memory as it is built, without uvicorn or load: RSS and modules loaded
after `web_services()` and the Slack adapter, on a fresh SQLite file with Redis up, at the
first start (the charter files are recorded, their test cases run) and at a restart, without
and with ANTHROPIC_API_KEY.

    .venv/bin/python bench/web_rss.py [--source REV] [--redis-url redis://127.0.0.1:6379/14]

Each figure is its own fresh process. `bench/ingress.py` gives the same process under uvicorn
and load; this one says which wiring costs what (issue 15, web RSS).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import harness as h

PROBE = """
import json, sys
import bot.app
from bot.slack_adapter import SlackAdapter
from parallelos.wiring import web_services
SlackAdapter(web_services())
with open("/proc/self/status") as f:
    rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
print(json.dumps({"rss_mib": rss / 1024, "modules": len(sys.modules)}))
"""


def probe(env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, cwd=h.SRC, capture_output=True, text=True,
        timeout=120, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--source", default="HEAD", help="the commit measured (see bench/harness.py)")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis that answers")
    args = p.parse_args(argv)
    rows = []
    for key in ("", "sk-ant-bench"):
        with tempfile.TemporaryDirectory(prefix="pos-rss-") as tmp:
            env = h.probe_env(Path(tmp), args.redis_url)
            if key:
                env["ANTHROPIC_API_KEY"] = key
            first, restart = probe(env), probe(env)
        rows.append(
            [
                "with a model key" if key else "offline",
                f"{first['rss_mib']:.1f} MiB, {first['modules']:,} modules",
                f"{restart['rss_mib']:.1f} MiB, {restart['modules']:,} modules",
            ]
        )
    print(f"Measured {h.machine_line(h.machine())}; SQLite, Redis up, no uvicorn.\n")
    print(h.table(["ANTHROPIC_API_KEY", "first start", "restart (files recorded)"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
