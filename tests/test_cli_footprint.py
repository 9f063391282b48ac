"""`parallelos route` answers "in milliseconds a message" (CONTRACT §7.1), so the command must not
import what only other commands use: the database, MCP, the platforms, the model SDK, the queue.
Before this guard, importing the CLI loaded the tools and charter commands' modules: 2 s."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("mcp", "sqlalchemy", "anthropic", "slack_sdk", "slack_bolt", "telegram", "httpx", "rq",
         "redis", "domains.versions", "domains.tools", "parallelos.wiring")  # fmt: skip

PROBE = """
import json, sys
HEAVY = sys.argv[1:]
from parallelos import cli
code = cli.main(["route", "--json", "book me a train to Porto on friday"])
print(json.dumps({"code": code, "loaded": [m for m in HEAVY if m in sys.modules]}))
"""


def test_route_imports_nothing_the_other_commands_need() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    decision, probe = (json.loads(line) for line in done.stdout.strip().splitlines()[-2:])
    assert decision["domain"] == "travel"
    assert probe == {"code": 0, "loaded": []}
