"""Renderers keep Slack's and Telegram's limits and never emit broken markup."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.models.blocks import Block
from telegram import Bot, InlineKeyboardMarkup

from bot.actions import decode_action, encode_action
from bot.slack_render import render_slack
from bot.telegram_render import markdown, render_telegram, split_html
from orchestrator.canonical import Button, ButtonStyle, Field_, Post
from tests.fakes import FakeSlack, FakeTelegram
from tests.fakes.slack_blocks import block_errors
from tests.fakes.telegram_html import parse_html


def lines(n: int, width: int = 60) -> str:
    return "\n".join(f"{i:05d} " + "x" * (width - 6) for i in range(n))


def section_texts(rendered: dict[str, Any]) -> list[str]:
    return [b["text"]["text"] for b in rendered["blocks"] if b["type"] == "section" and "text" in b]


def approve(value: str = "42") -> list[Button]:
    return [
        Button(label="Approve", action="approve", value=value, style=ButtonStyle.PRIMARY),
        Button(label="Reject", action="reject", value=value, style=ButtonStyle.DANGER),
    ]


# -- actions ----------------------------------------------------------------------------------
def test_actions_round_trip() -> None:
    """encode/decode are inverse, values may hold colons, junk is refused."""
    assert encode_action("approve", "42") == "approve:42"
    assert decode_action(encode_action("inbox_accept", "a:b")) == ("inbox_accept", "a:b")
    for junk in ("approve", ":42", "Approve:1"):
        with pytest.raises(ValueError):
            decode_action(junk)


# -- Slack ------------------------------------------------------------------------------------
def test_slack_blocks_layout_and_buttons() -> None:
    """Header, text, sections, fields, buttons with encoded action_id, context footer."""
    post = Post(
        title="Approval",
        text="Book *hotel*",
        sections=[Field_(label="Why", value="cheap")],
        fields=[Field_(label="Cost", value="€120")],
        buttons=approve(),
        context="travel",
    )
    rendered = render_slack(post)
    kinds = [b["type"] for b in rendered["blocks"]]
    assert kinds == ["header", "section", "section", "section", "actions", "context"]
    buttons = rendered["blocks"][4]["elements"]
    assert [(b["action_id"], b["value"], b["style"]) for b in buttons] == [
        ("approve:42", "42", "primary"), ("reject:42", "42", "danger")]  # fmt: skip
    assert rendered["text"] == "Approval\nBook hotel"  # notifications show no markup
    for block in rendered["blocks"]:
        Block.parse(block).validate_json()  # slack_sdk's own limits


def test_slack_escapes_control_characters() -> None:
    """&, < and > are escaped in text and fallback, so `<!channel>` cannot ping anyone."""
    rendered = render_slack(Post(text="a & b <!channel> <@U1>", context="x<y"))
    assert section_texts(rendered) == ["a &amp; b &lt;!channel&gt; &lt;@U1&gt;"]
    assert rendered["text"] == "a &amp; b &lt;!channel&gt; &lt;@U1&gt;"
    assert rendered["blocks"][-1]["elements"][0]["text"] == "x&lt;y"


def test_slack_long_text_splits_on_lines_at_3000() -> None:
    """Text over 3000 characters becomes several sections cut between lines, nothing lost."""
    text = lines(120)  # ~7,300 characters
    chunks = section_texts(render_slack(Post(text=text)))
    assert len(chunks) == 3 and all(len(c) <= 3000 for c in chunks)
    assert "\n".join(chunks) == text


def test_slack_overlong_line_never_splits_an_entity() -> None:
    """A single 7000-character line is cut at spaces and never inside &amp;."""
    text = " ".join(["a&b"] * 1750)
    chunks = section_texts(render_slack(Post(text=text)))
    assert all(len(c) <= 3000 for c in chunks) and len(chunks) > 2
    assert all(c.count("&") == c.count("&amp;") for c in chunks)
    assert " ".join(chunks) == text.replace("&", "&amp;")


def test_slack_caps_at_50_blocks_keeping_buttons() -> None:
    """A post that would pass 50 blocks is cut with "…(n more lines)"; buttons stay."""
    sections = [Field_(label=f"S{i}", value=f"line {i}") for i in range(80)]
    rendered = render_slack(
        Post(title="Big", text="", sections=sections, buttons=approve(), context="footer")
    )
    blocks = rendered["blocks"]
    assert len(blocks) == 50 and block_errors(blocks) == []
    assert blocks[-3]["elements"][0]["text"] == "…(68 more lines)"  # 34 sections x 2 lines
    assert [b["type"] for b in blocks[-2:]] == ["actions", "context"]


def test_slack_fields_chunk_by_ten_and_title_clips() -> None:
    """23 fields make three field sections; a long title is clipped to 150 characters."""
    fields = [Field_(label=f"k{i}", value="v") for i in range(23)]
    rendered = render_slack(Post(title="T" * 400, text="x", fields=fields))
    sizes = [len(b["fields"]) for b in rendered["blocks"] if "fields" in b]
    assert sizes == [10, 10, 3]
    header = rendered["blocks"][0]["text"]["text"]
    assert len(header) == 150 and header.endswith("…")


def test_slack_fallback_text_stays_under_4000() -> None:
    """The notification text is clipped to 4000 characters."""
    rendered = render_slack(Post(text=lines(200)))
    assert len(rendered["text"]) <= 4000 and rendered["text"].endswith("…")


def test_slack_render_is_accepted_by_the_fake_api() -> None:
    """The real WebClient posts a huge rendered post and the fake's Block Kit checks pass."""
    post = Post(
        title="Weekly brief",
        text=lines(3000),
        fields=[Field_(label="a", value="b")] * 25,
        buttons=approve(),
        context="brief",
    )
    with FakeSlack() as slack:
        slack.add_channel("pos-hub")
        web = WebClient(token="xoxb-test", base_url=slack.url)
        web.chat_postMessage(channel="pos-hub", **render_slack(post))
        assert len(slack.messages("pos-hub")[0]["blocks"]) == 50


