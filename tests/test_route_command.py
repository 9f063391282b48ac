"""`parallelos route --json` as a user runs it (CONTRACT §7.1): the installed command in its own
process, one JSON object with exactly its four keys, for one message or a line each from
standard input, in order; offline, from the shipped charters and model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PARALLELOS = Path(sys.executable).with_name("parallelos")
KEYS = {"domain", "confidence", "in_scope", "reason"}


def route(*args: str, stdin: str | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    return subprocess.run(
        [str(PARALLELOS), "route", "--json", *args], input=stdin, env=env, cwd=cwd,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_one_message_gives_one_object_with_the_contracts_keys(tmp_path: Path) -> None:
    done = route("book the lisbon flights and hotel for march", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    answer = json.loads(line)
    assert set(answer) == KEYS
    assert answer["domain"] == "travel" and answer["in_scope"] is True
    assert 0.0 <= answer["confidence"] <= 1.0 and answer["reason"]


def test_standard_input_gives_a_line_each_in_order(tmp_path: Path) -> None:
    lines = [
        "book the lisbon flights and hotel for march",
        "should I sell my tesla shares now or hold them?",
        "and after that?",
        "what should I focus on today?",
    ]
    done = route("-", stdin="\n".join(lines) + "\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    answers = [json.loads(x) for x in done.stdout.splitlines()]
    assert len(answers) == len(lines) and all(set(a) == KEYS for a in answers)
    travel, advice, follow_up, whole = answers
    assert travel["domain"] == "travel" and travel["in_scope"] is True
    assert advice["in_scope"] is False  # a licensed judgement is declined
    assert follow_up["in_scope"] is True  # a short follow-up is never declined
    assert whole["domain"] is None and whole["in_scope"] is True  # the hub's


def test_a_symptom_left_hanging_and_a_short_licensed_question_are_declined(tmp_path: Path) -> None:
    """The learned boundary reads a statement that only implies its ask and a two-word question
    about a licensed subject; a bare follow-up of the same length stays in scope."""
    lines = [
        "lump under my jaw, soft, been there 2 weeks, no pain",
        "double dose ok?",
        "is that ok?",
    ]
    done = route("-", stdin="\n".join(lines) + "\n", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    statement, short, follow_up = (json.loads(x) for x in done.stdout.splitlines())
    assert statement["in_scope"] is False and statement["domain"] == "wellness"
    assert short["in_scope"] is False
    assert follow_up["in_scope"] is True
