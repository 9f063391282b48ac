"""Attachments (issue 11, point 5): Telegram photos, documents, voice notes and Slack shared
files are kept as references and answered; with a model, images and PDFs reach the agent as
content blocks, fetched at turn time through the platforms' stand-ins; what cannot be used (a
sticker, a location, an edit, an anonymous admin's post) gets one honest line."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select
from telegram import Update

from bot.slack_events import message_event as slack_message
from bot.telegram_events import BotIdentity, to_event
from domains import store
from domains.agent.loop import text_only, with_files_of
from orchestrator.attachments import summary
from orchestrator.canonical import Attachment, AttachmentKind, InboundEvent, Platform, Target
from orchestrator.models import LogEvent
from orchestrator.services import Services
from tests.agent_support import KEY, turns
from tests.dialogue import SlackDialogue, TelegramDialogue, telegram_message
from tests.fakes import slack_payloads as sp
from tests.fakes.anthropic_api import FakeAnthropic
from tests.slack_support import OPERATOR, FakeSlackHooks, slack_services
from tests.slack_support import running as slack_running
from tests.telegram_support import FORUM, fake_telegram, telegram_services
from tests.telegram_support import running as telegram_running

ME = BotIdentity(7000000001, "parallelos_bot")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"1 0 obj\n<<>>\nendobj\n" * 4
MB = 1024 * 1024
ANONYMOUS_ADMIN = 1087968824  # Telegram's GroupAnonymousBot


def with_media(update: dict[str, Any], **media: Any) -> dict[str, Any]:
    """The update's message carrying `media` (photo=…, document=…) instead of its text."""
    message = update["message"]
    caption = message.pop("text")
    if caption:
        message["caption"] = caption
    message.update(media)
    return update


def photo(file_id: str, size: int = 29176) -> list[dict[str, Any]]:
    return [
        {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 67,
         "file_size": 1200},
        {"file_id": file_id, "file_unique_id": "b", "width": 800, "height": 600,
         "file_size": size},
    ]  # fmt: skip


def document(file_id: str, name: str, mime: str, size: int) -> dict[str, Any]:
    return {"file_id": file_id, "file_unique_id": "d" + file_id, "file_name": name,
            "mime_type": mime, "file_size": size}  # fmt: skip


def translate(update: dict[str, Any]) -> InboundEvent | None:
    return to_event(Update.de_json(update, None), ME)


def topic_of(svc: Services, domain: str) -> int:
    thread = svc.directory.resolve(Target(platform=Platform.TELEGRAM, domain=domain)).thread
    assert thread is not None
    return int(thread)


# -- the edge: pure translation --------------------------------------------------------------
def test_telegram_photo_without_caption_is_an_image_reference():
    """A photo alone: no text, one image attachment (the largest size), nothing unsupported."""
    event = translate(with_media(telegram_message(""), photo=photo("AgADbig")))
    assert event is not None and event.text == "" and event.unsupported is None
    assert event.attachments == (
        Attachment(kind=AttachmentKind.IMAGE, file_id="AgADbig", mime="image/jpeg", size=29176),
    )


def test_telegram_document_voice_video_and_audio_keep_name_type_and_size():
    """Each file kind becomes its reference, the caption its text."""
    doc = document("BQAD1", "receipt.pdf", "application/pdf", 52000)
    event = translate(with_media(telegram_message("the hotel receipt"), document=doc))
    assert event is not None and event.text == "the hotel receipt"
    (found,) = event.attachments
    assert (found.kind, found.name, found.mime, found.size) == (
        AttachmentKind.DOCUMENT, "receipt.pdf", "application/pdf", 52000)  # fmt: skip
    kinds = {
        "voice": ({"file_id": "AwAD", "file_unique_id": "v", "duration": 3,
                   "mime_type": "audio/ogg", "file_size": 9199}, AttachmentKind.VOICE),
        "audio": ({"file_id": "CQAD", "file_unique_id": "a", "duration": 60,
                   "title": "memo"}, AttachmentKind.AUDIO),
        "video": ({"file_id": "BAAD", "file_unique_id": "w", "width": 1, "height": 1,
                   "duration": 2}, AttachmentKind.VIDEO),
    }  # fmt: skip
    for field, (content, kind) in kinds.items():
        event = translate(with_media(telegram_message(""), **{field: content}))
        assert event is not None and event.attachments[0].kind is kind, field


