"""The test suite's MCP server: the shipped notes server (examples/notes_server.py) plus two
tools for failures — `crash` ends the process mid-call, `wait` answers after `seconds`.

    python tests/mcp_server.py --dir DIR        # stdio, as a charter's `command` starts it
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "notes_server.py"


def main() -> None:
    spec = importlib.util.spec_from_file_location("notes_server", EXAMPLE)
    assert spec is not None and spec.loader is not None
    notes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(notes)
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    server = notes.build(Path(parser.parse_args().dir))

    @server.tool()
    def crash() -> str:
        """Ends the server's process in the middle of the call."""
        os._exit(3)

    @server.tool()
    def wait(seconds: float) -> str:
        """Answers after `seconds`."""
        time.sleep(seconds)
        return f"waited {seconds:g} s"

    @server.tool()
    def pid() -> str:
        """The server's process id."""
        return str(os.getpid())

    server.run()


if __name__ == "__main__":
    main()
