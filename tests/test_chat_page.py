"""The local chat page's server side: its channel list from the charters, plain `board`, the
refusals the page shows at the message, and the element ids the browser test drives."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import yaml
from sqlalchemy import select

from bot.local import local_name
from bot.web import create_app
from orchestrator.models import InboundEventRow, LogEvent
from orchestrator.settings import load_settings
from tests.dialogue import LocalDialogue
from tests.helpers import LocalClient, make_services

PAGE = Path(__file__).parent.parent / "bot" / "static" / "index.html"


def charters_plus(tmp_path: Path, name: str) -> Path:
    """The shipped charters plus one domain added by a file (a copy of travel's)."""
    folder = tmp_path / "charters"
    shutil.copytree(load_settings(_env_file=None).domains_dir, folder)
    _, front, body = (folder / "travel.md").read_text().split("---\n", 2)
    data = yaml.safe_load(front)
    data.pop("tests", None)  # travel's own routing cases expect travel, not the copy
    data["name"], data["mission"] = name, "Grow vegetables at home."
    (folder / f"{name}.md").write_text(f"---\n{yaml.safe_dump(data, sort_keys=False)}---\n{body}")
    return folder


def test_the_channel_list_comes_from_the_charters(db, tmp_path):
    shipped = ["career", "venture", "finance", "travel", "wellness", "learning", "content", "legal"]
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        domains = client.get("/api/dashboard").json()["domains"]
        assert sorted(d["name"] for d in domains) == sorted(shipped)
        travel = next(d for d in domains if d["name"] == "travel")
        assert travel["channel"] == "local-travel" and travel["title"]

    folder = charters_plus(tmp_path, "garden")
    svc = make_services(db, senders=None, PARALLELOS_DOMAINS_DIR=str(folder))
    with LocalClient(create_app(svc)) as client:
        names = [d["name"] for d in client.get("/api/dashboard").json()["domains"]]
        assert "garden" in names and len(names) == len(shipped) + 1
        said = LocalDialogue(client).say("Headline: green seeds in", channel="local-garden")
        assert said.response.status_code == 200
        board = client.get("/api/dashboard").json()["board"]
        garden = next(r for r in board if r["domain"] == "garden")
        assert garden["headline_text"] == "seeds in"

    (folder / "garden.md").unlink()  # a removed domain's channel goes from the list
    svc = make_services(db, senders=None, PARALLELOS_DOMAINS_DIR=str(folder))
    with LocalClient(create_app(svc)) as client:
        names = [d["name"] for d in client.get("/api/dashboard").json()["domains"]]
        assert "garden" not in names


def test_a_removed_domains_channel_answers_once_that_it_is_gone(db, tmp_path, caplog):
    """A line in the channel of a domain whose file was removed: one clear answer, the event
    done at its first attempt, no worker traceback or retry, and nothing changed."""
    make_services(db, senders=None)  # the shipped charters recorded first, as on a real install
    folder = charters_plus(tmp_path, "garden")
    with LocalClient(
        create_app(make_services(db, senders=None, PARALLELOS_DOMAINS_DIR=str(folder)))
    ) as client:
        LocalDialogue(client).say("Headline: green seeds in", channel="local-garden")
    (folder / "garden.md").unlink()
    svc = make_services(db, senders=None, PARALLELOS_DOMAINS_DIR=str(folder))
    with LocalClient(create_app(svc)) as client:
        chat = LocalDialogue(client)
        changes = kinds(db).count("status.changed")
        caplog.clear()
        said = chat.say("Phase: harvest", channel="local-garden")
        assert said.response.status_code == 200
        (reply,) = chat.replies(said)
        assert "garden* domain no longer exists" in reply and "travel" in reply
        with db.session() as s:
            row = s.get(InboundEventRow, said.response.json()["event_id"])
            assert (row.status, row.attempts, row.error) == ("done", 1, None)
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
        assert kinds(db).count("status.changed") == changes


def kinds(db) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session() as s:
        return list(s.scalars(select(LogEvent.kind)))


def test_plain_board_is_the_board_command(db):
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        chat = LocalDialogue(client)
        slashed = chat.replies(chat.say("/board"))
        plain = chat.replies(chat.say("board"))
        assert len(plain) == 1 and plain == slashed
        assert "not sure" not in plain[0].lower()
        assert chat.replies(chat.say("Help")) == chat.replies(chat.say("/help"))
        assert chat.replies(chat.say("status travel")) == chat.replies(chat.say("/status travel"))


def test_a_sentence_starting_with_a_command_word_is_still_routed(db):
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        chat = LocalDialogue(client)
        (reply,) = chat.replies(chat.say("help me book flights to lisbon in march"))
        assert "travel" in reply and "Commands:" not in reply
        # in a domain's channel a bare word is not a command: it is said there, as before
        in_channel = chat.replies(chat.say("board", channel="local-travel"))
        assert in_channel != chat.replies(chat.say("/board", channel="local-travel"))


def test_a_refused_message_has_an_error_text_for_the_page(db):
    """The page marks a refused message failed with the server's words: the answer carries
    them (`detail`), and nothing is stored or answered."""
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        before = client.get("/api/chat/messages").json()["last"]
        refused = client.post("/api/chat", json={"text": "x" * 50_000, "channel": "local-dm"})
        assert refused.status_code == 400
        assert refused.json()["error"] == "bad request"
        assert "text" in refused.json()["detail"] and "40000" in refused.json()["detail"]
        assert "xxxx" not in refused.text  # the input is not echoed
        assert client.get(f"/api/chat/messages?after={before}").json()["messages"] == []


def test_the_page_names_the_ids_the_browser_test_uses():
    page = PAGE.read_text(encoding="utf-8")
    head, rest = page.split("-->", 1)
    for ident in ("channels", "messages", "composer-form", "composer", "send", "privacy", "dash"):
        assert f"#{ident} " in head and f'id="{ident}"' in rest
    assert "#welcome " in head and 'w.id = "welcome"' in rest
    assert '<textarea id="composer"' in rest and 'data-state="failed"' in head
    assert "src=" not in rest and 'href="http' not in rest  # no external assets, no CDN
    assert '"local-travel"' not in rest  # the channel list is not in the page


def test_typed_lines_come_back_in_order_each_after_the_post_it_followed(db):
    """`GET /api/chat/typed`: the page's own lines after a reload, each placed after the last
    delivered post it followed (the answer to the first line comes before the second)."""
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        d = LocalDialogue(client)
        first = d.say("Phase: planning the Lisbon offsite", channel="local-travel")
        answered = client.get("/api/chat/messages").json()["last"]
        assert answered > first.ref
        second = d.say("help")
        lines = client.get("/api/chat/typed").json()["lines"]
        assert [(x["channel"], x["text"]) for x in lines] == [
            ("local-travel", "Phase: planning the Lisbon offsite"),
            ("local-dm", "help"),
        ]
        assert lines[0]["after"] == first.ref and lines[1]["after"] == second.ref == answered
        assert client.get("/api/chat/typed", params={"limit": 0}).status_code == 400


def test_the_board_names_the_person_at_this_machine_not_an_identity(db):
    with LocalClient(create_app(make_services(db, senders=None))) as client:
        LocalDialogue(client).say("Headline: green flights booked", channel="local-travel")
        board = client.get("/api/dashboard").json()["board"]
        (travel,) = [r for r in board if r["domain"] == "travel"]
        assert travel["owner"] == local_name() and "local:" not in travel["owner"]
