"""Take the README's dashboard screenshot (docs/img/dashboard.png) in Debian's chromium.

The real web app under uvicorn on a free loopback port, over a throw-away SQLite database
with a few status lines and one pending approval typed through the local chat API; then
Playwright (the system browser, never a download) photographs /dashboard.

    .venv/bin/python docs/screenshot.py [OUT.png]
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.web import create_app  # noqa: E402
from jobs.queue import SyncJobQueue  # noqa: E402
from jobs.runtime import install  # noqa: E402
from orchestrator.migrate import upgrade  # noqa: E402
from orchestrator.settings import load_settings  # noqa: E402
from parallelos.wiring import build_services  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
LINES = {
    "local-travel": "Phase: booking\nHeadline: green Lisbon trip on track\nNext: book flight; hotel",
    "local-career": "Phase: interviews\nHeadline: yellow two offers pending\nBlocker: reference",
    "local-legal": "Headline: red lease renewal due Friday\nNext: read clause 7",
}
PROPOSE = ("local-travel", "Propose: book the 9:40 flight to Lisbon")


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "img" / "dashboard.png"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/shot.db"
        upgrade(url)
        svc = build_services(
            load_settings(_env_file=None, DATABASE_URL=url), queue=SyncJobQueue(), senders=None
        )
        install(svc)
        server = uvicorn.Server(
            uvicorn.Config(create_app(svc), host="127.0.0.1", port=0, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        try:
            with httpx.Client(base_url=base) as web:
                token = {"X-CSRF-Token": web.get("/api/csrf").json()["csrf"]}
                for channel, text in [*LINES.items(), PROPOSE]:
                    sent = web.post(
                        "/api/chat", json={"text": text, "channel": channel}, headers=token
                    )
                    sent.raise_for_status()
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
                page = browser.new_page(viewport={"width": 800, "height": 900})
                page.goto(f"{base}/dashboard")
                page.wait_for_selector("article.approval")
                page.screenshot(path=str(out), full_page=False)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    print(f"wrote {out} ({out.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
