"""Screenshots on failure for the browser tests (a pytest plugin, listed in tests/conftest.py).

A test's pages are registered with `watch(request, page)`; when the test (or its set-up)
fails, each open page is photographed into tests/artifacts/ (ignored by git) and the paths are
printed in the failure's report, under "screenshots on failure". Nothing here imports
Playwright: without it the browser tests skip and this plugin does nothing.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["ARTIFACTS", "watch"]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PAGES = pytest.StashKey[list[Any]]()


def watch(request: pytest.FixtureRequest, page: Any) -> Any:
    """Photograph `page` if this test fails; returns the page."""
    request.node.stash.setdefault(PAGES, []).append(page)
    return page


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    pages = item.stash.get(PAGES, [])
    if report.failed and report.when in ("setup", "call") and pages:
        report.sections.append(("screenshots on failure", _photograph(item.nodeid, pages)))
    return report


def _photograph(nodeid: str, pages: list[Any]) -> str:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])
    lines = []
    for n, page in enumerate(pages):
        path = ARTIFACTS / f"{stem}-{n}.png"
        try:
            page.screenshot(path=str(path), full_page=True)
            lines.append(f"{path}  ({page.url})")
        except Exception as exc:  # a closed page or a crashed browser: say so, keep the report
            lines.append(f"no screenshot of page {n}: {type(exc).__name__}: {exc}")
    return "\n".join(lines)
