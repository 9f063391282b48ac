"""How well a domain added by a user routes (issue 18, point 4): leave-one-domain-out style.

A ninth charter, `home`, is written from a one-line mission and a scope list only (no keyword
list, no examples: what a user adding a file would write), next to the eight shipped ones. It
prints how many messages meant for it route there (messages written for this check, never used
to tune anything), and how the shipped domains' dev split fares with the newcomer present.

    .venv/bin/python bench/new_domain.py
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.route_eval import SPLITS_DIR, evaluate_split, load_cases, print_split  # noqa: E402
from domains.charter import SHIPPED_DIR, load_charters  # noqa: E402
from orchestrator.router import Router  # noqa: E402

MISSION = "Keep the household running: repairs, utilities, cleaning, groceries, the home's papers."
SCOPE = [
    "Repairs and maintenance: plumber, electrician, boiler service, broken appliances",
    "Utilities and services: electricity, gas, water, internet, moving a contract",
    "Cleaning, laundry, the cleaner's schedule, decluttering",
    "Groceries and household supplies: the shopping list, deliveries",
    "The home's paperwork: the lease or mortgage documents, home insurance, council tax",
]


def home_charter() -> str:
    """The learning charter's form with home's mission and scope, and no routing vocabulary,
    examples or tests: the router sees only what a user writing a new file would give."""
    text = (SHIPPED_DIR / "learning.md").read_text()
    _, front, body = text.split("---", 2)
    data = yaml.safe_load(front)
    data.update(name="home", title="Home", mission=MISSION, in_scope=SCOPE,
                out_of_scope=["Paying bills and budgeting (finance)"])  # fmt: skip
    for key in ("routing", "tests", "briefs"):
        data.pop(key, None)
    return "---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n# Home\n"


MESSAGES = [
    "the kitchen tap is dripping again, get a plumber",
    "boiler service is due next month",
    "add oat milk and dish soap to the shopping list",
    "internet is down since this morning, call the provider",
    "cleaner comes thursday instead of friday this week",
    "washing machine broke 🙄 find a repair person",
    "switch the electricity contract to the green tariff",
    "schedule the chimney sweep",
    "we're out of laundry detergent",
    "grocery delivery for saturday morning",
    "declutter the garage this weekend",
    "the fridge is making a weird noise",
    "renew the home insurance before it lapses",
    "book an electrician for the broken socket in the hall",
    "water meter reading is due",
    "lightbulb in the bathroom is out, buy spares",
    "arrange the move of the broadband to the new flat",
    "find the warranty for the dishwasher",
    "pest control for the mice in the attic",
    "gutter cleaning before winter",
]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for f in SHIPPED_DIR.glob("*.md"):
            shutil.copy(f, folder / f.name)
        (folder / "home.md").write_text(home_charter())
        router = Router(load_charters(folder))
        hits = asked = 0
        for text in MESSAGES:
            d = router.route(text)
            hits += d.domain == "home"
            asked += d.in_scope and d.domain is None
            if d.domain != "home":
                print(f"  miss: {text!r} -> {d.domain} {d.candidates}")
        n = len(MESSAGES)
        print(f"home (new, mission+scope only): {hits}/{n} = {hits / n:.1%} routed to it, "
              f"{asked} asked the user")  # fmt: skip
        print_split(
            evaluate_split(router, "dev with home added", load_cases(SPLITS_DIR / "dev.jsonl"))
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
