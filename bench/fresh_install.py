"""A fresh install's workspace: how long `parallelos setup` takes, on an empty database, to
create every domain channel in Slack and every forum topic in Telegram (issue 11: within 30 s).

    .venv/bin/python bench/fresh_install.py [--runs 3]

Each run starts new Slack and Telegram stand-ins (tests/fakes), a new SQLite file, and times the
installed `parallelos setup` as its own process, migrations included, until it exits. It checks
that every channel and topic exists afterwards, so a fast run that created nothing fails.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness as h

from tests.fakes.telegram_api import FakeTelegram

OPERATOR_SLACK = "U0OPERATOR"
OPERATOR_TELEGRAM = 4567
FORUM = -1001234567890
TELEGRAM_TOKEN = "123456:bench-token"


def one_run(domains: int) -> float:
    with (
        h.FakeSlack() as slack,
        FakeTelegram() as tg,
        tempfile.TemporaryDirectory() as tmp,
    ):
        tg.add_chat(OPERATOR_TELEGRAM)
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(h.CONTRACT_PREFIXES) and k not in h.CONTRACT_NAMES
            },
            "DATABASE_URL": f"sqlite:///{Path(tmp) / 'fresh.db'}",
            "SLACK_BOT_TOKEN": h.TOKEN,
            "SLACK_API_URL": slack.url,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_API_URL": tg.base_url,
            "TELEGRAM_CHAT_ID": str(tg.add_forum(FORUM)),
            "PARALLELOS_OPERATORS": f"slack:{OPERATOR_SLACK},telegram:{OPERATOR_TELEGRAM}",
        }
        started = time.perf_counter()
        done = subprocess.run(
            [str(h.VENV_BIN / "parallelos"), "setup"], env=env, cwd=tmp,
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        took = time.perf_counter() - started
        if done.returncode != 0:
            sys.exit(f"parallelos setup failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        channels = [n for n in slack.channel_names() if n.startswith("pos-")]
        topics = tg.topics(FORUM)
        if len(channels) < domains + 1 or len(topics) < domains:
            sys.exit(f"incomplete: {len(channels)} channels, {len(topics)} topics")
        return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    domains = len(list((h.ROOT / "domains" / "charters").glob("*.md"))) - 1  # the hub is not one
    times = [one_run(domains) for _ in range(args.runs)]
    print(f"parallelos setup, fresh SQLite, Slack + Telegram stand-ins, {domains} domains + hub:")
    print(f"  runs {args.runs}: min {min(times):.2f} s, median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s")  # fmt: skip


if __name__ == "__main__":
    main()
