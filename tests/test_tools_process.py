"""`parallelos tools` as a user runs it: the installed command in its own process, starting the
charter's real MCP server (stdio) and stopping it again; exit status 0, 1 or 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.tool_support import tool_charters

PARALLELOS = Path(sys.executable).with_name("parallelos")


def tools(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PARALLELOS), "tools", *args], env={**os.environ, **env}, cwd=cwd,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_parallelos_tools_in_its_own_process(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}", "NOTES_DIR": str(notes),
           "PARALLELOS_DOMAINS_DIR": str(tool_charters(tmp_path))}  # fmt: skip

    done = tools("travel", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "travel:" and lines[1].endswith("): answers")
    assert "    read_note: read" in lines and "    add_note: effect" in lines

    everything = tools(env=env, cwd=tmp_path)
    assert everything.returncode == 0 and "finance: no tool servers" in everything.stdout

    unknown = tools("nowhere", env=env, cwd=tmp_path)
    assert unknown.returncode == 2 and "unknown domain 'nowhere'" in unknown.stdout + unknown.stderr
