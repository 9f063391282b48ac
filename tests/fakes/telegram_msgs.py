"""Message methods of FakeTelegram: send, edit, delete, answer, forum topics (a mixin)."""

from __future__ import annotations

import copy
import time
from typing import TYPE_CHECKING, Any

from tests.fakes.telegram_html import HtmlError, parse_html
from tests.fakes.telegram_state import TEXT_MAX, TelegramError, bad_request, keyboard_error

if TYPE_CHECKING:
    from tests.fakes.telegram_api import FakeTelegram

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
CHAT_ACTIONS = frozenset({
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note",
    "upload_video_note",
})  # fmt: skip
HIDDEN = ("raw_text", "parse_mode")  # kept for tests, not part of the Bot API Message


class MessageMethods:
    """sendMessage, editMessageText/ReplyMarkup, deleteMessage, answerCallbackQuery, topics,
    sendChatAction, sendMessageDraft."""

    def _message_methods(self: FakeTelegram) -> dict[str, Any]:
        return {
            "sendMessage": self._send,
            "editMessageText": self._edit_text,
            "editMessageReplyMarkup": self._edit_markup,
            "deleteMessage": self._delete,
            "answerCallbackQuery": self._answer_callback,
            "createForumTopic": self._create_topic,
            "pinChatMessage": self._pin,
            "sendChatAction": self._chat_action,
            "sendMessageDraft": self._draft,
        }

    def _chat_action(self: FakeTelegram, params: dict[str, Any]) -> bool:
        """sendChatAction: a known chat and one of the Bot API's actions."""
        self._chat(params)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _draft(self: FakeTelegram, params: dict[str, Any]) -> bool:
        """sendMessageDraft (Bot API 9.5+, 10.0): private chats only, a non-zero draft_id;
        an ephemeral preview, never a stored message. Empty text shows "Thinking…"."""
        chat = self._chat(params)
        if chat.get("type") != "private":
            raise bad_request("TEXTDRAFT_PEER_INVALID")
        if not params.get("draft_id"):
            raise bad_request("invalid draft_id specified")
        if len(str(params.get("text") or "")) > TEXT_MAX:
            raise bad_request("message is too long")
        return True

    def _pin(self: FakeTelegram, params: dict[str, Any]) -> bool:
        """pinChatMessage: the message must exist; pinning it again changes nothing."""
        message = self._stored(params, "message to pin not found")
        pins = self.pins.setdefault(message["chat"]["id"], [])
        if message["message_id"] not in pins:
            pins.append(message["message_id"])
        return True

    def _chat(self: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chats.get(params.get("chat_id"))  # type: ignore[arg-type]
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def _stored(self: FakeTelegram, params: dict[str, Any], missing: str) -> dict[str, Any]:
        chat = self._chat(params)
        for message in self._messages[chat["id"]]:
            if message["message_id"] == params.get("message_id"):
                return message
        raise bad_request(missing)

    def _plain(self: FakeTelegram, params: dict[str, Any]) -> str:
        text = str(params.get("text") or "")
        if not text.strip():
            raise bad_request("message text is empty")
        mode = str(params.get("parse_mode") or "").lower()
        if mode not in ("", "html", "markdown", "markdownv2"):
            raise bad_request(f"unsupported parse_mode {params['parse_mode']}")
        try:
            plain = parse_html(text) if mode == "html" else text
        except HtmlError as exc:
            raise bad_request(f"can't parse entities: {exc}") from exc
        if len(plain) > TEXT_MAX:
            raise bad_request("message is too long")
        return plain

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        error = keyboard_error(markup)
        if error:
            raise bad_request(error)
        return markup or None

    def _send(self: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        thread = params.get("message_thread_id")
        if thread is not None and thread not in self._topics.get(chat["id"], {}):
            raise bad_request("message thread not found")
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()),
            "chat": copy.deepcopy(chat),
            "from": {k: self.bot_user[k] for k in ("id", "is_bot", "first_name", "username")},
            "text": self._plain(params),
        }
        if thread is not None:
            message.update(message_thread_id=thread, is_topic_message=True)
        reply = params.get("reply_parameters") or {}
        reply_to = reply.get("message_id") or params.get("reply_to_message_id")
        lenient = reply.get("allow_sending_without_reply") or params.get(
            "allow_sending_without_reply"
        )
        if reply_to:
            try:
                replied = self._stored(
                    {**params, "message_id": reply_to}, "message to be replied not found"
                )
            except TelegramError:
                if not lenient:
                    raise
            else:
                message["reply_to_message"] = self._public(replied)
        markup = self._markup(params)
        if markup:
            message["reply_markup"] = markup
        message.update(raw_text=params["text"], parse_mode=params.get("parse_mode"))
        self._messages[chat["id"]].append(message)
        return self._public(message)

    def _edit_text(self: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params, "message to edit not found")
        text, markup = self._plain(params), self._markup(params)
        if text == message["text"] and markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        message.update(text=text, raw_text=params["text"], parse_mode=params.get("parse_mode"))
        self._set_markup(message, markup)
        return self._public(message)

    def _edit_markup(self: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
        message = self._stored(params, "message to edit not found")
        markup = self._markup(params)
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        self._set_markup(message, markup)
        return self._public(message)

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        """Like Telegram, an edit without reply_markup removes the inline keyboard."""
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _delete(self: FakeTelegram, params: dict[str, Any]) -> bool:
        message = self._stored(params, "message to delete not found")
        self._messages[message["chat"]["id"]].remove(message)
        return True

    def _answer_callback(self: FakeTelegram, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if not query_id or query_id in {a["callback_query_id"] for a in self.answered}:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > 200:
            raise bad_request("MESSAGE_TOO_LONG")
        self.answered.append({**params, "callback_query_id": query_id})
        return True

    def _create_topic(self: FakeTelegram, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(params)
        name = str(params.get("name") or "")
        if not chat.get("is_forum"):
            raise bad_request("the chat is not a forum")
        if not 1 <= len(name) <= 128:
            raise bad_request("TOPIC_NAME_INVALID")
        thread_id = self._next_message_id(chat["id"])  # the topic's service message
        self._topics.setdefault(chat["id"], {})[thread_id] = name
        return {
            "message_thread_id": thread_id,
            "name": name,
            "icon_color": params.get("icon_color", 7322096),
        }

    @staticmethod
    def _public(message: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in message.items() if k not in HIDDEN}