def test_telegram_unusable_content_is_named_not_dropped():
    """A sticker, a location, a contact, a poll: an event naming what it is."""
    cases = {
        "sticker": ({"file_id": "CAAD", "file_unique_id": "k", "width": 512, "height": 512,
                     "is_animated": False, "is_video": False, "type": "regular"}, "a sticker"),
        "location": ({"latitude": 38.72, "longitude": -9.14}, "a location"),
        "contact": ({"phone_number": "+351000", "first_name": "Ana"}, "a contact"),
    }  # fmt: skip
    for field, (content, what) in cases.items():
        event = translate(with_media(telegram_message(""), **{field: content}))
        assert event is not None and event.unsupported == what and not event.attachments


def test_telegram_forwarded_photo_is_kept_like_any_photo():
    """A forwarded message (forward_origin) with a photo and caption: its file and text."""
    update = with_media(telegram_message("from Ana: the boarding pass"), photo=photo("AgADfw"))
    update["message"]["forward_origin"] = {"type": "hidden_user", "date": 1700000000,
                                           "sender_user_name": "Ana"}  # fmt: skip
    event = translate(update)
    assert event is not None and event.attachments[0].file_id == "AgADfw"
    assert event.text == "from Ana: the boarding pass"


def test_telegram_anonymous_admin_and_channel_posts():
    """`sender_chat` is the group: an anonymous admin (marked); another chat: a channel (None)."""
    update = telegram_message("Phase: beta", user=ANONYMOUS_ADMIN, topic=12)
    update["message"]["from"].update(is_bot=True, first_name="Group", username="GroupAnonymousBot")
    update["message"]["sender_chat"] = {"id": FORUM, "type": "supergroup", "title": "ParallelOS"}
    event = translate(update)
    assert event is not None and event.anonymous and event.user_name is None
    update["message"]["sender_chat"] = {"id": -100777, "type": "channel", "title": "News"}
    assert translate(update) is None


def test_slack_file_share_and_forwarded_message():
    """bolt's file_share shape: a reference per file; a shared message's text is read too."""
    body = sp.message_channels("Hi there!", user=OPERATOR, channel="C111")
    body["event"].update(subtype="file_share", files=[
        {"id": "F111", "name": "file.png", "title": "file.png", "mimetype": "image/png",
         "filetype": "png", "size": 92582, "mode": "hosted"},
        {"id": "F222", "mode": "tombstone"},
    ])  # fmt: skip
    event = slack_message(body, bot_user_id=sp.BOT_USER_ID)
    assert event is not None and event.text == "Hi there!"
    assert event.attachments == (
        Attachment(kind=AttachmentKind.IMAGE, file_id="F111", name="file.png",
                   mime="image/png", size=92582),
    )  # fmt: skip
    shared = sp.message_channels("", user=OPERATOR, channel="C111")
    shared["event"]["attachments"] = [
        {"is_share": True, "is_msg_unfurl": True, "author_name": "Ana",
         "text": "Decision: fly on the 9:40", "fallback": "[March 3rd] Ana: Decision…"},
        {"from_url": "https://example.com", "title": "a link preview", "text": "not ours"},
    ]  # fmt: skip
    event = slack_message(shared, bot_user_id=sp.BOT_USER_ID)
    assert event is not None and event.text == "Ana: Decision: fly on the 9:40"