# -- Telegram ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("*bold* _it_ `co*de*`", "<b>bold</b> <i>it</i> <code>co*de*</code>"),
        ("a < b & c > d", "a &lt; b &amp; c &gt; d"),
        ("snake_case_name and 2 * 3 * 4", "snake_case_name and 2 * 3 * 4"),
        ("*unclosed and _also", "*unclosed and _also"),
        ("*a _b* c_", "<b>a _b</b> c_"),
        ("*_both_*", "<b><i>both</i></b>"),
        ("* bullet", "• bullet"),
        ("`<b>`", "<code>&lt;b&gt;</code>"),
    ],
)
def test_telegram_markdown_to_html(source: str, html: str) -> None:
    """Markdown becomes tags; unmatched markers stay literal; text is escaped."""
    assert markdown(source) == html
    parse_html(html)  # well-formed for the Bot API


def test_telegram_message_layout() -> None:
    """Bold title first, sections, fields, italic context; keyboard three to a row."""
    buttons = [Button(label=f"B{i}", action="pick", value=str(i)) for i in range(5)]
    post = Post(
        title="Trip & plan",
        text="Go *now*",
        sections=[Field_(label="Why", value="x")],
        fields=[Field_(label="Cost", value="€1")],
        buttons=buttons,
        context="travel",
    )
    (message,) = render_telegram(post)
    assert message.text == (
        "<b>Trip &amp; plan</b>\nGo <b>now</b>\n\n<b>Why</b>\nx\n\n<b>Cost:</b> €1\n\n<i>travel</i>"
    )
    rows = message.reply_markup["inline_keyboard"]  # type: ignore[index]
    assert [len(r) for r in rows] == [3, 2] and rows[1][1]["callback_data"] == "pick:4"
    assert message.parse_mode == "HTML"


def test_telegram_splits_over_4096_in_order_with_buttons_last() -> None:
    """A long post becomes several well-formed messages <= 4096, in order; buttons on the last."""
    text = "\n".join(f"*{i:05d}* " + "word " * 20 for i in range(400))
    messages = render_telegram(Post(title="Brief", text=text, buttons=approve()))
    assert len(messages) > 2 and all(len(m.text) <= 4096 for m in messages)
    assert [m.reply_markup is not None for m in messages] == [False] * (len(messages) - 1) + [True]
    visible = "\n".join(parse_html(m.text) for m in messages)
    assert visible == "Brief\n" + "\n".join(
        line.rstrip() for line in text.replace("*", "").split("\n")
    )


def test_telegram_overlong_line_closes_and_reopens_tags() -> None:
    """One 9000-character bold line is cut between words into well-formed pieces."""
    pieces = split_html("<b>" + "word & " * 1300 + "end</b>", 4096)
    assert len(pieces) == 3
    for piece in pieces:
        assert len(piece) <= 4096 and piece.startswith("<b>") and piece.endswith("</b>")
        parse_html(piece)


def test_telegram_callback_data_limit() -> None:
    """callback_data up to 64 bytes passes; more (multi-byte values) raises ValueError."""
    longest = Button(label="ok", action="a" * 24, value="v" * 36)  # 61 bytes
    assert render_telegram(Post(text="x", buttons=[longest]))[0].reply_markup
    wide = Button(label="no", action="approve", value="é" * 30)  # 68 bytes
    with pytest.raises(ValueError, match="64"):
        render_telegram(Post(text="x", buttons=[wide]))


def test_telegram_empty_post_still_sends_text() -> None:
    """A post with only buttons gets a placeholder text (Telegram refuses empty text)."""
    (message,) = render_telegram(Post(text="", buttons=approve()))
    assert message.text == "…" and message.reply_markup


def test_telegram_render_is_accepted_by_the_fake_bot_api() -> None:
    """The real PTB Bot sends every rendered message and the fake's HTML checks pass."""
    text = "\n".join(f"_{i}_ <tag> & *bold {i}* `x<y`" for i in range(600))
    messages = render_telegram(Post(title="Long", text=text, buttons=approve()))

    async def send(base_url: str) -> None:
        async with Bot("1:T", base_url=base_url) as bot:
            for m in messages:
                markup = (
                    InlineKeyboardMarkup.de_json(m.reply_markup, bot) if m.reply_markup else None
                )
                await bot.send_message(4567, m.text, parse_mode=m.parse_mode, reply_markup=markup)

    with FakeTelegram() as tg:
        tg.add_chat(4567)
        asyncio.run(send(tg.base_url))
        assert len(tg.messages(4567)) == len(messages) > 1
        assert tg.messages(4567)[-1]["reply_markup"]["inline_keyboard"][0][0]["text"] == "Approve"
