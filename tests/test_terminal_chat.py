"""`parallelos chat`: piped stdin line by line with plain output (a real process), and the
interactive prompt driven through prompt_toolkit's own pipe input (no real terminal)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from bot.terminal import run_chat
from domains import store
from orchestrator.dashboard import dashboard
from tests.helpers import make_services

ALT_ENTER = "\x1b\r"  # Esc then Enter, as a terminal sends Alt+Enter
EOF = "\x04"  # Ctrl-D on an empty line


def _chat_process(db, tmp_path: Path, stdin: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    parallelos = Path(sys.executable).with_name("parallelos")
    return subprocess.run(
        [str(parallelos), "chat"], input=stdin,
        env={**os.environ, "DATABASE_URL": db.url, "XDG_DATA_HOME": str(tmp_path / "data")},
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_piped_lines_are_answered_in_plain_text(db, tmp_path):
    """Each stdin line is a message or command; answers come back as plain text, no colour."""
    done = _chat_process(db, tmp_path, "/help\n\nPhase: planning\n")
    assert done.returncode == 0, done.stderr
    assert "Commands:" in done.stdout
    assert "\x1b[" not in done.stdout  # plain output when stdout is not a terminal
    with db.session() as s:  # a status line in the DM is not the travel doc's
        assert store.load_doc(s, "travel").phase == ""
    assert not (tmp_path / "data").exists()  # no prompt, no history file


def test_piped_channel_switch_reaches_the_domain(db, tmp_path):
    """`/channel travel` and `#travel …` move the talk to a domain's channel; bad names are
    refused in words and change nothing."""
    done = _chat_process(
        db, tmp_path,
        "/channel travel\nPhase: booking\n/channel atlantis\n#dm\n#travel Decision: fly Friday\n",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "Now talking in #travel." in done.stdout
    assert "No domain 'atlantis'." in done.stdout
    assert "[#local-travel]" in done.stdout
    with db.session() as s:
        doc = store.load_doc(s, "travel")
    assert (doc.phase, doc.decision) == ("booking", "fly Friday")


def test_interactive_switch_multiline_and_numbered_buttons(db, tmp_path):
    """Through prompt_toolkit: `/channel travel`, a two-line status update sent as one message
    (Alt+Enter adds the line), an Ask's card in #finance with numbered buttons, and `1`
    pressing its first button (Accept); history lands in the file given."""
    svc = make_services(db)
    screen = io.StringIO()
    history = tmp_path / "hist" / "chat-history"
    keys = (
        "/channel travel\r"
        f"Phase: booking{ALT_ENTER}Decision: fly on Friday\r"
        "Ask finance: pay the deposit\r"
        "1\r"
        "9\r" + EOF  # no button 9: sent as a message, nothing pressed
    )
    with create_pipe_input() as pipe:
        pipe.send_text(keys)
        code = run_chat(
            svc, history=history, pt_input=pipe, pt_output=DummyOutput(),
            console=Console(file=screen, width=120, color_system=None),
        )  # fmt: skip
    assert code == 0
    shown = screen.getvalue()
    assert "Now talking in #travel." in shown
    with db.session() as s:
        doc = store.load_doc(s, "travel")
        inbox = dashboard(s, svc.features)["inbox"]
    assert (doc.phase, doc.decision) == ("booking", "fly on Friday")  # one message, two lines
    assert [(i["to"], i["status"]) for i in inbox] == [("finance", "accepted")]
    assert "[1] Accept  [2] Done  [3] Decline" in shown and "#finance" in shown
    assert "(updated)" in shown and "[4] Done" in shown  # the updated card's buttons, renumbered
    assert "Noted for travel." in shown  # `9`, no such button: a message, kept as a note
    saved = history.read_text()
    assert "+/channel travel" in saved and "+Decision: fly on Friday" in saved
