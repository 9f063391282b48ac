"""`parallelos charter test`: the charters' own cases, offline; exit 1 on a wrong expectation.
`make test` runs the shipped charters' cases through this file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from domains.charter import SHIPPED_DIR
from tests.charter_support import charter_dir

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, domains: Path = SHIPPED_DIR) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "PARALLELOS_DOMAINS_DIR": str(domains)}
    return subprocess.run(
        [sys.executable, "-m", "parallelos.cli", "charter", "test", *args],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip


def test_the_shipped_charters_pass_their_own_cases():
    """Every shipped charter has cases, and they all pass (each printed plainly)."""
    done = run()
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].endswith(" passed, 0 failed")
    for name in (
        "career",
        "content",
        "finance",
        "learning",
        "legal",
        "travel",
        "venture",
        "wellness",
    ):
        assert any(line.startswith(f"ok   {name}: ") for line in lines), name
    assert (
        "ok   finance: “should i put my savings into nvidia before earnings?” → decline"
        in done.stdout
    )


def test_a_wrong_expectation_fails_with_exit_1(tmp_path):
    """A case expecting the wrong domain is printed as a failure and the command exits 1."""
    domains = charter_dir(tmp_path)
    path = domains / "travel.md"
    path.write_text(path.read_text().replace("cheapest way from boston\", expect: travel}",
                                             "cheapest way from boston\", expect: legal}"))  # fmt: skip
    done = run("travel", domains=domains)
    assert done.returncode == 1
    assert ("FAIL travel: “need to be in NYC monday morning, cheapest way from boston” → "
            "expected legal, got travel") in done.stdout  # fmt: skip
    assert done.stdout.splitlines()[-1] == "3 passed, 1 failed"
    assert run("nowhere", domains=domains).returncode == 1
