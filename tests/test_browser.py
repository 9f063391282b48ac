"""In a real browser (Debian's chromium, driven by Playwright with the system executable;
never a browser download), clicking through the local chat (`/`, its ids documented at the top
of bot/static/index.html) and the dashboard (`/dashboard`) as a person would:

- a DM routed and answered; a multi-line status update; an Ask accepted and done;
- an approval approved once, its buttons off; a new domain from a charter file;
- the dashboard updating live; the phone layout; a rebinding attempt refused.

The real web app runs under uvicorn on a loopback port, over a temporary SQLite database and
a copy of the shipped charters. Skips, saying why, where chromium or Playwright is missing
(`.ci/run` installs chromium with apt where it can). A failing test leaves a screenshot of
each of its pages in tests/artifacts/ and prints the path (tests/browser_support.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from bot.web import create_app
from domains.charter import SHIPPED_DIR
from orchestrator.db import Database
from orchestrator.models import InboundEventRow
from tests.browser_support import ARTIFACTS, watch
from tests.helpers import make_services
from tests.web_support import serving

CHROMIUM = Path("/usr/bin/chromium")
PROPOSE = "Propose: book the 9:40 flight to Lisbon"
REBOUND = "rebound.test"  # a name an attacker points at 127.0.0.1 (DNS rebinding)
ELSEWHERE = "http://attacker.test"  # a page on another origin

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the dev dependency `playwright` is not installed"
)
if not CHROMIUM.exists():
    pytest.skip(
        f"no {CHROMIUM}: install Debian's chromium (apt-get install -y chromium), "
        "as .ci/run does where apt is available",
        allow_module_level=True,
    )
expect = sync_api.expect
expect.set_options(timeout=15_000)  # a loaded machine: patience, never a timing threshold


class Site:
    """The web app over one database and charters folder; `restart` is a new web process on
    the same port (what a user does after adding a charter file)."""

    def __init__(self, db: Database, charters: Path) -> None:
        self.db, self.charters = db, charters
        self._running = ExitStack()
        self.url = ""

    def start(self, port: int = 0) -> None:
        svc = make_services(self.db, senders=None, PARALLELOS_DOMAINS_DIR=str(self.charters))
        self.url = self._running.enter_context(serving(create_app(svc), port=port))

    def stop(self) -> None:
        self._running.close()

    def restart(self) -> None:
        port = urlsplit(self.url).port or 0
        self.stop()
        self.start(port)

    @property
    def port(self) -> int:
        return urlsplit(self.url).port or 0

    @contextmanager
    def api(self) -> Iterator[httpx.Client]:
        """The local chat API, as the page uses it (its CSRF token in a header)."""
        with httpx.Client(base_url=self.url) as client:
            client.headers["X-CSRF-Token"] = client.get("/api/csrf").json()["csrf"]
            yield client

    def say(self, text: str, channel: str) -> None:
        with self.api() as web:
            answer = web.post("/api/chat", json={"text": text, "channel": channel})
        assert answer.status_code == 200, answer.text

    def dashboard(self) -> dict[str, Any]:
        with self.api() as web:
            return web.get("/api/dashboard").json()

    def events(self) -> int:
        """Inbound events stored (a refused request stores none)."""
        with self.db.session() as s:
            return s.scalar(select(func.count()).select_from(InboundEventRow)) or 0


@pytest.fixture
def site(sqlite_template: Path, tmp_path: Path) -> Iterator[Site]:
    path = tmp_path / "browser.db"
    shutil.copy(sqlite_template, path)
    charters = tmp_path / "charters"
    shutil.copytree(SHIPPED_DIR, charters)
    db = Database(f"sqlite:///{path}")
    running = Site(db, charters)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        db.dispose()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One chromium for the module; *.test names resolve to 127.0.0.1 (the rebinding test).
    Chromium's own Private Network Access checks are off, as in browsers without them: the
    rebinding test shows the server refuses by itself."""
    args = [
        "--host-resolver-rules=MAP *.test 127.0.0.1",
        "--no-proxy-server",
        "--disable-features=PrivateNetworkAccessSendPreflights,"
        "PrivateNetworkAccessRespectPreflightResults,BlockInsecurePrivateNetworkRequests,"
        "LocalNetworkAccessChecks",
    ]
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser: Any, request: pytest.FixtureRequest, **context: Any) -> Any:
    tab = browser.new_context(**context).new_page()
    tab.set_default_timeout(15_000)
    return watch(request, tab)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    tab = new_page(browser, request, viewport={"width": 1280, "height": 800})
    try:
        yield tab
    finally:
        tab.context.close()


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    tab = new_page(
        browser, request, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    try:
        yield tab
    finally:
        tab.context.close()


# -- the chat page, as a person uses it ------------------------------------------------------
def open_chat(page: Any, site: Site, channel: str = "") -> None:
    page.goto(f"{site.url}/" + (f"#{channel}" if channel else ""))
    expect(page.locator('#channels button[data-channel="local-travel"]')).to_be_visible()


def go_to(page: Any, channel: str, title: str) -> None:
    """Click a channel in the list; its name heads the page."""
    page.locator(f'#channels button[data-channel="{channel}"]').click()
    expect(page.locator("#channel-title")).to_have_text(title)


def type_message(page: Any, *lines: str) -> None:
    """Type lines into the composer, Shift+Enter between them, and send with Enter."""
    composer = page.locator("#composer")
    composer.click()
    for n, line in enumerate(lines):
        if n:
            composer.press("Shift+Enter")
        composer.press_sequentially(line)
    expect(composer).to_have_value("\n".join(lines))  # nothing was sent by Shift+Enter
    composer.press("Enter")
    expect(composer).to_have_value("")


def sent(page: Any, text: str) -> Any:
    """The user's own line in the open channel, once the server took it."""
    mine = page.locator("#messages .msg.me", has_text=text)
    expect(mine).to_have_attribute("data-state", "sent")
    return mine


def bot(page: Any, text: str) -> Any:
    """The bot's posts in the open channel containing `text`."""
    return page.locator("#messages .msg:not(.me)", has_text=text)


def no_horizontal_scroll(page: Any) -> None:
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


# -- the scenarios ---------------------------------------------------------------------------
def test_a_dm_is_routed_and_answered(site, page):
    """A question in the direct message: answered there, naming travel, and the question with
    its answer copied into #travel."""
    open_chat(page, site)
    expect(page.locator("#welcome")).to_contain_text("Welcome")  # first run: an empty DM
    type_message(page, "flights lisbon march?")
    sent(page, "flights lisbon march?")
    answer = bot(page, "→ travel")
    expect(answer).to_have_count(1)
    expect(answer).to_contain_text("Noted for travel")
    expect(page.locator("#welcome")).to_have_count(0)

    go_to(page, "local-travel", "#travel")
    expect(bot(page, "flights lisbon march?")).to_contain_text("direct message")  # the copy
    expect(bot(page, "Noted for travel")).to_have_count(1)  # ... and its answer
    go_to(page, "local-finance", "#finance")
    expect(page.locator("#messages .msg", has_text="lisbon")).to_have_count(0)  # only travel


def test_a_multi_line_status_update_is_parsed_into_its_fields(site, page):
    """Shift+Enter adds lines, Enter sends: each line updates its own field of the doc."""
    lines = ("Phase: planning", "Decision: fly TAP", "Next: book; pack", "Headline: green on track")
    open_chat(page, site, "local-travel")
    type_message(page, *lines)
    expect(sent(page, "Decision: fly TAP")).to_contain_text("\n".join(lines), use_inner_text=True)
    expect(bot(page, "Updated travel")).to_contain_text("phase → planning; decision → fly TAP")

    page.goto(f"{site.url}/dashboard/travel")
    for value in ("planning", "fly TAP"):  # the field's whole text: not the paste run together
        expect(page.get_by_text(value, exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("book; pack")
    expect(page.locator("main")).to_contain_text("on track")
    expect(page.locator("main")).not_to_contain_text("planning Decision")
    doc = site.dashboard()["status"]["travel"]
    assert (doc["phase"], doc["decision"], doc["next_steps"]) == ("planning", "fly TAP",
                                                                  ["book", "pack"])  # fmt: skip
    assert (doc["headline_color"], doc["headline_text"]) == ("green", "on track")


def test_an_ask_is_accepted_and_done_with_its_buttons(site, page):
    """`Ask finance high: … -- context` in #travel: a card in #finance with Accept, Done and
    Decline and its privacy note; Accept, then Done, each shown on the card in place."""
    open_chat(page, site, "local-travel")
    type_message(page, "Ask finance high: pay the hotel deposit -- the hotel wants 400 EUR")
    expect(bot(page, "Asked finance (high): inbox #1")).to_have_count(1)

    go_to(page, "local-finance", "#finance")
    card = bot(page, "Ask from travel → finance")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("pay the hotel deposit")
    expect(card.locator(".privacy")).to_contain_text("travel shared the ask and the context")
    expect(card.locator("button.act")).to_have_text(["Accept", "Done", "Decline"])
    card.get_by_role("button", name="Accept").click()
    expect(card).to_contain_text("Accepted by")  # the card, updated in place
    expect(card.locator("button.act")).to_have_text(["Done", "Decline"])
    expect(card.locator("button.act:enabled")).to_have_count(2)
    assert [(e["id"], e["status"]) for e in site.dashboard()["inbox"]] == [(1, "accepted")]

    go_to(page, "local-dm", "Direct message")  # `inbox` shows its state (the dashboard's
    type_message(page, "inbox")  # finance page lists no asks yet: its inbox view is coming)
    expect(bot(page, "travel → finance: pay the hotel deposit")).to_contain_text("accepted")

    go_to(page, "local-finance", "#finance")
    card.get_by_role("button", name="Done").click()
    expect(card).to_contain_text("Done by")
    expect(card.locator("button.act")).to_have_count(0)  # nothing left to press
    assert site.dashboard()["inbox"] == []  # no longer open
    go_to(page, "local-travel", "#travel")
    expect(bot(page, "finance did your ask #1")).to_have_count(1)  # travel is told


def hold_clicks(page: Any) -> list[Any]:
    """Clicks (POST /api/chat/click) are held at the browser until released."""
    held: list[Any] = []
    page.route("**/api/chat/click", lambda route: held.append(route))
    return held


def release(page: Any, held: list[Any]) -> None:
    for _ in range(600):  # the browser may not have sent the click yet: let it run
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page sent no click"
    for route in held:
        route.continue_()
    page.unroute("**/api/chat/click")


def test_an_approval_on_the_dashboard_is_approved_once(site, page):
    """Every domain on the board; the pending card's buttons are off while its click is on
    the way (held at the browser), then the card leaves the waiting list: approved once."""
    site.say(PROPOSE, "local-travel")
    board = site.dashboard()["board"]
    page.goto(f"{site.url}/dashboard")
    for row in board:
        expect(page.locator(f'[data-domain="{row["domain"]}"]')).to_contain_text(row["title"])
    card = page.locator("article.approval", has_text="book the 9:40 flight to Lisbon")
    expect(card).to_have_count(1)
    held = hold_clicks(page)
    card.get_by_role("button", name="Approve").click()
    expect(card.get_by_role("button", name="Approve")).to_be_disabled()  # while it is decided
    expect(card.get_by_role("button", name="Reject")).to_be_disabled()  # and its other button
    release(page, held)
    expect(card).to_have_count(0)  # decided: no longer waiting
    expect(page.locator("main")).to_contain_text("None waiting")
    kinds = [e["kind"] for e in site.dashboard()["events"]]
    assert kinds.count("approval.approved") == 1 and "approval.rejected" not in kinds


def test_an_approval_card_in_the_chat_is_approved_once_and_its_buttons_go_off(site, page):
    """`Propose: …` in #travel: its card's buttons go off at the click, the card is updated
    in place to say who approved, and the same click sent again decides nothing more."""
    open_chat(page, site, "local-travel")
    type_message(page, PROPOSE)
    card = bot(page, "book the 9:40 flight to Lisbon").filter(has=page.locator("button.act"))
    expect(card).to_have_count(1)
    held = hold_clicks(page)
    card.get_by_role("button", name="Approve").click()
    expect(card.locator("button.act:enabled")).to_have_count(0)  # off at once, while it goes
    release(page, held)
    decided = bot(page, "book the 9:40 flight to Lisbon").filter(has_text="approved by")
    expect(decided).to_have_count(1)  # the same card, updated in place
    expect(decided.locator("button.act")).to_have_count(0)
    with site.api() as web:  # the same click delivered again (a double click, a retry)
        card_row = next(
            m for m in web.get("/api/chat/messages").json()["messages"]
            if m["post"].get("buttons") and m["channel"] == "local-travel"
        )  # fmt: skip
        approve = next(b for b in card_row["post"]["buttons"] if b["label"] == "Approve")
        again = {"action": approve["action"], "value": approve["value"],
                 "message": card_row["key"], "channel": "local-travel"}  # fmt: skip
        assert web.post("/api/chat/click", json=again).status_code == 200
    data = site.dashboard()
    assert [e["kind"] for e in data["events"]].count("approval.approved") == 1
    assert data["approvals"] == [] and data["status"]["travel"]["decision"].startswith(
        PROPOSE.removeprefix("Propose: ")
    )


def garden_charter() -> str:
    """A charter a user writes for a new domain: the shipped form (learning's), their own
    name, mission and scope; no routing vocabulary, examples or test cases."""
    _, front, _ = (SHIPPED_DIR / "learning.md").read_text(encoding="utf-8").split("---", 2)
    data = yaml.safe_load(front)
    for key in ("routing", "tests", "briefs"):
        data.pop(key, None)
    data.update(
        name="garden", title="Garden", mission="Grow vegetables and keep the garden tidy.",
        in_scope=["Sowing, planting and harvesting vegetables", "Garden tools and chores"],
        out_of_scope=["Paying for anything (finance)"],
    )  # fmt: skip
    return f"---\n{yaml.safe_dump(data, sort_keys=False)}---\n# Garden\n"


def test_a_domain_added_by_a_file_appears(site, page):
    """CONTRACT §5: a user adds a domain by adding a file; the web process reads the charters
    at start. After a restart the chat lists its channel, it takes status lines, and the
    dashboard shows it."""
    open_chat(page, site)
    expect(page.locator('#channels button[data-channel="local-garden"]')).to_have_count(0)
    (site.charters / "garden.md").write_text(garden_charter(), encoding="utf-8")
    site.restart()
    page.reload()
    go_to(page, "local-garden", "#garden")
    type_message(page, "Headline: green seeds in")
    expect(bot(page, "Updated garden")).to_have_count(1)
    page.goto(f"{site.url}/dashboard")
    garden = page.locator('[data-domain="garden"]')
    expect(garden).to_contain_text("Garden")
    expect(garden).to_contain_text("seeds in")
    garden.get_by_role("link", name="Garden").click()
    expect(page).to_have_url(f"{site.url}/dashboard/garden")


def test_the_dashboard_updates_live(site, page):
    """Changes made elsewhere (the API) appear on open pages, without a reload."""
    page.goto(f"{site.url}/dashboard")
    travel = page.locator('[data-domain="travel"]')
    expect(travel).to_contain_text("Travel")
    page.evaluate("() => { window.notReloaded = true; }")
    site.say("Headline: red visa stuck at the consulate", "local-travel")
    expect(travel).to_contain_text("visa stuck at the consulate")  # waits; no reload
    site.say(PROPOSE, "local-travel")
    expect(page.locator("article.approval", has_text="9:40 flight")).to_have_count(1)
    assert page.evaluate("() => window.notReloaded") is True

    page.goto(f"{site.url}/dashboard/travel")
    page.evaluate("() => { window.notReloaded = true; }")
    site.say("Decision: take the night train", "local-travel")
    expect(page.locator("main")).to_contain_text("take the night train")
    assert page.evaluate("() => window.notReloaded") is True

    open_chat(page, site, "local-travel")  # the chat too: a line said elsewhere shows up
    page.evaluate("() => { window.notReloaded = true; }")
    site.say("Blocker: passport renewal", "local-travel")
    expect(bot(page, "blocker added: passport renewal")).to_have_count(1)
    assert page.evaluate("() => window.notReloaded") is True


def test_the_phone_layout(site, phone):
    """390×844: the channel list spans the screen (not a crushed sidebar), nothing scrolls
    sideways (a long unbroken line included), and back navigation works."""
    site.say("Phase: planning\nHeadline: yellow " + "waiting-on-the-visa-" * 12, "local-travel")
    open_chat(phone, site)
    nav = phone.locator("#channels").bounding_box()
    assert nav is not None and nav["width"] >= 380, nav
    travel = phone.locator('#channels button[data-channel="local-travel"]').bounding_box()
    assert travel is not None and travel["width"] >= 44 and travel["height"] >= 20, travel
    main = phone.locator("main").bounding_box()
    assert main is not None and main["width"] >= 380, main
    type_message(phone, "x" * 600)  # one unbroken word, wider than any phone
    sent(phone, "xxxx")
    no_horizontal_scroll(phone)
    go_to(phone, "local-travel", "#travel")
    no_horizontal_scroll(phone)

    phone.goto(f"{site.url}/dashboard")
    no_horizontal_scroll(phone)
    phone.locator('[data-domain="travel"]').get_by_role("link", name="Travel").tap()
    expect(phone).to_have_url(f"{site.url}/dashboard/travel")
    expect(phone.locator("main")).to_contain_text("planning")
    no_horizontal_scroll(phone)
    phone.get_by_role("link", name="← Board").tap()  # the page's own way back
    expect(phone).to_have_url(f"{site.url}/dashboard")
    phone.go_back()  # ... and the browser's
    expect(phone).to_have_url(f"{site.url}/dashboard/travel")
    phone.go_back()
    expect(phone).to_have_url(f"{site.url}/dashboard")
    phone.get_by_role("link", name="Chat").tap()
    expect(phone).to_have_url(f"{site.url}/")
    expect(phone.locator("#composer")).to_be_visible()


ATTACK = """async (button) => {
  const out = {};
  const get = async (path) => (await fetch(path)).status;
  out.page = await get("/");
  out.dashboard = await get("/api/dashboard");
  out.csrf = await get("/api/csrf");
  const post = async (path, body) => (await fetch(path, {method: "POST",
    headers: {"content-type": "application/json", "x-csrf-token": "guessed"},
    body: JSON.stringify(body)})).status;
  out.click = await post("/api/chat/click", button);
  out.chat = await post("/api/chat", {text: "Decision: wire it all", channel: "local-finance"});
  return out;
}"""


def test_a_rebinding_attempt_is_refused(site, page):
    """A page elsewhere, its name rebound to 127.0.0.1, cannot read the dashboard or press
    Approve; a cross-origin page cannot post either. 403, and nothing changes."""
    site.say("Propose: wire 5000 EUR to a new payee", "local-finance")
    before, count = site.dashboard(), site.events()
    (pending,) = before["approvals"]
    button = next(b for b in pending["buttons"] if b["label"] == "Approve")
    click = {"action": button["action"], "value": button["value"], "message": "",
             "channel": "local-finance"}  # fmt: skip

    rebound = f"http://{REBOUND}:{site.port}"
    refused = page.goto(f"{rebound}/dashboard")  # the name, opened in the browser
    assert refused is not None and refused.status == 403
    expect(page.locator("body")).to_contain_text("Host")
    # The attacker's page, served under that name before it was rebound; its script then
    # talks to this machine "same-origin".
    page.route(f"{rebound}/evil.html", lambda route: route.fulfill(
        body="<!doctype html><title>cats</title>", content_type="text/html"))  # fmt: skip
    page.goto(f"{rebound}/evil.html")
    found = page.evaluate(ATTACK, click)
    assert found == {"page": 403, "dashboard": 403, "csrf": 403, "click": 403, "chat": 403}

    # A page on another origin posting straight to 127.0.0.1 (a "simple" no-cors request).
    page.route(f"{ELSEWHERE}/", lambda route: route.fulfill(
        body="<!doctype html><title>news</title>", content_type="text/html"))  # fmt: skip
    page.goto(f"{ELSEWHERE}/")
    with page.expect_response(f"{site.url}/api/chat") as answer:
        page.evaluate(
            """(url) => fetch(url, {method: "POST", mode: "no-cors", credentials: "include",
                headers: {"content-type": "text/plain"},
                body: JSON.stringify({text: "Decision: hacked", channel: "local-travel"})})""",
            f"{site.url}/api/chat",
        )
    assert answer.value.status in (400, 403)

    after = site.dashboard()
    assert site.events() == count
    assert after["approvals"] == before["approvals"]  # still waiting for an operator
    assert after["status"]["finance"]["decision"] == before["status"]["finance"]["decision"]
    assert after["status"]["travel"]["decision"] == before["status"]["travel"]["decision"]


def test_the_chat_page_answers_board(site, page):
    """`/board` and a plain `board` typed in the chat page's composer: the headline board
    comes back for each."""
    open_chat(page, site)
    for typed in ("/board", "board"):
        type_message(page, typed)
    expect(bot(page, "Travel")).to_have_count(2)


README_PICTURE = ARTIFACTS / "dashboard.png"  # copied to docs/img/dashboard.png for the README


def test_the_dashboard_as_the_readme_shows_it(site, page):
    """A few domains' lines and one approval waiting, photographed at 800×900: the README's
    picture is this test's own output (copy it to docs/img/ to update the README)."""
    for channel, text in [
        ("local-travel", "Phase: booking\nHeadline: green Lisbon trip on track\nNext: book flight; hotel"),
        ("local-career", "Phase: interviews\nHeadline: yellow two offers pending\nBlocker: reference"),
        ("local-legal", "Headline: red lease renewal due Friday\nNext: read clause 7"),
        ("local-travel", PROPOSE),
    ]:  # fmt: skip
        site.say(text, channel)
    page.set_viewport_size({"width": 800, "height": 900})
    page.goto(f"{site.url}/dashboard")
    expect(page.locator("article.approval", has_text="9:40 flight")).to_have_count(1)
    expect(page.locator('[data-domain="legal"]')).to_contain_text("lease renewal due Friday")
    README_PICTURE.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(README_PICTURE), full_page=False)
    assert 10_000 < README_PICTURE.stat().st_size < 400_000  # a real picture, and a small one
