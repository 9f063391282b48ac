"""Provisioning (CONTRACT §2, §5): every domain's channel and topic exist from the start."""

from __future__ import annotations

import threading

import pytest

from orchestrator.canonical import Platform, Target
from orchestrator.provisioning import PlaceState
from orchestrator.workspace import inspect, provision
from tests import slack_support
from tests.slack_support import OPERATOR, slack_services
from tests.telegram_support import FORUM, close_sender, fake_telegram, telegram_services

DOMAINS = ["career", "content", "finance", "learning", "legal", "travel", "venture", "wellness"]
CHANNELS = {f"pos-{d}" for d in [*DOMAINS, "hub"]}


@pytest.fixture
def slack():  # type: ignore[no-untyped-def]
    with slack_support.FakeSlackHooks() as fake:
        yield fake


@pytest.fixture
def tg():  # type: ignore[no-untyped-def]
    with fake_telegram() as fake:
        yield fake


def slack_home(svc, domain: str) -> str:  # type: ignore[no-untyped-def]
    """The channel posts for `domain` go to now."""
    return svc.directory.resolve(Target(platform=Platform.SLACK, domain=domain)).channel


def states(reports) -> dict[str, PlaceState]:  # type: ignore[no-untyped-def]
    return {r.place.domain: r.state for r in reports}


def test_a_fresh_slack_workspace_gets_every_channel_furnished_and_pinned(db, slack):
    svc = slack_services(db, slack)
    reports = provision(svc)

    assert set(slack.channel_names()) == CHANNELS
    assert set(states(reports).values()) == {PlaceState.CREATED}
    finance = slack.channel("pos-finance")
    mission = svc.charters.get("finance").mission
    assert OPERATOR in finance["members"]
    assert finance["topic"]["value"] == mission[:250] == finance["purpose"]["value"]
    (guide,) = slack.pinned("pos-finance")
    assert "Decision:" in guide["text"] and "status finance" in guide["text"]
    assert "brief weekly" in slack.pinned("pos-hub")[0]["text"]


def test_a_second_run_creates_nothing_and_sets_nothing_again(db, slack):
    svc = slack_services(db, slack)
    provision(svc)
    before = {m: len(slack.calls(m)) for m in ("conversations.create", "conversations.setTopic",
                                              "chat.postMessage", "pins.add")}  # fmt: skip

    again = provision(slack_services(db, slack))  # a restart: a new process, same database

    assert set(states(again).values()) == {PlaceState.READY}
    assert {m: len(slack.calls(m)) for m in before} == before


