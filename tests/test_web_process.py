"""The web process exactly as the Procfile starts it, seen from outside: its first start on a
fresh database records every charter file as version 1 (their test cases run in a child
process, not in the web process), and a one-time sign-in link never reaches its log (CONTRACT:
secrets never appear in logs; uvicorn's access log would write every path)."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import TEST_REDIS_URL
from tests.slack_support import wait_until

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _procfile_web() -> str:
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    return line.removeprefix("web:").strip()


def test_the_procfile_web_process_records_the_charters_and_logs_no_sign_in_link(tmp_path):
    port = _free_port()
    env = {
        "PATH": f"{BIN}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "REDIS_URL": TEST_REDIS_URL,
        "PARALLELOS_OPERATORS": "slack:U0WEB0001",
    }
    cli = [str(BIN / "parallelos")]
    subprocess.run([*cli, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    log = tmp_path / "web.log"
    link = secrets.token_urlsafe(32)
    with log.open("wb") as out:
        web = subprocess.Popen(["sh", "-c", f"exec {_procfile_web()}"], env=env, cwd=ROOT,
                               stdout=out, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"

            def up() -> bool:
                try:
                    return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
                except httpx.HTTPError:
                    return web.poll() is not None

            wait_until(up, timeout=120, what="the web process")
            assert web.poll() is None, log.read_text()
            refused = httpx.get(f"{base}/login/{link}", timeout=10)  # unknown: a refusal page
            assert refused.status_code >= 400 and link not in refused.text
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=60)
    text = log.read_text()
    assert link not in text
    assert "running them here" not in text, text  # the child process answered the cases
    listed = subprocess.run([*cli, "charter", "list"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True).stdout  # fmt: skip
    charters = (ROOT / "domains" / "charters").glob("*.md")
    for name in sorted(p.stem for p in charters if p.stem != "hub"):
        assert f"{name}\tactive v1\t" in listed, listed
