"""The labelled routing sets stay what their READMEs promise: labels consistent, no duplicates
within a set, the split done once (re-running it writes the same files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SCRIPTS = DATA / "routing"


@pytest.mark.parametrize(
    "name", ["routing", "routing2", "routing3", "routing4", "routing5", "routing6"]
)
def test_a_routing_set_validates_and_its_split_is_reproducible(name: str) -> None:
    folder = DATA / name
    for script in ("split.py", "validate.py"):  # the near-duplicate scan is left to validate.py
        done = subprocess.run([sys.executable, str(SCRIPTS / script), str(folder), "--quick"],
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr


def test_the_training_only_set_validates() -> None:
    """routing6x is never split (it only trains): its labels and schema still hold."""
    done = subprocess.run([sys.executable, str(SCRIPTS / "validate.py"), str(DATA / "routing6x"),
                           "--quick"], capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr
    assert not (DATA / "routing6x" / "test.jsonl").exists()
