"""A small MCP server: a folder of Markdown notes (the example tool server of the README).

    python examples/notes_server.py --dir ~/notes      # speaks MCP over stdin/stdout

Tools: `list_notes` and `read_note` only read; `add_note` writes a file, so a charter declares
it an `effect` and every call waits for an operator's Approve. Built on the official `mcp` SDK's
server side (`MCPServer`); nothing here knows ParallelOS.
"""

from __future__ import annotations

import argparse
import os
import re
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,79}$")


def build(folder: Path) -> MCPServer:
    """The server over `folder` (created when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    server = MCPServer("notes")

    def path_of(name: str) -> Path:
        if not NAME.match(name):
            raise ToolError("a note's name is letters, digits, spaces, '-' or '_' (80 at most)")
        return folder / f"{name}.md"

    @server.tool()
    def list_notes() -> str:
        """The names of every note, one a line."""
        names = sorted(p.stem for p in folder.glob("*.md"))
        return "\n".join(names) or "(no notes)"

    @server.tool()
    def read_note(name: str) -> str:
        """The text of one note."""
        path = path_of(name)
        if not path.exists():
            raise ToolError(f"there is no note '{name}'")
        return path.read_text(encoding="utf-8")

    @server.tool()
    def add_note(name: str, text: str) -> str:
        """Append a paragraph to a note (created when missing)."""
        path = path_of(name)
        with path.open("a", encoding="utf-8") as f:
            f.write(text.rstrip() + "\n")
        return f"added {len(text)} characters to '{name}'"

    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.environ.get("NOTES_DIR", "notes"))
    build(Path(parser.parse_args().dir).expanduser()).run()


if __name__ == "__main__":
    main()