def test_summary_names_what_is_kept_and_what_is_not_read():
    """The reply line: kept files; offline nothing read; with a model, caps and kinds said."""
    pdf = Attachment(kind=AttachmentKind.DOCUMENT, file_id="1", name="big.pdf",
                     mime="application/pdf", size=30 * MB)  # fmt: skip
    voice = Attachment(kind=AttachmentKind.VOICE, file_id="2", size=9199)
    offline = summary([voice], model=False)
    assert "a voice note (voice, 9 KB)" in offline and "Without a language model" in offline
    line = summary([pdf, voice], model=True)
    assert "Big.pdf is 30 MB: I read files up to 20 MB." in line
    assert "I cannot listen to a voice note" in line and "Reading" not in line


# -- offline, through the webhook --------------------------------------------------------------
def test_offline_photo_in_a_topic_is_noted_and_answered(db):
    """A captionless photo in the travel topic: kept with the note, and the reply says so."""
    with fake_telegram() as tg:
        svc = telegram_services(db, tg)
        with telegram_running(svc) as client:
            d = TelegramDialogue(client, tg)
            topic = topic_of(svc, "travel")
            update = with_media(telegram_message("", topic=topic), photo=photo("AgADoff"))
            assert d.deliver(update).status_code == 200
            reply = tg.last("sendMessage").params["text"]
    assert "Kept a photo (image, 28 KB)" in reply and "cannot read files" in reply
    with db.session() as s:
        note = s.scalars(select(LogEvent).where(LogEvent.kind == "domain.note")).one()
    assert note.data["attachments"][0]["file_id"] == "AgADoff"
    assert tg.calls("getFile") == []  # offline: nothing fetched


def test_sticker_in_private_chat_and_anonymous_admin_get_one_line(db):
    """A sticker privately, an anonymous admin's status line in a topic: a clear answer each,
    and the status doc is unchanged."""
    with fake_telegram() as tg:
        svc = telegram_services(db, tg)
        with telegram_running(svc) as client:
            d = TelegramDialogue(client, tg)
            sticker = {"file_id": "CAAD", "file_unique_id": "k", "width": 512, "height": 512,
                       "is_animated": False, "is_video": False, "type": "regular"}  # fmt: skip
            d.deliver(with_media(telegram_message(""), sticker=sticker))
            assert "cannot use a sticker" in tg.last("sendMessage").params["text"]
            topic = topic_of(svc, "travel")
            anon = telegram_message("Phase: beta", user=ANONYMOUS_ADMIN, topic=topic)
            anon["message"]["from"].update(is_bot=True, username="GroupAnonymousBot")
            anon["message"]["sender_chat"] = {"id": FORUM, "type": "supergroup", "title": "P"}
            d.deliver(anon)
            last = tg.last("sendMessage").params
    assert "post as yourself" in last["text"] and last["message_thread_id"] == str(topic)
    with db.session() as s:
        assert store.load_doc(s, "travel").phase != "beta"


# -- with a model: the files reach the agent ---------------------------------------------------
def test_telegram_photo_reaches_the_agent_as_an_image_block(db, api: FakeAnthropic):
    """With a model, the photo is fetched at turn time (getFile, then the file URL) and sent
    as an image block; the checkpoint keeps no file bytes."""
    with fake_telegram() as tg:
        file_id = tg.add_file(PNG)
        svc = telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)
        with telegram_running(svc) as client:
            api.tools(("update_status", {"phase": "Booked"}))
            api.tools(("reply", {"text": "A boarding pass for the 9:40."}))
            topic = topic_of(svc, "travel")
            update = with_media(telegram_message("", topic=topic), photo=photo(file_id, len(PNG)))
            assert TelegramDialogue(client, tg).deliver(update).status_code == 200
            assert tg.files.downloads == {file_id: 1}  # once per run of the turn
    first, second = (r["messages"][0]["content"] for r in api.requests())
    assert first == second  # the whole turn sees the photo
    (image,) = [b for b in first if b["type"] == "image"]
    assert image["source"] == {"type": "base64", "media_type": "image/png",
                               "data": base64.b64encode(PNG).decode()}  # fmt: skip
    (turn,) = turns(db)
    saved = turn.data["checkpoint"]["messages"][0]["content"]
    assert all(b["type"] == "text" for b in saved)


