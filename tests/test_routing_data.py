"""The labelled routing sets stay what their READMEs promise: labels consistent, no duplicates
within a set, the split done once (re-running it writes the same files)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SCRIPTS = DATA / "routing"


@pytest.mark.parametrize(
    "name",
    ["routing", "routing2", "routing3", "routing4", "routing5", "routing6", "routing7", "routing8"],
)
def test_a_routing_set_validates_and_its_split_is_reproducible(name: str) -> None:
    folder = DATA / name
    for script in ("split.py", "validate.py"):  # the near-duplicate scan is left to validate.py
        done = subprocess.run([sys.executable, str(SCRIPTS / script), str(folder), "--quick"],
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr


@pytest.mark.parametrize("name", ["routing6x", "routing7x", "routing8x"])
def test_a_training_only_set_validates(name: str) -> None:
    """The training-only sets are never split (they only train): labels and schema still hold."""
    done = subprocess.run([sys.executable, str(SCRIPTS / "validate.py"), str(DATA / name),
                           "--quick"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert not (DATA / name / "test.jsonl").exists()


def test_assembling_a_set_drops_near_duplicates_and_malformed_lines(tmp_path: Path) -> None:
    older = tmp_path / "older"
    older.mkdir()
    row = {"text": "book flights to lisbon for the march offsite", "kind": "clear",
           "domain": "travel", "decline": False, "boundary": None}  # fmt: skip
    (older / "all.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    writer = tmp_path / "w1" / "src"
    for kind, label, lines in (
        ("clear", "travel", ["Book flights to Lisbon for the March offsite!", "train to Porto sat"]),
        ("hard", "finance", ["travel :: refund the hotel deposit", "finance :: pay the gym",
                             "no separator here"]),
        ("boundary", "clinical", ["wellness :: double my dose tonight?", "nowhere :: x"]),
    ):  # fmt: skip
        (writer / kind).mkdir(parents=True, exist_ok=True)
        (writer / kind / f"{label}.txt").write_text("# a comment\n" + "\n".join(lines) + "\n")
    out = tmp_path / "new"
    done = subprocess.run([sys.executable, str(SCRIPTS / "assemble.py"), str(out),
                           str(tmp_path / "w1")], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    kept = lambda kind, label: [  # noqa: E731
        line for line in (out / "src" / kind / f"{label}.txt").read_text().splitlines()
        if not line.startswith("#")
    ]  # fmt: skip
    assert kept("clear", "travel") == ["train to Porto sat"]  # the other is near `older`'s row
    assert kept("hard", "finance") == ["travel :: refund the hotel deposit"]
    assert kept("boundary", "clinical") == ["wellness :: double my dose tonight?"]
    assert "kept 3, dropped 4" in done.stdout
    again = subprocess.run([sys.executable, str(SCRIPTS / "assemble.py"), str(out),
                            str(tmp_path / "w1")], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert again.returncode != 0 and "exists" in again.stderr
