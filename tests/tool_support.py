"""MCP tool tests: a charters folder whose travel charter declares the test suite's MCP server
(tests/mcp_server.py, a real stdio subprocess on the official SDK's server side)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from sqlalchemy import select

from domains.charter import SHIPPED_DIR
from domains.tools.models import ToolCallRow
from orchestrator.db import Database

SERVER = Path(__file__).resolve().parent / "mcp_server.py"
ANCHOR = "approval_expiry_days: 2\n"  # travel's front matter, where the servers go


def servers_block(timeout: float = 5) -> str:
    return (
        "mcp_servers:\n"
        "  - name: notes\n"
        f"    command: {sys.executable}\n"
        f"    args: ['{SERVER}', '--dir', '${{NOTES_DIR}}']\n"
        f"    timeout_seconds: {timeout}\n"
        "    max_result_chars: 500\n"
        "    tools: {list_notes: read, read_note: read, add_note: effect, crash: read,"
        " wait: read}\n"
    )


def tool_charters(tmp_path: Path, timeout: float = 5) -> Path:
    target = tmp_path / "charters"
    shutil.copytree(SHIPPED_DIR, target)
    travel = target / "travel.md"
    travel.write_text(travel.read_text().replace(ANCHOR, ANCHOR + servers_block(timeout), 1))
    return target


def calls(db: Database) -> list[ToolCallRow]:
    with db.session() as s:
        return list(s.scalars(select(ToolCallRow).order_by(ToolCallRow.id)))