def test_slack_shared_pdf_reaches_the_agent_as_a_document(db, api: FakeAnthropic):
    """A file_share in the bot's DM: files.info and the private download, with the bot token."""
    with FakeSlackHooks() as slack:
        svc = slack_services(db, slack, ANTHROPIC_API_KEY=KEY)
        with slack_running(svc) as client:
            api.text("The invoice is for 180 EUR.")
            d = SlackDialogue(client, slack)
            file = slack.add_file(PDF, name="invoice.pdf", mime="application/pdf")
            channel = slack.add_im(OPERATOR)
            ts = slack.add_message(channel, "what does this say? #finance", user=OPERATOR)
            body = sp.message_im("what does this say? #finance", user=OPERATOR,
                                 channel=channel, ts=ts)  # fmt: skip
            body["event"].update(subtype="file_share", files=[file])
            assert d.deliver(body).status_code == 200
            assert [c.params["file"] for c in slack.calls("files.info")] == [file["id"]]
    first = api.requests()[0]["messages"][0]["content"]
    (doc,) = [b for b in first if b["type"] == "document"]
    assert doc["source"]["media_type"] == "application/pdf" and doc["title"] == "invoice.pdf"
    assert base64.b64decode(doc["source"]["data"]) == PDF


def test_too_big_and_voice_are_answered_without_a_model_call(db, api: FakeAnthropic):
    """A 30 MB PDF and a voice note, no text: the reply names the cap and what cannot be
    heard; nothing is fetched and the model is not called."""
    with fake_telegram() as tg:
        svc = telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)
        with telegram_running(svc) as client:
            d = TelegramDialogue(client, tg)
            topic = topic_of(svc, "finance")
            big = document("BQbig", "statement.pdf", "application/pdf", 30 * MB)
            d.deliver(with_media(telegram_message("", topic=topic), document=big))
            assert "Statement.pdf is 30 MB: I read files up to 20 MB." in (
                tg.last("sendMessage").params["text"])  # fmt: skip
            voice = {"file_id": "AwAD", "file_unique_id": "v", "duration": 3,
                     "mime_type": "audio/ogg", "file_size": 9199}  # fmt: skip
            d.deliver(with_media(telegram_message("", topic=topic), voice=voice))
            assert "cannot listen to a voice note" in tg.last("sendMessage").params["text"]
            assert tg.calls("getFile") == []
    assert api.requests() == []


def test_a_file_that_cannot_be_fetched_is_named_to_the_agent(db, api: FakeAnthropic):
    """getFile refuses the id: the turn goes on, told that the file could not be fetched."""
    with fake_telegram() as tg:
        svc = telegram_services(db, tg, ANTHROPIC_API_KEY=KEY)
        with telegram_running(svc) as client:
            topic = topic_of(svc, "travel")
            update = with_media(telegram_message("look", topic=topic), photo=photo("AgADgone"))
            TelegramDialogue(client, tg).deliver(update)
            assert [c.status for c in tg.calls("getFile")] == [400]
    texts = [b.get("text", "") for b in api.requests()[0]["messages"][0]["content"]]
    assert any("could not be fetched" in t for t in texts)


def test_a_resumed_turn_gets_its_files_back_from_a_fresh_fetch():
    """A checkpoint holds the user turn without file bytes; a retry puts the new fetch back."""
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "x"}}
    fresh = {"role": "user", "content": [{"type": "text", "text": "ctx"}, image,
                                         {"type": "text", "text": "ask"}]}  # fmt: skip
    saved = text_only(fresh)
    assert [b["type"] for b in saved["content"]] == ["text", "text"]
    assert with_files_of(saved, fresh) == fresh
