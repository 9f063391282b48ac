"""What some of the web process's modules add to its RSS, over everything else it loads: the
modules the built web process holds (`web_rss.py`'s probe) are imported in the same order with
the named ones blocked (their importers fail and are put off), then those and their importers
are imported last; the RSS between is theirs. This is what a split that kept them out of the
web process would save (modules they share with the rest are not counted, unlike importing
each one alone over a smaller stack).

    .venv/bin/python bench/module_cost.py [--source REV] --modules [label=]domains.briefs.build,...

Each figure is its own fresh process (issue 15, web RSS).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import harness as h

MODULES = """
import json, sys
import bot.app
from bot.slack_adapter import SlackAdapter
from parallelos.wiring import web_services
SlackAdapter(web_services())
print(json.dumps(list(sys.modules)))
"""

LAST = """
import gc, importlib, json, sys
order, named = json.loads(sys.stdin.read())
def rss():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024
for m in named:
    sys.modules[m] = None  # an import of it raises: its importers are put off
later = []
for m in order:
    if m in named or m in sys.modules:
        continue
    try:
        importlib.import_module(m)
    except ImportError:
        sys.modules.pop(m, None)
        later.append(m)
for m in named:
    del sys.modules[m]
gc.collect()
before, count = rss(), len(sys.modules)
for m in [*later, *named]:
    try:
        importlib.import_module(m)
    except ModuleNotFoundError:  # not importable here at all (another platform's module)
        pass
gc.collect()
print(json.dumps({"mib": rss() - before, "modules": len(sys.modules) - count, "later": later}))
"""


def run(code: str, env: dict[str, str], stdin: str = "") -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=h.SRC, input=stdin, capture_output=True,
        text=True, timeout=120, check=True,
    )  # fmt: skip
    return out.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--source", default="HEAD", help="the commit measured (see bench/harness.py)")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14", help="a Redis that answers")
    p.add_argument("--modules", action="append", required=True, help="[label=]a,b,c; repeat")
    p.add_argument("--runs", type=int, default=3)
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="pos-cost-") as tmp:
        env = h.probe_env(Path(tmp), args.redis_url)
        run(MODULES, env)  # the first start records the charter files
        order = json.loads(run(MODULES, env))
        for group in args.modules:
            label, _, names = group.rpartition("=")
            named = [m for m in names.split(",") if m]
            missing = [m for m in named if m not in order]
            if missing:
                raise SystemExit(f"not in the web process: {', '.join(missing)}")
            costs = [
                json.loads(run(LAST, env, json.dumps([order, named]))) for _ in range(args.runs)
            ]
            mib = sorted(c["mib"] for c in costs)
            rows.append([label or names, " / ".join(f"{m:.2f}" for m in mib), costs[0]["modules"]])
    print(f"Measured {h.machine_line(h.machine())}; SQLite, Redis up, no uvicorn.\n")
    print(h.table(["modules imported last", "MiB (runs, sorted)", "modules they bring"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