def test_racing_setups_create_each_channel_and_guide_once(db, slack):
    """Two processes provisioning at the same moment: nine channels, nine guides."""
    first, second = slack_services(db, slack), slack_services(db, slack)
    barrier = threading.Barrier(2)
    results: list[list] = []

    def run(svc) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        results.append(provision(svc))

    threads = [threading.Thread(target=run, args=(s,)) for s in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 2
    assert sorted(slack.channel_names()) == sorted(CHANNELS)
    assert len(slack.calls("pins.add")) == len(CHANNELS)
    assert all(len(slack.pinned(name)) == 1 for name in CHANNELS)


def test_a_renamed_channel_is_found_by_its_id_and_an_archived_one_is_not_duplicated(db, slack):
    svc = slack_services(db, slack)
    provision(svc)
    finance = slack.channel_id("pos-finance")
    slack.rename("pos-finance", "money")
    slack.archive("pos-travel")

    reports = {r.place.domain: r for r in provision(slack_services(db, slack))}

    assert reports["finance"].state is PlaceState.RENAMED
    assert reports["finance"].channel == finance and reports["finance"].name == "#money"
    assert reports["travel"].state is PlaceState.ARCHIVED
    assert "pos-finance" not in slack.channel_names()
    assert slack.channel_names().count("pos-travel") == 1
    assert slack_home(svc, "finance") == finance


def test_an_existing_channel_is_adopted_not_duplicated(db, slack):
    """A person made #pos-legal before the first start: the bot joins it and uses it."""
    legal = slack.add_channel("pos-legal", is_member=False)
    svc = slack_services(db, slack)

    assert states(provision(svc))["legal"] is PlaceState.READY

    assert slack.channel_names().count("pos-legal") == 1
    assert slack.channel(legal)["is_member"]
    assert slack_home(svc, "legal") == legal


def test_a_domain_added_by_a_file_gets_its_channel_on_the_next_start(db, slack, tmp_path):
    charters = charters_with(tmp_path, "garden")
    provision(slack_services(db, slack))
    assert "pos-garden" not in slack.channel_names()

    reports = provision(slack_services(db, slack, PARALLELOS_DOMAINS_DIR=str(charters)))

    assert states(reports)["garden"] is PlaceState.CREATED
    assert "pos-garden" in slack.channel_names()
    assert slack.channel("pos-garden")["topic"]["value"] == "Grow vegetables at home."


def test_inspect_reports_missing_and_archived_places_and_creates_nothing(db, slack):
    svc = slack_services(db, slack)
    assert set(states(inspect(svc)).values()) == {PlaceState.MISSING}
    assert slack.calls("conversations.create") == []
    provision(svc)
    slack.archive("pos-legal")

    found = states(inspect(slack_services(db, slack)))

    assert found["legal"] is PlaceState.ARCHIVED
    assert {s for d, s in found.items() if d != "legal"} == {PlaceState.READY}


# -- Telegram --------------------------------------------------------------------------------
def test_a_fresh_forum_gets_a_topic_per_domain_commands_and_a_description(db, tg):
    svc = telegram_services(db, tg)
    try:
        provision(svc)
        provision(telegram_services(db, tg))  # a restart creates nothing more
    finally:
        close_sender(svc)

    assert sorted(tg.topics(FORUM).values()) == DOMAINS
    assert len(tg.calls("createForumTopic")) == len(DOMAINS)
    for scope in ({"type": "all_private_chats"}, {"type": "chat", "chat_id": FORUM}):
        names = [c["command"] for c in tg.commands(scope)]
        assert {"help", "board", "status", "reminders", "charter", "memory", "login"} <= set(names)
    assert "domain" in tg.about[("description", "")]
    assert tg.about[("short_description", "")]
    topic = {name: thread for thread, name in tg.topics(FORUM).items()}["finance"]
    (guide,) = [m for m in tg.messages(FORUM, topic) if m["message_id"] in tg.pins[FORUM]]
    assert "Decision:" in guide["text"]


def test_racing_setups_create_each_forum_topic_once(db, tg):
    """Telegram cannot list topics: the database's claim makes sure each is made once."""
    services = [telegram_services(db, tg), telegram_services(db, tg)]
    barrier = threading.Barrier(2)

    def run(svc) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        provision(svc)

    threads = [threading.Thread(target=run, args=(s,)) for s in services]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        for svc in services:
            close_sender(svc)

    assert sorted(tg.topics(FORUM).values()) == DOMAINS
    assert len(tg.calls("createForumTopic")) == len(DOMAINS)


def test_without_a_group_nothing_is_created_but_commands_are_set(db, tg):
    svc = telegram_services(db, tg, forum=False)
    try:
        assert provision(svc) == []
    finally:
        close_sender(svc)
    assert tg.calls("createForumTopic") == []
    assert tg.commands({"type": "all_private_chats"})


def charters_with(tmp_path, name: str):  # type: ignore[no-untyped-def]
    """The shipped charters plus one added by a file."""
    import shutil

    import yaml

    from orchestrator.settings import load_settings

    folder = tmp_path / "charters"
    shutil.copytree(load_settings(_env_file=None).domains_dir, folder)
    text = (folder / "travel.md").read_text()
    _, front, body = text.split("---\n", 2)
    data = yaml.safe_load(front)
    data.pop("tests", None)  # travel's own test cases expect travel, not the copy
    data["name"], data["mission"] = name, "Grow vegetables at home."
    (folder / f"{name}.md").write_text(f"---\n{yaml.safe_dump(data, sort_keys=False)}---\n{body}")
    return folder
